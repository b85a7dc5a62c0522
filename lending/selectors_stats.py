"""Reads for the dashboard and the statistics API, from the rollups (lending.models.stats), never the raw tables.

A `Scope` is what a user may see: government staff a region and below (`bank` None: every institution's
loans); a bank head office its own institution (`bank` set: the rows broken down to that bank) across the
whole province. Every function runs a fixed number of queries whatever the data volume: it reads rollup rows
by (region, dim, month range), a few hundred at most.

Figures over a month range [start, end]: stocks (balances, loans outstanding, borrowers) stand at the end of
`end`; flows (disbursed, granted, first-loan customers, decisions, registrations, demands) are summed over the
range; `*_to_date` flows are summed from the platform's first month to `end` (what targets compare against).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import SizeClass
from lending.models import EventParticipant, FinancingDemand, GuaranteeMode, MatchmakingEvent, Product, ProductType
from lending.models.stats import FIGURES, StatsDim, StatsRollup
from lending.models.targets import Target
from lending.rollups import last_refresh, local_midnight, month_start, next_month
from lending.stats import deadline_status, monthly_growth_needed, progress_ratio, trend_reach_date
from xinyidai.errors import DomainError
from xinyidai.models import Industry, Institution, Region

ZERO = Decimal("0.00")
TREND_MONTHS = 12  # the trend toward a target is fitted on this many latest month-ends
SHARE_PLACES = Decimal("0.0001")
DAYS_PLACES = Decimal("0.1")
STOCKS = ("balance", "credit_loan_balance", "live_loans", "borrowers")
FLOWS = tuple(f for f in FIGURES if f not in STOCKS)
MONEY_FIGURES = frozenset(
    {"balance", "credit_loan_balance", "disbursed_amount", "granted_amount", "intent_amount", "converted_amount"}
)  # Decimal yuan; the rest are counts


@dataclass(frozen=True)
class Scope:
    """What the figures cover: `region` and below, all institutions or (head-office view) only `bank`."""

    region: Region
    bank: Institution | None = None

    @property
    def total_key(self) -> tuple[str, str]:
        """(dim, key) of the rows that hold the scope's totals."""
        return (StatsDim.TOTAL.value, "") if self.bank is None else (StatsDim.BANK.value, str(self.bank.pk))

    @property
    def total_filter(self) -> Q:
        if self.bank is None:
            return Q(dim=StatsDim.TOTAL, key="")
        return Q(dim=StatsDim.BANK, key=str(self.bank.pk))


@dataclass
class Figures:
    """One row of figures over a month range, with the ratios derived from them."""

    values: dict = field(default_factory=dict)

    def __getitem__(self, name):
        return self.values[name]

    def get(self, name, default=None):
        return self.values.get(name, default)

    @property
    def credit_loan_share(self) -> Decimal | None:
        return credit_loan_share(credit_loan_balance=self["credit_loan_balance"], balance=self["balance"])

    @property
    def average_approval_days(self) -> Decimal | None:
        """Mean working days from submission to decision over the decisions of the range; None without any."""
        if not self["decided_count"]:
            return None
        return (Decimal(self["approval_working_days"]) / self["decided_count"]).quantize(DAYS_PLACES)

    @property
    def pick_up_rate(self) -> Decimal | None:
        """Demands published in the range that a bank picked up, over those published; None without any."""
        if not self["demands_published"]:
            return None
        return (Decimal(self["demands_picked_up"]) / self["demands_published"]).quantize(SHARE_PLACES)


def credit_loan_share(*, credit_loan_balance: Decimal, balance: Decimal) -> Decimal | None:
    """Credit-loan balance / total balance of the same loans, to 4 places; None when there is no balance."""
    if not balance:
        return None
    return (Decimal(credit_loan_balance) / Decimal(balance)).quantize(SHARE_PLACES)


def _range_select(start: datetime.date, end: datetime.date, *, to_date: bool = False) -> tuple[str, list]:
    """The SELECT list of the figures over [start, end] and its parameters: stocks at `end`, flows over the
    range (and from the beginning with `to_date`). Raw SQL: built in microseconds, where the ORM spends
    milliseconds resolving forty filtered aggregates on every request."""
    parts, params = [], []
    for name in STOCKS:
        parts.append(f"COALESCE(SUM({name}) FILTER (WHERE month = %s), 0) AS {name}")
        params.append(end)
    for name in FLOWS:
        parts.append(f"COALESCE(SUM({name}) FILTER (WHERE month >= %s AND month <= %s), 0) AS {name}")
        params += [start, end]
    if to_date:
        for name in FLOWS:
            parts.append(f"COALESCE(SUM({name}) FILTER (WHERE month <= %s), 0) AS {name}_to_date")
            params.append(end)
    return ", ".join(parts), params


def _rollup_rows(*, start, end, where: str, where_params: list, group_by: str = "", to_date: bool = False):
    """Rows of figures from StatsRollup: `where` (constants and placeholders only) selects the rows, each
    distinct `group_by` column list gives one dict (named columns first, then the figures)."""
    select, params = _range_select(start, end, to_date=to_date)
    columns = f"{group_by}, " if group_by else ""
    sql = f"SELECT {columns}{select} FROM lending_statsrollup WHERE {where}"  # noqa: S608 - constants only  # nosec B608
    if group_by:
        sql += f" GROUP BY {group_by}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params + where_params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _normalise(values: dict) -> dict:
    """Money as Decimal to the fen, counts as int (SQLite sums decimals as floats); other keys as they are."""
    result = {}
    for name, value in values.items():
        figure = name.removesuffix("_to_date")
        if figure in MONEY_FIGURES:
            value = Decimal(str(value)).quantize(Decimal("0.01"))
        elif figure in FIGURES:
            value = int(value)
        result[name] = value
    return result


def month_bounds(scope: Scope) -> tuple[datetime.date, datetime.date]:
    """The first month the rollups hold for the scope (the current month if none) and the current month."""
    current = month_start(timezone.localdate())
    first = (
        StatsRollup.objects.filter(scope.total_filter, region=scope.region).order_by("month").values_list(
            "month", flat=True
        ).first()
    )  # fmt: skip
    return (min(first, current) if first else current), current


def figures(scope: Scope, *, start: datetime.date, end: datetime.date, to_date: bool = False) -> Figures:
    """The scope's figures over [start, end] (months), in one query."""
    where, params = "region_id = %s AND dim = %s AND key = %s AND month <= %s", [scope.region.pk, *scope.total_key, end]
    if not to_date:
        where, params = where + " AND month >= %s", params + [start]
    (values,) = _rollup_rows(start=start, end=end, where=where, where_params=params, to_date=to_date)
    return Figures(_normalise(values))


def monthly_series(scope: Scope, *, end: datetime.date, months: int | None = None) -> list[dict]:
    """Month by month up to `end` (the last `months` months, or every month held), one query, oldest first.

    Every month in between is present (zeros where no row exists), so a chart's x axis has no holes; each
    item has `month` and every figure."""
    rows = StatsRollup.objects.filter(scope.total_filter, region=scope.region, month__lte=end)
    if months:
        start = end
        for _i in range(months - 1):
            start = (start - datetime.timedelta(days=1)).replace(day=1)
        rows = rows.filter(month__gte=start)
    by_month = {row["month"]: row for row in rows.values("month", *FIGURES)}
    if not by_month:
        return []
    month, series = min(by_month), []
    while month <= end:
        row = by_month.get(month) or {"month": month, **dict.fromkeys(FIGURES, 0)}
        series.append(_normalise(row) | {"month": month})
        month = next_month(month)
    return series


# --- breakdowns -----------------------------------------------------------------------------------------------

BREAKDOWN_DIMS = (StatsDim.BANK, StatsDim.PRODUCT_TYPE, StatsDim.GUARANTEE_MODE, StatsDim.INDUSTRY,
                  StatsDim.SIZE_CLASS)  # fmt: skip


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    figures: Figures
    region: Region | None = None  # the region rows of a drill-down


def _labels(dim: str, keys) -> dict:
    """Human names of breakdown keys (one query for banks, branches and industry sections; none for the rest)."""
    if dim in (StatsDim.BANK, StatsDim.BRANCH):
        ids = [int(k) for k in keys if k.isdigit()]
        return {str(i.pk): str(i) for i in Institution.objects.filter(pk__in=ids).only("name", "short_name")}
    if dim == StatsDim.INDUSTRY:
        return dict(Industry.objects.filter(code__in=list(keys), parent__isnull=True).values_list("code", "name"))
    choices = {
        StatsDim.PRODUCT_TYPE: dict(ProductType.choices),
        StatsDim.GUARANTEE_MODE: dict(GuaranteeMode.choices),
        StatsDim.SIZE_CLASS: dict(SizeClass.choices),
    }[dim]
    return {key: str(label) for key, label in choices.items()}


def _unlabelled(dim: str) -> str:
    return str(
        {
            StatsDim.PRODUCT_TYPE: _("No product (demand pool)"),
            StatsDim.INDUSTRY: _("Industry not given"),
            StatsDim.SIZE_CLASS: _("Size not classified"),
        }.get(dim, _("Unknown"))
    )


def breakdowns(scope: Scope, dims, *, start: datetime.date, end: datetime.date) -> dict[str, list[BreakdownRow]]:
    """For each dimension in `dims`, one row per key over [start, end], largest balance first: one query for
    the figures of every dimension, plus one per dimension that needs names (banks, branches, sections).

    With a bank scope only the BRANCH dimension applies (the bank's branches); the rest need the staff scope.
    """
    dims = list(dims)
    if scope.bank is not None:
        dims = [StatsDim.BRANCH]
        keys = [str(i) for i in scope.bank.subtree_ids().values_list("id", flat=True)]
    where = f"region_id = %s AND month >= %s AND month <= %s AND dim IN ({', '.join(['%s'] * len(dims))})"
    params = [scope.region.pk, start, end, *dims]
    if scope.bank is not None:
        where += f" AND key IN ({', '.join(['%s'] * len(keys))})"
        params += keys
    values = _rollup_rows(start=start, end=end, where=where, where_params=params, group_by="dim, key")
    grouped: dict[str, list[dict]] = {dim: [] for dim in dims}
    for value in values:
        grouped[value.pop("dim")].append(value)
    result = {}
    for dim, items in grouped.items():
        labels = _labels(dim, [item["key"] for item in items]) if items else {}
        result[dim] = sorted(
            (
                BreakdownRow(key=item["key"], label=labels.get(item["key"]) or _unlabelled(dim),
                             figures=Figures(_normalise({k: v for k, v in item.items() if k != "key"})))
                for item in items
            ),
            key=lambda row: (-row.figures["balance"], -row.figures["disbursed_amount"], row.label),
        )  # fmt: skip
    return result


def region_breakdown(scope: Scope, *, start: datetime.date, end: datetime.date) -> list[BreakdownRow]:
    """The scope's figures for each child region (cities of the province, counties of a city): the drill-down.
    Two queries: the children, their rows. Empty for a county."""
    children = list(Region.objects.filter(parent=scope.region).order_by("code"))
    if not children:
        return []
    where = (
        f"dim = %s AND key = %s AND month >= %s AND month <= %s AND region_id IN ({', '.join(['%s'] * len(children))})"
    )
    params = [*scope.total_key, start, end, *(child.pk for child in children)]
    rows = _rollup_rows(start=start, end=end, where=where, where_params=params, group_by="region_id")
    values = {row.pop("region_id"): row for row in rows}
    empty = dict.fromkeys(FIGURES, 0)
    return [
        BreakdownRow(key=child.code, label=child.name, region=child,
                     figures=Figures(_normalise(values.get(child.pk, empty))))
        for child in children
    ]  # fmt: skip


# --- counts that are not flows of loans --------------------------------------------------------------------


def platform_counts(scope: Scope) -> dict:
    """Institutions and listed products serving the region, and open demands in it, as they stand now.

    Small, indexed counts on the live tables (hundreds of institutions, thousands of products, the open
    demands of a region through the (status, region) index): three queries."""
    region_ids = list(scope.region.subtree_ids().values_list("id", flat=True))
    ancestors = scope.region.ancestors_and_self_ids()
    institutions = Institution.objects.filter(is_active=True, region__in=region_ids + ancestors)
    products = Product.objects.filter(status=Product.Status.LISTED).filter(
        Q(regions__isnull=True) | Q(regions__in=region_ids + ancestors)
    )
    if scope.bank is not None:
        subtree = scope.bank.subtree_ids()
        institutions = institutions.filter(pk__in=subtree)
        products = products.filter(institution__in=subtree)
    demands = FinancingDemand.objects.filter(status=FinancingDemand.Status.OPEN, region__in=region_ids)
    return {
        "institutions": institutions.count(),
        "products": products.aggregate(n=Count("id", distinct=True))["n"],
        "open_demands": demands.count() if scope.bank is None else None,
    }


def events_held(scope: Scope, *, start: datetime.date, end: datetime.date) -> int:
    """Matchmaking events held (not cancelled) in the scope's region and below, starting within the month range;
    with a bank scope, those its institutions took part in. One indexed count over a small table."""
    events = MatchmakingEvent.objects.filter(
        region__in=scope.region.subtree_ids(),
        starts_at__gte=local_midnight(start),
        starts_at__lt=local_midnight(next_month(end)),
    ).exclude(status=MatchmakingEvent.Status.CANCELLED)
    if scope.bank is not None:
        taking_part = EventParticipant.objects.filter(institution__in=scope.bank.subtree_ids()).values("event_id")
        events = events.filter(pk__in=taking_part)
    return events.count()


# --- targets -------------------------------------------------------------------------------------------------


def target_progress(*, target: Target, figures: dict, as_of: datetime.date, series=None) -> dict:
    """One target against the figure it names: progress, missed flag and gap, growth needed, and (with the
    monthly series of that figure) the month the linear trend reaches it."""
    current = Decimal(figures[target.metric])
    status = deadline_status(current=current, target=target.value, as_of=as_of, deadline=target.deadline)
    reach = trend_reach_date(series[-TREND_MONTHS:], target.value) if series else None
    return {
        "id": target.pk,
        "metric": target.metric,
        "metric_label": target.get_metric_display(),
        "value": target.value,
        "deadline": target.deadline,
        "region": target.region.code,
        "note": target.note,
        "current": current,
        "progress": progress_ratio(current, target.value),
        "missed": status.missed,
        "gap": status.gap,
        "monthly_growth_needed": monthly_growth_needed(
            current=current, target=target.value, as_of=as_of, deadline=target.deadline
        ),
        "trend_reaches_on": reach,
        "trend_reaches_in_time": (reach is not None and reach <= target.deadline) if series else None,
    }


def target_figures(values: dict) -> dict:
    """The figure each target metric compares against: stocks as they stand, flows to date."""
    return {
        "balance": values["balance"],
        "credit_loan_balance": values["credit_loan_balance"],
        "granted_amount": values["granted_amount_to_date"],
        "disbursed_amount": values["disbursed_amount_to_date"],
        "new_first_loan_customers": values["first_loan_customers_to_date"],
        "registered_enterprises": values["enterprises_registered_to_date"],
    }


def cumulative_series(series: list[dict], metric: str) -> list[tuple[datetime.date, Decimal]]:
    """(month end, value) pairs of a target metric: stocks as they are, flows accumulated month by month."""
    source = {
        "granted_amount": "granted_amount",
        "disbursed_amount": "disbursed_amount",
        "new_first_loan_customers": "first_loan_customers",
        "registered_enterprises": "enterprises_registered",
    }.get(metric)
    points, running = [], Decimal(0)
    for row in series:
        end = next_month(row["month"]) - datetime.timedelta(days=1)
        if source is None:
            points.append((end, Decimal(row[metric])))
        else:
            running += Decimal(row[source])
            points.append((end, running))
    return points


# --- the API summary -----------------------------------------------------------------------------------------


def check_as_of(as_of: datetime.date, *, today: datetime.date) -> None:
    """Refuse a future day (400)."""
    if as_of > today:
        raise DomainError(
            code="invalid",
            message=_("The date cannot be in the future."),
            detail={"as_of": [_("Future date.")]},
            status=400,
        )


def summary(*, region: Region, as_of: datetime.date | None = None) -> dict:
    """The KPI figures of `region` and below as of `as_of` (default today), with the region's own targets.

    The rollups keep months: `as_of` selects its month, and the figures stand at that month's end (today for
    the current month): `period_end` in the result says which day. Three queries (figures, series, targets).
    """
    today = timezone.localdate()
    as_of = as_of or today
    check_as_of(as_of, today=today)
    scope = Scope(region=region)
    month = month_start(as_of)
    period_end = min(next_month(month) - datetime.timedelta(days=1), today)
    values = figures(scope, start=month, end=month, to_date=True).values
    series = monthly_series(scope, end=month)
    figures_now = target_figures(values)
    targets = Target.objects.filter(region=region).select_related("region")
    refreshed = last_refresh()
    return {
        "region": region,
        "as_of": as_of,
        "period_end": period_end,
        "refreshed_at": refreshed.finished_at if refreshed else None,
        "registered_enterprises": figures_now["registered_enterprises"],
        "balance": values["balance"],
        "credit_loan_balance": values["credit_loan_balance"],
        "credit_loan_share": credit_loan_share(
            credit_loan_balance=values["credit_loan_balance"], balance=values["balance"]
        ),
        "live_loans": values["live_loans"],
        "borrowers": values["borrowers"],
        "granted_amount": figures_now["granted_amount"],
        "granted_count": values["granted_count_to_date"],
        "disbursed_amount": figures_now["disbursed_amount"],
        "disbursed_count": values["disbursed_count_to_date"],
        "new_first_loan_customers": figures_now["new_first_loan_customers"],
        "targets": [
            target_progress(target=t, figures=figures_now, as_of=period_end, series=cumulative_series(series, t.metric))
            for t in targets
        ],  # fmt: skip
    }
