"""Credit information for banks' systems: records and evaluation behind consent (logged), and the query log."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from creditinfo.api.record_serializers import (
    CreditRecordOutputSerializer,
    EvaluationOutputSerializer,
    QueryLogOutputSerializer,
)
from creditinfo.models import CreditRecord, EnterpriseMembership, Evaluation, QueryLog, RecordCategory
from creditinfo.selectors import (
    explain_factors,
    explain_improvements,
    mask_record,
    published_records,
    query_log_for,
)
from creditinfo.services.queries import credit_query_open
from xinyidai.api.pagination import KeysetPagination, StandardPagination
from xinyidai.api.parsers import JSONParser
from xinyidai.api.schema import ApiAutoSchema
from xinyidai.api.views import parse_id


def open_credit(request, id, what: str) -> int:  # noqa: A002
    """The enterprise id the caller may read credit information of: an officer under a live authorization (and the
    query is logged), an SME its own enterprise; anyone else, or no consent, 404."""
    enterprise_id = parse_id(id)
    user = request.user
    if user.is_officer:
        enterprise, _entry = credit_query_open(user=user, enterprise_id=enterprise_id, what=what)
        return enterprise.pk
    if user.is_sme and EnterpriseMembership.objects.filter(user=user, enterprise_id=enterprise_id).exists():
        return enterprise_id
    raise NotFound()


class CreditApiView(GenericAPIView):
    parser_classes = [JSONParser]
    schema = ApiAutoSchema()


class CreditRecordListView(CreditApiView):
    """An enterprise's published credit records (inside their publication window), newest first per category.

    Officers: only while the enterprise's authorization for their institution is live; each call is logged in
    the enterprise's query log (`records`). SMEs: their own enterprise. Personal data of individuals is masked.
    """

    queryset = CreditRecord.objects.none()
    serializer_class = CreditRecordOutputSerializer
    pagination_class = StandardPagination

    @extend_schema(
        operation_id="enterprise_credit_records",
        tags=["credit information"],
        responses=CreditRecordOutputSerializer(many=True),
        parameters=[OpenApiParameter("category", str, enum=RecordCategory.values, description=_("Only one category"))],
    )
    def get(self, request, id=None):  # noqa: A002 (the URL names it id, like the router)
        category = request.query_params.get("category")
        if category and category not in RecordCategory.values:
            raise ValidationError({"category": [_("Unknown category.")]})
        enterprise_id = open_credit(request, id, QueryLog.What.RECORDS)
        records = published_records(enterprise_id=enterprise_id)
        if category:
            records = records.filter(category=category)
        page = [mask_record(record) for record in self.paginate_queryset(records)]
        return self.get_paginated_response(CreditRecordOutputSerializer(page, many=True).data)


class EvaluationView(CreditApiView):
    """The enterprise's current advisory credit evaluation with each factor explained (logged for officers).

    The score is advisory: it never decides an application by itself. 404 also when none is computed yet.
    """

    queryset = Evaluation.objects.none()
    serializer_class = EvaluationOutputSerializer
    pagination_class = None

    @extend_schema(
        operation_id="enterprise_evaluation", tags=["credit information"], responses=EvaluationOutputSerializer
    )
    def get(self, request, id=None):  # noqa: A002 (the URL names it id, like the router)
        enterprise_id = open_credit(request, id, QueryLog.What.EVALUATION)
        evaluation = Evaluation.objects.select_related("enterprise").filter(enterprise_id=enterprise_id).first()
        if evaluation is None:
            raise NotFound(str(_("No evaluation has been computed for this enterprise yet.")))
        data = {
            "enterprise": evaluation.enterprise,
            "score": evaluation.score,
            "grade": evaluation.grade,
            "factors": explain_factors(evaluation),
            "improvements": explain_improvements(evaluation),
            "model_version": evaluation.model_version,
            "computed_at": evaluation.computed_at,
            "advisory": str(_("The evaluation is advisory: it never decides an application by itself.")),
        }
        return Response(EvaluationOutputSerializer(data).data)


class QueryLogListView(CreditApiView):
    """The query log, newest first: an SME sees who queried its enterprise; an officer the queries made by its
    institution and its branches. Others get an empty list."""

    queryset = QueryLog.objects.none()
    serializer_class = QueryLogOutputSerializer
    # Cursor pages: an institution's log grows without end, and a deep page must cost what the first does.
    pagination_class = KeysetPagination
    cursor_ordering = ("-created_at", "-id")

    @extend_schema(
        operation_id="query_log_list", tags=["credit information"], responses=QueryLogOutputSerializer(many=True)
    )
    def get(self, request):
        page = self.paginate_queryset(query_log_for(user=request.user))
        return self.get_paginated_response(QueryLogOutputSerializer(page, many=True).data)
