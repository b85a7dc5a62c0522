"""Objection (异议) and credit repair (信用修复) endpoints.

SMEs list and raise their own; platform staff see those of enterprises in their region (and below) and answer
them. Objects are fetched through visible_to(user) first (outside it: 404); the services check the role (403)
and the state (409 `invalid_transition`, or the rule's own code).
"""

import django_filters
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from creditinfo.api.objection_serializers import (
    ObjectionOutputSerializer,
    ObjectionRaiseInputSerializer,
    ObjectionResolveInputSerializer,
    RepairDecisionInputSerializer,
    RepairRequestInputSerializer,
    RepairRequestOutputSerializer,
)
from creditinfo.models import Objection, RepairRequest
from creditinfo.services.objections import objection_raise, objection_resolve
from creditinfo.services.repairs import repair_request_approve, repair_request_reject, repair_request_submit
from xinyidai.api.permissions import require_role
from xinyidai.api.views import ApiViewSet

RELATED = ("record", "enterprise")


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ObjectionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Objection.Status.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only open objections past their due date")

    class Meta:
        model = Objection
        fields = ["status", "overdue"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.overdue(today) if value else queryset.exclude(status="open", due_on__lt=today)


class RepairRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RepairRequest.Status.choices)

    class Meta:
        model = RepairRequest
        fields = ["status"]


class _Scoped(ApiViewSet):
    """list / retrieve through visible_to(user); staff see the nearest deadline (or the oldest request) first."""

    model = None
    staff_ordering: tuple[str, ...] = ()

    def scoped(self):
        queryset = self.model.objects.visible_to(self.request.user).select_related(*RELATED)
        return queryset if self.request.user.is_sme else queryset.order_by(*self.staff_ordering)

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.scoped()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._detail(self._visible_pk())

    def _visible_pk(self) -> int:
        if not self.model.objects.visible_to(self.request.user).filter(pk=self.pk).exists():
            raise NotFound()
        return self.pk

    def _detail(self, pk: int, status=status.HTTP_200_OK) -> Response:
        return Response(self.serializer_class(self.scoped().get(pk=pk)).data, status=status)


@extend_schema(tags=["objections"])
class ObjectionViewSet(_Scoped):
    """Objections: an SME's own; staff's region's, nearest answer deadline first (`?overdue=true` for late ones)."""

    model = Objection
    staff_ordering = ("due_on", "id")
    queryset = Objection.objects.none()
    filterset_class = ObjectionFilter
    serializer_class = ObjectionOutputSerializer

    @extend_schema(responses=ObjectionOutputSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(request=ObjectionRaiseInputSerializer, responses={201: ObjectionOutputSerializer})
    def create(self, request):
        """An SME disputes one of its published records; it shows as disputed until answered (within 20 days).
        Evidence files are uploaded on the web page."""
        require_role(request.user, "sme")
        data = _valid(ObjectionRaiseInputSerializer, request.data)
        objection = objection_raise(user=request.user, record_id=data["record"], reason=data["reason"])
        return self._detail(objection.pk, status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectionResolveInputSerializer, responses=ObjectionOutputSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Platform staff answer an open objection: corrected, removed or unresolved; answering twice is 409."""
        pk = self._visible_pk()
        data = _valid(ObjectionResolveInputSerializer, request.data)
        objection_resolve(
            objection_id=pk,
            user=request.user,
            outcome=data["outcome"],
            response=data["response"],
            corrections=data.get("correction") or {},
        )
        return self._detail(pk)


@extend_schema(tags=["objections"])
class RepairRequestViewSet(_Scoped):
    """Credit repair requests: an SME's own; staff's region's, the oldest first."""

    model = RepairRequest
    staff_ordering = ("created_at", "id")
    queryset = RepairRequest.objects.none()
    filterset_class = RepairRequestFilter
    serializer_class = RepairRequestOutputSerializer

    @extend_schema(responses=RepairRequestOutputSerializer)
    def retrieve(self, request, pk=None):
        return super().retrieve(request, pk)

    @extend_schema(request=RepairRequestInputSerializer, responses={201: RepairRequestOutputSerializer})
    def create(self, request):
        """An SME asks to repair a negative record: after the severity's minimum period, obligation met."""
        require_role(request.user, "sme")
        data = _valid(RepairRequestInputSerializer, request.data)
        repair = repair_request_submit(
            user=request.user,
            record_id=data["record"],
            obligation_fulfilled_on=data["obligation_fulfilled_on"],
            statement=data["statement"],
        )
        return self._detail(repair.pk, status=status.HTTP_201_CREATED)

    @extend_schema(request=RepairDecisionInputSerializer, responses=RepairRequestOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Platform staff approve: the record leaves publication and the evaluation is recomputed."""
        pk = self._visible_pk()
        data = _valid(RepairDecisionInputSerializer, request.data)
        repair_request_approve(repair_id=pk, user=request.user, note=data.get("note", ""))
        return self._detail(pk)

    @extend_schema(request=RepairDecisionInputSerializer, responses=RepairRequestOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Platform staff reject, with a note (required)."""
        pk = self._visible_pk()
        data = _valid(RepairDecisionInputSerializer, request.data)
        repair_request_reject(repair_id=pk, user=request.user, note=data.get("note", ""))
        return self._detail(pk)
