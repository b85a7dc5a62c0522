"""The statistics rollups computed in plain Python: the StatsCell and StatsRollup rows the definitions in
lending/rollups.py call for, from ORM reads of the raw tables.

Two uses: it is what fills the rollups on a database other than PostgreSQL (`make run` on SQLite, demo scale;
the set-based SQL needs PostgreSQL), and it is the independent oracle the property test compares the SQL with
(tests/lending/test_rollups_property.py).

Written from the definitions, not from the SQL, and deliberately by a different route: every row, the leaf and
each region's rollup alike, is tallied straight from the facts (a loan's balance at a month end, a disbursal, a
decision, a registration, a demand) that fall in it, with distinct firms counted as sets of enterprise ids. The
SQL instead sums the leaf upward and relies on firm cells partitioning the enterprises; the two agree only if
that reasoning holds. The working-day calendar comes from xinyidai.workdays, never from StatsDay.

Rows whose figures are all zero carry no information and may exist or not on either side: `normalised` drops
them before comparing.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal

from django.utils import timezone

from creditinfo.models import Enterprise
from lending.models import BalanceSnapshot, CreditDecision, DemandClaim, FinancingDemand, Intent, Loan, Repayment
from lending.models.stats import StatsCell, StatsRollup
from xinyidai.models import Industry, Institution, Region
from xinyidai.workdays import is_working_day

ZERO = Decimal("0.00")
CREDIT = "04"
OTHER_GUARANTEE = "00"

# (month, region_id, section, size_class, dim, key) and (month, region_id, dim, key)
CellKey = tuple[datetime.date, int, str, str, str, str]
RollupKey = tuple[datetime.date, int, str, str]


# --- calendar -----------------------------------------------------------------------------------------------


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_after(month: datetime.date) -> datetime.date:
    return datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_last_day(month: datetime.date) -> datetime.date:
    return month_after(month) - datetime.timedelta(days=1)


def months_between(first: datetime.date, last: datetime.date) -> Iterable[datetime.date]:
    month = month_of(first)
    while month <= last:
        yield month
        month = month_after(month)


def local_date(moment: datetime.datetime) -> datetime.date:
    """The Asia/Shanghai calendar day of an aware timestamp."""
    return timezone.localtime(moment).date()


def approval_working_days(submitted: datetime.date, decided: datetime.date) -> int:
    """The number of working days d with submitted < d <= decided (holidays and make-up days included)."""
    span = (decided - submitted).days
    return sum(is_working_day(submitted + datetime.timedelta(days=k)) for k in range(1, span + 1))


# --- the tally of one row -----------------------------------------------------------------------------------


@dataclass
class Tally:
    """The figures of one row while facts are added; distinct firms are kept as sets of enterprise ids."""

    balance: Decimal = ZERO
    credit_loan_balance: Decimal = ZERO
    live_loans: int = 0
    borrowers: set = field(default_factory=set)
    disbursed_amount: Decimal = ZERO
    disbursed_count: int = 0
    disbursed_firms: set = field(default_factory=set)
    first_loan_customers: set = field(default_factory=set)
    granted_amount: Decimal = ZERO
    granted_count: int = 0
    decided_count: int = 0
    approval_working_days: int = 0
    enterprises_registered: int = 0
    demands_published: int = 0
    demands_picked_up: int = 0
    intents_recorded: int = 0
    intent_amount: Decimal = ZERO
    intents_converted: int = 0
    converted_amount: Decimal = ZERO

    def figures(self) -> dict:
        return {f.name: _count(getattr(self, f.name)) for f in fields(self)}


ORACLE_FIGURES = [f.name for f in fields(Tally)]


def _count(value):
    return len(value) if isinstance(value, set) else value


# --- the raw tables, read once ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Firm:
    """An enterprise's firm cell now: region, industry section ('' without an industry) and size class."""

    enterprise_id: int
    region_id: int
    section: str
    size_class: str


def _roots(parents: dict[int, int | None]) -> dict[int, int]:
    def root(node):
        while parents[node] is not None:
            node = parents[node]
        return node

    return {node: root(node) for node in parents}


def _ancestors(parents: dict[int, int | None]) -> dict[int, list[int]]:
    def chain(node):
        out = []
        while node is not None:
            out.append(node)
            node = parents[node]
        return out

    return {node: chain(node) for node in parents}


@dataclass
class RawTables:
    firms: dict[int, Firm]
    region_chain: dict[int, list[int]]
    head_office: dict[int, int]

    @classmethod
    def load(cls) -> "RawTables":
        industry_parent = dict(Industry.objects.values_list("id", "parent_id"))
        industry_code = dict(Industry.objects.values_list("id", "code"))
        section_of = {i: industry_code[root] for i, root in _roots(industry_parent).items()}
        firms = {
            e["id"]: Firm(e["id"], e["region_id"], section_of.get(e["industry_id"], ""), e["size_class"])
            for e in Enterprise.objects.values("id", "region_id", "industry_id", "size_class")
        }
        return cls(
            firms=firms,
            region_chain=_ancestors(dict(Region.objects.values_list("id", "parent_id"))),
            head_office=_roots(dict(Institution.objects.values_list("id", "parent_id"))),
        )


# --- the rows -----------------------------------------------------------------------------------------------


@dataclass
class Rows:
    cells: dict[CellKey, dict]
    rollups: dict[RollupKey, dict]

    def normalised(self) -> "Rows":
        def keep(rows):
            return {k: v for k, v in rows.items() if any(value != 0 for value in v.values())}

        return Rows(keep(self.cells), keep(self.rollups))


class _Book:
    """Adds each fact to its leaf row and to the rollup row of its region and every region above it."""

    def __init__(self, raw: RawTables):
        self.raw = raw
        self.cells: dict[CellKey, Tally] = defaultdict(Tally)
        self.rollups: dict[RollupKey, Tally] = defaultdict(Tally)

    def add(self, month, firm: Firm, breakdowns: list[tuple[str, str]], update: Callable[[Tally], None]):
        for dim, key in breakdowns:
            update(self.cells[(month, firm.region_id, firm.section, firm.size_class, dim, key)])
        # The region rows: the leaf breakdowns, plus industry section and size class (of every fact, the
        # registrations and demands included, as the dim '' rows are).
        for region_id in self.raw.region_chain[firm.region_id]:
            for dim, key in [*breakdowns, ("industry", firm.section), ("size_class", firm.size_class)]:
                update(self.rollups[(month, region_id, dim, key)])

    def rows(self) -> Rows:
        return Rows(
            {k: t.figures() for k, t in self.cells.items()},
            {k: t.figures() for k, t in self.rollups.items()},
        ).normalised()


def _breakdowns(*, institution_id: int, head_office: int, product_type: str, guarantee_mode: str):
    return [
        ("", ""),
        ("bank", str(head_office)),
        ("branch", str(institution_id)),
        ("product_type", product_type),
        ("guarantee_mode", guarantee_mode),
    ]


def loan_balance(loan: dict, snapshots: dict[datetime.date, Decimal], repayments, month, end) -> Decimal:
    """The loan's balance at `end` (the last day of `month`, or today in the current month).

    0 once closed or written off by then; else the balance reported for the latest month <= `month`, less the
    principal repaid after that month's last day and up to `end`; else the principal less all repaid up to `end`.
    """
    if loan["closed_on"] is not None and loan["closed_on"] <= end:
        return ZERO
    reported = [m for m in snapshots if m <= month]
    if reported:
        latest = max(reported)
        after = month_last_day(latest)
        return snapshots[latest] - sum((a for day, a in repayments if after < day <= end), ZERO)
    return loan["principal"] - sum((a for day, a in repayments if day <= end), ZERO)


def _add_loans(book: _Book, today: datetime.date) -> None:
    snapshots = defaultdict(dict)
    for loan_id, month, balance in BalanceSnapshot.objects.values_list("loan_id", "month", "balance"):
        snapshots[loan_id][month] = balance
    repayments = defaultdict(list)
    for loan_id, day, amount in Repayment.objects.values_list("loan_id", "paid_on", "principal_amount"):
        repayments[loan_id].append((day, amount))
    loans = list(
        Loan.objects.values(
            "id",
            "enterprise_id",
            "institution_id",
            "product__product_type",
            "guarantee_mode",
            "principal",
            "disbursed_on",
            "closed_on",
            "first_loan_attested",
        )  # fmt: skip
    )
    # Each firm's first-loan customer month: its earliest bank-attested disbursement, by day then id.
    first_attested = {}
    for loan in sorted(loans, key=lambda row: (row["disbursed_on"], row["id"])):
        if loan["first_loan_attested"]:
            first_attested.setdefault(loan["enterprise_id"], loan["id"])
    current = month_of(today)
    for loan in loans:
        firm = book.raw.firms[loan["enterprise_id"]]
        breakdowns = _breakdowns(
            institution_id=loan["institution_id"],
            head_office=book.raw.head_office[loan["institution_id"]],
            product_type=loan["product__product_type"] or "",
            guarantee_mode=loan["guarantee_mode"],
        )
        for month in months_between(loan["disbursed_on"], current):
            end = today if month == current else month_last_day(month)
            balance = loan_balance(loan, snapshots[loan["id"]], repayments[loan["id"]], month, end)
            new = month == month_of(loan["disbursed_on"])
            first = new and first_attested.get(loan["enterprise_id"]) == loan["id"]

            def update(t: Tally, loan=loan, balance=balance, new=new, first=first):
                t.balance += balance
                if loan["guarantee_mode"] == CREDIT:
                    t.credit_loan_balance += balance
                if balance > 0:
                    t.live_loans += 1
                    t.borrowers.add(loan["enterprise_id"])
                if new:
                    t.disbursed_amount += loan["principal"]
                    t.disbursed_count += 1
                    t.disbursed_firms.add(loan["enterprise_id"])
                if first:
                    t.first_loan_customers.add(loan["enterprise_id"])

            if balance != 0 or new:
                book.add(month, firm, breakdowns, update)


def _add_decisions(book: _Book, today: datetime.date) -> None:
    """Decisions count in their local month, in the application's institution and product. The guarantee mode is
    the decision's, or (a rejection has none) the product's, or 'other' for an application without a product."""
    rows = CreditDecision.objects.values(
        "outcome", "amount", "guarantee_mode", "decided_at", "application__submitted_at",
        "application__enterprise_id", "application__institution_id", "application__product__product_type",
        "application__product__guarantee_mode",
    )  # fmt: skip
    for d in rows:
        decided = local_date(d["decided_at"])
        if month_of(decided) > month_of(today):
            continue
        institution_id = d["application__institution_id"]
        mode = d["guarantee_mode"] or d["application__product__guarantee_mode"] or OTHER_GUARANTEE
        breakdowns = _breakdowns(
            institution_id=institution_id,
            head_office=book.raw.head_office[institution_id],
            product_type=d["application__product__product_type"] or "",
            guarantee_mode=mode,
        )
        days = approval_working_days(local_date(d["application__submitted_at"]), decided)
        approved = d["outcome"] == CreditDecision.Outcome.APPROVED

        def update(t: Tally, d=d, days=days, approved=approved):
            if approved:
                t.granted_amount += d["amount"]
                t.granted_count += 1
            t.decided_count += 1
            t.approval_working_days += days

        book.add(month_of(decided), book.raw.firms[d["application__enterprise_id"]], breakdowns, update)


def _add_registrations_and_demands(book: _Book, today: datetime.date) -> None:
    current = month_of(today)
    for enterprise_id, created_at in Enterprise.objects.filter(is_skeleton=False).values_list("id", "created_at"):
        month = month_of(local_date(created_at))
        if month <= current:
            book.add(month, book.raw.firms[enterprise_id], [("", "")], _registered)
    claimed = set(DemandClaim.objects.values_list("demand_id", flat=True))
    for demand_id, enterprise_id, created_at in FinancingDemand.objects.values_list(
        "id", "enterprise_id", "created_at"
    ):
        month = month_of(local_date(created_at))
        if month <= current:
            update = _published_picked_up if demand_id in claimed else _published
            book.add(month, book.raw.firms[enterprise_id], [("", "")], update)


def _registered(t: Tally) -> None:
    t.enterprises_registered += 1


def _published(t: Tally) -> None:
    t.demands_published += 1


def _published_picked_up(t: Tally) -> None:
    t.demands_published += 1
    t.demands_picked_up += 1


def _add_intents(book: _Book, today: datetime.date) -> None:
    """An intent counts in its local recording month, in the cell of its institution and product (a product's
    guarantee mode, or 'other' without one); its conversion in the month of its loan's disbursal, in the loan's."""
    current = month_of(today)
    for i in Intent.objects.values(
        "enterprise_id", "institution_id", "amount", "recorded_at", "product__product_type", "product__guarantee_mode",
        "loan__institution_id", "loan__principal", "loan__disbursed_on", "loan__product__product_type",
        "loan__guarantee_mode",
    ):  # fmt: skip
        firm = book.raw.firms[i["enterprise_id"]]
        month = month_of(local_date(i["recorded_at"]))
        if month <= current:
            breakdowns = _breakdowns(
                institution_id=i["institution_id"],
                head_office=book.raw.head_office[i["institution_id"]],
                product_type=i["product__product_type"] or "",
                guarantee_mode=i["product__guarantee_mode"] or OTHER_GUARANTEE,
            )

            def recorded(t: Tally, amount=i["amount"]):
                t.intents_recorded += 1
                t.intent_amount += amount

            book.add(month, firm, breakdowns, recorded)
        if i["loan__disbursed_on"] is None or month_of(i["loan__disbursed_on"]) > current:
            continue
        breakdowns = _breakdowns(
            institution_id=i["loan__institution_id"],
            head_office=book.raw.head_office[i["loan__institution_id"]],
            product_type=i["loan__product__product_type"] or "",
            guarantee_mode=i["loan__guarantee_mode"],
        )

        def converted(t: Tally, principal=i["loan__principal"]):
            t.intents_converted += 1
            t.converted_amount += principal

        book.add(month_of(i["loan__disbursed_on"]), firm, breakdowns, converted)


def expected_rows(today: datetime.date | None = None) -> Rows:
    """What StatsCell and StatsRollup must hold (all-zero rows dropped), for every month up to today's."""
    today = today or timezone.localdate()
    book = _Book(RawTables.load())
    _add_loans(book, today)
    _add_decisions(book, today)
    _add_registrations_and_demands(book, today)
    _add_intents(book, today)
    return book.rows()


def rows_write(rows: Rows) -> int:
    """Replace every StatsCell and StatsRollup row with `rows` (the caller holds a transaction); returns the
    number of firm cells written."""
    StatsCell.objects.all().delete()
    StatsRollup.objects.all().delete()
    StatsCell.objects.bulk_create(
        (
            StatsCell(month=month, region_id=region_id, section=section, size_class=size_class, dim=dim, key=key,
                      **figures)
            for (month, region_id, section, size_class, dim, key), figures in rows.cells.items()
        ),
        batch_size=1000,
    )  # fmt: skip
    StatsRollup.objects.bulk_create(
        (
            StatsRollup(month=month, region_id=region_id, dim=dim, key=key, **figures)
            for (month, region_id, dim, key), figures in rows.rollups.items()
        ),
        batch_size=1000,
    )
    return len({key[1:4] for key in rows.cells})
