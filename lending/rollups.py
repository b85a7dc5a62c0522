"""Refreshing the statistics rollups (lending.models.stats) from the raw tables, incrementally.

A refresh finds the *firm cells* (an enterprise's region, industry section and size class) whose figures may
have changed since the last refresh began, and from which month: loan feedback (every service writes a
LoanEvent) from the month of its date, new loans from their disbursal month, credit decisions, demands and
their pick-up, and new registrations (a claimed skeleton by its new membership) from their own month. For each
month from the earliest of those to the current one it recomputes those cells' leaf rows (StatsCell) from the
raw tables in two statements, then the region rows (StatsRollup) of their regions and the regions above them
from the leaf. A full rebuild is the same with every cell dirty from the first month. Both run under one
advisory lock, in one transaction, so readers see either the old figures or the new ones.

Definitions (DOMAIN.md §4), all per month m, with E the last day of m:
- balance of a loan at E: 0 once closed or written off (closed_on <= E); else the balance the bank reported
  for the latest month <= m, less the principal repaid after that month's end and up to E; the principal
  less everything repaid up to E when no month is reported. The current month's figure is today's balance.
- live_loans / borrowers: loans / distinct enterprises with a balance above 0 at E;
- disbursed_*: loans disbursed in m (amount = principal; firms = distinct enterprises);
- first_loan_customers: enterprises whose earliest bank-attested first-loan disbursement (by day, then id)
  falls in m: each firm counts once, in the cell (bank, branch, product type...) of that disbursement;
- granted_* / decided_count / approval_working_days: credit decisions made in m (local time): approvals
  and their amounts; all decisions and the working days from submission to decision (official holidays and
  make-up working days, StatsDay);
- enterprises_registered: registered (non-skeleton) enterprises created in m;
- demands_published / demands_picked_up: demands published in m, and how many of those a bank ever claimed;
- intents_recorded / intent_amount: matchmaking intents recorded in m (local time), in the cell of the intent's
  institution and product; intents_converted / converted_amount: the loans disbursed in m that an intent
  followed through to (the loan's cell and principal).

Loans and decisions are counted by the enterprise's region, section and size class *now*: an enterprise
that moves changes its cells' history at the next full rebuild (nightly), not before.
"""

import datetime
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from lending.models.stats import FIGURES, StatsDay, StatsRefresh
from xinyidai.models import Industry, Institution, Region
from xinyidai.workdays import is_working_day

logger = logging.getLogger(__name__)

CALENDAR_EPOCH = datetime.date(2015, 1, 1)  # before any submission the platform holds
CALENDAR_AHEAD_DAYS = 400
LOCK_KEY = 0x58594453  # "XYDS": one refresh at a time
# A refresh rescans changes from this long before the previous refresh began: a transaction that wrote rows
# before that refresh started but committed after it took its snapshot is picked up by the next one.
OVERLAP = datetime.timedelta(minutes=15)


@dataclass(frozen=True)
class RefreshResult:
    kind: str
    cells: int
    months: int
    seconds: float
    phases: dict = field(default_factory=dict)  # seconds per phase (PostgreSQL)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def local_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, timezone.get_current_timezone())


# --- the working-day calendar -------------------------------------------------------------------------------


def calendar_fill(until: datetime.date | None = None) -> int:
    """Make StatsDay cover CALENDAR_EPOCH to `until` (default a year ahead); returns the days added."""
    until = until or timezone.localdate() + datetime.timedelta(days=CALENDAR_AHEAD_DAYS)
    last = StatsDay.objects.order_by("-day").first()
    day, ordinal = (CALENDAR_EPOCH, 0) if last is None else (last.day + datetime.timedelta(days=1), last.ordinal)
    days = []
    while day <= until:
        working = is_working_day(day)
        ordinal += working
        days.append(StatsDay(day=day, is_working_day=working, ordinal=ordinal))
        day += datetime.timedelta(days=1)
    StatsDay.objects.bulk_create(days, batch_size=2000)
    return len(days)


# --- dimension maps, as temporary tables of this transaction -------------------------------------------------


def _temp_table(cursor, name: str, columns: str, rows) -> None:
    # Dropped first too: inside an outer transaction (tests, a caller's atomic block) ON COMMIT comes later.
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")
    with cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(f"ANALYZE {name}")


def _dimension_tables(cursor) -> None:
    """tmp_section (industry -> section letter), tmp_bank (institution -> head office), tmp_ancestor."""
    parents = dict(Industry.objects.values_list("id", "parent_id"))
    codes = dict(Industry.objects.values_list("id", "code"))

    def section(industry_id):
        while parents[industry_id] is not None:
            industry_id = parents[industry_id]
        return codes[industry_id]

    _temp_table(cursor, "tmp_section", "industry_id integer PRIMARY KEY, section varchar(1)",
                ((i, section(i)) for i in parents))  # fmt: skip
    heads = dict(Institution.objects.values_list("id", "parent_id"))

    def bank(institution_id):
        while heads[institution_id] is not None:
            institution_id = heads[institution_id]
        return institution_id

    _temp_table(cursor, "tmp_bank", "institution_id integer PRIMARY KEY, bank_id integer",
                ((i, bank(i)) for i in heads))  # fmt: skip
    up = dict(Region.objects.values_list("id", "parent_id"))

    def chain(region_id):
        while region_id is not None:
            yield region_id
            region_id = up[region_id]

    _temp_table(cursor, "tmp_ancestor", "region_id integer, ancestor_id integer",
                ((r, a) for r in up for a in chain(r)))  # fmt: skip
    _temp_table(cursor, "tmp_region", "region_id integer PRIMARY KEY, parent_id integer, depth integer",
                ((r, up[r], len(list(chain(r))) - 1) for r in up))  # fmt: skip


# Every table below is joined to the enterprise's firm cell through this.
ENTERPRISE_CELL = """
    SELECT e.id, e.region_id, COALESCE(s.section, '') AS section, e.size_class, e.is_skeleton, e.created_at
      FROM creditinfo_enterprise e LEFT JOIN tmp_section s ON s.industry_id = e.industry_id
"""

# (region, section, size class, first month changed) of what was written since %(since)s.
CHANGED_CELLS = f"""
    WITH changes AS (
        SELECT l.enterprise_id, date_trunc('month', ev.on_date)::date AS month
          FROM lending_loanevent ev JOIN lending_loan l ON l.id = ev.loan_id
         WHERE ev.created_at >= %(since)s
        UNION ALL
        SELECT l.enterprise_id, date_trunc('month', l.disbursed_on)::date FROM lending_loan l
         WHERE l.created_at >= %(since)s
        UNION ALL
        SELECT a.enterprise_id, date_trunc('month', d.decided_at AT TIME ZONE %(tz)s)::date
          FROM lending_creditdecision d JOIN lending_application a ON a.id = d.application_id
         WHERE d.decided_at >= %(since)s
        UNION ALL
        SELECT d.enterprise_id, date_trunc('month', d.created_at AT TIME ZONE %(tz)s)::date
          FROM lending_financingdemand d WHERE d.created_at >= %(since)s
        UNION ALL
        SELECT d.enterprise_id, date_trunc('month', d.created_at AT TIME ZONE %(tz)s)::date
          FROM lending_demandclaim c JOIN lending_financingdemand d ON d.id = c.demand_id
         WHERE c.claimed_at >= %(since)s
        UNION ALL
        SELECT e.id, date_trunc('month', e.created_at AT TIME ZONE %(tz)s)::date
          FROM creditinfo_enterprise e WHERE e.created_at >= %(since)s
        UNION ALL  -- an intent recorded or followed up: its own month, and its loan's
        SELECT i.enterprise_id, LEAST(date_trunc('month', i.recorded_at AT TIME ZONE %(tz)s)::date,
                                      date_trunc('month', l.disbursed_on)::date)
          FROM lending_intent i LEFT JOIN lending_loan l ON l.id = i.loan_id
         WHERE i.updated_at >= %(since)s
        UNION ALL  -- a claimed skeleton becomes a registration (of its creation month) without a new row
        SELECT e.id, date_trunc('month', e.created_at AT TIME ZONE %(tz)s)::date
          FROM creditinfo_enterprisemembership em JOIN creditinfo_enterprise e ON e.id = em.enterprise_id
         WHERE em.created_at >= %(since)s
    )
    SELECT ent.region_id, ent.section, ent.size_class, min(c.month)
      FROM changes c JOIN ({ENTERPRISE_CELL}) ent ON ent.id = c.enterprise_id
     GROUP BY 1, 2, 3
"""  # noqa: S608 - only constants are interpolated; values are bound parameters  # nosec B608

ALL_CELLS = f"SELECT DISTINCT region_id, section, size_class FROM ({ENTERPRISE_CELL}) ent"  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters

FIRST_MONTH = """
    SELECT min(m) FROM (
        SELECT date_trunc('month', min(created_at) AT TIME ZONE %(tz)s)::date AS m FROM creditinfo_enterprise
        UNION ALL SELECT date_trunc('month', min(disbursed_on))::date FROM lending_loan
        UNION ALL SELECT date_trunc('month', min(decided_at) AT TIME ZONE %(tz)s)::date FROM lending_creditdecision
        UNION ALL SELECT date_trunc('month', min(created_at) AT TIME ZONE %(tz)s)::date FROM lending_financingdemand
        UNION ALL SELECT date_trunc('month', min(recorded_at) AT TIME ZONE %(tz)s)::date FROM lending_intent
    ) firsts
"""

# The enterprises of the dirty cells, with the first month each cell is dirty from (once per refresh).
DIRTY_ENTERPRISES = f"""
    CREATE TEMP TABLE tmp_ent ON COMMIT DROP AS
    SELECT ent.*, dc.from_month FROM ({ENTERPRISE_CELL}) ent
      JOIN tmp_dirty dc ON dc.region_id = ent.region_id AND dc.section = ent.section
                       AND dc.size_class = ent.size_class
"""  # noqa: S608 - only constants are interpolated  # nosec B608

# The enterprises of this month's dirty cells.
ENTERPRISES_OF_MONTH = "SELECT * FROM tmp_ent WHERE from_month <= %(m)s"

_SUM_ZERO = "COALESCE(SUM({expr}), 0)"
# LEAF_FROM_ENTERPRISES writes these three figures (and 0 for the rest); LEAF_FROM_LOANS the rest (and 0 for them).
_FROM_ENTERPRISES = {
    "enterprises_registered": "SUM(registered)",
    "demands_published": "SUM(published)",
    "demands_picked_up": "SUM(picked_up)",
}
_ENTERPRISE_SELECT = ", ".join(_FROM_ENTERPRISES.get(f, "0") for f in FIGURES)
LEAF_FROM_LOANS = f"""
    WITH ent AS ({ENTERPRISES_OF_MONTH}),
    loans AS (
        SELECT l.enterprise_id, ent.region_id, ent.section, ent.size_class, l.institution_id AS branch,
               b.bank_id AS bank, COALESCE(p.product_type, '') AS product_type, l.guarantee_mode,
               CASE WHEN l.closed_on <= %(e)s THEN 0
                    ELSE COALESCE(s.balance, l.principal) - COALESCE(r.repaid, 0) END AS bal,
               l.principal, l.disbursed_on >= %(m)s AS is_new,
               CASE WHEN l.disbursed_on >= %(m)s AND l.first_loan_attested THEN NOT EXISTS (
                    SELECT 1 FROM lending_loan l2
                     WHERE l2.enterprise_id = l.enterprise_id AND l2.first_loan_attested
                       AND (l2.disbursed_on, l2.id) < (l.disbursed_on, l.id)) ELSE false END AS is_first,
               NULL::numeric AS granted, false AS approved, false AS decided, NULL::integer AS days,
               NULL::numeric AS intended, false AS is_intent,
               l.disbursed_on >= %(m)s AND EXISTS (
                    SELECT 1 FROM lending_intent i WHERE i.loan_id = l.id) AS is_converted
          FROM lending_loan l JOIN ent ON ent.id = l.enterprise_id
          JOIN tmp_bank b ON b.institution_id = l.institution_id
          LEFT JOIN lending_product p ON p.id = l.product_id
          LEFT JOIN LATERAL (
              SELECT bs.balance, bs.month FROM lending_balancesnapshot bs
               WHERE bs.loan_id = l.id AND bs.month <= %(m)s ORDER BY bs.month DESC LIMIT 1) s ON true
          LEFT JOIN LATERAL (
              SELECT SUM(rp.principal_amount) AS repaid FROM lending_repayment rp
               WHERE rp.loan_id = l.id AND rp.paid_on <= %(e)s
                 AND rp.paid_on >= COALESCE((s.month + interval '1 month')::date, l.disbursed_on)) r ON true
         WHERE l.disbursed_on <= %(e)s AND (l.closed_on IS NULL OR l.closed_on >= %(m)s OR l.disbursed_on >= %(m)s)
    ),
    decisions AS (
        SELECT a.enterprise_id, ent.region_id, ent.section, ent.size_class, a.institution_id, b.bank_id,
               COALESCE(p.product_type, ''), COALESCE(NULLIF(d.guarantee_mode, ''), p.guarantee_mode, '00'),
               NULL::numeric, NULL::numeric, false, false,
               d.amount, d.outcome = 'approved', true, dd.ordinal - sd.ordinal, NULL::numeric, false, false
          FROM lending_creditdecision d JOIN lending_application a ON a.id = d.application_id
          JOIN ent ON ent.id = a.enterprise_id
          JOIN tmp_bank b ON b.institution_id = a.institution_id
          LEFT JOIN lending_product p ON p.id = a.product_id
          LEFT JOIN lending_statsday dd ON dd.day = (d.decided_at AT TIME ZONE %(tz)s)::date
          LEFT JOIN lending_statsday sd ON sd.day = (a.submitted_at AT TIME ZONE %(tz)s)::date
         WHERE d.decided_at >= %(mt)s AND d.decided_at < %(nt)s
    ),
    intents AS (
        SELECT i.enterprise_id, ent.region_id, ent.section, ent.size_class, i.institution_id, b.bank_id,
               COALESCE(p.product_type, ''), COALESCE(p.guarantee_mode, '00'),
               NULL::numeric, NULL::numeric, false, false, NULL::numeric, false, false, NULL::integer,
               i.amount, true, false
          FROM lending_intent i JOIN ent ON ent.id = i.enterprise_id
          JOIN tmp_bank b ON b.institution_id = i.institution_id
          LEFT JOIN lending_product p ON p.id = i.product_id
         WHERE i.recorded_at >= %(mt)s AND i.recorded_at < %(nt)s
    ),
    facts AS (SELECT * FROM loans UNION ALL SELECT * FROM decisions UNION ALL SELECT * FROM intents)
    INSERT INTO lending_statscell (month, region_id, section, size_class, dim, key, {", ".join(FIGURES)})
    SELECT %(m)s, region_id, section, size_class,
           CASE WHEN GROUPING(bank) = 0 THEN 'bank' WHEN GROUPING(branch) = 0 THEN 'branch'
                WHEN GROUPING(product_type) = 0 THEN 'product_type'
                WHEN GROUPING(guarantee_mode) = 0 THEN 'guarantee_mode' ELSE '' END,
           CASE WHEN GROUPING(bank) = 0 THEN bank::text WHEN GROUPING(branch) = 0 THEN branch::text
                WHEN GROUPING(product_type) = 0 THEN product_type
                WHEN GROUPING(guarantee_mode) = 0 THEN guarantee_mode ELSE '' END,
           {_SUM_ZERO.format(expr="bal")}, {_SUM_ZERO.format(expr="bal) FILTER (WHERE guarantee_mode = '04'")},
           COUNT(*) FILTER (WHERE bal > 0), COUNT(DISTINCT enterprise_id) FILTER (WHERE bal > 0),
           {_SUM_ZERO.format(expr="principal) FILTER (WHERE is_new")}, COUNT(*) FILTER (WHERE is_new),
           COUNT(DISTINCT enterprise_id) FILTER (WHERE is_new), COUNT(*) FILTER (WHERE is_first),
           {_SUM_ZERO.format(expr="granted) FILTER (WHERE approved")}, COUNT(*) FILTER (WHERE approved),
           COUNT(*) FILTER (WHERE decided), {_SUM_ZERO.format(expr="days")}, 0, 0, 0,
           COUNT(*) FILTER (WHERE is_intent), {_SUM_ZERO.format(expr="intended")},
           COUNT(*) FILTER (WHERE is_converted), {_SUM_ZERO.format(expr="principal) FILTER (WHERE is_converted")}
      FROM facts
     GROUP BY region_id, section, size_class,
              GROUPING SETS ((), (bank), (branch), (product_type), (guarantee_mode))
"""  # noqa: S608 - only constants are interpolated; values are bound parameters  # nosec B608

LEAF_FROM_ENTERPRISES = f"""
    WITH ent AS ({ENTERPRISES_OF_MONTH}),
    facts AS (
        SELECT region_id, section, size_class, 1 AS registered, 0 AS published, 0 AS picked_up FROM ent
         WHERE NOT ent.is_skeleton AND ent.created_at >= %(mt)s AND ent.created_at < %(nt)s
        UNION ALL
        SELECT ent.region_id, ent.section, ent.size_class, 0, 1,
               EXISTS (SELECT 1 FROM lending_demandclaim c WHERE c.demand_id = d.id)::integer
          FROM lending_financingdemand d JOIN ent ON ent.id = d.enterprise_id
         WHERE d.created_at >= %(mt)s AND d.created_at < %(nt)s
    )
    INSERT INTO lending_statscell (month, region_id, section, size_class, dim, key, {", ".join(FIGURES)})
    SELECT %(m)s, region_id, section, size_class, '', '', {_ENTERPRISE_SELECT}
      FROM facts GROUP BY region_id, section, size_class
    ON CONFLICT (month, region_id, section, size_class, dim, key) DO UPDATE SET
           enterprises_registered = EXCLUDED.enterprises_registered,
           demands_published = EXCLUDED.demands_published, demands_picked_up = EXCLUDED.demands_picked_up
"""  # noqa: S608 - only constants are interpolated; values are bound parameters  # nosec B608

DELETE_LEAF = """
    DELETE FROM lending_statscell c USING tmp_dirty dc
     WHERE c.month = %(m)s AND dc.from_month <= %(m)s
       AND c.region_id = dc.region_id AND c.section = dc.section AND c.size_class = dc.size_class
"""


AFFECTED_REGIONS = """
    SELECT DISTINCT a.ancestor_id FROM tmp_dirty dc JOIN tmp_ancestor a ON a.region_id = dc.region_id
     WHERE dc.from_month <= %(m)s
"""

DELETE_ROLLUP = f"DELETE FROM lending_statsrollup WHERE month = %(m)s AND region_id IN ({AFFECTED_REGIONS})"  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters

_AFFECTED_AT_DEPTH = """
    SELECT DISTINCT a.ancestor_id FROM tmp_dirty dc JOIN tmp_ancestor a ON a.region_id = dc.region_id
      JOIN tmp_region t ON t.region_id = a.ancestor_id AND t.depth = %(depth)s
     WHERE dc.from_month <= %(m)s
"""
_CELL_FIGURES = ", ".join(f"c.{f}" for f in FIGURES)

# The region rows of one depth (counties, then cities, then the province): each region's own leaf cells (an
# enterprise may sit at city level) broken down as they are and, for all loans, by section and size class,
# plus the rows of its child regions (those below already recomputed in this pass). Plain sums, hashed.
ROLLUP_AT_DEPTH = f"""
    INSERT INTO lending_statsrollup (month, region_id, dim, key, {", ".join(FIGURES)})
    SELECT %(m)s, region_id, dim, key, {", ".join(f"SUM({f})" for f in FIGURES)}
      FROM (
        SELECT c.region_id, c.dim, c.key, {_CELL_FIGURES} FROM lending_statscell c
         WHERE c.month = %(m)s AND c.region_id IN ({_AFFECTED_AT_DEPTH})
        UNION ALL
        SELECT c.region_id, 'industry', c.section, {_CELL_FIGURES} FROM lending_statscell c
         WHERE c.month = %(m)s AND c.dim = '' AND c.region_id IN ({_AFFECTED_AT_DEPTH})
        UNION ALL
        SELECT c.region_id, 'size_class', c.size_class, {_CELL_FIGURES} FROM lending_statscell c
         WHERE c.month = %(m)s AND c.dim = '' AND c.region_id IN ({_AFFECTED_AT_DEPTH})
        UNION ALL
        SELECT t.parent_id, c.dim, c.key, {_CELL_FIGURES} FROM lending_statsrollup c
          JOIN tmp_region t ON t.region_id = c.region_id
         WHERE c.month = %(m)s AND t.parent_id IN ({_AFFECTED_AT_DEPTH})
      ) facts
     GROUP BY region_id, dim, key
"""  # noqa: S608 - only constants are interpolated; values are bound parameters  # nosec B608


def _month_params(month: datetime.date) -> dict:
    following = next_month(month)
    return {
        "m": month,
        "e": following - datetime.timedelta(days=1),
        "mt": local_midnight(month),
        "nt": local_midnight(following),
        "tz": settings.TIME_ZONE,
    }


class _Clock:
    """Seconds spent per phase of a refresh, for the log and the benchmark."""

    def __init__(self):
        self.phases: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self._last
        self._last = now


def _recompute_months(cursor, first: datetime.date, last: datetime.date, *, clock: _Clock) -> int:
    """Recompute the dirty cells (tmp_dirty) month by month from `first` to `last`; returns the months done.

    The region rows of the affected regions are summed again from the leaf, bottom-up. (Adding to them the
    difference the new leaf rows make was measured slower at province scale: 8.9-10.9 s against 5.0-6.4 s for
    2,817 dirty cells over two months, the size of a 10,000-row feedback batch.)"""
    cursor.execute("SELECT COALESCE(max(depth), 0) FROM tmp_region")
    max_depth = cursor.fetchone()[0]
    month, done = first, 0
    while month <= last:
        params = _month_params(month)
        cursor.execute(DELETE_LEAF, params)
        clock.lap("leaf_delete")
        cursor.execute(LEAF_FROM_LOANS, params)
        clock.lap("leaf_loans")
        cursor.execute(LEAF_FROM_ENTERPRISES, params)
        clock.lap("leaf_enterprises")
        cursor.execute(DELETE_ROLLUP, params)
        for depth in range(max_depth, -1, -1):
            cursor.execute(ROLLUP_AT_DEPTH, params | {"depth": depth})
        clock.lap("regions")
        month, done = next_month(month), done + 1
    return done


def _refresh_sql(cursor, kind: str, since: datetime.datetime | None, clock: _Clock) -> tuple[int, int]:
    """The PostgreSQL refresh: the dirty cells into tmp_dirty, then month by month; returns (cells, months)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # Compiling these large plans (JIT) costs seconds per statement and saves nothing at this row count.
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SET LOCAL work_mem = '128MB'")  # the grouping sets and region sums hash in memory
    calendar_fill()
    _dimension_tables(cursor)
    clock.lap("setup")
    params = {"since": since, "tz": settings.TIME_ZONE}
    if kind == StatsRefresh.Kind.FULL:
        cursor.execute(FIRST_MONTH, params)
        first = cursor.fetchone()[0]
        cursor.execute("TRUNCATE lending_statscell, lending_statsrollup")
        cursor.execute(ALL_CELLS)
        cells = [(*row, first) for row in cursor.fetchall()] if first else []
    else:
        cursor.execute(CHANGED_CELLS, params)
        cells = cursor.fetchall()
    columns = "region_id integer, section varchar(1), size_class varchar(8), from_month date"
    _temp_table(cursor, "tmp_dirty", columns, cells)
    cursor.execute("DROP TABLE IF EXISTS tmp_ent")
    cursor.execute(DIRTY_ENTERPRISES)
    cursor.execute("CREATE INDEX ON tmp_ent (id)")
    cursor.execute("ANALYZE tmp_ent")
    clock.lap("changed_cells")
    months = 0
    if cells:
        first = min(month for *_cell, month in cells)
        months = _recompute_months(cursor, first, month_start(timezone.localdate()), clock=clock)
    return len(cells), months


def _refresh_python() -> tuple[int, int]:
    """Any other database (`make run` on SQLite, demo scale): every row recomputed in Python, whatever changed."""
    from lending import rollups_python  # late: only this path needs it

    rows = rollups_python.expected_rows()
    cells = rollups_python.rows_write(rows)
    return cells, len({key[0] for key in rows.rollups})


def _run(kind: str, *, since: datetime.datetime | None) -> RefreshResult:
    started, clock, phases = timezone.now(), time.monotonic(), _Clock()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cells, months = _refresh_sql(cursor, kind, since, phases)
        else:
            kind, since = StatsRefresh.Kind.FULL, None
            cells, months = _refresh_python()
        seconds = time.monotonic() - clock
        StatsRefresh.objects.create(
            kind=kind, started_at=started, changes_since=since, finished_at=timezone.now(), cells=cells,
            months=months, seconds=Decimal(f"{seconds:.3f}"),
        )  # fmt: skip
    spent = ", ".join(f"{phase} {t:.2f}" for phase, t in phases.phases.items())
    logger.info("stats %s refresh: %d cells, %d months, %.2f s (%s)", kind, cells, months, seconds, spent)
    return RefreshResult(kind=kind, cells=cells, months=months, seconds=seconds, phases=phases.phases)


def stats_rebuild() -> RefreshResult:
    """Recompute every rollup row from the raw tables (nightly, and after bulk loads)."""
    return _run(StatsRefresh.Kind.FULL, since=None)


def stats_refresh() -> RefreshResult:
    """Recompute the rows that what was written since the last refresh can have changed (a full rebuild if
    there has never been one)."""
    last = StatsRefresh.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    if last is None:
        return stats_rebuild()
    return _run(StatsRefresh.Kind.INCREMENTAL, since=last.started_at - OVERLAP)


def last_refresh() -> StatsRefresh | None:
    return StatsRefresh.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
