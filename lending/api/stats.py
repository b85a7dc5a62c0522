"""Statistics endpoints: every figure of the dashboard, read from the rollups (lending.selectors_stats).

Government staff read their region and below (`region=<GB/T 2260 code>`, default their own region). A bank's
head-office officers read their own bank across the province (`kpis`, `series`, and `breakdown` by branch or
region): the same figures, limited to their bank's loans and decisions. Branch officers and enterprises get 403.

Money is a decimal string in yuan; months are YYYY-MM. Over a month range, stocks (balances, loans outstanding,
borrowers) stand at the end of the last month (today for the current month, see `period_end`), flows
(disbursed, granted, first loans, decisions, registrations, demands) are summed over the range. The rollups
are refreshed every 5 minutes and after each feedback post (`refreshed_at` says when they last were).
"""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lending.api.stats_serializers import (
    BreakdownOutputSerializer,
    KpisOutputSerializer,
    MonthRangeQuerySerializer,
    SeriesOutputSerializer,
    SeriesQuerySerializer,
    SummaryOutputSerializer,
    SummaryQuerySerializer,
    figures_data,
)
from lending.models.stats import StatsDim
from lending.rollups import last_refresh, next_month
from lending.selectors_stats import (
    Figures,
    Scope,
    breakdowns,
    events_held,
    figures,
    monthly_series,
    platform_counts,
    region_breakdown,
    summary,
)
from xinyidai.api.errors import ErrorSerializer
from xinyidai.api.views import ApiView
from xinyidai.errors import DomainError
from xinyidai.models import Region

REGION_DIM = "region"
BREAKDOWN_DIMS = (REGION_DIM, StatsDim.BANK, StatsDim.BRANCH, StatsDim.PRODUCT_TYPE, StatsDim.GUARANTEE_MODE,
                  StatsDim.INDUSTRY, StatsDim.SIZE_CLASS)  # fmt: skip
BANK_VIEW_DIMS = (REGION_DIM, StatsDim.BRANCH)  # the rollups break a bank's figures down no further


# --- who sees what ------------------------------------------------------------------------------------------


def _unknown_region() -> DomainError:
    message = _("Unknown region code.")
    return DomainError(code="invalid", message=message, detail={"region": [message]}, status=400)


def _region_for(user, code: str | None) -> Region:
    """The requested region (default the user's), parents joined so the scope check needs no more queries."""
    regions = Region.objects.select_related("parent__parent")
    region = regions.filter(code=code).first() if code else regions.filter(pk=user.region_id).first()
    if region is None:
        raise _unknown_region()
    if user.region_id not in region.ancestors_and_self_ids():
        raise DomainError(code="not_found", message=_("That region is outside your scope."), status=404)
    return region


def _province_region(code: str | None) -> Region:
    """A head office's region: the province (the root of the region tree), or the requested region in it."""
    regions = Region.objects.select_related("parent__parent")
    region = regions.filter(code=code).first() if code else regions.filter(parent=None).order_by("code").first()
    if region is None:
        raise _unknown_region()
    return region


def stats_viewer(user, *, bank_view: bool):
    """403 unless the user may read statistics: government staff, or (with `bank_view`) a head-office officer.
    Returns the bank of a head-office officer, None for staff."""
    if user.is_gov_staff:
        return None
    if bank_view and user.is_officer and user.institution.parent_id is None:
        return user.institution
    message = (
        _("Only government staff and bank head offices can do this.")
        if bank_view
        else _("Only government staff can do this.")
    )
    raise DomainError(code="forbidden", message=message, status=403)


def stats_scope(user, code: str | None, *, bank_view: bool = True) -> Scope:
    """Government staff: their region or one below (404 outside). A head-office officer (with `bank_view`):
    their bank across the province, or in a region of it. Everyone else: 403."""
    bank = stats_viewer(user, bank_view=bank_view)
    if bank is None:
        return Scope(region=_region_for(user, code))
    return Scope(region=_province_region(code), bank=bank)


def _period_end(month: datetime.date) -> datetime.date:
    return min(next_month(month) - datetime.timedelta(days=1), timezone.localdate())


def _scope_data(scope: Scope) -> dict:
    refreshed = last_refresh()
    return {"region": scope.region, "bank": scope.bank, "refreshed_at": refreshed.finished_at if refreshed else None}


def _bad_input(description: str) -> dict:
    return {400: OpenApiResponse(ErrorSerializer, description=description)}


BANK_VIEW_NOTE = " Government staff, and a bank's head-office officers for their own bank (403 for others)."


# --- views ------------------------------------------------------------------------------------------------------


class StatsSummaryView(ApiView):
    """KPI figures of a region and below, with its targets' progress (government staff)."""

    @extend_schema(
        operation_id="stats_summary",
        tags=["stats"],
        description="The headline figures of a region and below as of a day, and its targets' progress. "
        "Government staff only.",
        parameters=[SummaryQuerySerializer],
        responses={200: SummaryOutputSerializer, **_bad_input("Malformed or unknown region, or as_of in the future.")},
    )
    def get(self, request):
        stats_viewer(request.user, bank_view=False)
        query = _validated(request, SummaryQuerySerializer)
        scope = stats_scope(request.user, query.get("region"), bank_view=False)
        data = summary(region=scope.region, as_of=query.get("as_of"))
        return Response(SummaryOutputSerializer(data).data)


class StatsKpisView(ApiView):
    """Every KPI card figure of the dashboard over a month range."""

    @extend_schema(
        operation_id="stats_kpis",
        tags=["stats"],
        description="Every KPI figure over a month range: stocks at its end, flows over it, the derived ratios, "
        "and the institutions, products and open demands as they stand now." + BANK_VIEW_NOTE,
        parameters=[MonthRangeQuerySerializer],
        responses={200: KpisOutputSerializer, **_bad_input("Malformed or unknown region, or a bad month range.")},
    )
    def get(self, request):
        stats_viewer(request.user, bank_view=True)
        query = _validated(request, MonthRangeQuerySerializer)
        scope = stats_scope(request.user, query.get("region"), bank_view=True)
        start, end = query["from"], query["to"]
        figs = figures(scope, start=start, end=end, to_date=True)
        data = {
            **_scope_data(scope),
            "from": start,
            "to": end,
            "period_end": _period_end(end),
            **figures_data(figs),
            "registered_enterprises": None if scope.bank else figs["enterprises_registered_to_date"],
            **platform_counts(scope),
            "events_held": events_held(scope, start=start, end=end),
        }
        return Response(KpisOutputSerializer(data).data)


class StatsSeriesView(ApiView):
    """The figures month by month."""

    @extend_schema(
        operation_id="stats_series",
        tags=["stats"],
        description="The figures month by month up to `to` (the dashboard's trend charts)." + BANK_VIEW_NOTE,
        parameters=[SeriesQuerySerializer],
        responses={200: SeriesOutputSerializer, **_bad_input("Malformed or unknown region, or bad months/to.")},
    )
    def get(self, request):
        stats_viewer(request.user, bank_view=True)
        query = _validated(request, SeriesQuerySerializer)
        scope = stats_scope(request.user, query.get("region"), bank_view=True)
        months = [figures_data(Figures(row)) for row in monthly_series(scope, end=query["to"], months=query["months"])]
        return Response(SeriesOutputSerializer({**_scope_data(scope), "months": months}).data)


DIM_PARAMETER = OpenApiParameter(
    "dim",
    str,
    OpenApiParameter.PATH,
    enum=[str(dim) for dim in BREAKDOWN_DIMS],
    description="region: the child regions (province -> cities -> counties); bank, branch, product_type, "
    "guarantee_mode, industry (GB/T 4754 section), size_class. A head office's view: region and branch only.",
)


class StatsBreakdownView(ApiView):
    """The figures of a month range broken down by one dimension."""

    @extend_schema(
        operation_id="stats_breakdown",
        tags=["stats"],
        description="The figures over a month range for each child region, bank, branch, product type, "
        "guarantee mode, industry section or size class (the dashboard's tables and drill-down)." + BANK_VIEW_NOTE,
        parameters=[DIM_PARAMETER, MonthRangeQuerySerializer],
        responses={
            200: BreakdownOutputSerializer,
            **_bad_input("Unknown dimension (or one a bank's view lacks), malformed or unknown region, bad range."),
        },
    )
    def get(self, request, dim: str):
        bank = stats_viewer(request.user, bank_view=True)
        if dim not in BREAKDOWN_DIMS:
            raise ValidationError({"dim": [_("Unknown breakdown.")]})
        if bank is not None and dim not in BANK_VIEW_DIMS:
            raise ValidationError({"dim": [_("A bank's figures break down by region and branch only.")]})
        query = _validated(request, MonthRangeQuerySerializer)
        scope = stats_scope(request.user, query.get("region"), bank_view=True)
        start, end = query["from"], query["to"]
        if dim == REGION_DIM:
            rows = region_breakdown(scope, start=start, end=end)
        else:
            rows = breakdowns(scope, [dim], start=start, end=end)[dim]
        data = {
            **_scope_data(scope),
            "from": start,
            "to": end,
            "period_end": _period_end(end),
            "dim": dim,
            "rows": [{"key": row.key, "label": row.label, **figures_data(row.figures)} for row in rows],
        }
        return Response(BreakdownOutputSerializer(data).data)


def _validated(request, serializer_class) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data
