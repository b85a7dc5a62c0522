"""The government dashboard's data, assembled from lending.selectors_stats (the rollups) into cards and tables.

Who sees what (`dashboard_scope`): government staff their region and any region below it; a bank's head-office
officers their own institution's loans across the province (`Scope(region=<province>, bank=<head office>)`),
drilling into regions with the same bank scope. Everyone else is refused (403); a region outside the user's
scope is not found (404).

Every figure comes from the rollups in a fixed number of queries, whatever the data volume (see
`dashboard_context`); the same tables feed the page, the CSV/XLSX exports and the PDF.
"""

import datetime
import html
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lending import selectors_stats as stats
from lending.models.stats import StatsDim
from lending.models.targets import Target
from lending.rollups import last_refresh, next_month
from xinyidai.models import Region
from xinyidai.templatetags.xyd import format_number

DEFAULT_MONTHS = 12  # the default range: the last 12 months, ending this month
MAX_MONTHS = 120
CHART_ROWS = 15  # a breakdown chart shows the largest rows; the table below it has them all
YI = Decimal(100_000_000)
WAN = Decimal(10_000)
CENT = Decimal("0.01")


def add_months(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after (before, if negative) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A range of whole months: flows are summed over it, stocks stand at the end of its last month."""

    start: datetime.date  # first day of the first month
    end: datetime.date  # first day of the last month

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    @property
    def query(self) -> dict:
        return {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}

    def end_day(self, today: datetime.date) -> datetime.date:
        """The day the stocks stand at: the last day of the last month, or today for the current month."""
        return min(next_month(self.end) - datetime.timedelta(days=1), today)


# --- who sees what -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crumb:
    region: Region
    linked: bool  # within the user's scope: a link to that region's dashboard


@dataclass(frozen=True)
class DashboardScope:
    """The selectors' Scope plus what the page needs around it: the breadcrumb trail, province first."""

    scope: stats.Scope
    trail: tuple[Crumb, ...]

    @property
    def region(self) -> Region:
        return self.scope.region

    @property
    def bank(self):
        return self.scope.bank

    @property
    def table_names(self) -> tuple[str, ...]:
        names = BANK_TABLES if self.bank is not None else STAFF_TABLES
        if self.region.level == Region.Level.COUNTY:
            return tuple(name for name in names if name != "region")  # a county has no regions below it
        return names


def may_view_dashboard(user) -> bool:
    """Government staff, and officers of a head office (an institution without a parent)."""
    if not user.is_authenticated:
        return False
    if user.is_gov_staff:
        return True
    return user.is_officer and user.institution is not None and user.institution.parent_id is None


def dashboard_scope(*, user, region_code: str | None = None) -> DashboardScope:
    """The scope of the user's dashboard, drilled to `region_code` if given. One query (two for a bank).

    403 for users without a dashboard; 404 for an unknown region or one outside the user's."""
    if not may_view_dashboard(user):
        raise PermissionDenied
    regions = Region.objects.select_related("parent__parent")  # the trail without more queries
    if region_code:
        region = regions.filter(code=region_code).first()
    elif user.is_gov_staff:
        region = regions.filter(pk=user.region_id).first()
    else:
        region = regions.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise Http404
    chain = []
    node = region
    while node is not None:
        chain.append(node)
        node = node.parent
    chain.reverse()  # province first
    bank = None if user.is_gov_staff else user.institution
    top = user.region_id if user.is_gov_staff else chain[0].pk
    ids = [node.pk for node in chain]
    if top not in ids:
        raise Http404  # outside the user's region: as if it did not exist
    first_linked = ids.index(top)
    trail = tuple(Crumb(region=node, linked=index >= first_linked) for index, node in enumerate(chain))
    return DashboardScope(scope=stats.Scope(region=region, bank=bank), trail=trail)


# --- tables --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    export_label: str  # with the unit: the export's money is in yuan, not 万元
    kind: str  # "money" (Decimal yuan), "count", "share" (a ratio, shown as a percentage)


COLUMNS = (
    Column("balance", _("Loan balance"), _("Loan balance (yuan)"), "money"),
    Column("credit_loan_balance", _("Credit-loan balance"), _("Credit-loan balance (yuan)"), "money"),
    Column("credit_loan_share", _("Credit-loan share"), _("Credit-loan share (ratio)"), "share"),
    Column("live_loans", _("Loans outstanding"), _("Loans outstanding"), "count"),
    Column("borrowers", _("Borrowers (enterprises)"), _("Borrowers (enterprises)"), "count"),
    Column("disbursed_amount", _("Amount disbursed"), _("Amount disbursed (yuan)"), "money"),
    Column("disbursed_count", _("Loans disbursed"), _("Loans disbursed"), "count"),
    Column("granted_amount", _("Credit granted"), _("Credit granted (yuan)"), "money"),
    Column("granted_count", _("Credit approvals"), _("Credit approvals"), "count"),
    Column("first_loan_customers", _("New first-loan customers"), _("New first-loan customers"), "count"),
)


@dataclass(frozen=True)
class TableSpec:
    title: str
    key_label: str
    code_label: str | None  # a code column in the exports (region and classification codes)


TABLE_SPECS = {
    "region": TableSpec(_("By region"), _("Region"), _("Region code")),
    "bank": TableSpec(_("By bank"), _("Bank"), None),
    "branch": TableSpec(_("By branch"), _("Branch"), None),
    "product_type": TableSpec(_("By product type"), _("Product type"), _("Code")),
    "guarantee_mode": TableSpec(_("By guarantee mode"), _("Guarantee mode"), _("Code")),
    "industry": TableSpec(_("By industry section"), _("Industry section"), _("Code")),
    "size_class": TableSpec(_("By size class"), _("Size class"), _("Code")),
}
STAFF_TABLES = ("region", "bank", "product_type", "guarantee_mode", "industry", "size_class")
BANK_TABLES = ("branch", "region")


def percent(ratio: Decimal | None) -> Decimal | None:
    """0.5455 -> Decimal("54.55")."""
    return None if ratio is None else (ratio * 100).quantize(CENT, rounding=ROUND_HALF_UP)


class Formats:
    """Display text of table cells, as the template filters `money_auto` and `rate` show them, with the unit
    phrases and column labels translated once per table rather than once per cell: a province's tables hold about
    a thousand cells, and the template engine's per-cell filters alone took longer than the page's budget."""

    def __init__(self):
        self.wan = gettext("%(value)s 10k yuan")
        self.yi = gettext("%(value)s 100m yuan")
        self.columns = [(c.key, c.kind, html.escape(str(c.label)), "money" if c.kind == "money" else "num")
                        for c in COLUMNS]  # fmt: skip

    def text(self, kind: str, value) -> str:
        if value is None:
            return "—"
        if kind == "money":
            if abs(value) >= YI:
                return self.yi % {"value": format_number(value, shift=-8)}
            return self.wan % {"value": format_number(value, shift=-4)}
        if kind == "share":
            return f"{format_number(value, shift=2)}%"
        return f"{value:,}"

    def cells(self, values: dict) -> str:
        """<td> cells of one row's values, in COLUMNS order (escaped)."""
        return mark_safe(  # noqa: S308 - every part is escaped here  # nosec B308, B703
            "".join(
                f'<td data-label="{label}" class="{css}">{html.escape(self.text(kind, values[key]))}</td>'
                for key, kind, label, css in self.columns
            )
        )


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: dict  # column key -> value
    drill_query: str | None = None  # region rows: the query string of the drill-down
    formats: Formats | None = field(default=None, compare=False, repr=False)

    @cached_property
    def cells_html(self) -> str:
        """The row's <td> cells, in COLUMNS order."""
        return (self.formats or Formats()).cells(self.values)


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    key_label: str
    code_label: str | None
    rows: list[Row]

    @property
    def columns(self) -> tuple[Column, ...]:
        return COLUMNS

    def export_rows(self) -> list[list]:
        """Label, code (if the table has one), then every column: money in yuan, shares as ratios."""
        code = self.code_label is not None
        return [[row.label, *([row.key] if code else []), *(row.values[c.key] for c in COLUMNS)] for row in self.rows]


def _row(item: stats.BreakdownRow, period: Period, formats: Formats) -> Row:
    values = {c.key: item.figures[c.key] for c in COLUMNS if c.key != "credit_loan_share"}
    values["credit_loan_share"] = item.figures.credit_loan_share
    drill = urlencode({"region": item.region.code, **period.query}) if item.region else None
    return Row(key=item.key, label=item.label, values=values, drill_query=drill, formats=formats)


def _region_title(region: Region) -> str:
    return {Region.Level.PROVINCE: _("By city"), Region.Level.CITY: _("By county")}.get(region.level, _("By region"))


def build_tables(dscope: DashboardScope, period: Period, names=None) -> list[Table]:
    """The breakdown tables `names` (default all of the scope's): one query for every dimension's figures,
    one per dimension that needs names (banks, branches, industry sections), two for the regions."""
    names = tuple(names or dscope.table_names)
    scope, bounds = dscope.scope, {"start": period.start, "end": period.end}
    dims = [StatsDim(name) for name in names if name != "region"]
    formats = Formats()
    by_dim = stats.breakdowns(scope, dims, **bounds) if dims else {}
    tables = []
    for name in names:
        spec = TABLE_SPECS[name]
        if name == "region":
            items = stats.region_breakdown(scope, **bounds)
            title = _region_title(dscope.region)
        else:
            items, title = by_dim[StatsDim(name)], spec.title
        tables.append(
            Table(name, title, spec.key_label, spec.code_label, [_row(item, period, formats) for item in items])
        )
    return tables


# --- cards -----------------------------------------------------------------------------------------------------


def kpis(values: stats.Figures, counts: dict) -> dict:
    """The KPI cards' figures: flows over the range, stocks at its end, registrations up to its end."""
    return {
        "registered_enterprises": values["enterprises_registered_to_date"],
        "institutions": counts["institutions"],
        "products": counts["products"],
        "open_demands": counts["open_demands"],
        "demands_published": values["demands_published"],
        "pick_up_rate": percent(values.pick_up_rate),
        "granted_count": values["granted_count"],
        "granted_amount": values["granted_amount"],
        "disbursed_count": values["disbursed_count"],
        "disbursed_amount": values["disbursed_amount"],
        "balance": values["balance"],
        "live_loans": values["live_loans"],
        "borrowers": values["borrowers"],
        "credit_loan_balance": values["credit_loan_balance"],
        "credit_loan_share": percent(values.credit_loan_share),
        "first_loan_customers": values["first_loan_customers"],
        "average_approval_days": values.average_approval_days,
        "decided_count": values["decided_count"],
        "intents_recorded": values["intents_recorded"],
        "intent_amount": values["intent_amount"],
        "intents_converted": values["intents_converted"],
        "converted_amount": values["converted_amount"],
        "events_held": counts["events_held"],
    }


def target_cards(scope: stats.Scope, values: stats.Figures, series: list[dict], *, as_of: datetime.date) -> list[dict]:
    """Progress toward each target set for the scope's region (government scopes only: a target is the
    region's, not one bank's). One query."""
    if scope.bank is not None:
        return []
    figures_now = stats.target_figures(values.values)
    cards = []
    for target in Target.objects.filter(region=scope.region).select_related("region"):
        points = stats.cumulative_series(series, target.metric)
        card = stats.target_progress(target=target, figures=figures_now, as_of=as_of, series=points)
        card["is_count"] = target.is_count
        card["progress_percent"] = percent(card["progress"])
        card["chart"] = _target_chart(target, points[-stats.TREND_MONTHS :], card["progress_percent"])
        cards.append(card)
    return cards


# --- chart data (strings of decimals: the page's script draws, the tables stay the source of truth) -----------


def _scale(amounts) -> tuple[Decimal, str]:
    """万元, or 亿元 once the largest amount reaches 1亿."""
    largest = max((abs(Decimal(a)) for a in amounts), default=Decimal(0))
    return (YI, gettext("100m yuan")) if largest >= YI else (WAN, gettext("10k yuan"))


def _scaled(amount, divisor: Decimal) -> str:
    return str((Decimal(amount) / divisor).quantize(CENT, rounding=ROUND_HALF_UP))


def _target_chart(target: Target, points, progress: Decimal) -> dict:
    values = [value for _day, value in points] + [target.value]
    divisor, unit = (Decimal(1), gettext("enterprises")) if target.is_count else _scale(values)
    return {
        "name": str(target.get_metric_display()),
        "progress": str(progress),
        "unit": unit,
        "months": [f"{day:%Y-%m}" for day, _value in points],
        "values": [_scaled(value, divisor) for _day, value in points],
        "target": _scaled(target.value, divisor),
    }


def trend_chart(series: list[dict], period: Period) -> dict:
    rows = [row for row in series if period.start <= row["month"] <= period.end]
    divisor, unit = _scale(row[name] for row in rows for name in ("balance", "disbursed_amount"))
    lines = (
        ("balance", gettext("Loan balance"), "line"),
        ("credit_loan_balance", gettext("Credit-loan balance"), "line"),
        ("disbursed_amount", gettext("Amount disbursed"), "bar"),
    )
    return {
        "unit": unit,
        "months": [f"{row['month']:%Y-%m}" for row in rows],
        "series": [
            {"name": label, "type": kind, "values": [_scaled(row[key], divisor) for row in rows]}
            for key, label, kind in lines
        ],
    }


def table_chart(table: Table) -> dict:
    rows = sorted(table.rows, key=lambda row: -row.values["balance"])[:CHART_ROWS]
    divisor, unit = _scale(row.values["balance"] for row in rows)
    return {
        "unit": unit,
        "labels": [row.label for row in rows],
        "series": [
            {"name": str(column.label), "values": [_scaled(row.values[column.key], divisor) for row in rows]}
            for column in COLUMNS[:2]  # balance and credit-loan balance
        ],
    }


# --- the whole page ------------------------------------------------------------------------------------------


def dashboard_context(*, dscope: DashboardScope, period: Period, today: datetime.date) -> dict:
    """Everything the page and the PDF show. Queries, whatever the volume: figures 1, monthly series 1,
    platform counts 3, events held 1, breakdowns 1 + names (bank/branch 1, sections 1; with a bank scope its
    branches 1), regions 2 (none for a county), targets 1 (staff), last refresh 1."""
    scope = dscope.scope
    values = stats.figures(scope, start=period.start, end=period.end, to_date=True)
    series = stats.monthly_series(scope, end=period.end)
    counts = stats.platform_counts(scope)
    counts["events_held"] = stats.events_held(scope, start=period.start, end=period.end)
    tables = build_tables(dscope, period)
    as_of = period.end_day(today)
    targets = target_cards(scope, values, series, as_of=as_of)
    refreshed = last_refresh()
    trend = trend_chart(series, period)
    return {
        "dscope": dscope,
        "period": period,
        "as_of": as_of,
        "refreshed_at": refreshed.finished_at if refreshed else None,
        "kpis": kpis(values, counts),
        "targets": targets,
        "trend": trend,
        "trend_rows": [row for row in series if period.start <= row["month"] <= period.end],
        "tables": tables,
        "charts": {
            "trend": trend,
            "targets": {f"target-{card['id']}": card["chart"] for card in targets},
            "tables": {table.name: table_chart(table) for table in tables},
        },
    }
