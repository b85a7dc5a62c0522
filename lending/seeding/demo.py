"""`seed_demo --scale demo`: a small, realistic, deterministic data set, written through the services.

Every application walks its lifecycle through lending.services.applications (consent, events, decisions
and loans come out exactly as the platform would write them); only afterwards are timestamps moved into
the past with queryset.update() so that the history spreads over the last 18 months.

Idempotent: the whole seed is one transaction, and the demo SME (a fixed USCC with `demo_sme` as its
member) marks a seeded database; a second run changes nothing. Institutions, users, enterprises and
products are also matched by natural key (code, username, USCC, institution + name), so a database that
already holds some of them is completed rather than duplicated.
"""

import datetime
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F, Q, Sum, prefetch_related_objects
from django.utils import timezone

from creditinfo.models import Authorization, CreditRecord, DataSource, Enterprise, EnterpriseMembership, EnterpriseTag
from creditinfo.services.authorizations import authorization_grant
from creditinfo.services.enterprises import enterprise_register
from creditinfo.sizing_db import enterprise_size_class
from creditinfo.uscc import uscc_build
from lending.eligibility import EnterpriseFacts, product_criteria
from lending.models import (
    Application,
    ApplicationEvent,
    BalanceSnapshot,
    CreditDecision,
    DemandClaim,
    FinancingDemand,
    Loan,
    Product,
    RejectReason,
    Repayment,
)
from lending.models.stats import StatsRefresh
from lending.rollups import stats_rebuild
from lending.seeding import feedback as fb
from lending.seeding import generators as gen
from lending.seeding import records as rec
from lending.seeding import vocab
from lending.seeding.catalog import ANCHOR_PRODUCTS, BANKS, PROVINCE, TEMPLATES_BY_KEY, ZHENGZHOU
from lending.seeding.scales import Scale
from lending.services.applications import (
    application_accept,
    application_approve,
    application_decline,
    application_disburse,
    application_reject,
    application_submit,
    application_withdraw,
)
from lending.services.demands import (
    demand_claim,
    demand_claim_release,
    demand_claims_release_expired,
    demand_close,
    demand_publish,
)
from lending.services.products import product_create, product_set_status
from xinyidai.models import Industry, Institution, Region, SizeStandard, User
from xinyidai.workdays import deadline_after_working_days, is_working_day

DEFAULT_SEED = 20261127
DEFAULT_PASSWORD = "Xinyidai#2026"  # noqa: S105 - the documented, public demo password  # nosec B105
WAN = gen.WAN
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)

DEMO_SME = gen.EnterpriseSpec(
    uscc=uscc_build(division="410105", serial=gen.MODERN_ORG_PREFIX * 31**6 + 20261127),
    name="郑州星河智能科技有限公司",
    legal_representative="陈志远",
    region_code="410105",
    industry_code="65",
    employees=86,
    revenue=Decimal("38000000.00"),
    assets=Decimal("26000000.00"),
    tags=("kjxzx", "zjtx"),
    address="郑州市金水区花园路139号",
    contact_phone="0371-65501234",
    claimed=True,
    joined_days_ago=420,
)
DEMO_SME_DEMAND = {"amount_wan": 600, "term": 36, "purpose": "新建智能算力中心及研发人员薪酬", "modes": ["01", "04"]}
# The demo SME's own history: (institution code, product name, outcome, submitted days ago, 万元, months, purpose).
DEMO_SME_APPLICATIONS = (
    ("ZYB-410100", "科创贷", "disbursed", 212, 300, 12, "研发投入"),
    ("CCB-410100", "建行科创贷", "rejected", 150, 500, 24, "研发中心建设"),
    ("ICBC-410100", "工银经营快贷", "withdrawn", 96, 100, 12, "支付员工工资"),
    ("ZZB-410100", "郑银专精特新贷", "accepted", 5, 800, 24, "智能产线研发及人员薪酬"),
    ("ZYB-410100", "税易贷", "approved", 9, 200, 12, "服务器及软件采购"),
    ("ZYB-410100", "专精特新贷", "submitted", 0.4, 500, 24, "研发人员薪酬"),
)
DEMO_OFFICER_BRANCH = "ZYB-410100"
DEMO_HEAD_OFFICE = "ZYB"  # demo_officer's bank: demo_head_office sees its figures across the province
# Other firms' applications waiting in the demo officer's inbox.
DEMO_INBOX = ("submitted", "submitted", "overdue", "accepted", "accepted", "approved")

# Shares of the generated traffic (besides the demo SME's and the demo officer's fixed items).
DEMAND_KINDS = {"open": 20, "active": 12, "expired": 4, "released": 2, "applied": 16, "closed": 6}
OUTCOMES = {
    "disbursed": 0.40,
    "rejected": 0.16,
    "withdrawn": 0.07,
    "declined": 0.07,
    "approved": 0.10,
    "accepted": 0.10,
    "submitted": 0.10,
}
REJECT_WEIGHTS = {"repayment_capacity": 30, "credit_record": 20, "policy": 20, "incomplete": 15, "no_contact": 10}
FIRST_LOAN_SHARE = 0.35


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    full_name: str


DEMO_USERS = (
    DemoUser("demo_sme", User.Role.SME, "李静"),
    DemoUser("demo_officer", User.Role.OFFICER, "王磊"),
    DemoUser("demo_head_office", User.Role.OFFICER, "周建国"),
    DemoUser("demo_province", User.Role.STAFF, "赵立新"),
    DemoUser("demo_city", User.Role.STAFF, "孙悦"),
    DemoUser("demo_admin", User.Role.ADMIN, "平台管理员"),
)


def planned_enterprises(seed: int, count: int, regions) -> list[gen.EnterpriseSpec]:
    """The demo SME, then `count - 1` generated enterprises: exactly what seeding writes, as pure data."""
    generated = gen.iter_enterprises(
        gen.phase_rng(seed, "enterprises"),
        count - 1,
        regions,
        reserved_names={DEMO_SME.name},
        reserved_usccs={DEMO_SME.uscc},
    )
    return [DEMO_SME, *generated]


class SeedError(Exception):
    """The database cannot take the demo data (e.g. reference data missing)."""


@dataclass
class Seeded:
    spec: gen.EnterpriseSpec
    enterprise: Enterprise
    user: User | None
    facts: EnterpriseFacts
    city_code: str
    eligible: list | None = None


@dataclass
class DemandPlan:
    ent: Seeded
    kind: str
    created_at: datetime.datetime
    amount: Decimal
    term: int
    purpose: str
    modes: list[str]
    officer: User | None = None
    claimed_at: datetime.datetime | None = None
    released_after_hours: float = 0.0


@dataclass
class AppPlan:
    ent: Seeded
    outcome: str
    submitted_at: datetime.datetime
    amount: Decimal
    term: int
    purpose: str
    officer: User
    product: Product | None = None
    demand: DemandPlan | None = None
    steps: list[datetime.datetime] = field(default_factory=list)
    first_loan: bool | None = None  # None: the enterprise's first disbursement, with some probability
    reason: str = ""
    # Drawn once the plan is complete (see _draw_details), so that executing never consumes randomness.
    schedule_seed: int = 0
    roll: float = 0.0
    rate: Decimal | None = None
    mode: str = ""
    approved: Decimal | None = None
    approve_note: str = ""
    note: str = ""


@dataclass
class Result:
    created: bool
    seconds: float
    logins: list[tuple[str, str, str]]  # username, role label, belongs to
    summary: list[tuple[str, str]]


class DemoSeeder:
    def __init__(self, *, scale: Scale, seed: int = DEFAULT_SEED, password: str = DEFAULT_PASSWORD, log=None):
        self.scale, self.seed, self.password = scale, seed, password
        self.log: Callable[[str], None] = log or (lambda line: None)
        self.now = timezone.now().replace(microsecond=0)
        self.local_now = timezone.localtime(self.now)
        self.today = self.local_now.date()
        self.started = time.monotonic()
        self.people = gen.phase_rng(seed, "people")
        self.rng = gen.phase_rng(seed, "traffic")
        self.institutions: dict[str, Institution] = {}
        self.officers: dict[str, list[User]] = defaultdict(list)
        self.users: dict[str, User] = {}
        self.seeded: list[Seeded] = []
        self.products: list[Product] = []
        self.first_activity: dict[int, datetime.datetime] = {}
        self.contracts: Counter = Counter()
        self.loan_ids: list[int] = []
        self.expired_claim_ids: list[int] = []
        self.eligible_cache: dict = {}
        # product id -> the template's minimum credit grade, set once the traffic is written (see _finish)
        self.minimum_grades: dict[int, str] = {}

    # --- entry point ---------------------------------------------------------------------------------

    def run(self) -> Result:
        self._load_reference_data()
        if self.already_seeded():
            added = self._complete_credit_information()
            added = self._complete_feedback() or added
            added = self._complete_head_office_login() or added
            added = self._complete_events() or added
            if added or not StatsRefresh.objects.exists():
                rebuild_rollups(self._progress)
            if added:
                return self._result(created=True)
            self.log("Demo data already present (demo_sme represents the demo enterprise); nothing changed.")
            return self._result(created=False)
        with transaction.atomic():
            self._seed_institutions()
            self._seed_people()
            self._seed_enterprises()
            self._seed_products()
            self._seed_traffic()
            self._finish()
            entries = [(index, ent.spec, ent.enterprise) for index, ent in enumerate(self.seeded)]
            self._seed_credit_records(entries)
            self._seed_feedback()
            self._ensure_officer_authorization()
            self._seed_events()
        recompute_evaluations(self._progress)
        rebuild_rollups(self._progress)
        return self._result(created=True)

    @staticmethod
    def already_seeded() -> bool:
        return EnterpriseMembership.objects.filter(enterprise__uscc=DEMO_SME.uscc, user__username="demo_sme").exists()

    def _progress(self, message: str) -> None:
        self.log(f"[{time.monotonic() - self.started:5.1f}s] {message}")

    # --- reference data ------------------------------------------------------------------------------------

    def _load_reference_data(self) -> None:
        hint = "run `manage.py load_reference_data` first"
        regions = list(Region.objects.select_related("parent").order_by("code"))
        self.regions = {r.code: r for r in regions}
        if PROVINCE not in self.regions or DEMO_SME.region_code not in self.regions:
            raise SeedError(f"The Henan regions are not loaded; {hint}.")
        self.region_refs = [
            gen.RegionRef(r.code, r.name, r.level, r.parent.code if r.parent else None) for r in regions
        ]
        self.picker = gen.RegionPicker(self.region_refs)
        self.industries = {i.code: i for i in Industry.objects.select_related("parent", "parent__parent")}
        missing = sorted(set(vocab.INDUSTRY_WEIGHTS) - set(self.industries))
        if missing:
            raise SeedError(f"GB/T 4754 industries {', '.join(missing)} are not loaded; {hint}.")
        if not SizeStandard.objects.filter(is_current=True).exists():
            raise SeedError(f"No current enterprise size standard; {hint}.")
        self.tags = {t.code: t for t in EnterpriseTag.objects.all()}
        needed = {"zjtx", "gxjs", "kjxzx", "nyjyzt", "lsqy"}
        if not needed <= set(self.tags):
            raise SeedError(f"Enterprise tags {', '.join(sorted(needed - set(self.tags)))} are missing; {hint}.")

    def _region_ids(self, code: str) -> tuple[int, ...]:
        ids, node = [], self.regions[code]
        while node is not None:
            ids.append(node.id)
            node = self.regions[node.parent.code] if node.parent_id else None
        return tuple(ids)

    # --- institutions and people ---------------------------------------------------------------------------

    def _seed_institutions(self) -> None:
        created = 0
        province = self.regions[PROVINCE]
        for bank in BANKS:
            head, new = Institution.objects.get_or_create(
                code=bank.code, defaults={"name": bank.name, "short_name": bank.short_name, "region": province}
            )
            created += new
            self.institutions[bank.code] = head
            for city_code in bank.branch_cities:
                city = self.regions[city_code]
                branch, new = Institution.objects.get_or_create(
                    code=bank.branch_code(city_code),
                    defaults={"name": bank.branch_name(city_code, gen.short_place(city.name)), "parent": head,
                              "region": city},
                )  # fmt: skip
                created += new
                self.institutions[branch.code] = branch
        branches = len(self.institutions) - len(BANKS)
        self._progress(f"institutions: {len(BANKS)} head offices, {branches} branches ({created} created)")

    def _user(self, username: str, *, demo: bool = False, joined_days_ago: int | None = None, **fields) -> User:
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        user = User(username=username, **fields)
        if joined_days_ago is not None:
            user.date_joined = self.now - joined_days_ago * D
        if demo:
            user.password = self.password_hash  # one hash for the shared demo password: fast, and it is public
        else:
            user.set_unusable_password()
        user.save()
        self.users_created += 1
        return user

    def _seed_people(self) -> None:
        self.password_hash = make_password(self.password)
        self.users_created = 0
        demo = {u.username: u for u in DEMO_USERS}
        self.users["demo_province"] = self._user(
            "demo_province", demo=True, role=User.Role.STAFF, full_name=demo["demo_province"].full_name,
            phone=gen.mobile_phone(self.people), region=self.regions[PROVINCE], joined_days_ago=700,
        )  # fmt: skip
        self.users["demo_city"] = self._user(
            "demo_city", demo=True, role=User.Role.STAFF, full_name=demo["demo_city"].full_name,
            phone=gen.mobile_phone(self.people), region=self.regions[ZHENGZHOU], joined_days_ago=650,
        )  # fmt: skip
        self.users["demo_admin"] = self._user(
            "demo_admin", demo=True, role=User.Role.ADMIN, full_name=demo["demo_admin"].full_name,
            is_staff=True, is_superuser=True, joined_days_ago=900,
        )  # fmt: skip
        for code, institution in self.institutions.items():
            is_head = institution.parent_id is None
            count = 1 if is_head or institution.region.code != ZHENGZHOU else 2
            for n in range(1, count + 1):
                username = f"{code.lower().replace('-', '_')}_{n}" if not is_head else f"{code.lower()}_hq_{n}"
                login = {DEMO_OFFICER_BRANCH: "demo_officer", DEMO_HEAD_OFFICE: "demo_head_office"}.get(code)
                login = login if n == 1 else None
                # demo_head_office took over a generated officer: its name is still drawn, so every later name
                # and phone comes out as before.
                name = demo["demo_officer"].full_name if login == "demo_officer" else gen.person_name(self.people)
                officer = self._user(
                    login or username, demo=login is not None, role=User.Role.OFFICER,
                    full_name=demo[login].full_name if login else name,
                    phone=gen.mobile_phone(self.people), institution=institution,
                    joined_days_ago=self.people.randint(560, 1000),
                )  # fmt: skip
                self.officers[code].append(officer)
        self.users["demo_officer"] = self.officers[DEMO_OFFICER_BRANCH][0]
        self.users["demo_head_office"] = self.officers[DEMO_HEAD_OFFICE][0]
        officers = sum(len(v) for v in self.officers.values())
        self._progress(f"people: {officers} bank officers, 2 government staff, 1 admin ({self.users_created} created)")

    # --- enterprises --------------------------------------------------------------------------------------

    def _seed_enterprises(self) -> None:
        specs = planned_enterprises(self.seed, self.scale.enterprises, self.region_refs)
        existing = Enterprise.objects.in_bulk([s.uscc for s in specs], field_name="uscc")
        created = 0
        for spec in specs:
            enterprise, user = existing.get(spec.uscc), None
            if enterprise is None:
                enterprise, user = self._create_enterprise(spec)
                created += 1
            else:
                membership = EnterpriseMembership.objects.filter(enterprise=enterprise).select_related("user").first()
                user = membership.user if membership else None
            region = self.regions[spec.region_code]
            self.seeded.append(
                Seeded(
                    spec=spec,
                    enterprise=enterprise,
                    user=user,
                    facts=EnterpriseFacts(
                        region_ids=self._region_ids(spec.region_code),
                        section_code=gen.section_of(spec.industry_code),
                        size_class=enterprise.size_class,
                        tag_ids=frozenset(self.tags[t].pk for t in spec.tags),
                    ),
                    city_code=region.parent.code if region.level == Region.Level.COUNTY else region.code,
                )
            )
        self.demo = self.seeded[0]
        self.users["demo_sme"] = self.demo.user
        sizes = Counter(s.enterprise.size_class for s in self.seeded)
        skeletons = sum(1 for s in self.seeded if s.user is None)
        mix = ", ".join(f"{k} {sizes[k]}" for k in ("large", "medium", "small", "micro"))
        self._progress(
            f"enterprises: {len(self.seeded)} ({created} created; {skeletons} unclaimed from data feeds; {mix})"
        )

    def _create_enterprise(self, spec: gen.EnterpriseSpec) -> tuple[Enterprise, User | None]:
        fields = {
            "name": spec.name,
            "region": self.regions[spec.region_code],
            "industry": self.industries[spec.industry_code],
            "employees": spec.employees,
            "revenue": spec.revenue,
            "assets": spec.assets,
            "legal_representative": spec.legal_representative,
            "address": spec.address,
            "contact_phone": spec.contact_phone,
        }
        tags = [self.tags[t] for t in spec.tags]
        if not spec.claimed:
            size_class, version = enterprise_size_class(
                industry=fields["industry"], employees=spec.employees, revenue=spec.revenue, assets=spec.assets
            )
            enterprise = Enterprise.objects.create(
                uscc=spec.uscc, is_skeleton=True, size_class=size_class, size_standard_version=version, **fields
            )
            enterprise.tags.set(tags)
            return enterprise, None
        if spec is DEMO_SME:
            user = self._user(
                "demo_sme", demo=True, role=User.Role.SME, full_name=DEMO_USERS[0].full_name,
                phone=gen.mobile_phone(self.people),
            )  # fmt: skip
        else:
            user = self._user(
                f"sme_{spec.uscc.lower()}", role=User.Role.SME, full_name=gen.person_name(self.people),
                phone=gen.mobile_phone(self.people),
            )  # fmt: skip
        return enterprise_register(user=user, uscc=spec.uscc, tags=tags, **fields), user

    # --- products --------------------------------------------------------------------------------------

    def _seed_products(self) -> None:
        rng = gen.phase_rng(self.seed, "products")
        slots = gen.product_slots(rng, BANKS, self.scale.products, ANCHOR_PRODUCTS)
        draft_index = rng.randrange(len(ANCHOR_PRODUCTS), len(slots))
        created = 0
        for index, slot in enumerate(slots):
            institution = self.institutions[slot.institution_code]
            template = TEMPLATES_BY_KEY[slot.template]
            region_codes = gen.product_region_codes(rng, template, slot.location, self.picker)
            created_days_ago = rng.randint(560, 900)
            product = Product.objects.filter(institution=institution, name=slot.name).first()
            if product is None:
                product = product_create(
                    user=self.officers[institution.code][0],
                    institution=institution,
                    name=slot.name,
                    product_type=template.product_type,
                    guarantee_mode=template.guarantee_mode,
                    description=template.description,
                    amount_min=template.amount_wan[0] * WAN,
                    amount_max=template.amount_wan[1] * WAN,
                    term_min_months=template.term_months[0],
                    term_max_months=template.term_months[1],
                    rate_min=Decimal(template.rate[0]),
                    rate_max=Decimal(template.rate[1]),
                    size_classes=",".join(template.sizes),
                    status=Product.Status.DRAFT if index == draft_index else Product.Status.LISTED,
                    regions=[self.regions[c] for c in region_codes],
                    industries=[self.industries[s] for s in template.sections],
                    tags=[self.tags[t] for t in template.tags],
                )
                Product.objects.filter(pk=product.pk).update(created_at=self.now - created_days_ago * D)
                if template.min_grade:
                    self.minimum_grades[product.pk] = template.min_grade
                created += 1
            self.products.append(product)
        prefetch_related_objects(self.products, "institution", "regions", "industries", "tags")
        self.product_by_slot = {(p.institution.code, p.name): p for p in self.products}
        credit = sum(1 for p in self.products if p.guarantee_mode == "04")
        restricted = sum(
            1 for p in self.products if p.size_classes or p.regions.all() or p.industries.all() or p.tags.all()
        )
        self._progress(
            f"products: {len(self.products)} ({created} created; {credit} credit loans, {restricted} with "
            f"eligibility rules, 1 draft)"
        )

    def _eligible_products(self, ent: Seeded) -> list[Product]:
        """Listed products the enterprise may apply to (the platform's own rule) within its size's reach."""
        if ent.eligible is None:
            key = (ent.facts, ent.enterprise.size_class)
            if key not in self.eligible_cache:
                cap = gen.LOAN_CAP_WAN.get(ent.enterprise.size_class, 300) * WAN
                self.eligible_cache[key] = [
                    p
                    for p in self.products
                    if p.status == Product.Status.LISTED
                    and p.amount_min <= cap
                    and all(c.met for c in product_criteria(p, ent.facts))
                ]
            ent.eligible = self.eligible_cache[key]
        return ent.eligible

    # --- traffic: demands, claims, applications -------------------------------------------------------------

    def _past(self, moment: datetime.datetime, *, margin_minutes: int = 10) -> datetime.datetime:
        latest = self.local_now - datetime.timedelta(minutes=margin_minutes)
        jitter = self.rng.randint(0, 90)  # drawn either way: the stream must not depend on the clock
        if moment > latest:
            moment = latest - datetime.timedelta(minutes=jitter)
        return moment.replace(microsecond=0)

    def _days_ago(self, days: float, *, sme: bool = True) -> datetime.datetime:
        moment = self.local_now - days * D
        if sme:
            moment = gen.sme_time(self.rng, moment)
        return self._past(moment)

    def _schedule(self, plan: AppPlan) -> tuple[datetime.datetime, list]:
        """Times of the steps towards the outcome; the start moves back a day at a time until the last step is
        in the past. Every attempt replays the same draws, so retries consume no randomness."""
        start, steps = plan.submitted_at, gen.STEPS_TO[plan.outcome]
        for _attempt in range(60):
            times = gen.step_times(gen.forked(plan.schedule_seed), start, steps, is_working_day)
            if not times or times[-1] <= self.local_now - 15 * datetime.timedelta(minutes=1):
                return start, times
            start -= D
        raise SeedError(f"could not schedule an application ending in {plan.outcome}")

    def _draw_details(self, plan: AppPlan) -> None:
        """Decision terms, notes and dice for one plan: a fixed number of draws for its outcome."""
        rng = self.rng
        plan.schedule_seed, plan.roll = rng.getrandbits(64), rng.random()
        if plan.outcome in ("approved", "disbursed", "declined"):
            if plan.product is not None:
                plan.rate = gen.rate_between(rng, plan.product.rate_min, plan.product.rate_max)
            else:
                plan.rate = gen.rate_between(rng, Decimal("3.2"), Decimal("5.5"))
                plan.mode = rng.choice(plan.demand.modes)
            share = rng.choice((1, 1, 1, 1, Decimal("0.8"), Decimal("0.6"), Decimal("0.5")))
            plan.approved = max(WAN, (plan.amount * share / WAN).quantize(Decimal(1)) * WAN)
            plan.approve_note = rng.choice(vocab.APPROVE_NOTES)
        if plan.outcome == "rejected":
            plan.reason = plan.reason or gen.weighted(rng, REJECT_WEIGHTS)
            plan.note = rng.choice(vocab.REJECT_NOTES[plan.reason])
        elif plan.outcome == "withdrawn":
            plan.note = rng.choice(vocab.WITHDRAW_NOTES)
        elif plan.outcome == "declined":
            plan.note = rng.choice(vocab.DECLINE_NOTES)

    def _claimers(self, ent: Seeded) -> list[User]:
        """Officers whose institution serves the enterprise's city: its branches there, and head offices."""
        codes = [
            c for c, inst in self.institutions.items() if inst.parent_id is None or inst.region.code == ent.city_code
        ]
        return [o for c in codes for o in self.officers[c] if o.username != "demo_officer"]

    def _active_pool(self) -> list[Seeded]:
        return [s for s in self.seeded[1:] if s.user is not None]

    def _demand_amount(self, ent: Seeded) -> Decimal:
        return Decimal(gen.amount_wan(self.rng, ent.enterprise.size_class, 10, 5000)) * WAN

    def _plan_demands(self) -> list[DemandPlan]:
        rng, active = self.rng, self._active_pool()
        zhengzhou = [s for s in active if s.city_code == ZHENGZHOU]
        total = self.scale.demands - 1
        kinds = gen.quota(rng, {k: float(v) for k, v in DEMAND_KINDS.items()}, total)
        # Put Zhengzhou firms' demands in the demo officer's pool, and three claimed by the demo officer.
        forced = {"open": 6, "active": 3}
        plans = [
            DemandPlan(
                ent=self.demo, kind="open", created_at=self._days_ago(2), amount=DEMO_SME_DEMAND["amount_wan"] * WAN,
                term=DEMO_SME_DEMAND["term"], purpose=DEMO_SME_DEMAND["purpose"], modes=DEMO_SME_DEMAND["modes"],
            )
        ]  # fmt: skip
        for kind in kinds:
            local = forced.get(kind, 0) > 0
            ent = rng.choice(zhengzhou if local else active)
            plan = DemandPlan(
                ent=ent, kind=kind, created_at=self.local_now, amount=self._demand_amount(ent),
                term=gen.pick_term(rng, 3, 36), purpose=gen.purpose(rng, ent.spec.industry_code),
                modes=gen.guarantee_modes(rng),
            )  # fmt: skip
            if kind == "open":
                plan.created_at = self._days_ago(rng.uniform(0.1, 20))
            elif kind == "active":
                plan.created_at = self._days_ago(rng.uniform(1, 5))
                plan.claimed_at = self._past(max(plan.created_at + H, self.local_now - rng.uniform(1, 28) * H))
            elif kind in ("expired", "released"):
                plan.created_at = self._days_ago(rng.uniform(9, 25) if kind == "expired" else rng.uniform(5, 40))
                claimed = gen.business_time(rng, plan.created_at + rng.uniform(2, 30) * H, is_working_day)
                while kind == "expired" and self._claim_deadline(claimed) >= self.now:  # long holidays
                    claimed, plan.created_at = claimed - 2 * D, plan.created_at - 2 * D
                plan.claimed_at = self._past(claimed)
                plan.released_after_hours = rng.uniform(3, 48)
            elif kind == "closed":
                plan.created_at = self._days_ago(rng.uniform(10, 300))
            if kind in ("active", "expired", "released", "applied"):
                plan.officer = (
                    self.users["demo_officer"] if kind == "active" and local else rng.choice(self._claimers(ent))
                )
            if local:
                forced[kind] -= 1
            plans.append(plan)
        return plans

    @staticmethod
    def _claim_deadline(claimed_at: datetime.datetime) -> datetime.datetime:
        return deadline_after_working_days(claimed_at, settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS)

    def _start_for(self, outcome: str) -> datetime.datetime:
        rng = self.rng
        if outcome == "submitted":
            return self._past(self.local_now - rng.uniform(2, 96) * H)
        if outcome == "overdue":
            return self._days_ago(rng.uniform(9, 15))
        if outcome == "accepted":
            return self._days_ago(rng.uniform(1.5, 12))
        if outcome == "approved":
            return self._days_ago(rng.uniform(3, 25))
        return self._days_ago(gen.history_days_ago(rng))

    def _app_terms(self, ent: Seeded, product: Product) -> tuple[Decimal, int] | None:
        low, high = int(product.amount_min / WAN), int(product.amount_max / WAN)
        amount = gen.amount_wan(self.rng, ent.enterprise.size_class, low, high)
        if amount is None:
            return None
        return Decimal(amount) * WAN, gen.pick_term(self.rng, product.term_min_months, product.term_max_months)

    def _plan_applications(self, demands: list[DemandPlan]) -> list[AppPlan]:
        rng = self.rng
        plans: list[AppPlan] = []
        demo_officer = self.users["demo_officer"]
        for code, name, outcome, days, amount, term, purpose in DEMO_SME_APPLICATIONS:
            start = self._past(self.local_now - days * D) if days < 1 else self._days_ago(days)
            plans.append(
                AppPlan(
                    ent=self.demo, outcome=outcome, submitted_at=start, amount=amount * WAN, term=term,
                    purpose=purpose, product=self.product_by_slot[(code, name)],
                    officer=demo_officer if code == DEMO_OFFICER_BRANCH else self.officers[code][0],
                    first_loan=True if outcome == "disbursed" else None,
                    reason="incomplete" if outcome == "rejected" else "",
                )
            )  # fmt: skip
        branch_products = [p for p in self.products if p.institution.code == DEMO_OFFICER_BRANCH]
        zhengzhou = [s for s in self._active_pool() if s.city_code == ZHENGZHOU]
        for outcome in DEMO_INBOX:
            for _attempt in range(500):
                ent = rng.choice(zhengzhou)
                choices = [p for p in branch_products if p in self._eligible_products(ent)]
                product = rng.choice(choices) if choices else None
                terms = self._app_terms(ent, product) if product else None
                if terms:
                    break
            else:
                raise SeedError(f"no Zhengzhou enterprise is eligible for {DEMO_OFFICER_BRANCH}'s products")
            plans.append(
                AppPlan(
                    ent=ent, outcome="submitted" if outcome == "overdue" else outcome,
                    submitted_at=self._start_for(outcome), amount=terms[0], term=terms[1],
                    purpose=gen.purpose(rng, ent.spec.industry_code), officer=demo_officer, product=product,
                )
            )  # fmt: skip
        applied = [d for d in demands if d.kind == "applied"]
        remaining = self.scale.applications - len(plans)
        outcomes = gen.quota(rng, OUTCOMES, remaining)
        overdue = 2
        active = self._active_pool()
        for index, outcome in enumerate(outcomes):
            kind = outcome
            if outcome == "submitted" and overdue:
                kind, overdue = "overdue", overdue - 1
            start = self._start_for(kind)
            if index < len(applied):
                demand = applied[index]
                plans.append(
                    AppPlan(
                        ent=demand.ent, outcome=outcome, submitted_at=start, amount=demand.amount, term=demand.term,
                        purpose=demand.purpose, officer=demand.officer, demand=demand,
                    )
                )  # fmt: skip
                continue
            for _attempt in range(200):
                ent = rng.choice(active)
                eligible = self._eligible_products(ent)
                if not eligible:
                    continue
                product = rng.choice(eligible)
                terms = self._app_terms(ent, product)
                if terms:
                    break
            else:
                raise SeedError("no eligible product found for generated enterprises")
            plans.append(
                AppPlan(
                    ent=ent, outcome=outcome, submitted_at=start, amount=terms[0], term=terms[1],
                    purpose=gen.purpose(rng, ent.spec.industry_code),
                    officer=rng.choice(self.officers[product.institution.code]), product=product,
                )
            )  # fmt: skip
        for plan in plans:
            self._draw_details(plan)
            plan.submitted_at, plan.steps = self._schedule(plan)
            if plan.demand is not None:  # published, then claimed, a little before the application
                plan.demand.claimed_at = self._past(plan.submitted_at - rng.uniform(3, 40) * H)
                plan.demand.created_at = self._past(plan.demand.claimed_at - rng.uniform(2, 96) * H)
        # Bank-attested first loans: only an enterprise's first disbursement can be one.
        borrowers = set()
        disbursed = [(p.steps[-1], i, p) for i, p in enumerate(plans) if p.outcome == "disbursed"]
        for _at, _i, plan in sorted(disbursed, key=lambda x: (x[0], x[1])):
            if plan.first_loan is None:
                plan.first_loan = plan.ent.enterprise.pk not in borrowers and plan.roll < FIRST_LOAN_SHARE
            borrowers.add(plan.ent.enterprise.pk)
        return plans

    def _seed_traffic(self) -> None:
        demands = self._plan_demands()
        applications = self._plan_applications(demands)
        # Replay in time order so ids and application numbers grow with time, as on a live platform.
        items = [(d.created_at, 0, i, d) for i, d in enumerate(demands) if d.kind != "applied"]
        items += [(a.submitted_at, 1, i, a) for i, a in enumerate(applications)]
        for _at, _kind, _i, item in sorted(items, key=lambda x: (x[0], x[1], x[2])):
            if isinstance(item, DemandPlan):
                self._run_demand(item)
            else:
                self._run_application(item)
        self._progress(f"demands: {len(demands)}; applications: {len(applications)} (through the services)")

    def _note_activity(self, ent: Seeded, at: datetime.datetime) -> None:
        key = ent.enterprise.pk
        if key not in self.first_activity or at < self.first_activity[key]:
            self.first_activity[key] = at

    def _run_demand(self, plan: DemandPlan) -> DemandClaim | None:
        user = plan.ent.user
        demand = demand_publish(
            user=user, amount=plan.amount, term_months=plan.term, purpose=plan.purpose, guarantee_modes=plan.modes
        )
        FinancingDemand.objects.filter(pk=demand.pk).update(created_at=plan.created_at)
        self._note_activity(plan.ent, plan.created_at)
        claim = None
        if plan.officer is not None:
            claim = demand_claim(demand_id=demand.pk, officer=plan.officer)
            deadline = self._claim_deadline(plan.claimed_at)
            claims = DemandClaim.objects.filter(pk=claim.pk)
            if plan.kind == "released":
                demand_claim_release(claim_id=claim.pk, officer=plan.officer)
                closed = min(plan.claimed_at + plan.released_after_hours * H, deadline)
                claims.update(claimed_at=plan.claimed_at, deadline=deadline, closed_at=self._past(closed))
            elif plan.kind in ("active", "expired"):
                claims.update(claimed_at=plan.claimed_at, deadline=deadline)
                if plan.kind == "expired":
                    self.expired_claim_ids.append(claim.pk)
            # "applied": the claim is backdated after the application is made (it must be live then).
        if plan.kind == "closed":
            demand_close(demand_id=demand.pk, user=user)
        return claim

    def _run_application(self, plan: AppPlan) -> None:
        user, officer = plan.ent.user, plan.officer
        claim = self._run_demand(plan.demand) if plan.demand else None
        application = application_submit(
            user=user, amount=plan.amount, term_months=plan.term, purpose=plan.purpose, consent=True,
            product_id=plan.product.pk if plan.product else None, claim_id=claim.pk if claim else None,
        )  # fmt: skip
        pk = application.pk
        loan, decided_at = None, None
        for step, at in zip(gen.STEPS_TO[plan.outcome], plan.steps, strict=True):
            if step == "accept":
                application_accept(application_id=pk, officer=officer)
            elif step == "approve":
                decided_at = at
                application_approve(
                    application_id=pk, officer=officer, amount=plan.approved, annual_rate=plan.rate,
                    term_months=plan.term, guarantee_mode=plan.mode, note=plan.approve_note,
                )  # fmt: skip
            elif step == "reject":
                decided_at = at
                application_reject(
                    application_id=pk, officer=officer, reason_code=RejectReason(plan.reason).value, note=plan.note
                )
            elif step == "disburse":
                loan = self._disburse(plan, pk, at)
            elif step == "withdraw":
                application_withdraw(application_id=pk, user=user, note=plan.note)
            elif step == "decline":
                application_decline(application_id=pk, user=user, note=plan.note)
        self._backdate(application, plan, claim, decided_at, loan)

    def _disburse(self, plan: AppPlan, pk: int, at: datetime.datetime) -> Loan:
        institution = plan.product.institution if plan.product else plan.officer.institution
        self.contracts[institution.code] += 1
        contract = f"{institution.code}-JK{at:%Y}{self.contracts[institution.code]:04d}"
        loan = application_disburse(
            application_id=pk, officer=plan.officer, contract_number=contract, disbursed_on=at.date(),
            first_loan_attested=bool(plan.first_loan),
        )  # fmt: skip
        self.loan_ids.append(loan.pk)
        return loan

    def _backdate(self, application, plan: AppPlan, claim, decided_at, loan) -> None:
        start = plan.submitted_at
        times = [start, *plan.steps]
        events = list(ApplicationEvent.objects.filter(application_id=application.pk).order_by("id"))
        if len(events) != len(times):
            raise SeedError(f"application {application.number}: {len(events)} events for {len(times)} steps")
        for event, at in zip(events, times, strict=True):
            event.created_at = at
        ApplicationEvent.objects.bulk_update(events, ["created_at"])
        Application.objects.filter(pk=application.pk).update(
            number=f"XYD{start:%Y%m%d}{application.pk:08d}",
            submitted_at=start,
            updated_at=times[-1],
            respond_by=deadline_after_working_days(start, settings.XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS),
        )
        Authorization.objects.filter(pk=application.authorization_id).update(
            valid_from=start, valid_until=start + settings.XINYIDAI_CONSENT_DAYS * D
        )
        if decided_at is not None:
            CreditDecision.objects.filter(application_id=application.pk).update(decided_at=decided_at)
        if loan is not None:
            Loan.objects.filter(pk=loan.pk).update(created_at=times[-1])
        if claim is not None:
            demand = plan.demand
            deadline = self._claim_deadline(demand.claimed_at)
            DemandClaim.objects.filter(pk=claim.pk).update(
                claimed_at=demand.claimed_at, deadline=deadline, closed_at=start
            )
        self._note_activity(plan.ent, plan.demand.created_at if plan.demand else start)

    # --- finishing touches --------------------------------------------------------------------------------

    def _finish(self) -> None:
        rng = gen.phase_rng(self.seed, "finish")
        # Expired claims go back to the pool the way the periodic task does it, closed at their deadline.
        demand_claims_release_expired(now=self.now)
        for claim in DemandClaim.objects.filter(pk__in=self.expired_claim_ids):
            DemandClaim.objects.filter(pk=claim.pk).update(closed_at=claim.deadline)
        # A few products were retired after firms had applied (applications made stay as they were).
        anchors = {(s.institution_code, s.name) for s in ANCHOR_PRODUCTS}
        listed = [
            p
            for p in self.products
            if p.status == Product.Status.LISTED and (p.institution.code, p.name) not in anchors
        ]
        for product in rng.sample(listed, min(3, len(listed))):
            product_set_status(
                product_id=product.pk, user=self.officers[product.institution.code][0], status=Product.Status.UNLISTED
            )
        # The products' minimum credit grades took effect after the firms applied: evaluations exist only once the
        # credit records are in (the end of the seed), and application_submit enforces a minimum grade.
        for product_id, grade in self.minimum_grades.items():
            Product.objects.filter(pk=product_id).update(min_grade=grade)
        # Loans past maturity are repaid: the balance is a stock at today.
        Loan.objects.filter(pk__in=self.loan_ids, maturity_on__lte=self.today).update(
            status=Loan.Status.CLOSED, outstanding_balance=0, closed_on=F("maturity_on")
        )
        # Firms joined the platform before they first used it.
        enterprises, users, memberships = [], [], []
        by_user = {
            m.user_id: m
            for m in EnterpriseMembership.objects.filter(enterprise__in=[s.enterprise for s in self.seeded])
        }
        for ent in self.seeded:
            joined = self.now - ent.spec.joined_days_ago * D
            first, lead = self.first_activity.get(ent.enterprise.pk), rng.uniform(3, 90)
            if first is not None and first - 3 * D < joined:
                joined = first - lead * D
            ent.enterprise.created_at = joined
            enterprises.append(ent.enterprise)
            if ent.user is not None and ent.user.pk in by_user:
                ent.user.date_joined = joined
                users.append(ent.user)
                by_user[ent.user.pk].created_at = joined
                memberships.append(by_user[ent.user.pk])
        Enterprise.objects.bulk_update(enterprises, ["created_at"])
        User.objects.bulk_update(users, ["date_joined"])
        EnterpriseMembership.objects.bulk_update(memberships, ["created_at"])
        self._progress("finished: expired claims released, 3 products unlisted, matured loans closed, dates spread")

    # --- credit information ------------------------------------------------------------------------------

    def _complete_credit_information(self) -> bool:
        """A demo database seeded before credit records existed gets them now (and the officer's consent);
        False when there was nothing to add."""
        demo = Enterprise.objects.get(uscc=DEMO_SME.uscc)
        if CreditRecord.objects.filter(enterprise=demo).exists():
            return False
        specs = planned_enterprises(self.seed, self.scale.enterprises, self.region_refs)
        found = Enterprise.objects.in_bulk([s.uscc for s in specs], field_name="uscc")
        entries = [(index, spec, found[spec.uscc]) for index, spec in enumerate(specs) if spec.uscc in found]
        with transaction.atomic():
            self._seed_credit_records(entries)
            self._ensure_officer_authorization()
        recompute_evaluations(self._progress)
        return True

    def _seed_credit_records(self, entries: list[tuple[int, gen.EnterpriseSpec, Enterprise]]) -> None:
        """Every enterprise's public credit records from lending.seeding.records (the generator the bulk scales
        use), skipping any (source, id) already present."""
        ctx = rec.RecordContext(seed=self.seed, as_of=self.today)
        sources = rec.ensure_sources()
        by_code = {r.code: r for r in self.region_refs}
        planned = []
        for index, spec, enterprise in entries:
            county = by_code[spec.region_code]
            firm = rec.Firm(
                index=index, uscc=spec.uscc, county=county, city=self.picker.city_of(county),
                registrar=by_code.get(spec.uscc[2:8], county), industry_code=spec.industry_code,
                tags=tuple(sorted(spec.tags)), employees=spec.employees, legacy=spec.uscc[8:10] != "MA",
                joined=timezone.localdate(enterprise.created_at), demo=spec.uscc == DEMO_SME.uscc,
            )  # fmt: skip
            planned += [(r, enterprise, spec.uscc) for r in rec.firm_records(ctx, firm)]
        existing = set(
            CreditRecord.objects.filter(source_record_id__in=[r.source_record_id for r, _e, _u in planned]).values_list(
                "source_id", "source_record_id"
            )
        )

        def moment(day: datetime.date) -> datetime.datetime:
            return min(timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))), self.now)

        records = [
            CreditRecord(
                source_id=sources[r.source],
                source_record_id=r.source_record_id,
                enterprise=enterprise,
                category=r.category,
                decision_date=r.decision_date,
                severity=r.severity,
                title=r.title,
                authority=r.authority,
                detail=r.detail,
                publish_until=r.publish_until,
                status=r.status,
                content_hash=rec.content_hash(r, uscc),
                created_at=moment(r.received),
                updated_at=moment(r.changed),
            )  # fmt: skip
            for r, enterprise, uscc in planned
            if (sources[r.source], r.source_record_id) not in existing
        ]
        CreditRecord.objects.bulk_create(records, batch_size=500)
        published = sum(1 for r in records if r.status == "active" and (r.publish_until or self.today) >= self.today)
        self._progress(f"credit records: {len(records)} created ({published} published) for {len(entries)} enterprises")

    # --- bank feedback -----------------------------------------------------------------------------------

    def _complete_feedback(self) -> bool:
        """A demo database seeded before bank feedback existed gets it now; False when there was nothing to add."""
        if BalanceSnapshot.objects.exists() or Repayment.objects.exists() or not Loan.objects.exists():
            return False
        with transaction.atomic():
            self._seed_feedback()
        return True

    def _seed_feedback(self) -> None:
        """Every loan without feedback gets its repayments and month-end balances from lending.seeding.feedback
        (the generator the bulk scales use), and the status and outstanding balance they lead to."""
        loans = list(
            Loan.objects.filter(balance_snapshots__isnull=True, repayments__isnull=True)
            .select_related("application__decision")
            .order_by("id")
        )
        snapshots, repayments = [], []

        def moment(day: datetime.date) -> datetime.datetime:
            return min(timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))), self.now)

        for loan in loans:
            decision = getattr(loan.application, "decision", None)
            facts = fb.LoanFacts(
                key=loan.contract_number, principal_cents=fb.cents(loan.principal), annual_rate=loan.annual_rate,
                term_months=loan.term_months, disbursed_on=loan.disbursed_on, maturity_on=loan.maturity_on,
                style=fb.style_of(decision.note if decision else ""),
            )  # fmt: skip
            history = fb.loan_history(seed=self.seed, loan=facts, as_of=self.today)
            loan.status, loan.outstanding_balance = history.status, fb.money(history.outstanding_cents)
            loan.closed_on = history.closed_on
            officer = loan.disbursed_by_id
            for month, balance in history.snapshots:
                at = moment(fb.reported_at(month))
                snapshots.append(BalanceSnapshot(
                    loan=loan, month=month, balance=fb.money(balance), reported_by_id=officer, created_at=at,
                    updated_at=at,
                ))  # fmt: skip
            repayments += [
                Repayment(
                    loan=loan,
                    paid_on=r.paid_on,
                    principal_amount=fb.money(r.principal_cents),
                    interest=fb.money(r.interest_cents),
                    reference=r.reference,
                    reported_by_id=officer,
                    created_at=moment(r.paid_on + D),
                )  # fmt: skip
                for r in history.repayments
            ]
        Loan.objects.bulk_update(loans, ["status", "outstanding_balance", "closed_on"], batch_size=500)
        BalanceSnapshot.objects.bulk_create(snapshots, batch_size=1000)
        Repayment.objects.bulk_create(repayments, batch_size=1000)
        counts = f"{len(snapshots)} month-end balances, {len(repayments)} repayments"
        self._progress(f"bank feedback: {counts} for {len(loans)} loans")

    def _complete_head_office_login(self) -> bool:
        """A demo database seeded before demo_head_office existed gets it now, at demo_officer's head office and
        with the demo logins' password as it stands; False when it is there already."""
        if User.objects.filter(username="demo_head_office").exists():
            return False
        officer = User.objects.select_related("institution").get(username="demo_officer")
        demo = {u.username: u for u in DEMO_USERS}["demo_head_office"]
        User.objects.create(
            username=demo.username, password=officer.password, role=User.Role.OFFICER, full_name=demo.full_name,
            institution=officer.institution.head_office,
        )  # fmt: skip
        self._progress(f"demo_head_office added at {officer.institution.head_office.name}")
        return True

    # --- matchmaking events, intents, outreach leads (lending.seeding.events) --------------------------------

    def _seed_events(self) -> None:
        """Past and upcoming matchmaking events with their participants and intents at every stage, and a few
        first-loan outreach leads, through the events, intents and outreach services."""
        from lending.seeding.events import DemoEvents

        DemoEvents(seed=self.seed, now=self.now, progress=self._progress).run(demo_uscc=DEMO_SME.uscc)

    def _complete_events(self) -> bool:
        """A demo database seeded before matchmaking events existed gets them now; False when it has some."""
        from lending.models import MatchmakingEvent

        if MatchmakingEvent.objects.exists():
            return False
        with transaction.atomic():
            self._seed_events()
        return True

    def _ensure_officer_authorization(self) -> None:
        """demo_officer can open the demo enterprise's profile at once: its institution holds a live consent."""
        officer = User.objects.select_related("institution").get(username="demo_officer")
        membership = EnterpriseMembership.objects.select_related("enterprise", "user").get(
            enterprise__uscc=DEMO_SME.uscc, user__username="demo_sme"
        )
        live = Authorization.objects.live().filter(enterprise=membership.enterprise, institution=officer.institution)
        if live.exists():
            return
        authorization_grant(
            enterprise=membership.enterprise, institution=officer.institution,
            purpose=Authorization.Purpose.LOAN_REVIEW, days=90, user=membership.user,
        )  # fmt: skip
        self._progress(f"authorization: {membership.enterprise.name} -> {officer.institution.name}, 90 days")

    # --- report ---------------------------------------------------------------------------------------

    def _result(self, *, created: bool) -> Result:
        return Result(created=created, seconds=time.monotonic() - self.started, logins=logins(), summary=summary())


def logins() -> list[tuple[str, str, str]]:
    """(username, role, what the account belongs to) for the demo accounts present in the database."""
    rows = []
    users = User.objects.select_related("institution", "institution__parent", "region").in_bulk(
        [u.username for u in DEMO_USERS], field_name="username"
    )
    for demo in DEMO_USERS:
        user = users.get(demo.username)
        if user is None:
            continue
        if user.is_sme:
            membership = EnterpriseMembership.objects.select_related("enterprise", "enterprise__region").filter(
                user=user
            )
            ent = membership.first().enterprise if membership.exists() else None
            belongs = f"{ent.name} ({ent.uscc}, {ent.region.name})" if ent else "-"
        elif user.is_officer:
            inst = user.institution
            if inst.parent:
                belongs = f"{inst.name} ({inst.parent.name} branch, {inst.region.name})"
            else:
                belongs = f"{inst.name} (head office: the bank's figures across the province)"
        elif user.is_gov_staff:
            belongs = f"{user.region.name} {user.region.code}"
        else:
            belongs = "the whole platform, Django admin at /admin/"
        rows.append((user.username, str(User.Role(user.role).label), belongs))
    return rows


def recompute_evaluations(progress: Callable[[str], None]) -> float | None:
    """Evaluate every enterprise (creditinfo.services.evaluations) when that service exists; its seconds."""
    try:
        from creditinfo.services.evaluations import evaluations_recompute
    except ImportError:
        progress("evaluations: creditinfo.services.evaluations.evaluations_recompute not available; skipped")
        return None
    started = time.monotonic()
    count = evaluations_recompute()
    seconds = time.monotonic() - started
    progress(f"evaluations: {count:,} enterprises evaluated in {seconds:.1f}s")
    return seconds


def rebuild_rollups(progress: Callable[[str], None]) -> float:
    """Rebuild the statistics rollups (lending.rollups.stats_rebuild) after seeding; its seconds (set-based SQL
    on PostgreSQL, plain Python on SQLite)."""
    result = stats_rebuild()
    progress(f"statistics rollups: {result.cells:,} cells over {result.months} months in {result.seconds:.1f}s")
    return result.seconds


def events_summary() -> list[tuple[str, str]]:
    """Row counts of the matchmaking events, their participants and intents, and the outreach leads."""
    from lending.models import EventParticipant, Intent, MatchmakingEvent, OutreachLead

    return [
        ("matchmaking events", f"{MatchmakingEvent.objects.count()} ({_by(MatchmakingEvent.objects, 'status')})"),
        ("event participants", f"{EventParticipant.objects.count()} ({_by(EventParticipant.objects, 'status')})"),
        ("intents", f"{Intent.objects.count()} ({_by(Intent.objects, 'status')})"),
        ("outreach leads", f"{OutreachLead.objects.count()} ({_by(OutreachLead.objects, 'status')})"),
    ]


def _by(qs, field_name: str) -> str:
    counts = dict(qs.values_list(field_name).annotate(n=Count("pk")).order_by())
    return ", ".join(f"{k or '-'} {v}" for k, v in sorted(counts.items()))


def summary() -> list[tuple[str, str]]:
    """Row counts of everything seeding touches, for the final report (whole database, not only the demo)."""
    loans = Loan.objects.all()
    live = loans.filter(status=Loan.Status.LIVE)
    balance = live.aggregate(total=Sum("outstanding_balance"))["total"] or Decimal(0)
    credit = live.filter(guarantee_mode="04").aggregate(total=Sum("outstanding_balance"))["total"] or Decimal(0)
    share = f"{credit / balance:.0%}" if balance else "-"
    heads = Institution.objects.filter(parent__isnull=True).count()
    live_auth = Authorization.objects.filter(Q(valid_until__gt=timezone.now(), revoked_at__isnull=True)).count()
    return [
        ("institutions", f"{Institution.objects.count()} ({heads} head offices)"),
        ("users", f"{User.objects.count()} ({_by(User.objects, 'role')})"),
        (
            "enterprises",
            f"{Enterprise.objects.count()} ({Enterprise.objects.filter(is_skeleton=True).count()} unclaimed; "
            f"{_by(Enterprise.objects, 'size_class')})",
        ),
        ("enterprise tags", f"{Enterprise.tags.through.objects.count()} links"),
        ("products", f"{Product.objects.count()} ({_by(Product.objects, 'status')})"),
        ("financing demands", f"{FinancingDemand.objects.count()} ({_by(FinancingDemand.objects, 'status')})"),
        ("demand claims", f"{DemandClaim.objects.count()} ({_by(DemandClaim.objects, 'status')})"),
        ("applications", f"{Application.objects.count()} ({_by(Application.objects, 'status')})"),
        ("application events", str(ApplicationEvent.objects.count())),
        ("credit decisions", f"{CreditDecision.objects.count()} ({_by(CreditDecision.objects, 'outcome')})"),
        (
            "loans",
            f"{loans.count()} ({_by(loans, 'status')}; {loans.filter(first_loan_attested=True).count()} "
            f"bank-attested first loans)",
        ),
        ("live balance", f"{balance / 10000:,.0f} 万元, credit loans {share}"),
        (
            "authorizations",
            f"{Authorization.objects.count()} ({live_auth} live)",
        ),
        ("data sources", str(DataSource.objects.count())),
        (
            "credit records",
            f"{CreditRecord.objects.count()} ({CreditRecord.objects.published().count()} published; "
            f"{_by(CreditRecord.objects, 'status')})",
        ),
        ("credit records by category", _by(CreditRecord.objects, "category")),
        (
            "bank feedback",
            f"{BalanceSnapshot.objects.count()} month-end balances, {Repayment.objects.count()} repayments",
        ),
        *events_summary(),
    ]
