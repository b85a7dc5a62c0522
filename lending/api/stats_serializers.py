"""Input and output serializers of the statistics API (lending/api/stats.py): months as YYYY-MM, money as
decimal strings in yuan, one FiguresSerializer for every place a row of figures appears."""

import datetime
import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from lending.models.targets import TargetMetric
from lending.rollups import month_start
from lending.selectors_stats import Figures
from xinyidai.api.serializers import InstitutionRefSerializer, RegionRefSerializer

MONEY_FIELD = {"max_digits": 20, "decimal_places": 2, "coerce_to_string": True}
RATIO_FIELD = {"max_digits": 5, "decimal_places": 4, "coerce_to_string": True, "allow_null": True}
MAX_SERIES_MONTHS = 120
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


# --- input ---------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": MONTH_PATTERN, "example": "2026-03"})
class MonthField(serializers.Field):
    """A calendar month as YYYY-MM, held as the date of its first day."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.match(MONTH_PATTERN, data) or data < "0001":
            self.fail("invalid")
        return datetime.date(int(data[:4]), int(data[5:7]), 1)

    def to_representation(self, value):
        return f"{value:%Y-%m}"


class RegionQuerySerializer(serializers.Serializer):
    region = serializers.RegexField(
        r"^\d{6}$",
        required=False,
        help_text="GB/T 2260 code of your region or one below it; default your region (a head office: the province).",
    )

    class Meta:
        ref_name = "StatsRegionQuery"


def _current_month() -> datetime.date:
    return month_start(timezone.localdate())


def _not_future(month: datetime.date, field: str) -> None:
    if month > _current_month():
        raise ValidationError({field: [_("The month cannot be in the future.")]})


class MonthRangeQuerySerializer(RegionQuerySerializer):
    """`from` and `to` are Python keywords, hence declared in get_fields()."""

    class Meta:
        ref_name = "StatsMonthRangeQuery"

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MonthField(required=False, help_text="First month, YYYY-MM; default January of `to`'s year.")
        fields["to"] = MonthField(required=False, help_text="Last month, YYYY-MM; default this month; not later.")
        return fields

    def validate(self, attrs):
        end = attrs.get("to") or _current_month()
        _not_future(end, "to")
        start = attrs.get("from") or end.replace(month=1)
        if start > end:
            raise ValidationError({"from": [_("The first month is after the last.")]})
        return {**attrs, "from": start, "to": end}


class SeriesQuerySerializer(RegionQuerySerializer):
    months = serializers.IntegerField(
        min_value=1, max_value=MAX_SERIES_MONTHS, default=12, help_text="How many months up to `to` (default 12)."
    )
    to = MonthField(required=False, help_text="Last month, YYYY-MM; default this month; not later.")

    class Meta:
        ref_name = "StatsSeriesQuery"

    def validate(self, attrs):
        end = attrs.get("to") or _current_month()
        _not_future(end, "to")
        return {**attrs, "to": end}


class SummaryQuerySerializer(RegionQuerySerializer):
    as_of = serializers.DateField(
        required=False,
        help_text="YYYY-MM-DD, not in the future; default today. The rollups keep months: the figures stand at "
        "the end of as_of's month (today for the current month), see `period_end`.",
    )

    class Meta:
        ref_name = "StatsSummaryQuery"


# --- output ----------------------------------------------------------------------------------------------------


class FiguresSerializer(serializers.Serializer):
    """The figures of a scope over a month range: stocks at the end of the range, flows over it."""

    balance = serializers.DecimalField(
        help_text="Outstanding loan balance at period_end, yuan (a stock).", **MONEY_FIELD
    )
    credit_loan_balance = serializers.DecimalField(
        help_text="Outstanding balance of credit loans (guarantee mode 04) at period_end, yuan.", **MONEY_FIELD
    )
    credit_loan_share = serializers.DecimalField(help_text="credit_loan_balance / balance; null when 0.", **RATIO_FIELD)
    live_loans = serializers.IntegerField(help_text="Loans with a balance above 0 at period_end (loans, not firms).")
    borrowers = serializers.IntegerField(help_text="Distinct enterprises (USCCs) with a balance at period_end.")
    disbursed_amount = serializers.DecimalField(help_text="Principal disbursed in the range, yuan.", **MONEY_FIELD)
    disbursed_count = serializers.IntegerField(help_text="Loans disbursed in the range.")
    disbursed_firms = serializers.IntegerField(
        help_text="Distinct enterprises disbursed to, counted per month and summed over the range."
    )
    new_first_loan_customers = serializers.IntegerField(
        source="first_loan_customers",
        help_text="Distinct enterprises (USCCs) whose first bank-attested first-loan disbursement is in the range.",
    )
    granted_amount = serializers.DecimalField(help_text="Credit approved in the range, yuan.", **MONEY_FIELD)
    granted_count = serializers.IntegerField(help_text="Credit approvals in the range.")
    decided_count = serializers.IntegerField(help_text="Credit decisions (approvals and rejections) in the range.")
    approval_working_days = serializers.IntegerField(
        help_text="Working days from submission to decision, summed over those decisions."
    )
    average_approval_days = serializers.DecimalField(
        max_digits=8, decimal_places=1, coerce_to_string=True, allow_null=True,
        help_text="approval_working_days / decided_count (official holidays excluded); null without decisions.",
    )  # fmt: skip
    # Registrations and demands belong to no loan: they break down by region, industry and size class only.
    enterprises_registered = serializers.IntegerField(
        help_text="Enterprises that registered in the range (0 in a bank's view and by bank, branch, product "
        "type or guarantee mode, as are the demand figures)."
    )
    demands_published = serializers.IntegerField(help_text="Financing demands published in the range.")
    demands_picked_up = serializers.IntegerField(help_text="Of the demands published in the range, those a bank "
                                                 "picked up.")  # fmt: skip
    pick_up_rate = serializers.DecimalField(
        help_text="demands_picked_up / demands_published; null if none.", **RATIO_FIELD
    )
    intents_recorded = serializers.IntegerField(help_text="Matchmaking intents recorded at events in the range.")
    intent_amount = serializers.DecimalField(help_text="Amount those intents named, yuan.", **MONEY_FIELD)
    intents_converted = serializers.IntegerField(
        help_text="Loans disbursed in the range that a matchmaking intent was followed through to."
    )
    converted_amount = serializers.DecimalField(help_text="Principal of those loans, yuan.", **MONEY_FIELD)


def figures_data(figs: Figures) -> dict:
    """A Figures' values with its derived ratios, for FiguresSerializer and its subclasses."""
    return figs.values | {
        "credit_loan_share": figs.credit_loan_share,
        "average_approval_days": figs.average_approval_days,
        "pick_up_rate": figs.pick_up_rate,
    }


class ScopeOutputSerializer(serializers.Serializer):
    region = RegionRefSerializer(help_text="The region the figures cover (and every region below it).")
    bank = InstitutionRefSerializer(allow_null=True, help_text="A head office's own bank; null: every institution.")
    refreshed_at = serializers.DateTimeField(allow_null=True, help_text="When the rollups were last refreshed.")


class RangeOutputSerializer(ScopeOutputSerializer):
    period_end = serializers.DateField(help_text="The day the stocks stand at: the end of `to` (today at the latest).")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = MonthField(help_text="First month of the range.")
        fields["to"] = MonthField(help_text="Last month of the range.")
        return fields


class KpisOutputSerializer(RangeOutputSerializer, FiguresSerializer):
    registered_enterprises = serializers.IntegerField(
        allow_null=True,
        help_text="Enterprises registered on the platform up to the end of `to` (feed-created skeletons excluded); "
        "null in a bank's view.",
    )
    institutions = serializers.IntegerField(help_text="Active institutions serving the region, now.")
    products = serializers.IntegerField(help_text="Listed products offered in the region, now.")
    open_demands = serializers.IntegerField(
        allow_null=True, help_text="Financing demands open in the region now; null in a bank's view."
    )
    events_held = serializers.IntegerField(
        help_text="Matchmaking events held in the region (and below) in the range; in a bank's view, those its "
        "institutions took part in."
    )

    class Meta:
        ref_name = "StatsKpis"


class SeriesMonthSerializer(FiguresSerializer):
    month = MonthField(help_text="The month: stocks at its end (today for the current month), flows within it.")

    class Meta:
        ref_name = "StatsSeriesMonth"


class SeriesOutputSerializer(ScopeOutputSerializer):
    months = SeriesMonthSerializer(
        many=True,
        help_text="Oldest first, one item per month from the first month held (at most `months` back) to `to`; "
        "empty when the rollups hold nothing for the scope.",
    )

    class Meta:
        ref_name = "StatsSeries"


class BreakdownRowSerializer(FiguresSerializer):
    key = serializers.CharField(
        help_text="Region: GB/T 2260 code; bank, branch: institution id; industry: GB/T 4754 section letter; "
        "product_type, guarantee_mode, size_class: their codes (empty: not given)."
    )
    label = serializers.CharField(help_text="The key's name in the request's language.")

    class Meta:
        ref_name = "StatsBreakdownRow"


class BreakdownOutputSerializer(RangeOutputSerializer):
    dim = serializers.CharField(help_text="What the rows break the figures down by.")
    rows = BreakdownRowSerializer(
        many=True, help_text="Child regions in code order; other dimensions largest balance first."
    )

    class Meta:
        ref_name = "StatsBreakdown"


class TargetProgressSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    metric = serializers.ChoiceField(choices=TargetMetric.choices)
    value = serializers.DecimalField(help_text="Yuan for amounts; a count for enterprise metrics.", **MONEY_FIELD)
    deadline = serializers.DateField()
    region = serializers.CharField(help_text="GB/T 2260 code of the target's region.")
    note = serializers.CharField(allow_blank=True)
    current = serializers.DecimalField(
        help_text="The metric's figure at period_end, in the target's unit.", **MONEY_FIELD
    )
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
    trend_reaches_on = serializers.DateField(
        allow_null=True,
        help_text="The month-end at which the linear trend (ordinary least squares over the last 12 month-end "
        "figures) reaches the value; null when the trend is flat or falling, or with fewer than two months.",
    )
    trend_reaches_in_time = serializers.BooleanField(
        allow_null=True, help_text="trend_reaches_on is on or before the deadline."
    )

    class Meta:
        ref_name = "TargetProgress"


class SummaryOutputSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    as_of = serializers.DateField()
    period_end = serializers.DateField(
        help_text="The day the figures stand at: the end of as_of's month, or today for the current month."
    )
    refreshed_at = serializers.DateTimeField(allow_null=True, help_text="When the rollups were last refreshed.")
    registered_enterprises = serializers.IntegerField(
        help_text="Registered enterprises in the region and below (feed-created skeletons excluded)."
    )
    balance = serializers.DecimalField(help_text="Outstanding balance of live loans, yuan (a stock).", **MONEY_FIELD)
    credit_loan_balance = serializers.DecimalField(
        help_text="Outstanding balance of live credit loans (guarantee mode 04), yuan.", **MONEY_FIELD
    )
    credit_loan_share = serializers.DecimalField(help_text="credit_loan_balance / balance; null when 0.", **RATIO_FIELD)
    live_loans = serializers.IntegerField(help_text="Loans with a balance above 0 at period_end (loans, not firms).")
    borrowers = serializers.IntegerField(help_text="Distinct enterprises (USCCs) with a balance at period_end.")
    granted_amount = serializers.DecimalField(
        help_text="Approved credit up to period_end, yuan (a flow).", **MONEY_FIELD
    )
    granted_count = serializers.IntegerField(help_text="Approved credit decisions up to period_end (not firms).")
    disbursed_amount = serializers.DecimalField(
        help_text="Principal disbursed up to period_end, yuan (a flow).", **MONEY_FIELD
    )
    disbursed_count = serializers.IntegerField(help_text="Loans disbursed up to period_end (loans, not firms).")
    new_first_loan_customers = serializers.IntegerField(
        help_text="Distinct enterprises (USCCs, not loans) with a bank-attested first-loan disbursement up to "
        "period_end."
    )
    targets = TargetProgressSerializer(many=True, help_text="Targets set for this region exactly.")

    class Meta:
        ref_name = "StatsSummary"
