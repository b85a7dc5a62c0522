"""Statistics endpoints for government staff, scoped to their region and below."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from lending.models.targets import TargetMetric
from lending.selectors_stats import summary
from xinyidai.api.errors import ErrorSerializer
from xinyidai.api.serializers import RegionRefSerializer
from xinyidai.api.views import ApiView
from xinyidai.errors import DomainError
from xinyidai.models import Region

MONEY_FIELD = {"max_digits": 18, "decimal_places": 2, "coerce_to_string": True}


class SummaryQuerySerializer(serializers.Serializer):
    region = serializers.RegexField(
        r"^\d{6}$", required=False, help_text="GB/T 2260 code of your region or one below it; default your region."
    )
    as_of = serializers.DateField(required=False, help_text="YYYY-MM-DD; default today (only today for now).")

    class Meta:
        ref_name = "StatsSummaryQuery"


class TargetProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.ChoiceField(choices=TargetMetric.choices)
    value = serializers.DecimalField(help_text="Yuan for amounts; a count for enterprise metrics.", **MONEY_FIELD)
    deadline = serializers.DateField()
    region = serializers.CharField(help_text="GB/T 2260 code of the target's region.")
    note = serializers.CharField(allow_blank=True)
    current = serializers.DecimalField(help_text="The metric's current figure, in the target's unit.", **MONEY_FIELD)
    progress = serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=True, help_text="current / value (1 = reached)."
    )
    missed = serializers.BooleanField(help_text="The deadline has passed with the target not reached.")
    gap = serializers.DecimalField(help_text="value - current when missed, else 0.", **MONEY_FIELD)
    monthly_growth_needed = serializers.DecimalField(
        allow_null=True,
        help_text="Remaining gap spread evenly over the months left (0 when reached; null after the deadline).",
        **MONEY_FIELD,
    )

    class Meta:
        ref_name = "TargetProgress"


class SummaryOutputSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    as_of = serializers.DateField()
    registered_enterprises = serializers.IntegerField(
        help_text="Registered enterprises in the region and below (feed-created skeletons excluded)."
    )
    balance = serializers.DecimalField(help_text="Outstanding balance of live loans, yuan (a stock).", **MONEY_FIELD)
    credit_loan_balance = serializers.DecimalField(
        help_text="Outstanding balance of live credit loans (guarantee mode 04), yuan.", **MONEY_FIELD
    )
    credit_loan_share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        coerce_to_string=True,
        allow_null=True,
        help_text="credit_loan_balance / balance; null when the balance is 0.",
    )
    granted_amount = serializers.DecimalField(help_text="Approved credit up to as_of, yuan (a flow).", **MONEY_FIELD)
    granted_count = serializers.IntegerField(help_text="Approved credit decisions up to as_of (loans, not firms).")
    disbursed_amount = serializers.DecimalField(
        help_text="Principal disbursed up to as_of, yuan (a flow).", **MONEY_FIELD
    )
    disbursed_count = serializers.IntegerField(help_text="Loans disbursed up to as_of (loans, not firms).")
    new_first_loan_customers = serializers.IntegerField(
        help_text="Distinct enterprises (USCCs, not loans) with a bank-attested first-loan disbursement up to as_of."
    )
    targets = TargetProgressSerializer(many=True, help_text="Targets set for this region exactly.")

    class Meta:
        ref_name = "StatsSummary"


def _region_for(user, code: str | None) -> Region:
    """The requested region (default the user's), parents joined so the scope check needs no more queries."""
    regions = Region.objects.select_related("parent__parent")
    region = regions.filter(code=code).first() if code else regions.filter(pk=user.region_id).first()
    if region is None:
        raise DomainError(
            code="invalid",
            message=_("Unknown region code."),
            detail={"region": [_("Unknown region code.")]},
            status=400,
        )
    if user.region_id not in region.ancestors_and_self_ids():
        raise DomainError(code="not_found", message=_("That region is outside your scope."), status=404)
    return region


class StatsSummaryView(ApiView):
    """KPI figures of a region and below, with its targets' progress (government staff)."""

    @extend_schema(
        operation_id="stats_summary",
        tags=["stats"],
        parameters=[SummaryQuerySerializer],
        responses={
            200: SummaryOutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Malformed or unknown region, or an unsupported as_of."),
        },
    )
    def get(self, request):
        if not request.user.is_gov_staff:
            raise DomainError(code="forbidden", message=_("Only government staff can do this."), status=403)
        query = SummaryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        region = _region_for(request.user, query.validated_data.get("region"))
        data = summary(region=region, as_of=query.validated_data.get("as_of"))
        return Response(SummaryOutputSerializer(data).data)
