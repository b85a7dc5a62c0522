"""Enterprise and authorization endpoints."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from creditinfo.api.serializers import (
    AuthorizationGrantInputSerializer,
    AuthorizationOutputSerializer,
    EnterpriseInputSerializer,
    EnterpriseOutputSerializer,
    EnterpriseUpdateInputSerializer,
)
from creditinfo.models import Authorization, Enterprise
from creditinfo.services.authorizations import authorization_grant, authorization_revoke
from creditinfo.services.enterprises import enterprise_register, enterprise_update
from xinyidai.api.permissions import require_role
from xinyidai.api.views import ApiView, ApiViewSet


def _enterprises():
    return Enterprise.objects.select_related("region", "industry").prefetch_related("tags")


def _own_enterprise(user) -> Enterprise:
    """The enterprise the caller acts for (SME users), or 404."""
    enterprise = _enterprises().filter(members__user=user).first()
    if enterprise is None:
        raise NotFound(_("Your account does not represent an enterprise yet."))
    return enterprise


class MyEnterpriseView(ApiView):
    """The caller's own enterprise: read it, register it (or claim a feed-created record), update it."""

    @extend_schema(operation_id="enterprise_mine_retrieve", tags=["enterprises"], responses=EnterpriseOutputSerializer)
    def get(self, request):
        return Response(EnterpriseOutputSerializer(_own_enterprise(request.user)).data)

    @extend_schema(
        operation_id="enterprise_mine_register",
        tags=["enterprises"],
        request=EnterpriseInputSerializer,
        responses={201: EnterpriseOutputSerializer},
    )
    def post(self, request):
        require_role(request.user, "sme")  # the role before the body's shape: other roles have nothing to register
        serializer = EnterpriseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = enterprise_register(user=request.user, **serializer.validated_data)
        return Response(
            EnterpriseOutputSerializer(_enterprises().get(pk=enterprise.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        operation_id="enterprise_mine_update",
        tags=["enterprises"],
        request=EnterpriseUpdateInputSerializer(partial=True),
        responses=EnterpriseOutputSerializer,
    )
    def patch(self, request):
        enterprise = _own_enterprise(request.user)
        serializer = EnterpriseUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        enterprise_update(enterprise=enterprise, user=request.user, **serializer.validated_data)
        return Response(EnterpriseOutputSerializer(_enterprises().get(pk=enterprise.pk)).data)


@extend_schema(tags=["enterprises"])
class EnterpriseViewSet(ApiViewSet):
    """Any enterprise the caller may see: its own (SME), one that authorized the institution (officer),
    one registered in the staff member's region."""

    queryset = Enterprise.objects.none()  # for schema introspection; requests use visible_to(user)

    @extend_schema(responses=EnterpriseOutputSerializer)
    def retrieve(self, request, pk=None):
        enterprise = _enterprises().visible_to(request.user).filter(pk=self.pk).first()
        if enterprise is None:
            raise NotFound()
        return Response(EnterpriseOutputSerializer(enterprise).data)


@extend_schema(tags=["authorizations"])
class AuthorizationViewSet(mixins.ListModelMixin, ApiViewSet):
    """Credit-query authorizations: an SME sees the ones it gave, an officer those given to its institution tree."""

    queryset = Authorization.objects.none()
    serializer_class = AuthorizationOutputSerializer

    def get_queryset(self):
        return Authorization.objects.visible_to(self.request.user).select_related("enterprise", "institution")

    @extend_schema(request=AuthorizationGrantInputSerializer, responses={201: AuthorizationOutputSerializer})
    def create(self, request):
        """An SME authorizes an institution to query its enterprise's credit information (consent text stored)."""
        require_role(request.user, "sme")
        serializer = AuthorizationGrantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        authorization = authorization_grant(
            enterprise=_own_enterprise(request.user), user=request.user, **serializer.validated_data
        )
        output = AuthorizationOutputSerializer(self.get_queryset().get(pk=authorization.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=AuthorizationOutputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        authorization = self.get_queryset().filter(pk=self.pk).first()
        if authorization is None:
            raise NotFound()
        authorization_revoke(authorization_id=authorization.pk, user=request.user)
        return Response(AuthorizationOutputSerializer(self.get_queryset().get(pk=authorization.pk)).data)
