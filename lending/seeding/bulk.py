"""`seed_demo --scale medium|province`: the same synthetic Henan as the demo, bulk-loaded with PostgreSQL COPY.

Rows are generated in Python from `generators`/`province` (pure functions of per-phase random streams) and
streamed in chunks into `COPY ... FROM STDIN`; a background thread sends one chunk while the next one is
generated, so the client and the server each keep a core busy. Nothing holds a million objects: between
stages only a few bytes per enterprise are kept (place, industry, size, tags, age) in arrays. Primary keys
are assigned here, after each table's current maximum, so foreign keys are written without reading anything
back; the identity sequences are moved past them at the end of each stage.

Constraints: CHECK constraints and unique indexes are enforced row by row during COPY. Foreign keys are
enforced by PostgreSQL at commit, or, when the seeding role is a superuser, their per-row triggers are
skipped during COPY (session_replication_role = replica) and every new row is checked set-based before the
stage commits (one anti-join per foreign key): the same guarantee, a fraction of the time. The plain
(non-unique) indexes of tables that start empty are dropped and rebuilt after the load, in the same
transaction. Each stage ends with ANALYZE, the whole load with VACUUM (ANALYZE).

What the platform's services guarantee, the generator guarantees by construction: per application an
authorization for its institution starting at submission, an event per step (first `submitted`, last
`to_status` = the status), a credit decision when decided, a loan when disbursed (balance within
[0, principal], closed once matured); claims and demands in matching states; a user and membership for every
enterprise that applies or publishes a demand.

Stages, each one transaction: network (institutions and staff), products, enterprises (with their users),
demands (and claims), applications (with authorizations, events, decisions, loans), records (public credit
records from lending.seeding.records, an exact total per scale), feedback (repayments and twelve month-end
balances per loan from lending.seeding.feedback, which also set each loan's status and balance), finish (the
marker user `seed_<scale>`, written last); then VACUUM (ANALYZE) and, when creditinfo.services.evaluations
exists, every evaluation.
Present marker: a second run changes nothing. A run that stopped half-way leaves whole stages only, and a new
run refuses that database with instructions.

Deterministic: the same seed and the same `as_of` date give the same rows (ids included, on a database
that held none of these rows before).
"""

import datetime
import json
import math
import queue
import threading
import time
import types
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from creditinfo.models import Authorization, CreditRecord, Enterprise, EnterpriseMembership, EnterpriseTag
from creditinfo.services.authorizations import consent_text
from lending.models import (
    Application,
    ApplicationEvent,
    BalanceSnapshot,
    CreditDecision,
    DemandClaim,
    FinancingDemand,
    Loan,
    MatchmakingEvent,
    Product,
    Repayment,
)
from lending.models.stats import StatsRefresh
from lending.seeding import feedback as fb
from lending.seeding import generators as gen
from lending.seeding import province as pv
from lending.seeding import records as rec
from lending.seeding import vocab
from lending.seeding.catalog import ANCHOR_PRODUCTS, PROVINCE, TEMPLATES_BY_KEY, ZHENGZHOU
from lending.seeding.demo import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    DEMO_HEAD_OFFICE,
    DEMO_OFFICER_BRANCH,
    DEMO_SME,
    DEMO_SME_APPLICATIONS,
    DEMO_SME_DEMAND,
    DEMO_USERS,
    FIRST_LOAN_SHARE,
    REJECT_WEIGHTS,
    rebuild_rollups,
    recompute_evaluations,
)
from lending.seeding.events import EVENT_TABLES
from lending.seeding.scales import Scale
from lending.services.loans import add_months
from xinyidai.models import Industry, Institution, Region, SizeStandard, User
from xinyidai.workdays import add_working_days, is_working_day

WAN = gen.WAN
CENT = gen.CENT
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
WEEK = datetime.timedelta(days=7)
UNUSABLE_PASSWORD = "!"  # noqa: S105 - Django's marker for "cannot log in"  # nosec B105
SIZE_CODES = ("micro", "small", "medium", "large")
TAG_BITS = {"zjtx": 1, "gxjs": 2, "kjxzx": 4, "nyjyzt": 8, "lsqy": 16}

# Shares of the enterprise population.
CLAIMED_SHARE = 0.5  # registered by their own user (the rest are skeletons from data feeds)
LEGACY_CODE_SHARE = 0.25  # organization codes issued before the USCC (all digits)
TAG_KEEP = 0.3  # of the tags generators.pick_tags would give: ~4% of firms end up tagged
# Application outcomes other than disbursed (whose count is the scale's loans), as shares of the rest.
OTHER_OUTCOMES = {
    "rejected": 0.42,
    "withdrawn": 0.18,
    "declined": 0.15,
    "accepted": 0.10,
    "submitted": 0.08,
    "approved": 0.07,
}
# Demands by what became of them; each gets a claim history to match (see _demand_rows).
DEMAND_KINDS = {"applied": 30, "closed": 33, "open": 27, "active": 10}
BRANCH_PRODUCT_WEIGHT = 3.0  # a firm applies to its city's branches' products more than to province-wide ones
CHUNK_ROWS = 60_000  # rows per COPY chunk (all tables of a chunk together)
# The exact record total (see _seed_records): how far the controller trails its running target, how many last
# firms are generated ahead to close the gap, and how many extra records that tail is left to place.
RECORD_LAG = 50
RECORD_TAIL = 200
RECORD_TAIL_SLACK = 100
D_DATE = datetime.timedelta(days=1)
FEEDBACK_STYLES = (fb.AMORTIZING, fb.BULLET, fb.REVOLVING)
SMALL_TABLE = 10_000  # a table with fewer rows has its plain indexes rebuilt after the load instead of maintained


class BulkSeedError(Exception):
    """The database cannot take the bulk data (wrong engine, reference data missing, other data present)."""


# --- COPY text format ---------------------------------------------------------------------------------

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def tx(value: str) -> str:
    """A free-text value escaped for COPY's text format."""
    return value.translate(_ESCAPES)


def ts(moment: datetime.datetime) -> str:
    """A naive Asia/Shanghai time (UTC+8 all year, no DST since 1991) as a timestamptz literal."""
    return moment.isoformat(" ") + "+08"


def opt(value) -> str:
    return NULL if value is None else str(value)


def jsonb(value) -> str:
    return tx(json.dumps(value, ensure_ascii=False))


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for v in value for s in _strings(v)]
    return []


def assert_copy_safe() -> None:
    """Generated text comes from these word lists only; checking them once lets rows skip escaping."""
    texts = _strings([getattr(vocab, name) for name in dir(vocab) if name.isupper()])
    texts += _strings([(t.name, t.description) for t in TEMPLATES_BY_KEY.values()])
    texts += _strings([DEMO_SME.name, DEMO_SME.address, DEMO_SME.legal_representative, list(DEMO_SME_DEMAND.values())])
    texts += _strings([a[6] for a in DEMO_SME_APPLICATIONS])
    texts += _strings(rec.copy_safe_values())
    unsafe = [t for t in texts if t != tx(t)]
    if unsafe:
        raise BulkSeedError(f"word lists hold characters COPY would need escaped: {unsafe[:3]}")


def columns_of(model, names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """(table, column names) for model fields, resolved through _meta so renamed columns follow."""
    meta = model._meta
    return meta.db_table, tuple(meta.get_field(n).column for n in names)


TABLES: dict[str, tuple[str, tuple[str, ...]]] = {}


def _tables() -> dict[str, tuple[str, tuple[str, ...]]]:
    if not TABLES:
        TABLES.update(
            institution=columns_of(Institution, ("id", "code", "name", "short_name", "kind", "is_active", "parent",
                                                 "region")),
            user=columns_of(User, ("id", "password", "last_login", "is_superuser", "username", "first_name",
                                   "last_name", "email", "is_staff", "is_active", "date_joined", "role", "full_name",
                                   "phone", "institution", "region")),
            product=columns_of(Product, ("id", "name", "product_type", "guarantee_mode", "description", "amount_min",
                                         "amount_max", "term_min_months", "term_max_months", "rate_min", "rate_max",
                                         "size_classes", "status", "created_at", "updated_at", "created_by",
                                         "institution", "min_grade")),
            product_regions=(Product.regions.through._meta.db_table, ("id", "product_id", "region_id")),
            product_industries=(Product.industries.through._meta.db_table, ("id", "product_id", "industry_id")),
            product_tags=(Product.tags.through._meta.db_table, ("id", "product_id", "enterprisetag_id")),
            enterprise=columns_of(Enterprise, ("id", "uscc", "name", "legal_representative", "employees", "revenue",
                                               "assets", "size_class", "size_standard_version", "address",
                                               "contact_phone", "is_skeleton", "created_at", "industry", "region")),
            enterprise_tags=(Enterprise.tags.through._meta.db_table, ("id", "enterprise_id", "enterprisetag_id")),
            membership=columns_of(EnterpriseMembership, ("id", "is_owner", "created_at", "enterprise", "user")),
            demand=columns_of(FinancingDemand, ("id", "amount", "term_months", "purpose", "guarantee_modes", "status",
                                                "created_at", "created_by", "enterprise", "region")),
            claim=columns_of(DemandClaim, ("id", "claimed_at", "deadline", "status", "closed_at", "institution",
                                           "officer", "demand")),
            authorization=columns_of(Authorization, ("id", "purpose", "valid_from", "valid_until", "revoked_at",
                                                     "consent_text", "granted_by", "institution", "enterprise")),
            application=columns_of(Application, ("id", "number", "amount", "term_months", "purpose", "status",
                                                 "submitted_at", "respond_by", "updated_at", "authorization",
                                                 "enterprise", "handled_by", "institution", "submitted_by",
                                                 "demand_claim", "product")),
            event=columns_of(ApplicationEvent, ("id", "kind", "from_status", "to_status", "note", "data", "created_at",
                                                "actor", "application")),
            decision=columns_of(CreditDecision, ("id", "outcome", "amount", "annual_rate", "term_months",
                                                 "guarantee_mode", "reason_code", "note", "decided_at", "application",
                                                 "decided_by")),
            record=columns_of(CreditRecord, ("id", "source", "source_record_id", "enterprise", "category",
                                             "decision_date", "severity", "title", "authority", "detail",
                                             "publish_until", "status", "content_hash", "batch", "created_at",
                                             "updated_at")),
            loan=columns_of(Loan, ("id", "contract_number", "principal", "annual_rate", "term_months", "disbursed_on",
                                   "maturity_on", "guarantee_mode", "first_loan_attested", "outstanding_balance",
                                   "status", "closed_on", "created_at", "application", "disbursed_by", "enterprise",
                                   "institution", "product")),
            snapshot=columns_of(BalanceSnapshot, ("id", "loan", "month", "balance", "reported_by", "batch",
                                                  "created_at", "updated_at")),
            repayment=columns_of(Repayment, ("id", "loan", "paid_on", "principal_amount", "interest", "reference",
                                             "reported_by", "batch", "created_at")),
        )  # fmt: skip
        from lending.seeding.events import event_tables  # matchmaking events (written by the events stage)

        TABLES.update(event_tables())
    return TABLES


class CopyPipe:
    """Sends COPY chunks on the stage's connection from a background thread.

    The main thread formats chunk n+1 while this thread streams chunk n and waits for the server (psycopg
    releases the GIL while it waits on the socket). Both run inside the stage's transaction: the main thread
    does not touch the connection until `close()` has drained the queue.
    """

    def __init__(self, pgconn):
        self.pgconn = pgconn
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copy-pipe", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is not None:
                continue
            table, columns, data = item
            try:
                with (
                    self.pgconn.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
                ):
                    copy.write(data)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                self.error = exc

    def send(self, table: str, columns: tuple[str, ...], lines: list[str]) -> None:
        if self.error is not None:
            self.close()
        self.queue.put((table, columns, "".join(lines)))

    def close(self) -> None:
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class Batch:
    """Lines for several tables, flushed together (parents first) every CHUNK_ROWS rows."""

    def __init__(self, pipe: CopyPipe, names: tuple[str, ...], on_flush: Callable[[], None] | None = None):
        self.pipe, self.names, self.on_flush = pipe, names, on_flush
        self.lines: dict[str, list[str]] = {n: [] for n in names}
        self.pending = 0
        self.counts: Counter = Counter()

    def add(self, name: str, line: str) -> None:
        self.lines[name].append(line)
        self.pending += 1
        if self.pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        tables = _tables()
        for name in self.names:
            lines = self.lines[name]
            if lines:
                table, columns = tables[name]
                self.pipe.send(table, columns, lines)
                self.counts[name] += len(lines)
                self.lines[name] = []
        self.pending = 0
        if self.on_flush:
            self.on_flush()


# --- plain records kept between stages ------------------------------------------------------------------


@dataclass
class Inst:
    id: int
    code: str
    name: str
    region_id: int
    city_code: str  # PROVINCE for head offices
    is_head: bool
    bank: str
    officers: list[int] = field(default_factory=list)
    consent: str = ""  # consent text with CONSENT_SENTINEL for the date


@dataclass
class Prod:
    id: int
    inst: int  # index into institutions
    name: str
    mode: str
    amin_wan: int
    amax_wan: int
    tmin: int
    tmax: int
    rmin: Decimal
    rmax: Decimal
    listed: bool
    sections: frozenset | None
    sizes: frozenset | None
    tag_mask: int
    region_ids: frozenset


@dataclass
class Plan:
    """One application before it is written: who, where, what and its timeline."""

    start: datetime.datetime
    status: str
    inst: int
    officer: int
    product: "Prod | None"  # None for an application made on a claimed demand
    claim_id: int | None
    amount: Decimal
    term: int
    purpose: str
    steps: list
    modes: tuple = ()
    first_loan: bool | None = None
    reason: str = ""


@dataclass
class StageTiming:
    name: str
    seconds: float
    rows: Counter


@dataclass
class BulkResult:
    created: bool
    seconds: float
    stages: list[StageTiming]
    message: str = ""


CONSENT_SENTINEL = datetime.datetime(2000, 1, 1, 12, 0, tzinfo=datetime.UTC)
CONSENT_SENTINEL_TEXT = "2000-01-01"


def marker_username(scale: str) -> str:
    return f"seed_{scale}"


class BulkSeeder:
    """Loads one bulk scale; `run()` returns a BulkResult. Needs PostgreSQL and the reference data."""

    def __init__(
        self,
        *,
        scale: Scale,
        seed: int = DEFAULT_SEED,
        password: str = DEFAULT_PASSWORD,
        as_of: datetime.date | None = None,
        log: Callable[[str], None] | None = None,
        vacuum: bool = True,
    ):
        self.scale, self.seed, self.password = scale, seed, password
        self.as_of_date = as_of or timezone.localdate()
        # The generated history ends at the start of the as_of day (local time), never in the future.
        self.as_of = datetime.datetime.combine(self.as_of_date, datetime.time())
        self.latest = self.as_of - datetime.timedelta(minutes=15)
        self.log = log or (lambda line: None)
        self.vacuum = vacuum
        self.started = time.monotonic()
        self.stages: list[StageTiming] = []
        self.bases: dict[str, int] = {}
        self.next_ids: dict[str, int] = {}
        self._respond_by: dict[datetime.date, datetime.datetime] = {}
        self._claim_deadline: dict[datetime.date, datetime.datetime] = {}

    # --- entry point -------------------------------------------------------------------------------

    def run(self) -> BulkResult:
        if connection.vendor != "postgresql":
            raise BulkSeedError(
                f"--scale {self.scale.name} is bulk-loaded with PostgreSQL COPY; this database is "
                f"{connection.vendor}. Set DATABASE_URL to a PostgreSQL database."
            )
        state = self._state()
        if state == "done":
            message = (f"--scale {self.scale.name} data already present (user {marker_username(self.scale.name)}); "
                       "nothing changed.")  # fmt: skip
            if not CreditRecord.objects.exists():
                message += " It was seeded before credit records existed: recreate the database to get them."
            elif not BalanceSnapshot.objects.exists():
                message += " It was seeded before bank feedback existed: recreate the database to get it."
            if not MatchmakingEvent.objects.exists() and CreditRecord.objects.exists():
                self._complete_events()
                message += " It was seeded before matchmaking events existed: events, intents and leads added."
            elif not StatsRefresh.objects.exists():
                self._rollups()
                message += " Its statistics rollups were missing: rebuilt."
            return BulkResult(created=False, seconds=self._elapsed(), stages=self.stages, message=message)
        self.outer_atomic = connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            self.fast_foreign_keys = cursor.fetchone()[0]
        self._load_reference_data()
        self._plan()
        self._stage("network", ("institution", "user"), self._seed_network)
        self._stage("products", ("product", "product_regions", "product_industries", "product_tags"),
                    self._seed_products)  # fmt: skip
        self._stage("enterprises", ("enterprise", "enterprise_tags", "user", "membership"), self._seed_enterprises)
        self._stage("demands", ("demand", "claim"), self._seed_demands)
        self._stage("applications", ("authorization", "application", "event", "decision", "loan"),
                    self._seed_applications)  # fmt: skip
        self._stage("records", ("record",), self._seed_records)
        self._stage("feedback", ("snapshot", "repayment"), self._seed_feedback)
        self._stage("events", EVENT_TABLES, self._seed_events)
        self._stage("finish", ("user",), self._finish)
        tables = ", ".join(sorted({t for t, _c in _tables().values()}))
        started = time.monotonic()
        with connection.cursor() as cursor:
            # VACUUM also sets hint bits and the visibility map (index-only scans); it cannot run in a
            # transaction block, where ANALYZE alone has to do.
            vacuum = self.vacuum and not self.outer_atomic
            cursor.execute(f"VACUUM (ANALYZE) {tables}" if vacuum else f"ANALYZE {tables}")
        label = "vacuum analyze" if vacuum else "analyze"
        self.stages.append(StageTiming(label, time.monotonic() - started, Counter()))
        self._progress(f"{label}: {time.monotonic() - started:.1f}s")
        self._rollups()
        seconds = recompute_evaluations(self._progress)
        if seconds is not None:
            self.stages.append(StageTiming("evaluations", seconds, Counter()))
        return BulkResult(created=True, seconds=self._elapsed(), stages=self.stages)

    def _rollups(self) -> None:
        """The dashboard's statistics rollups from the loaded rows (a full rebuild), then their planner stats."""
        started = time.monotonic()
        rebuild_rollups(self._progress)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE lending_statscell, lending_statsrollup, lending_statsday")
        self.stages.append(StageTiming("rollups", time.monotonic() - started, Counter()))

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _progress(self, message: str) -> None:
        self.log(f"[{self._elapsed():6.1f}s] {message}")

    def _state(self) -> str:
        """'done' when this scale's marker exists; refuses a database holding other seeded data."""
        markers = set(User.objects.filter(username__startswith="seed_").values_list("username", flat=True))
        if marker_username(self.scale.name) in markers:
            return "done"
        others = sorted(m.removeprefix("seed_") for m in markers if m.removeprefix("seed_") in _known_scales())
        if others:
            raise BulkSeedError(
                f"This database already holds --scale {', '.join(others)}; bulk scales do not mix. "
                "Seed a fresh database (createdb, migrate, load_reference_data)."
            )
        if User.objects.filter(username__in=[u.username for u in DEMO_USERS]).exists():
            raise BulkSeedError(
                f"Cannot seed --scale {self.scale.name} here: the database already holds the demo logins, from "
                "--scale demo or from a bulk seed that stopped before finishing (its completed stages stay "
                "committed). Drop and recreate the database, run migrate and load_reference_data, then seed again."
            )
        return "empty"

    # --- reference data and plan ------------------------------------------------------------------------

    def _load_reference_data(self) -> None:
        hint = "run `manage.py load_reference_data` first"
        regions = list(Region.objects.order_by("code").values_list("id", "code", "name", "level", "parent__code"))
        self.region_id = {code: rid for rid, code, _n, _l, _p in regions}
        if PROVINCE not in self.region_id or len(regions) < 100:
            raise BulkSeedError(f"The Henan regions are not loaded; {hint}.")
        self.region_refs = [gen.RegionRef(code, name, level, parent) for _id, code, name, level, parent in regions]
        industries = list(Industry.objects.values_list("id", "code", "parent__code", "parent__parent__code"))
        self.industry_id = {code: iid for iid, code, _p, _pp in industries}
        missing = sorted(set(vocab.INDUSTRY_WEIGHTS) - set(self.industry_id))
        if missing:
            raise BulkSeedError(f"GB/T 4754 industries {', '.join(missing)} are not loaded; {hint}.")
        ancestors = {code: [c for c in (p, pp) if c] for _id, code, p, pp in industries}
        standard = SizeStandard.objects.filter(is_current=True).only("version", "rules").first()
        if standard is None:
            raise BulkSeedError(f"No current enterprise size standard; {hint}.")
        self.size_version = standard.version
        self.classify = pv.SizeClassifier(standard.rules, {c: ancestors[c] for c in vocab.INDUSTRY_WEIGHTS})
        self.source_ids = rec.ensure_sources()
        self.tag_id = dict(EnterpriseTag.objects.values_list("code", "id"))
        if not set(TAG_BITS) <= set(self.tag_id):
            raise BulkSeedError(f"Enterprise tags {', '.join(sorted(set(TAG_BITS) - set(self.tag_id)))} are "
                                f"missing; {hint}.")  # fmt: skip

    def _plan(self) -> None:
        scale = self.scale
        self.banks = pv.NETWORKS[scale.network]
        self.picker = pv.PlacePicker(self.region_refs)
        self.industry_picker = pv.WeightedPicker(vocab.INDUSTRY_WEIGHTS)
        self.industry_codes = list(vocab.INDUSTRY_WEIGHTS)
        self.industry_index = {c: i for i, c in enumerate(self.industry_codes)}
        self.sections = sorted({gen.section_of(c) for c in self.industry_codes})
        self.section_of_industry = [self.sections.index(gen.section_of(c)) for c in self.industry_codes]
        counts = pv.exact_counts(OTHER_OUTCOMES, scale.applications - scale.loans)
        counts["disbursed"] = scale.loans
        self.outcomes = pv.ExactMix(counts)
        for _code, _name, outcome, *_rest in DEMO_SME_APPLICATIONS:
            self.outcomes.take(outcome)
        self.password_hash = make_password(self.password)
        assert_copy_safe()

    # --- stage machinery ---------------------------------------------------------------------------------

    def _stage(self, name: str, tables: tuple[str, ...], body: Callable[["Batch"], None]) -> None:
        """One stage in one transaction: lock its tables, stream its rows, move the sequences past them."""
        started = time.monotonic()
        self._progress(f"stage {name}: started")
        all_tables = _tables()
        with transaction.atomic():
            connection.ensure_connection()
            with connection.cursor() as cursor:
                physical = sorted({all_tables[t][0] for t in tables})
                # Writers wait; readers do not. Keeps ids assigned here from racing the sequences.
                cursor.execute(f"LOCK TABLE {', '.join(physical)} IN EXCLUSIVE MODE")
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL work_mem = '256MB'")
                if self.fast_foreign_keys:
                    # Foreign keys are checked per row by triggers; skip them during COPY and check every new
                    # row set-based before commit instead (_verify_foreign_keys). CHECK constraints and unique
                    # indexes are not triggers: they stay enforced row by row.
                    cursor.execute("SET LOCAL session_replication_role = replica")
                for table in tables:
                    if table not in self.next_ids:
                        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {all_tables[table][0]}")  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
                        self.bases[table] = cursor.fetchone()[0]
                        self.next_ids[table] = self.bases[table] + 1
            first_ids = {all_tables[t][0]: self.next_ids[t] for t in tables}
            with connection.cursor() as cursor:
                rebuild = self._drop_secondary_indexes(cursor, physical)
            pipe = CopyPipe(connection.connection)
            last = [time.monotonic()]

            def on_flush():
                now = time.monotonic()
                if now - last[0] >= 5:
                    last[0] = now
                    done = ", ".join(f"{batch.counts[t]:,} {t}" for t in tables if batch.counts[t])
                    rows = sum(batch.counts.values())
                    self._progress(f"  {name}: {done} ({rows / (now - started):,.0f} rows/s)")

            batch = Batch(pipe, tables, on_flush)
            try:
                body(batch)
                batch.flush()
            finally:
                pipe.close()
            with connection.cursor() as cursor:
                self._rebuild_indexes(cursor, rebuild)
                for table in physical:
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
                        f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                    )
                if sum(batch.counts.values()) >= 1000:
                    # Fresh statistics for the checks below and for the next stages' planning.
                    cursor.execute(f"ANALYZE {', '.join(physical)}")
                if self.fast_foreign_keys:
                    self._verify_foreign_keys(cursor, first_ids)
            self._progress(f"  {name}: committing")
        seconds = time.monotonic() - started
        rows = sum(batch.counts.values())
        self.stages.append(StageTiming(name, seconds, batch.counts))
        done = ", ".join(f"{batch.counts[t]:,} {t}" for t in tables if batch.counts[t])
        self._progress(f"stage {name}: {done or 'no rows'} in {seconds:.1f}s ({rows / max(seconds, 1e-9):,.0f} rows/s)")

    def _drop_secondary_indexes(self, cursor, tables: list[str]) -> list[tuple[str, str]]:
        """Drop the plain (non-unique, constraint-free) indexes of tables that hold next to nothing yet, to
        rebuild them once after the load: one sort beats millions of random insertions. Unique and primary
        key indexes stay, so uniqueness is still enforced row by row. Same transaction: a failure restores them.
        """
        dropped = []
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {SMALL_TABLE}) t")  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
            if cursor.fetchone()[0] >= SMALL_TABLE:
                continue
            cursor.execute(
                """
                SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                FROM pg_index i
                WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                ORDER BY 1
                """,
                [table],
            )
            for index, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {index}")
                dropped.append((index, definition))
        return dropped

    def _rebuild_indexes(self, cursor, indexes: list[tuple[str, str]]) -> None:
        if not indexes:
            return
        started = time.monotonic()
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _index, definition in indexes:
            cursor.execute(definition)
        self._progress(f"  {len(indexes)} indexes rebuilt in {time.monotonic() - started:.1f}s")

    def _verify_foreign_keys(self, cursor, first_ids: dict[str, int]) -> None:
        """Every foreign key of the rows this stage wrote points at an existing row (one anti-join per key)."""
        started = time.monotonic()
        cursor.execute(
            """
            SELECT c.conname, c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid::regclass::text = ANY(%s)
            ORDER BY 2, 3
            """,
            [list(first_ids)],
        )
        keys = cursor.fetchall()
        for conname, child, column, parent, parent_column in keys:
            cursor.execute(
                f"SELECT count(*) FROM {child} c WHERE c.id >= %s AND c.{column} IS NOT NULL "  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
                f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_column} = c.{column})",
                [first_ids[child]],
            )
            missing = cursor.fetchone()[0]
            if missing:
                raise BulkSeedError(f"{missing} new {child} rows break foreign key {conname} ({column} -> {parent})")
        self._progress(f"  {len(keys)} foreign keys verified in {time.monotonic() - started:.1f}s")

    def _id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def _user_line(self, uid: int, username: str, *, role: str, full_name: str, phone: str = "",
                   password: str = UNUSABLE_PASSWORD, joined: datetime.datetime, institution: int | None = None,
                   region: int | None = None, staff: bool = False, superuser: bool = False,
                   active: bool = True) -> str:  # fmt: skip
        return (
            f"{uid}\t{password}\t{NULL}\t{'t' if superuser else 'f'}\t{username}\t\t\t\t{'t' if staff else 'f'}\t"
            f"{'t' if active else 'f'}\t{ts(joined)}\t{role}\t{tx(full_name)}\t{phone}\t{opt(institution)}\t"
            f"{opt(region)}\n"
        )

    # --- stage: network -----------------------------------------------------------------------------

    def _seed_network(self, batch: Batch) -> None:
        rng = gen.phase_rng(self.seed, "bulk:people")
        self.insts: list[Inst] = []
        self.inst_index: dict[str, int] = {}
        names = {r.code: r.name for r in self.region_refs}
        province_id = self.region_id[PROVINCE]
        purpose = Authorization.Purpose.LOAN_REVIEW
        # A bank with branches in every city draws far more applications than one with a single office.
        self.bank_reach = {b.code: 0.25 + len(b.branch_cities) / len(pv.ALL_CITIES) for b in self.banks}
        for bank in self.banks:
            head = self._add_inst(batch, bank.code, bank.name, bank.short_name, None, province_id, PROVINCE, bank.code)
            for city in bank.branch_cities:
                name = bank.branch_name(city, gen.short_place(names[city]))
                self._add_inst(batch, bank.branch_code(city), name, "", head.id, self.region_id[city], city, bank.code)
        for inst in self.insts:
            inst.consent = tx(
                consent_text(institution=types.SimpleNamespace(name=inst.name), purpose=purpose, until=CONSENT_SENTINEL)
            )
        demo = {u.username: u for u in DEMO_USERS}
        add = batch.add
        add("user", self._user_line(self._id("user"), "demo_province", role=User.Role.STAFF,
                                    full_name=demo["demo_province"].full_name, phone=gen.mobile_phone(rng),
                                    password=self.password_hash, joined=self.as_of - 1100 * D,
                                    region=province_id))  # fmt: skip
        add("user", self._user_line(self._id("user"), "demo_city", role=User.Role.STAFF,
                                    full_name=demo["demo_city"].full_name, phone=gen.mobile_phone(rng),
                                    password=self.password_hash, joined=self.as_of - 1050 * D,
                                    region=self.region_id[ZHENGZHOU]))  # fmt: skip
        add("user", self._user_line(self._id("user"), "demo_admin", role=User.Role.ADMIN,
                                    full_name=demo["demo_admin"].full_name, password=self.password_hash,
                                    joined=self.as_of - 1200 * D, staff=True, superuser=True))  # fmt: skip
        self.demo_sme_user = self._id("user")
        add("user", self._user_line(self.demo_sme_user, "demo_sme", role=User.Role.SME,
                                    full_name=demo["demo_sme"].full_name, phone=gen.mobile_phone(rng),
                                    password=self.password_hash,
                                    joined=self.as_of - DEMO_SME.joined_days_ago * D))  # fmt: skip
        for inst in self.insts:
            for n in (1, 2):
                login = {DEMO_OFFICER_BRANCH: "demo_officer", DEMO_HEAD_OFFICE: "demo_head_office"}.get(inst.code)
                login = login if n == 1 else None
                code = inst.code.lower().replace("-", "_")
                username = login or (f"{code}_hq_{n}" if inst.is_head else f"{code}_{n}")
                uid = self._id("user")
                inst.officers.append(uid)
                # demo_head_office took over a generated officer: its name is still drawn (later rows unchanged).
                name = demo["demo_officer"].full_name if login == "demo_officer" else gen.person_name(rng)
                add("user", self._user_line(
                    uid, username, role=User.Role.OFFICER, full_name=demo[login].full_name if login else name,
                    phone=gen.mobile_phone(rng), password=self.password_hash if login else UNUSABLE_PASSWORD,
                    joined=self.as_of - rng.randint(1100, 1500) * D, institution=inst.id,
                ))  # fmt: skip
        self.demo_officer = self.insts[self.inst_index[DEMO_OFFICER_BRANCH]].officers[0]
        # Who can claim a demand from a firm in a city: that city's branches, and every head office.
        self.claimers = {}
        for city in pv.ALL_CITIES:
            weights = {i: (BRANCH_PRODUCT_WEIGHT if inst.city_code == city else 1.0)
                       for i, inst in enumerate(self.insts) if inst.is_head or inst.city_code == city}  # fmt: skip
            self.claimers[city] = pv.WeightedPicker(weights)

    def _add_inst(self, batch, code, name, short, parent, region_id, city_code, bank) -> Inst:
        inst = Inst(self._id("institution"), code, name, region_id, city_code, parent is None, bank)
        self.inst_index[code] = len(self.insts)
        self.insts.append(inst)
        batch.add("institution", f"{inst.id}\t{code}\t{tx(name)}\t{tx(short)}\tbank\tt\t{opt(parent)}\t{region_id}\n")
        return inst

    # --- stage: products --------------------------------------------------------------------------

    def _seed_products(self, batch: Batch) -> None:
        rng = gen.phase_rng(self.seed, "bulk:products")
        slots = gen.product_slots(rng, self.banks, self.scale.products, ANCHOR_PRODUCTS)
        region_picker = gen.RegionPicker(self.region_refs)
        self.products: list[Prod] = []
        self.anchor_index = {}
        for index, slot in enumerate(slots):
            inst_i = self.inst_index[slot.institution_code]
            inst = self.insts[inst_i]
            t = TEMPLATES_BY_KEY[slot.template]
            region_codes = gen.product_region_codes(rng, t, slot.location, region_picker)
            created = self.as_of - rng.uniform(760, 1100) * D
            created = created.replace(microsecond=0)
            roll = rng.random()
            anchor = index < len(ANCHOR_PRODUCTS)
            status = "listed" if anchor or roll >= 0.04 else ("draft" if roll < 0.01 else "unlisted")
            updated = created if status != "unlisted" else (self.as_of - rng.uniform(1, 20) * D).replace(microsecond=0)
            pid = self._id("product")
            batch.add("product", (
                f"{pid}\t{tx(slot.name)}\t{t.product_type}\t{t.guarantee_mode}\t{tx(t.description)}\t"
                f"{t.amount_wan[0] * WAN:.2f}\t{t.amount_wan[1] * WAN:.2f}\t{t.term_months[0]}\t{t.term_months[1]}\t"
                f"{t.rate[0]}\t{t.rate[1]}\t{','.join(t.sizes)}\t{status}\t{ts(created)}\t{ts(updated)}\t"
                f"{rng.choice(inst.officers)}\t{inst.id}\t{t.min_grade}\n"
            ))  # fmt: skip
            for code in region_codes:
                batch.add("product_regions", f"{self._id('product_regions')}\t{pid}\t{self.region_id[code]}\n")
            for section in t.sections:
                row = f"{self._id('product_industries')}\t{pid}\t{self.industry_id[section]}\n"
                batch.add("product_industries", row)
            for tag in t.tags:
                batch.add("product_tags", f"{self._id('product_tags')}\t{pid}\t{self.tag_id[tag]}\n")
            region_ids = frozenset(self.region_id[c] for c in region_codes) or frozenset({inst.region_id})
            self.products.append(Prod(
                id=pid, inst=inst_i, name=slot.name, mode=t.guarantee_mode, amin_wan=t.amount_wan[0],
                amax_wan=t.amount_wan[1], tmin=t.term_months[0], tmax=t.term_months[1], rmin=Decimal(t.rate[0]),
                rmax=Decimal(t.rate[1]), listed=status == "listed",
                sections=frozenset(self.sections.index(s) for s in t.sections) or None,
                sizes=frozenset(SIZE_CODES.index(s) for s in t.sizes) or None,
                tag_mask=sum(TAG_BITS[tag] for tag in t.tags), region_ids=region_ids,
            ))  # fmt: skip
            if anchor:
                self.anchor_index[(slot.institution_code, slot.name)] = index
        # Products a firm in each place may be offered (by region only; the rest is checked per firm).
        self.place_products = []
        for p, place in enumerate(self.picker.places):
            city = self.picker.city_of_place[p]
            ids = {self.region_id[place.code], self.region_id[city.code], self.region_id[PROVINCE]}
            chosen = [i for i, prod in enumerate(self.products) if prod.listed and prod.region_ids & ids]
            weights = {i: self._product_weight(self.products[i]) for i in chosen}
            self.place_products.append(pv.WeightedPicker(weights) if weights else None)

    def _product_weight(self, prod: "Prod") -> float:
        """How often firms pick a product: local branches' over province-wide ones, big networks' over small."""
        inst = self.insts[prod.inst]
        return (1.0 if inst.is_head else BRANCH_PRODUCT_WEIGHT) * self.bank_reach[inst.bank]

    # --- stage: enterprises ------------------------------------------------------------------------------

    def _seed_enterprises(self, batch: Batch) -> None:
        rng = gen.phase_rng(self.seed, "bulk:enterprises")
        n = self.scale.enterprises
        picker, places, cities = self.picker, self.picker.places, self.picker.city_of_place
        industry_pick = self.industry_picker.pick
        industry_index = self.industry_index
        classify, version = self.classify, self.size_version
        section_letter = {c: gen.section_of(c) for c in self.industry_codes}
        tag_id, region_id, industry_id = self.tag_id, self.region_id, self.industry_id
        # Per-firm facts later stages need, in compact arrays (a few bytes a firm, no objects).
        self.e_place = array("H")
        self.e_industry = bytearray()
        self.e_size = bytearray()
        self.e_tags = bytearray()
        self.e_age = array("l")  # seconds between joining the platform and as_of
        self.e_employees = array("l")
        self.e_legacy = bytearray()  # all-digit organization code (registered before the USCC)
        self.e_uscc = bytearray()  # 18 ASCII bytes a firm
        self.claimed = array("l")  # enterprise index of each firm with a user, in order
        self.claimed_user = array("q")
        ent_base = self.next_ids["enterprise"]
        self.ent_base = ent_base
        as_of = self.as_of
        add = batch.add
        sizes = Counter()
        for i in range(n):
            if i == 0:
                spec = DEMO_SME
                p = picker.index[spec.region_code]
                county, city = places[p], cities[p]
                code, employees, revenue, assets = spec.industry_code, spec.employees, spec.revenue, spec.assets
                name, uscc, legal, address, phone = (spec.name, spec.uscc, spec.legal_representative, spec.address,
                                                     spec.contact_phone)  # fmt: skip
                tags, claimed, days = spec.tags, True, float(spec.joined_days_ago)
            else:
                p = picker.pick(rng)
                county, city = places[p], cities[p]
                code = industry_pick(rng)
                section = section_letter[code]
                cooperative = section == "A" and code[:2] in vocab.COOPERATIVE_WORDS and rng.random() < 0.3
                employees, revenue, assets = pv.size_figures(rng, code, section)
                name = pv.enterprise_name(rng, city=city, county=county, industry_code=code, employees=employees,
                                          cooperative=cooperative)  # fmt: skip
                legacy = rng.random() < LEGACY_CODE_SHARE
                uscc = pv.enterprise_uscc(i, division=county.code, cooperative=cooperative, legacy=legacy,
                                          avoid=DEMO_SME.uscc)  # fmt: skip
                tags = gen.pick_tags(rng, code, employees, cooperative)
                if tags and rng.random() >= TAG_KEEP:
                    tags = ()
                legal = gen.person_name(rng)
                address = gen.street_address(rng, city, county)
                phone = gen.landline(rng, city.code) if rng.random() < 0.6 else gen.mobile_phone(rng)
                claimed = rng.random() < CLAIMED_SHARE
                # Firms joined the platform over four years, more of them lately; active ones before the
                # two years of traffic mostly, and at least 90 days before the seed date.
                days = (90 + 1370 * rng.random() ** 0.9) if claimed else (1 + 1459 * rng.random() ** 1.2)
            size = classify(code, employees, revenue, assets)
            sizes[size] += 1
            created = (as_of - days * D).replace(microsecond=0)
            eid = ent_base + i
            add("enterprise", (
                f"{eid}\t{uscc}\t{name}\t{legal}\t{employees}\t{revenue}\t{assets}\t{size}\t{version}\t"
                f"{address}\t{phone}\t{'f' if claimed else 't'}\t{ts(created)}\t{industry_id[code]}\t"
                f"{region_id[county.code]}\n"
            ))  # fmt: skip
            mask = 0
            for tag in tags:
                mask |= TAG_BITS[tag]
                add("enterprise_tags", f"{self._id('enterprise_tags')}\t{eid}\t{tag_id[tag]}\n")
            self.e_place.append(p)
            self.e_industry.append(industry_index[code])
            self.e_size.append(SIZE_CODES.index(size))
            self.e_tags.append(mask)
            self.e_age.append(int((as_of - created).total_seconds()))
            self.e_employees.append(employees)
            self.e_legacy.append(uscc[8:10] != "MA")
            self.e_uscc += uscc.encode()
            if claimed:
                if i == 0:
                    uid = self.demo_sme_user
                else:
                    uid = self._id("user")
                    add("user", self._user_line(uid, f"sme_{uscc.lower()}", role=User.Role.SME,
                                                full_name=gen.person_name(rng), phone=gen.mobile_phone(rng),
                                                joined=created))  # fmt: skip
                add("membership", f"{self._id('membership')}\tt\t{ts(created)}\t{eid}\t{uid}\n")
                self.claimed.append(i)
                self.claimed_user.append(uid)
        self.next_ids["enterprise"] = ent_base + n
        mix = ", ".join(f"{k} {sizes[k]:,}" for k in ("large", "medium", "small", "micro"))
        self._progress(f"  enterprises: size classes {mix}; {len(self.claimed):,} with a user")

    # --- shared helpers for traffic ---------------------------------------------------------------------

    def respond_by(self, start: datetime.datetime) -> datetime.datetime:
        day = start.date()
        value = self._respond_by.get(day)
        if value is None:
            end = add_working_days(day, settings.XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS)
            value = self._respond_by[day] = datetime.datetime.combine(end, datetime.time(23, 59, 59))
        return value

    def claim_deadline(self, claimed: datetime.datetime) -> datetime.datetime:
        day = claimed.date()
        value = self._claim_deadline.get(day)
        if value is None:
            end = add_working_days(day, settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS)
            value = self._claim_deadline[day] = datetime.datetime.combine(end, datetime.time(23, 59, 59))
        return value

    def _past(self, moment: datetime.datetime) -> datetime.datetime:
        while moment > self.latest:
            moment -= D
        return moment

    def _app_start(self, rng, status: str, age_days: float) -> datetime.datetime:
        """When an application that ended up in `status` was submitted: open ones lately, closed ones over
        the last two years (denser recently), at least 40 days after the firm joined."""
        if status == "submitted":
            days = rng.uniform(0.02, 6) if rng.random() < 0.75 else rng.uniform(6, 20)
        elif status == "accepted":
            days = rng.uniform(1.5, 30)
        elif status == "approved":
            days = rng.uniform(3, 40)
        else:
            horizon = max(5.0, min(730.0, age_days - 40))
            days = 3 + (horizon - 3) * rng.random() ** 1.15
        return self._past(gen.sme_time(rng, self.as_of - days * D))

    def _schedule(self, rng, start: datetime.datetime, status: str) -> tuple[datetime.datetime, list]:
        """Times of the steps towards `status`; a timeline ending after as_of moves back whole weeks (same
        weekday and hour, so bank steps stay in working hours)."""
        steps = gen.step_times(rng, start, gen.STEPS_TO[status], is_working_day)
        if steps and steps[-1] > self.latest:
            weeks = math.ceil((steps[-1] - self.latest) / WEEK)
            shift = weeks * WEEK
            start, steps = start - shift, [s - shift for s in steps]
        return start, steps

    # --- stage: demands ----------------------------------------------------------------------------------

    def _seed_demands(self, batch: Batch) -> None:
        rng = gen.phase_rng(self.seed, "bulk:demands")
        total = self.scale.demands
        kinds = pv.ExactMix(pv.exact_counts({k: float(v) for k, v in DEMAND_KINDS.items()}, total - 1))
        kinds_left = total - 1
        self.demand_apps: list[tuple[int, Plan]] = []  # (claimed position, plan), in order
        holders = len(self.claimed)
        for pos in range(holders):
            if pos == 0:  # the demo SME: its one open demand
                self._demand_rows(batch, rng, pos, "open", fixed=DEMO_SME_DEMAND)
                continue
            count = pv.spread(rng, kinds_left, holders - pos, skew=1.0)
            kinds_left -= count
            for _ in range(count):
                self._demand_rows(batch, rng, pos, kinds.draw(rng))

    def _demand_rows(self, batch: Batch, rng, pos: int, kind: str, fixed: dict | None = None) -> None:
        i = self.claimed[pos]
        user = self.claimed_user[pos]
        eid = self.ent_base + i
        place = self.e_place[i]
        city = self.picker.city_of_place[place].code
        region = self.region_id[self.picker.places[place].code]
        code = self.industry_codes[self.e_industry[i]]
        age_days = self.e_age[i] / 86400
        if fixed:
            amount, term, purpose, modes = (Decimal(fixed["amount_wan"]) * WAN, fixed["term"], fixed["purpose"],
                                            sorted(fixed["modes"]))  # fmt: skip
        else:
            amount = Decimal(gen.amount_wan(rng, SIZE_CODES[self.e_size[i]], 10, 5000)) * WAN
            term, purpose, modes = gen.pick_term(rng, 3, 36), gen.purpose(rng, code), sorted(gen.guarantee_modes(rng))
        did = self._id("demand")
        claims = []  # (claimed_at, status, closed_at, inst index, officer)

        def claimer():
            inst = self.claimers[city].pick(rng)
            return inst, rng.choice(self.insts[inst].officers)

        if kind == "applied":
            status = self.outcomes.draw(rng)
            start = self._app_start(rng, status, age_days)
            start, steps = self._schedule(rng, start, status)
            claimed = start - rng.uniform(3, 40) * H
            created = (claimed - rng.uniform(2, 96) * H).replace(microsecond=0)
            claimed = claimed.replace(microsecond=0)
            inst, officer = claimer()
            cid = self._id("claim")
            claims.append((claimed, "converted", start, inst, officer, cid))
            self.demand_apps.append((pos, Plan(
                start=start, status=status, inst=inst, officer=officer, product=None, claim_id=cid, amount=amount,
                term=term, purpose=purpose, steps=steps, modes=tuple(modes),
            )))  # fmt: skip
            demand_status = "applied"
        elif kind == "active":
            created = self._past(gen.sme_time(rng, self.as_of - rng.uniform(1, 6) * D))
            claimed = max(created + H, self.as_of - rng.uniform(1, 28) * H).replace(microsecond=0)
            inst, officer = claimer()
            claims.append((claimed, "active", None, inst, officer, self._id("claim")))
            demand_status = "claimed"
        elif kind == "open":
            days = 2.0 if fixed else rng.uniform(0.1, 45)
            created = self._past(gen.sme_time(rng, self.as_of - days * D))
            roll = rng.random()
            if not fixed and roll < 0.35:  # an earlier claim lapsed or was given back: in the pool again
                claimed = gen.business_time(rng, created + rng.uniform(2, 30) * H, is_working_day)
                deadline = self.claim_deadline(claimed)
                inst, officer = claimer()
                if roll < 0.25 and deadline <= self.latest:
                    claims.append((claimed, "expired", deadline, inst, officer, self._id("claim")))
                elif claimed + 4 * H < self.latest:
                    released = min(claimed + rng.uniform(3, 48) * H, deadline, self.latest)
                    claims.append((claimed, "released", released.replace(microsecond=0), inst, officer,
                                   self._id("claim")))  # fmt: skip
            demand_status = "open"
        else:  # closed by the firm, sometimes after a claim was given back
            horizon = max(11.0, min(700.0, age_days - 2))
            created = self._past(gen.sme_time(rng, self.as_of - rng.uniform(10, horizon) * D))
            if rng.random() < 0.25:
                claimed = gen.business_time(rng, created + rng.uniform(2, 30) * H, is_working_day)
                released = min(claimed + rng.uniform(3, 48) * H, self.claim_deadline(claimed), self.latest)
                inst, officer = claimer()
                if claimed < released:
                    claims.append((claimed, "released", released.replace(microsecond=0), inst, officer,
                                   self._id("claim")))  # fmt: skip
            demand_status = "closed"
        batch.add("demand", (
            f"{did}\t{amount:.2f}\t{term}\t{purpose}\t{jsonb(modes)}\t{demand_status}\t{ts(created)}\t{user}\t"
            f"{eid}\t{region}\n"
        ))  # fmt: skip
        for claimed, status, closed, inst, officer, cid in claims:
            batch.add("claim", (
                f"{cid}\t{ts(claimed)}\t{ts(self.claim_deadline(claimed))}\t{status}\t"
                f"{NULL if closed is None else ts(closed)}\t{self.insts[inst].id}\t{officer}\t{did}\n"
            ))  # fmt: skip

    # --- stage: applications -------------------------------------------------------------------------

    def _seed_applications(self, batch: Batch) -> None:
        rng = gen.phase_rng(self.seed, "bulk:applications")
        self.contracts: Counter = Counter()
        self.loan_rng = gen.phase_rng(self.seed, "bulk:loans")
        # What the feedback stage needs of each loan (ids are consecutive from the first), a few bytes each.
        self.f_first_loan = self.next_ids["loan"]
        self.f_principal, self.f_rate, self.f_disbursed = array("q"), array("q"), array("l")
        self.f_term, self.f_style, self.f_officer = array("h"), array("b"), array("q")
        self.f_inst, self.f_counter = array("h"), array("l")
        holders = len(self.claimed)
        product_total = len(self.outcomes)
        demand_apps = self.demand_apps
        # The last firm that can apply to some product takes whatever is left, so the total is exact.
        last = holders - 1
        while last > 0 and not self._eligible_products(self.claimed[last]):
            last -= 1
        d = 0
        for pos in range(holders):
            plans = []
            while d < len(demand_apps) and demand_apps[d][0] == pos:
                plans.append(demand_apps[d][1])
                d += 1
            if pos == 0:
                plans += self._demo_sme_plans(rng)
            elif pos <= last:
                count = pv.spread(rng, product_total, last - pos + 1)
                product_total -= self._product_plans(rng, pos, count, plans)
            self._emit(batch, pos, plans)
        if product_total:
            raise BulkSeedError(f"{product_total} applications found no eligible product")
        self.demand_apps = []

    def _eligible_products(self, i: int) -> list[int]:
        """Every listed product the firm may apply to, by the platform's eligibility rule, within its reach."""
        picker = self.place_products[self.e_place[i]]
        if picker is None:
            return []
        return [k for k in picker.keys if self._fits(self.products[k], i)]

    def _fits(self, prod: "Prod", i: int) -> bool:
        size = self.e_size[i]
        return (
            (prod.sections is None or self.section_of_industry[self.e_industry[i]] in prod.sections)
            and (prod.sizes is None or size in prod.sizes)
            and (not prod.tag_mask or bool(prod.tag_mask & self.e_tags[i]))
            and prod.amin_wan <= gen.LOAN_CAP_WAN[SIZE_CODES[size]]
        )

    def _eligible(self, rng, i: int):
        """A listed product the firm may apply to (the platform's eligibility rule) within its size's reach,
        weighted towards its own city's branches; None when none is found."""
        picker = self.place_products[self.e_place[i]]
        if picker is None:
            return None
        section = self.section_of_industry[self.e_industry[i]]
        size = self.e_size[i]
        tags = self.e_tags[i]
        cap = gen.LOAN_CAP_WAN[SIZE_CODES[size]]
        products = self.products
        for _attempt in range(50):  # rejection sampling: the weighted draw restricted to eligible products
            prod = products[picker.pick(rng)]
            if (
                (prod.sections is None or section in prod.sections)
                and (prod.sizes is None or size in prod.sizes)
                and (not prod.tag_mask or prod.tag_mask & tags)
                and prod.amin_wan <= cap
            ):
                return prod
        eligible = self._eligible_products(i)  # a rare firm few products fit: draw from the full list
        if not eligible:
            return None
        weights = {k: self._product_weight(products[k]) for k in eligible}
        return products[pv.WeightedPicker(weights).pick(rng)]

    def _product_plans(self, rng, pos: int, count: int, plans: list) -> int:
        i = self.claimed[pos]
        age_days = self.e_age[i] / 86400
        size = SIZE_CODES[self.e_size[i]]
        code = self.industry_codes[self.e_industry[i]]
        made = 0
        for _ in range(count):
            prod = self._eligible(rng, i)
            if prod is None:
                break
            status = self.outcomes.draw(rng)
            start = self._app_start(rng, status, age_days)
            start, steps = self._schedule(rng, start, status)
            amount = Decimal(gen.amount_wan(rng, size, prod.amin_wan, prod.amax_wan)) * WAN
            inst = self.insts[prod.inst]
            plans.append(Plan(
                start=start, status=status, inst=prod.inst, officer=rng.choice(inst.officers),
                product=prod, claim_id=None,
                amount=amount, term=gen.pick_term(rng, prod.tmin, prod.tmax), purpose=gen.purpose(rng, code),
                steps=steps,
            ))  # fmt: skip
            made += 1
        return made

    def _demo_sme_plans(self, rng) -> list[Plan]:
        plans = []
        for inst_code, product_name, outcome, days, amount_wan, term, purpose in DEMO_SME_APPLICATIONS:
            index = self.anchor_index[(inst_code, product_name)]
            prod = self.products[index]
            inst = self.insts[prod.inst]
            officer = self.demo_officer if inst_code == DEMO_OFFICER_BRANCH else inst.officers[0]
            moment = self.as_of - days * D
            start = self._past(moment.replace(microsecond=0) if days < 1 else gen.sme_time(rng, moment))
            start, steps = self._schedule(rng, start, outcome)
            plans.append(Plan(
                start=start, status=outcome, inst=prod.inst, officer=officer, product=prod, claim_id=None,
                amount=Decimal(amount_wan) * WAN, term=term, purpose=purpose, steps=steps,
                first_loan=True if outcome == "disbursed" else None,
                reason="incomplete" if outcome == "rejected" else "",
            ))  # fmt: skip
        return plans

    def _emit(self, batch: Batch, pos: int, plans: list[Plan]) -> None:
        """Rows of one firm's applications, in time order: only its first disbursement can be a first loan."""
        if not plans:
            return
        rng = self.loan_rng
        i = self.claimed[pos]
        eid = self.ent_base + i
        user = self.claimed_user[pos]
        add = batch.add
        plans.sort(key=lambda plan: plan.start)
        # Only the firm's first disbursement on the platform can be a first loan (banks attest it, or not).
        disbursed = [p for p in plans if p.status == "disbursed"]
        earliest = min(disbursed, key=lambda p: p.steps[-1]) if disbursed else None
        for plan in plans:
            inst = self.insts[plan.inst]
            officer = plan.officer
            prod = plan.product
            start, status, steps = plan.start, plan.status, plan.steps
            times = [start, *steps]
            aid, auth = self._id("application"), self._id("authorization")
            # Authorization: loan review for 90 days from submission; some withdrawn ones revoked then.
            until = start + settings.XINYIDAI_CONSENT_DAYS * D
            revoked = steps[-1] if status == "withdrawn" and rng.random() < 0.3 else None
            add("authorization", (
                f"{auth}\tloan_review\t{ts(start)}\t{ts(until)}\t{NULL if revoked is None else ts(revoked)}\t"
                f"{inst.consent.replace(CONSENT_SENTINEL_TEXT, until.strftime('%Y-%m-%d'))}\t{user}\t"
                f"{inst.id}\t{eid}\n"
            ))  # fmt: skip
            handled = officer if len(steps) and gen.STEPS_TO[status][0] == "accept" else None
            add("application", (
                f"{aid}\tXYD{start:%Y%m%d}{aid:08d}\t{plan.amount:.2f}\t{plan.term}\t{plan.purpose}\t{status}\t"
                f"{ts(start)}\t{ts(self.respond_by(start))}\t{ts(times[-1])}\t{auth}\t{eid}\t{opt(handled)}\t"
                f"{inst.id}\t{user}\t{opt(plan.claim_id)}\t{NULL if prod is None else prod.id}\n"
            ))  # fmt: skip
            add("event", f"{self._id('event')}\tsubmitted\t\tsubmitted\t\t{{}}\t{ts(start)}\t{user}\t{aid}\n")
            current = "submitted"
            approved = rate = mode = None
            approve_note = ""
            for step, at in zip(gen.STEPS_TO[status], steps, strict=True):
                data = "{}"
                note = ""
                actor = officer
                if step == "accept":
                    kind = "accepted"
                elif step == "approve":
                    kind = "approved"
                    if prod is not None:
                        rate, mode = gen.rate_between(rng, prod.rmin, prod.rmax), prod.mode
                    else:
                        rate, mode = gen.rate_between(rng, Decimal("3.2"), Decimal("5.5")), rng.choice(plan.modes)
                    share = rng.choice((1, 1, 1, 1, Decimal("0.8"), Decimal("0.6"), Decimal("0.5")))
                    approved = max(WAN, (plan.amount * share / WAN).quantize(Decimal(1)) * WAN).quantize(CENT)
                    note = approve_note = rng.choice(vocab.APPROVE_NOTES)
                    data = (f'{{"amount": "{approved}", "annual_rate": "{rate}", "term_months": {plan.term}, '
                            f'"guarantee_mode": "{mode}"}}')  # fmt: skip
                    add("decision", (
                        f"{self._id('decision')}\tapproved\t{approved}\t{rate}\t{plan.term}\t{mode}\t\t{note}\t"
                        f"{ts(at)}\t{aid}\t{officer}\n"
                    ))  # fmt: skip
                elif step == "reject":
                    kind = "rejected"
                    reason = plan.reason or gen.weighted(rng, REJECT_WEIGHTS)
                    note = rng.choice(vocab.REJECT_NOTES[reason])
                    data = f'{{"reason_code": "{reason}"}}'
                    add("decision", (
                        f"{self._id('decision')}\trejected\t{NULL}\t{NULL}\t{NULL}\t\t{reason}\t{note}\t{ts(at)}\t"
                        f"{aid}\t{officer}\n"
                    ))  # fmt: skip
                elif step == "disburse":
                    kind = "disbursed"
                    first = plan.first_loan
                    if first is None:
                        first = rng.random() < FIRST_LOAN_SHARE and plan is earliest
                    loan_id = self._loan(batch, plan, aid, eid, inst, prod, at, approved, rate, mode, first,
                                         approve_note)  # fmt: skip
                    data = (
                        f'{{"loan_id": {loan_id}, "principal": "{approved}", '
                        f'"first_loan_attested": {"true" if first else "false"}}}'
                    )
                elif step == "withdraw":
                    kind, actor = "withdrawn", user
                    note = rng.choice(vocab.WITHDRAW_NOTES)
                else:  # decline
                    kind, actor = "declined", user
                    note = rng.choice(vocab.DECLINE_NOTES)
                add("event", (
                    f"{self._id('event')}\t{kind}\t{current}\t{kind}\t{note}\t{data}\t{ts(at)}\t{actor}\t"
                    f"{aid}\n"
                ))  # fmt: skip
                current = kind

    def _loan(self, batch, plan, aid, eid, inst, prod, at, principal, rate, mode, first, approve_note) -> int:
        lid = self._id("loan")
        self.contracts[inst.code] += 1
        contract = f"{inst.code}-JK{at:%Y}{self.contracts[inst.code]:06d}"
        disbursed_on = at.date()
        maturity_on = add_months(disbursed_on, plan.term)
        # Status and balance are where the loan's bank feedback (written by the feedback stage) leads.
        style = fb.style_of(approve_note)
        history = fb.loan_history(seed=self.seed, loan=fb.LoanFacts(
            key=contract, principal_cents=fb.cents(principal), annual_rate=rate, term_months=plan.term,
            disbursed_on=disbursed_on, maturity_on=maturity_on, style=style,
        ), as_of=self.as_of_date)  # fmt: skip
        status, balance = history.status, fb.money_text(history.outstanding_cents)
        if lid != self.f_first_loan + len(self.f_principal):
            raise BulkSeedError("loan ids are not consecutive")
        self.f_principal.append(fb.cents(principal))
        self.f_rate.append(int(rate * 1000))
        self.f_disbursed.append(disbursed_on.toordinal())
        self.f_term.append(plan.term)
        self.f_style.append(FEEDBACK_STYLES.index(style))
        self.f_officer.append(plan.officer)
        self.f_inst.append(self.inst_index[inst.code])
        self.f_counter.append(self.contracts[inst.code])
        batch.add("loan", (
            f"{lid}\t{contract}\t{principal}\t{rate}\t{plan.term}\t{disbursed_on}\t{maturity_on}\t{mode}\t"
            f"{'t' if first else 'f'}\t{balance}\t{status}\t{history.closed_on or NULL}\t{ts(at)}\t{aid}\t"
            f"{plan.officer}\t{eid}\t{inst.id}\t"
            f"{NULL if prod is None else prod.id}\n"
        ))  # fmt: skip
        return lid

    # --- stage: records ----------------------------------------------------------------------------------

    def _seed_records(self, batch: Batch) -> None:
        """Every firm's public credit records from lending.seeding.records (the demo's generator).

        With a target (`Scale.records`) the total is exact. The generator's natural mix is a little under ten a
        firm; firms falling behind the running target get a few older yearly social insurance statements
        (`extra_payments`), trailing it by RECORD_LAG. The last RECORD_TAIL firms are generated once ahead, so
        their natural count is known, and close the remaining gap exactly the same way."""
        ctx = rec.RecordContext(seed=self.seed, as_of=self.as_of_date)
        sources = self.source_ids
        n = self.scale.enterprises
        target = self.scale.records
        places, cities = self.picker.places, self.picker.city_of_place
        industry_codes = self.industry_codes
        tag_bits = sorted(TAG_BITS.items())
        e_place, e_industry, e_tags, e_age = self.e_place, self.e_industry, self.e_tags, self.e_age
        e_employees, e_legacy, e_uscc = self.e_employees, self.e_legacy, self.e_uscc
        ent_base, as_of = self.ent_base, self.as_of_date
        Firm, firm_records, extra_payments = rec.Firm, rec.firm_records, rec.extra_payments

        def firm(i: int) -> rec.Firm:
            p = e_place[i]
            mask = e_tags[i]
            return Firm(
                index=i, uscc=e_uscc[i * 18 : i * 18 + 18].decode(), county=places[p], city=cities[p],
                registrar=places[p], industry_code=industry_codes[e_industry[i]],
                tags=tuple(c for c, bit in tag_bits if mask & bit), employees=e_employees[i],
                legacy=bool(e_legacy[i]), joined=as_of - e_age[i] // 86400 * D_DATE, demo=i == 0,
            )  # fmt: skip

        tail_start = n - min(RECORD_TAIL, n // 4)
        later_tail = sum(len(firm_records(ctx, firm(i))) for i in range(tail_start, n)) if target else 0
        head_target = (target or 0) - later_tail - RECORD_TAIL_SLACK
        first_id = rid = self.next_ids["record"]
        add = batch.add
        content_hash = rec.content_hash
        hours = [f" {h:02d}:{m:02d}:00+08" for h in range(8, 18) for m in (0, 17, 34, 51)]
        for i in range(n):
            f = firm(i)
            records = firm_records(ctx, f)
            if target:
                produced = rid - first_id
                if i < tail_start:
                    behind = head_target * (i + 1) // tail_start - RECORD_LAG - produced - len(records)
                    if behind > 0:
                        records = extra_payments(ctx, min(behind, 4))
                else:
                    later_tail -= len(records)
                    behind = target - produced - len(records) - later_tail
                    if behind > 0:
                        records = extra_payments(ctx, behind if i == n - 1 else min(behind, 6))
            eid = ent_base + i
            uscc = f.uscc
            for r in records:
                until = r.publish_until
                hour = hours[rid % 40]
                add("record", (
                    f"{rid}\t{sources[r.source]}\t{r.source_record_id}\t{eid}\t{r.category}\t{r.decision_date}\t"
                    f"{r.severity}\t{r.title}\t{r.authority}\t{r.detail}\t{NULL if until is None else until}\t"
                    f"{r.status}\t{content_hash(r, uscc)}\t{NULL}\t{r.received}{hour}\t{r.changed}{hour}\n"
                ))  # fmt: skip
                rid += 1
        self.next_ids["record"] = rid
        total = rid - first_id
        if target and total != target:
            self._progress(f"  records: {total:,} written, {target - total:+,} off the target {target:,}")

    # --- stage: feedback ----------------------------------------------------------------------------------

    def _seed_feedback(self, batch: Batch) -> None:
        """Every loan's repayments and month-end balances from lending.seeding.feedback (the demo's generator),
        regenerated from the few facts kept per loan: the same history that set the loan's status and balance."""
        as_of, seed, latest = self.as_of_date, self.seed, ts(self.latest)
        insts, styles = self.insts, FEEDBACK_STYLES
        LoanFacts, loan_history, money_text = fb.LoanFacts, fb.loan_history, fb.money_text
        add = batch.add
        sid, rid = self.next_ids["snapshot"], self.next_ids["repayment"]
        first_loan = self.f_first_loan
        reported = {}  # month -> created_at text

        def at(day: datetime.date) -> str:
            return latest if day >= as_of else f"{day} 10:00:00+08"

        for k in range(len(self.f_principal)):
            lid = first_loan + k
            disbursed = datetime.date.fromordinal(self.f_disbursed[k])
            term = self.f_term[k]
            contract = f"{insts[self.f_inst[k]].code}-JK{disbursed:%Y}{self.f_counter[k]:06d}"
            history = loan_history(seed=seed, loan=LoanFacts(
                key=contract, principal_cents=self.f_principal[k], annual_rate=Decimal(self.f_rate[k]).scaleb(-3),
                term_months=term, disbursed_on=disbursed, maturity_on=add_months(disbursed, term),
                style=styles[self.f_style[k]],
            ), as_of=as_of)  # fmt: skip
            officer = self.f_officer[k]
            for month, balance in history.snapshots:
                when = reported.get(month)
                if when is None:
                    when = reported[month] = at(fb.reported_at(month))
                add("snapshot", f"{sid}\t{lid}\t{month}\t{money_text(balance)}\t{officer}\t{NULL}\t{when}\t{when}\n")
                sid += 1
            for r in history.repayments:
                add("repayment", (
                    f"{rid}\t{lid}\t{r.paid_on}\t{money_text(r.principal_cents)}\t{money_text(r.interest_cents)}\t"
                    f"{r.reference}\t{officer}\t{NULL}\t{at(r.paid_on + D_DATE)}\n"
                ))  # fmt: skip
                rid += 1
        self.next_ids["snapshot"], self.next_ids["repayment"] = sid, rid

    # --- stage: events (lending.seeding.events) -------------------------------------------------------------

    def _seed_events(self, batch: Batch) -> None:
        """Matchmaking events, their participants, intents at every stage and a few outreach leads, planned from
        a sample of the rows loaded so far (lending.seeding.events)."""
        from lending.seeding.events import bulk_events

        bulk_events(self, batch)

    def _complete_events(self) -> None:
        """A database bulk-seeded before matchmaking events existed gets them, dated from its own history's end
        (the marker user's date), then fresh rollups (intents feed them)."""
        marker = User.objects.get(username=marker_username(self.scale.name))
        self.as_of = timezone.localtime(marker.date_joined).replace(tzinfo=None)
        self.as_of_date = self.as_of.date()
        self.latest = self.as_of - datetime.timedelta(minutes=15)
        self.outer_atomic = connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
            self.fast_foreign_keys = cursor.fetchone()[0]
        self._load_reference_data()
        self._stage("events", EVENT_TABLES, self._seed_events)
        self._rollups()

    # --- stage: finish ------------------------------------------------------------------------------------

    def _finish(self, batch: Batch) -> None:
        note = f"seed_demo --scale {self.scale.name} --seed {self.seed}, history to {self.as_of_date}"
        batch.add("user", self._user_line(self._id("user"), marker_username(self.scale.name), role=User.Role.SME,
                                          full_name=note[:64], joined=self.as_of, active=False))  # fmt: skip


def _known_scales() -> set[str]:
    from lending.seeding.scales import SCALES

    return set(SCALES)
