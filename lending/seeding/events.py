"""Matchmaking events for `seed_demo`: past (held) and upcoming (scheduled) events of every kind across the province
and its cities, their participants, intents at every stage, and a few open first-loan outreach leads.

`plan_events` is pure: from plain facts about the seeded world (places, institutions, enterprises, and
"anchor" applications the enterprises made after an event) and a random stream it returns every event with its
participants and intents, timestamps included. Two writers use it:

- `DemoEvents` (--scale demo) drives the real services (lending.services.events / intents / outreach), so every
  rule they check holds (invitations within reach of the event's region, registration and capacity, attendance
  after the start, intents only between parties present, an applied intent's application of the same enterprise
  and bank submitted after the intent, its loan the application's own), then moves the timestamps into the
  past with queryset.update(), as the demo seeder does for applications;
- `bulk_events` (--scale medium|province|tiny) streams the same plans into COPY, in a stage of
  lending.seeding.bulk.

Intents and their stages: recorded at the event; contacted days later; applied = linked to a real application of
the intent's enterprise to the same bank, submitted after the event; disbursed = that application's loan; dropped,
with a reason. Every timestamp lies in the twelve months before the seed date.
"""

import bisect
import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from lending.seeding import generators as gen
from xinyidai.workdays import is_working_day

WAN = gen.WAN
H = datetime.timedelta(hours=1)
D = datetime.timedelta(days=1)
PROVINCE = "410000"
ZHENGZHOU = "410100"
HORIZON_DAYS = 350  # held events lie within this many days before the seed date (intents within 12 months)
ANCHOR_WINDOW = (2, 75)  # an application follows its event by this many days
OPEN_APPLICATION = ("submitted", "accepted", "approved")

SALON, ROADSHOW, ONLINE = "salon", "roadshow", "online"
HELD, SCHEDULED, CANCELLED = "held", "scheduled", "cancelled"

# Themes and the GB/T 4754 sections they are about (empty: every industry).
THEMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("科技型中小企业专场", ("I", "M")),
    ("专精特新企业专场", ("C",)),
    ("小微企业首贷专场", ()),
    ("乡村振兴涉农专场", ("A",)),
    ("外贸企业稳订单专场", ("C", "F")),
    ("绿色低碳发展专场", ("C", "D")),
    ("商贸流通企业专场", ("F", "H")),
    ("先进制造业专场", ("C",)),
)
PLACES = {
    SALON: ("{city}金融服务中心一楼会客厅", "{city}市民之家金融服务区", "{city}中小企业服务中心会议室"),
    ROADSHOW: ("{city}国际会展中心", "{city}市民之家多功能厅", "{city}人民政府政务服务中心报告厅"),
    ONLINE: ("线上直播（河南省信易贷平台直播间）", "腾讯会议（会议号见报名确认短信）"),
}
DESCRIPTIONS = {
    SALON: "政府搭台、银企面对面：每期邀请约十家企业与银行客户经理现场对接融资需求，当场登记融资意向，会后跟踪落实。",
    ROADSHOW: "政银企对接会：发改、工信、人行等部门介绍惠企政策，银行推介信用贷款产品，企业路演融资需求，现场签约。",
    ONLINE: "线上融资对接会：银行在线讲解产品与申请流程，企业在线登记融资意向，平台推送至银行跟进。",
}
CONTACT_NOTES = (
    "客户经理已电话联系，约定上门调研",
    "已收集企业财务报表，正在准备授信材料",
    "已实地走访，企业经营正常",
    "已加企业微信，推荐线上申请",
)
DROP_NOTES = {
    "no_need": ("企业订单回款后暂无资金需求", "企业表示暂缓扩产计划"),
    "not_eligible": ("企业成立时间不足两年，不符合准入要求", "纳税评级不满足产品要求"),
    "terms": ("企业希望额度更高，双方未达成一致", "企业认为利率偏高"),
    "other_funding": ("企业已获得其他银行授信", "企业通过供应链融资解决资金需求"),
    "no_contact": ("多次电话联系未接通", "企业联系人已离职，无法联系"),
    "other": ("企业经营地址变更，需重新对接",),
}
DROP_WEIGHTS = {"no_need": 20, "not_eligible": 25, "terms": 20, "other_funding": 20, "no_contact": 10, "other": 5}
LEAD_NOTES = (
    "已电话联系，企业有意了解信用贷款",
    "已上门走访，企业暂无融资需求",
    "已推荐线上申请",
    "约定下周到企业调研",
)
INTENT_AMOUNTS_WAN = (30, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 1500, 2000)


# --- facts about the seeded world ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    name: str
    level: str  # province, city, county
    city_code: str  # the city (itself for a city; PROVINCE for the province)


@dataclass(frozen=True)
class Inst:
    id: int
    code: str
    region_code: str
    city_code: str  # PROVINCE for institutions at province level


@dataclass(frozen=True)
class Firm:
    id: int
    region_code: str  # its county (or Jiyuan)
    city_code: str
    user_id: int | None = None


@dataclass(frozen=True)
class Anchor:
    """An application an enterprise made (and maybe got a loan on): what an applied or disbursed intent links."""

    application_id: int
    enterprise_id: int
    institution_id: int
    product_id: int | None
    amount: Decimal
    submitted_at: datetime.datetime  # naive local time
    region_code: str  # the enterprise's county
    city_code: str
    loan_id: int | None = None
    loan_at: datetime.datetime | None = None  # when the loan was recorded (naive local)


@dataclass
class World:
    """What the planner needs to know, as plain data. Datetimes are naive local (Asia/Shanghai) times."""

    as_of: datetime.datetime  # nothing seeded is later than this
    places: dict[str, Place]  # code -> place (province, cities, counties)
    insts: list[Inst]
    firms: list[Firm]  # registered enterprises that can be invited (with a user), in a stable order
    anchors: list[Anchor]  # by submission time
    province_staff: int
    city_staff: dict[str, int] = field(default_factory=dict)  # city code -> a staff user of that city

    def __post_init__(self):
        self.firms_by_region: dict[str, list[Firm]] = defaultdict(list)
        for firm in self.firms:
            for code in dict.fromkeys((firm.region_code, firm.city_code, PROVINCE)):  # Jiyuan is its own county
                self.firms_by_region[code].append(firm)
        self.anchors = sorted(self.anchors, key=lambda a: (a.submitted_at, a.application_id))
        self.anchor_times = [a.submitted_at for a in self.anchors]

    def in_region(self, code: str, place_code: str) -> bool:
        """Whether `code` (a county or city) lies in the region `place_code` or is it."""
        if place_code == PROVINCE or code == place_code:
            return True
        place = self.places.get(code)
        return place is not None and place.city_code == place_code

    def serving(self, place: Place) -> list[Inst]:
        """Institutions that may be invited: in the region or above it (H3's events rule)."""
        above = {PROVINCE, place.city_code, place.code}
        return [i for i in self.insts if i.region_code in above or self.in_region(i.region_code, place.code)]


@dataclass(frozen=True)
class EventSpec:
    """What kind of event to plan; the planner draws the rest."""

    title: str
    kind: str
    region_code: str
    status: str
    days: float | None  # from as_of (negative: past); None: from the first forced anchor
    theme: tuple[str, tuple[str, ...]]
    enterprises: int
    institutions: int
    intents: int = 0
    disbursed: int = 0  # intents anchored on a loan
    applied: int = 0  # intents anchored on an open application
    capacity: int | None = None
    open_registration: bool = True
    anchors: tuple[int, ...] = ()  # application ids that must be anchored (for the demo SME)
    invite: tuple[int, ...] = ()  # enterprise ids that must be invited
    organizer: int | None = None


@dataclass
class ParticipantPlan:
    enterprise_id: int | None
    institution_id: int | None
    status: str
    invited: bool
    invited_at: datetime.datetime | None
    registered_at: datetime.datetime | None
    attended_at: datetime.datetime | None
    created_at: datetime.datetime
    user_id: int | None = None  # the enterprise's user (the demo registers through the services as it)


@dataclass
class IntentPlan:
    enterprise_id: int
    institution_id: int
    product_id: int | None
    amount: Decimal
    status: str
    recorded_at: datetime.datetime
    updated_at: datetime.datetime
    application_id: int | None = None
    loan_id: int | None = None
    drop_reason: str = ""
    note: str = ""
    contacted_at: datetime.datetime | None = None
    applied_at: datetime.datetime | None = None
    disbursed_at: datetime.datetime | None = None
    dropped_at: datetime.datetime | None = None


@dataclass
class EventPlan:
    title: str
    kind: str
    place: Place
    venue: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    theme: str
    sections: tuple[str, ...]
    description: str
    open_registration: bool
    capacity: int | None
    status: str
    organizer: int
    created_at: datetime.datetime
    participants: list[ParticipantPlan]
    intents: list[IntentPlan]


# --- the planner -----------------------------------------------------------------------------------------------


def _working_day(day: datetime.date, step: int) -> datetime.date:
    while not is_working_day(day):
        day += datetime.timedelta(days=step)
    return day


def _between(rng: random.Random, low: datetime.datetime, high: datetime.datetime) -> datetime.datetime:
    if high <= low:
        return low
    return (low + (high - low) * rng.random()).replace(microsecond=0)


class Planner:
    def __init__(self, rng: random.Random, world: World):
        self.rng, self.world = rng, world
        self.latest = world.as_of - datetime.timedelta(minutes=15)
        self.used_anchors: set[int] = set()

    def plan(self, specs: list[EventSpec]) -> list[EventPlan]:
        return [self._event(spec) for spec in specs]

    # -- one event --------------------------------------------------------------------------------------------

    def _start(self, spec: EventSpec) -> datetime.datetime:
        rng, as_of = self.rng, self.world.as_of
        if spec.days is None:
            first = next(a for a in self.world.anchors if a.application_id == spec.anchors[0])
            day = (first.submitted_at - rng.uniform(5, 12) * D).date()
            day = _working_day(day, -1)
        else:
            day = (as_of + spec.days * D).date()
            day = _working_day(day, -1 if spec.days < 0 else 1)
            if spec.days < 0 and day >= as_of.date():
                day = _working_day(as_of.date() - D, -1)
            if spec.days > 0 and day <= as_of.date():
                day = _working_day(as_of.date() + D, 1)
        hour, minute = rng.choice(((9, 0), (9, 30), (14, 30), (15, 0)))
        return datetime.datetime.combine(day, datetime.time(hour, minute))

    def _event(self, spec: EventSpec) -> EventPlan:
        rng, world = self.rng, self.world
        place = world.places[spec.region_code]
        starts = self._start(spec)
        ends = starts + rng.choice((2, 2.5, 3)) * H
        created = min(starts - rng.uniform(21, 40) * D, self.latest - rng.uniform(1, 5) * D).replace(microsecond=0)
        city_name = world.places[place.city_code].name if place.level != "province" else place.name
        venue = rng.choice(PLACES[spec.kind]).format(city=gen.short_place(city_name) if city_name else "")
        organizer = spec.organizer or world.city_staff.get(place.city_code) or world.province_staff
        anchors = self._anchors(spec, place, starts) if spec.status == HELD else []
        participants = self._participants(spec, place, starts, created, anchors)
        seated = sum(1 for p in participants if p.enterprise_id and p.status in ("registered", "attended", "absent"))
        capacity = spec.capacity if spec.capacity is None or spec.capacity >= seated else seated + 2
        intents = self._intents(spec, starts, ends, participants, anchors) if spec.status == HELD else []
        return EventPlan(
            title=spec.title, kind=spec.kind, place=place, venue=venue, starts_at=starts, ends_at=ends,
            theme=spec.theme[0], sections=spec.theme[1], description=DESCRIPTIONS[spec.kind],
            open_registration=spec.open_registration, capacity=capacity, status=spec.status, organizer=organizer,
            created_at=created, participants=participants, intents=intents,
        )  # fmt: skip

    def _anchors(self, spec: EventSpec, place: Place, starts: datetime.datetime) -> list[Anchor]:
        """Applications of the region's enterprises submitted within ANCHOR_WINDOW days after the event."""
        world, rng = self.world, self.rng
        by_id = {a.application_id: a for a in world.anchors}
        serving = {i.id for i in world.serving(place)}
        chosen = [by_id[pk] for pk in spec.anchors if pk in by_id and pk not in self.used_anchors]
        low = bisect.bisect_left(world.anchor_times, starts + ANCHOR_WINDOW[0] * D)
        high = bisect.bisect_right(world.anchor_times, min(starts + ANCHOR_WINDOW[1] * D, self.latest))
        window = [
            a
            for a in world.anchors[low:high]
            if a.application_id not in self.used_anchors
            and a not in chosen
            and world.in_region(a.region_code, place.code)
            and a.institution_id in serving
        ]
        loans = [a for a in window if a.loan_id is not None and a.loan_at is not None and a.loan_at <= self.latest]
        open_ = [a for a in window if a.loan_id is None]
        taken_firms = {a.enterprise_id for a in chosen}
        for pool, count in ((loans, spec.disbursed), (open_, spec.applied)):
            pool = [a for a in pool if a.enterprise_id not in taken_firms]
            for anchor in rng.sample(pool, min(count, len(pool))):
                if anchor.enterprise_id not in taken_firms:
                    chosen.append(anchor)
                    taken_firms.add(anchor.enterprise_id)
        self.used_anchors.update(a.application_id for a in chosen)
        return chosen

    def _participants(self, spec, place: Place, starts, created, anchors: list[Anchor]) -> list[ParticipantPlan]:
        rng, world = self.rng, self.world
        serving = {i.id: i for i in world.serving(place)}
        inst_ids = list(dict.fromkeys(a.institution_id for a in anchors))
        others = [pk for pk in serving if pk not in inst_ids]
        local = [pk for pk in others if serving[pk].city_code == place.city_code]
        preferred = local if place.level != "province" else others
        extra = max(0, spec.institutions - len(inst_ids))
        picks = rng.sample(preferred, min(extra, len(preferred)))
        rest = [i for i in others if i not in picks]
        picks += rng.sample(rest, min(extra - len(picks), len(rest)))
        inst_ids += picks

        firm_ids: list[int] = list(dict.fromkeys([a.enterprise_id for a in anchors] + list(spec.invite)))
        pool = [f for f in world.firms_by_region.get(place.code, []) if f.id not in firm_ids]
        firm_ids += [f.id for f in rng.sample(pool, min(max(0, spec.enterprises - len(firm_ids)), len(pool)))]
        users = {f.id: f.user_id for f in world.firms}
        must_attend = {a.enterprise_id for a in anchors}
        forced = set(spec.invite)

        invite_from, invite_to = created + D, min(starts - 3 * D, self.latest)
        rows = []
        for inst_id in inst_ids:
            invited_at = _between(rng, invite_from, invite_to)
            status, registered_at, attended_at = "invited", None, None
            if spec.status == HELD and starts < world.as_of:
                status, attended_at = "attended", _between(rng, starts, min(starts + 2 * H, self.latest))
            elif spec.status == SCHEDULED and rng.random() < 0.6:
                status, registered_at = "registered", _between(rng, invited_at, self.latest)
            rows.append(ParticipantPlan(None, inst_id, status, True, invited_at, registered_at, attended_at,
                                        invited_at))  # fmt: skip
        for firm_id in firm_ids:
            self_registered = spec.open_registration and firm_id not in must_attend | forced and rng.random() < 0.12
            invited_at = None if self_registered else _between(rng, invite_from, invite_to)
            roll = rng.random()
            registered_at = attended_at = None
            if spec.status == HELD and starts < world.as_of:
                if firm_id in must_attend or roll < 0.72:
                    status = "attended"
                elif roll < 0.86:
                    status = "absent"
                else:
                    status = "declined" if not self_registered else "absent"
                if status in ("attended", "absent") and (self_registered or rng.random() < 0.8):
                    registered_at = _between(rng, invited_at or invite_from, min(starts - H, self.latest))
                if status in ("attended", "absent"):
                    attended_at = _between(rng, starts, min(starts + 2 * H, self.latest))
            elif spec.status == SCHEDULED and firm_id not in forced:
                status = "registered" if self_registered or roll < 0.4 else "declined" if roll < 0.55 else "invited"
                if status == "registered":
                    registered_at = _between(rng, invited_at or invite_from, self.latest)
            else:
                status = "invited" if not self_registered else "registered"
                if status == "registered":
                    registered_at = _between(rng, invite_from, min(starts - H, self.latest))
            created_at = invited_at or registered_at or invite_from
            rows.append(ParticipantPlan(firm_id, None, status, not self_registered, invited_at, registered_at,
                                        attended_at, created_at, users.get(firm_id)))  # fmt: skip
        return rows

    def _intents(self, spec, starts, ends, participants, anchors: list[Anchor]) -> list[IntentPlan]:
        rng = self.rng
        latest = self.latest
        organizer_pairs: set[tuple[int, int]] = set()
        plans = []
        for anchor in anchors:
            recorded = _between(rng, starts + 0.5 * H, min(ends, latest))
            applied = anchor.submitted_at
            contacted = _between(rng, recorded + H, applied - H)
            plan = IntentPlan(
                enterprise_id=anchor.enterprise_id, institution_id=anchor.institution_id, product_id=anchor.product_id,
                amount=anchor.amount, status="applied", recorded_at=recorded, updated_at=applied,
                application_id=anchor.application_id, contacted_at=contacted, applied_at=applied,
                note=rng.choice(CONTACT_NOTES),
            )  # fmt: skip
            if anchor.loan_id is not None:
                plan.status, plan.loan_id, plan.disbursed_at = "disbursed", anchor.loan_id, anchor.loan_at
                plan.updated_at = max(anchor.loan_at, applied)
            plans.append(plan)
            organizer_pairs.add((anchor.enterprise_id, anchor.institution_id))
        firms = [p.enterprise_id for p in participants if p.enterprise_id and p.status == "attended"]
        banks = [p.institution_id for p in participants if p.institution_id and p.status == "attended"]
        age = (self.world.as_of - starts) / D
        # Recent events still have intents waiting for a call; older ones were followed up (or given up). The
        # statuses cycle through the pattern, so every event with three such intents shows each of them.
        pattern = ("recorded", "contacted", "dropped") if age < 30 else ("contacted", "dropped", "dropped")
        statuses = [pattern[k % 3] for k in range(max(0, spec.intents - len(plans)))]
        rng.shuffle(statuses)
        for status in statuses:
            if not firms or not banks:
                break
            tries = ((rng.choice(firms), rng.choice(banks)) for _try in range(6))
            pair = next((t for t in tries if t not in organizer_pairs), None)
            if pair is None:  # a small event: every enterprise and bank already paired
                continue
            organizer_pairs.add(pair)
            recorded = _between(rng, starts + 0.5 * H, min(ends, latest))
            amount = Decimal(rng.choice(INTENT_AMOUNTS_WAN)) * WAN
            plan = IntentPlan(pair[0], pair[1], None, amount, "recorded", recorded, recorded)
            if status in ("contacted", "dropped"):
                reason = gen.weighted(rng, DROP_WEIGHTS) if status == "dropped" else ""
                if reason != "no_contact":
                    plan.contacted_at = _between(rng, recorded + H, min(recorded + rng.uniform(1, 10) * D, latest))
                    plan.note = rng.choice(CONTACT_NOTES)
                if status == "dropped":
                    after = plan.contacted_at or recorded
                    plan.dropped_at = _between(rng, after + H, min(after + rng.uniform(3, 50) * D, latest))
                    plan.drop_reason, plan.note = reason, rng.choice(DROP_NOTES[reason])
                plan.status = status
                plan.updated_at = plan.dropped_at or plan.contacted_at
            plans.append(plan)
        return plans


def plan_events(rng: random.Random, world: World, specs: list[EventSpec]) -> list[EventPlan]:
    """Every event of `specs` with its participants and intents (pure; see the module docstring)."""
    return Planner(rng, world).plan(specs)


# --- specs ---------------------------------------------------------------------------------------------------


def demo_specs(world: World, *, demo_enterprise: int, demo_disbursed: int | None, demo_open: int | None,
               city_staff: int, province_staff: int) -> list[EventSpec]:  # fmt: skip
    """The demo's seven events: four held (two Zhengzhou salons anchored on the demo SME's applications, a
    provincial roadshow, a Luoyang online session) and three upcoming (a Zhengzhou salon the demo SME is invited
    to, a provincial roadshow, a Nanyang online session)."""
    tech, first, zjtx, farm = THEMES[0], THEMES[2], THEMES[1], THEMES[3]
    zz = "郑州市金融会客厅"
    return [
        EventSpec(f"{zz}（第12期）·{tech[0]}", SALON, ZHENGZHOU, HELD, None if demo_disbursed else -220, tech, 9, 3,
                  intents=5, disbursed=1, applied=0, capacity=12, open_registration=False,
                  anchors=(demo_disbursed,) if demo_disbursed else (), invite=(demo_enterprise,),
                  organizer=city_staff),
        EventSpec("河南省“首贷户”政银企对接会", ROADSHOW, PROVINCE, HELD, -150, first, 24, 6, intents=8, disbursed=2,
                  applied=1, capacity=120, organizer=province_staff),
        EventSpec("洛阳市线上融资对接会（专精特新专场）", ONLINE, "410300", HELD, -95, zjtx, 10, 3, intents=4,
                  disbursed=1, applied=1, organizer=province_staff),
        EventSpec(f"{zz}（第18期）·{first[0]}", SALON, ZHENGZHOU, HELD, None if demo_open else -19, first, 10, 3,
                  intents=6, disbursed=0, applied=1, capacity=12, open_registration=False,
                  anchors=(demo_open,) if demo_open else (), invite=(demo_enterprise,), organizer=city_staff),
        EventSpec(f"{zz}（第19期）·{zjtx[0]}", SALON, ZHENGZHOU, SCHEDULED, 9, zjtx, 10, 3, capacity=12,
                  open_registration=False, invite=(demo_enterprise,), organizer=city_staff),
        EventSpec("河南省政银企对接会（豫南片区）", ROADSHOW, PROVINCE, SCHEDULED, 20, THEMES[7], 16, 5,
                  capacity=150, organizer=province_staff),
        EventSpec("南阳市线上融资对接会（乡村振兴涉农专场）", ONLINE, "411300", SCHEDULED, 30, farm, 8, 3,
                  organizer=province_staff),
    ]  # fmt: skip


def bulk_specs(rng: random.Random, world: World, count: int, *, demo_enterprise: int | None,
               demo_disbursed: int | None) -> list[EventSpec]:  # fmt: skip
    """`count` events over the province: about 85% held in the last HORIZON_DAYS days, 10% upcoming, 5% cancelled;
    15% provincial, 65% for a city (weighted by its firms), 20% for a county; salons mostly in cities. The first
    two are the demo SME's Zhengzhou salons (one held, anchored on its loan; one upcoming it is invited to)."""
    cities = [c for c in gen.CITY_WEIGHTS if c in world.places]
    counties = defaultdict(list)
    for place in world.places.values():
        if place.level == "county":
            counties[place.city_code].append(place.code)
    specs: list[EventSpec] = []
    if demo_enterprise is not None:
        salon = "郑州市金融会客厅"
        specs.append(
            EventSpec(
                f"{salon}·{THEMES[0][0]}",
                SALON,
                ZHENGZHOU,
                HELD,
                None if demo_disbursed else -200,
                THEMES[0],
                10,
                4,
                intents=5,
                disbursed=1,
                capacity=12,
                open_registration=False,
                anchors=(demo_disbursed,) if demo_disbursed else (),
                invite=(demo_enterprise,),
            )
        )
        specs.append(EventSpec("郑州市政银企对接会·小微企业首贷专场", ROADSHOW, ZHENGZHOU, HELD, -18, THEMES[2], 24, 6,
                               intents=8, disbursed=1, applied=2, capacity=100))  # fmt: skip
        specs.append(EventSpec(f"{salon}·{THEMES[1][0]}", SALON, ZHENGZHOU, SCHEDULED, 9, THEMES[1], 10, 4,
                               capacity=12, open_registration=False, invite=(demo_enterprise,)))  # fmt: skip
    while len(specs) < count:
        roll = rng.random()
        status = HELD if roll < 0.85 else SCHEDULED if roll < 0.95 else CANCELLED
        days = -rng.uniform(3, HORIZON_DAYS) if status == HELD else rng.uniform(3, 60)
        if status == CANCELLED and rng.random() < 0.5:
            days = -rng.uniform(3, HORIZON_DAYS)
        where = rng.random()
        city = rng.choices(cities, weights=[gen.CITY_WEIGHTS[c] for c in cities])[0]
        if where < 0.15:
            code, kind = PROVINCE, rng.choice((ROADSHOW, ONLINE))
        elif where < 0.8 or not counties[city]:
            code, kind = city, gen.weighted(rng, {SALON: 55, ROADSHOW: 30, ONLINE: 15})
        else:
            code, kind = rng.choice(sorted(counties[city])), gen.weighted(rng, {ROADSHOW: 70, SALON: 30})
        theme = rng.choice(THEMES)
        name = world.places[code].name
        if kind == SALON:
            title, ents, insts, intents, cap = f"{name}金融会客厅·{theme[0]}", rng.randint(8, 14), 4, 5, 15
        elif kind == ROADSHOW:
            title, ents, insts, intents = f"{name}政银企对接会·{theme[0]}", rng.randint(20, 50), rng.randint(5, 10), 9
            cap = rng.choice((None, 100, 200))
        else:
            title, ents, insts, intents, cap = f"{name}线上融资对接会·{theme[0]}", rng.randint(15, 35), 4, 4, None
        specs.append(EventSpec(title, kind, code, status, days, theme, ents, insts, intents=intents,
                               disbursed=1 + (kind == ROADSHOW), applied=int(rng.random() < 0.6), capacity=cap,
                               open_registration=kind != SALON))  # fmt: skip
    return specs


# --- the demo writer: through the services ----------------------------------------------------------------------


class DemoEvents:
    """Writes the demo's events through lending.services.events / intents and a few outreach leads through
    lending.services.outreach, then moves every timestamp to the plan's. Call inside the seeding transaction."""

    def __init__(self, *, seed: int, now: datetime.datetime, progress: Callable[[str], None]):
        from django.utils import timezone

        self.seed, self.now, self.progress = seed, now, progress
        self.local_now = timezone.localtime(now).replace(tzinfo=None, microsecond=0)
        self.rng = gen.phase_rng(seed, "events")

    def aware(self, moment: datetime.datetime | None):
        from django.utils import timezone

        return None if moment is None else timezone.make_aware(moment)

    def world(self, demo_uscc: str):
        from django.utils import timezone

        from creditinfo.models import EnterpriseMembership
        from lending.models import Application
        from xinyidai.models import Institution, Region, User

        regions = list(Region.objects.select_related("parent").order_by("code"))
        places = {}
        for r in regions:
            city = r.code if r.level == "city" else r.parent.code if r.level == "county" else PROVINCE
            places[r.code] = Place(r.pk, r.code, r.name, r.level, city)
        insts = [
            Inst(i.pk, i.code, i.region.code, places[i.region.code].city_code)
            for i in Institution.objects.select_related("region").filter(is_active=True).order_by("code")
        ]
        memberships = EnterpriseMembership.objects.select_related("enterprise__region", "user").order_by(
            "enterprise__uscc"
        )
        firms = [
            Firm(m.enterprise_id, m.enterprise.region.code, places[m.enterprise.region.code].city_code, m.user_id)
            for m in memberships
            if m.user.is_active and not m.enterprise.is_skeleton
        ]
        horizon = self.now - datetime.timedelta(days=HORIZON_DAYS - ANCHOR_WINDOW[0])
        applications = (
            Application.objects.filter(
                submitted_at__gte=horizon, status__in=[*OPEN_APPLICATION, "disbursed"], intent__isnull=True
            )
            .select_related("enterprise__region", "loan")
            .order_by("number")
        )
        anchors = []
        for a in applications:
            loan = getattr(a, "loan", None)
            code = a.enterprise.region.code
            local = timezone.localtime(a.submitted_at).replace(tzinfo=None)
            loan_at = timezone.localtime(loan.created_at).replace(tzinfo=None) if loan else None
            anchors.append(Anchor(a.pk, a.enterprise_id, a.institution_id, a.product_id, a.amount, local, code,
                                  places[code].city_code, loan.pk if loan else None, loan_at))  # fmt: skip
        staff = User.objects.in_bulk(["demo_province", "demo_city"], field_name="username")
        world = World(
            as_of=self.local_now - datetime.timedelta(minutes=5), places=places, insts=insts, firms=firms,
            anchors=anchors, province_staff=staff["demo_province"].pk, city_staff={ZHENGZHOU: staff["demo_city"].pk},
        )  # fmt: skip
        demo = EnterpriseMembership.objects.get(enterprise__uscc=demo_uscc, user__username="demo_sme").enterprise_id
        return world, demo

    def run(self, *, demo_uscc: str) -> None:
        from lending.models import Application

        world, demo = self.world(demo_uscc)
        mine = {a.application_id: a for a in world.anchors if a.enterprise_id == demo}
        demo_apps = Application.objects.filter(pk__in=list(mine)).select_related("institution")
        disbursed = next((a.pk for a in demo_apps if a.status == "disbursed" and a.institution.code == "ZYB-410100"),
                         None)  # fmt: skip
        open_ = next((a.pk for a in demo_apps if a.status == "accepted"), None)
        specs = demo_specs(world, demo_enterprise=demo, demo_disbursed=disbursed, demo_open=open_,
                           city_staff=world.city_staff[ZHENGZHOU], province_staff=world.province_staff)  # fmt: skip
        plans = plan_events(self.rng, world, specs)
        for plan in plans:
            self.write(plan)
        intents = [i for p in plans for i in p.intents]
        stages = ", ".join(f"{s} {sum(1 for i in intents if i.status == s)}"
                           for s in ("recorded", "contacted", "applied", "disbursed", "dropped"))  # fmt: skip
        self.progress(f"matchmaking events: {len(plans)} ({sum(1 for p in plans if p.status == HELD)} held), "
                      f"{sum(len(p.participants) for p in plans)} participants, intents: {stages}")  # fmt: skip
        self.leads(world)

    # -- one event through the services --------------------------------------------------------------------------

    def write(self, plan: EventPlan) -> None:
        from django.db.models import Max

        from lending.models import EventParticipant, MatchmakingEvent
        from lending.services import events as svc
        from xinyidai.models import Industry, Notification, Region, User

        users = User.objects.in_bulk([plan.organizer] + [p.user_id for p in plan.participants if p.user_id is not None])
        organizer = users[plan.organizer]
        past = plan.starts_at < self.local_now
        placeholder = self.now + datetime.timedelta(days=30)
        first_note = (Notification.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        event = svc.event_create(
            user=organizer, title=plan.title, kind=plan.kind,
            starts_at=placeholder if past else self.aware(plan.starts_at),
            ends_at=placeholder + (plan.ends_at - plan.starts_at) if past else self.aware(plan.ends_at),
            region=Region.objects.get(pk=plan.place.id), place=plan.venue, theme=plan.theme,
            description=plan.description, theme_industries=list(Industry.objects.filter(code__in=plan.sections)),
            open_registration=plan.open_registration, capacity=plan.capacity,
        )  # fmt: skip
        invited = [p for p in plan.participants if p.invited]
        svc.event_invite(
            event_id=event.pk, user=organizer,
            enterprise_ids=[p.enterprise_id for p in invited if p.enterprise_id],
            institution_ids=[p.institution_id for p in invited if p.institution_id],
        )  # fmt: skip
        for p in plan.participants:
            if p.enterprise_id and p.registered_at is not None:
                svc.event_register(event_id=event.pk, user=users[p.user_id])
        for p in plan.participants:
            if p.enterprise_id and p.status == "declined":
                svc.event_decline(event_id=event.pk, user=users[p.user_id])
        if past:
            MatchmakingEvent.objects.filter(pk=event.pk).update(
                starts_at=self.aware(plan.starts_at), ends_at=self.aware(plan.ends_at)
            )
        rows = {(r.enterprise_id, r.institution_id): r for r in EventParticipant.objects.filter(event=event)}
        if plan.status == HELD:
            for attended in (True, False):
                wanted = ("attended",) if attended else ("absent",)
                ids = [rows[(p.enterprise_id, p.institution_id)].pk for p in plan.participants if p.status in wanted]
                if ids:
                    svc.event_attendance_mark(event_id=event.pk, user=organizer, participant_ids=ids,
                                              attended=attended)  # fmt: skip
            svc.event_mark_held(event_id=event.pk, user=organizer)
        elif plan.status == CANCELLED:
            svc.event_cancel(event_id=event.pk, user=organizer)
        registered_banks = [rows[(None, p.institution_id)].pk for p in plan.participants
                            if p.institution_id and p.status == "registered"]  # fmt: skip
        EventParticipant.objects.filter(pk__in=registered_banks).update(status="registered")  # no service: banks
        invite_notes_until = (Notification.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
        for intent in plan.intents:
            self.intent(event, organizer, intent)
        # Timestamps as planned.
        MatchmakingEvent.objects.filter(pk=event.pk).update(created_at=self.aware(plan.created_at))
        for p in plan.participants:
            row = rows[(p.enterprise_id, p.institution_id)]
            row.invited_at, row.registered_at = self.aware(p.invited_at), self.aware(p.registered_at)
            row.attended_at, row.created_at = self.aware(p.attended_at), self.aware(p.created_at)
        EventParticipant.objects.bulk_update(
            list(rows.values()), ["invited_at", "registered_at", "attended_at", "created_at"]
        )
        # Notifications sent while seeding: dated like what they announce; the past ones already read.
        sent = min((p.invited_at for p in plan.participants if p.invited_at), default=plan.created_at)
        invites = Notification.objects.filter(pk__gte=first_note, pk__lt=invite_notes_until)
        later = Notification.objects.filter(pk__gte=invite_notes_until)
        invites.update(created_at=self.aware(sent), read_at=self.aware(sent + D) if past else None)
        later.update(created_at=self.aware(plan.ends_at), read_at=self.aware(plan.ends_at + D))

    def intent(self, event, organizer, plan: IntentPlan) -> None:
        from lending.models import Intent
        from lending.services import intents as svc

        intent = svc.intent_record(
            event_id=event.pk, user=organizer, enterprise_id=plan.enterprise_id, institution_id=plan.institution_id,
            amount=plan.amount, product_id=plan.product_id,
        )  # fmt: skip
        Intent.objects.filter(pk=intent.pk).update(recorded_at=self.aware(plan.recorded_at))
        if plan.contacted_at is not None:
            svc.intent_contacted(intent_id=intent.pk, user=organizer)
        if plan.application_id is not None:
            svc.intent_applied(intent_id=intent.pk, user=organizer, application_id=plan.application_id)
        if plan.status == "dropped":
            svc.intent_drop(intent_id=intent.pk, user=organizer, reason=plan.drop_reason)
        Intent.objects.filter(pk=intent.pk).update(
            note=plan.note, contacted_at=self.aware(plan.contacted_at), applied_at=self.aware(plan.applied_at),
            disbursed_at=self.aware(plan.disbursed_at), dropped_at=self.aware(plan.dropped_at),
            updated_at=self.aware(plan.updated_at),
        )  # fmt: skip
        stored = Intent.objects.get(pk=intent.pk)
        if (stored.status, stored.loan_id) != (plan.status, plan.loan_id):
            raise ValueError(f"intent {intent.pk}: {stored.status}/{stored.loan_id}, planned {plan.status}")

    # -- a few outreach leads -------------------------------------------------------------------------------------

    def leads(self, world: World) -> None:
        """Six Zhengzhou first-loan candidates pushed to the banks three days ago; demo_officer's bank has
        contacted one of them."""
        from lending.models import OutreachLead
        from lending.selectors_outreach import first_loan_candidates
        from lending.services.outreach import outreach_lead_contacted, outreach_push
        from xinyidai.models import Notification, User

        staff, officer = User.objects.get(username="demo_city"), User.objects.get(username="demo_officer")
        candidates = sorted(first_loan_candidates(staff).values_list("uscc", "pk"))
        chosen = [pk for _uscc, pk in self.rng.sample(candidates, min(6, len(candidates)))]
        if not chosen:
            return
        first_note = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        outreach_push(user=staff, enterprise_ids=chosen)
        pushed = self.now - datetime.timedelta(days=3, hours=5)
        OutreachLead.objects.filter(enterprise_id__in=chosen).update(pushed_at=pushed)
        Notification.objects.filter(pk__gt=first_note).update(created_at=pushed)
        lead = OutreachLead.objects.filter(enterprise_id__in=chosen, status="open").order_by("pk").first()
        outreach_lead_contacted(lead_id=lead.pk, officer=officer, note=LEAD_NOTES[0])
        OutreachLead.objects.filter(pk=lead.pk).update(contacted_at=self.now - datetime.timedelta(days=1, hours=3))
        self.progress(f"first-loan outreach: {len(chosen)} leads pushed by demo_city, 1 contacted by demo_officer")


# --- the bulk writer: COPY, in a stage of lending.seeding.bulk ---------------------------------------------------

EVENT_TABLES = ("mevent", "mevent_industries", "participant", "intent", "lead")


def event_tables() -> dict[str, tuple[str, tuple[str, ...]]]:
    """(table, columns) of what the events stage writes, for lending.seeding.bulk's COPY."""
    from lending.models import EventParticipant, Intent, MatchmakingEvent, OutreachLead
    from lending.seeding.bulk import columns_of

    through = MatchmakingEvent.theme_industries.through._meta.db_table
    return {
        "mevent": columns_of(MatchmakingEvent, ("id", "title", "kind", "starts_at", "ends_at", "place", "region",
                                                "theme", "description", "open_registration", "capacity", "status",
                                                "organizer", "created_at")),
        "mevent_industries": (through, ("id", "matchmakingevent_id", "industry_id")),
        "participant": columns_of(EventParticipant, ("id", "event", "enterprise", "institution", "status", "invited",
                                                     "invited_at", "registered_at", "attended_at", "created_at")),
        "intent": columns_of(Intent, ("id", "event", "enterprise", "institution", "product", "amount", "status",
                                      "application", "loan", "drop_reason", "note", "recorded_by", "recorded_at",
                                      "contacted_at", "applied_at", "disbursed_at", "dropped_at", "updated_at")),
        "lead": columns_of(OutreachLead, ("id", "enterprise", "region", "pushed_by", "pushed_at", "status",
                                          "contacted_by", "contacted_at", "note")),
    }  # fmt: skip


def bulk_counts(enterprises: int) -> tuple[int, int]:
    """(events, outreach leads) for a bulk scale: 300 and 500 at province scale (1M enterprises)."""
    return max(12, round(enterprises / 3333)), max(10, enterprises // 2000)


def _rows(sql: str, params=()) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def bulk_world(*, as_of: datetime.datetime, enterprises: int, demo_uscc: str) -> tuple[World, int | None, int | None]:
    """The planner's facts read from a bulk-seeded database (samples, not whole tables): (world, the demo SME's
    enterprise id, its disbursed application at demo_officer's branch). Ordered by id: deterministic."""
    from xinyidai.models import Institution, Region, User

    regions = list(Region.objects.select_related("parent").order_by("code"))
    places = {}
    for r in regions:
        city = r.code if r.level == "city" else r.parent.code if r.level == "county" else PROVINCE
        places[r.code] = Place(r.pk, r.code, r.name, r.level, city)
    code_of = {p.id: p.code for p in places.values()}
    insts = [
        Inst(pk, code, code_of[region_id], places[code_of[region_id]].city_code)
        for pk, code, region_id in Institution.objects.filter(is_active=True)
        .order_by("id")
        .values_list("id", "code", "region_id")
    ]
    step = max(1, enterprises // 20_000)  # about 10,000 registered firms to invite from
    firms = [
        Firm(pk, code_of[region_id], places[code_of[region_id]].city_code)
        for pk, region_id in _rows(
            "SELECT id, region_id FROM creditinfo_enterprise WHERE NOT is_skeleton AND id %% %s = 0 ORDER BY id",
            [step],
        )
    ]
    horizon = as_of - datetime.timedelta(days=HORIZON_DAYS - ANCHOR_WINDOW[0])
    demo = _rows("SELECT id FROM creditinfo_enterprise WHERE uscc = %s", [demo_uscc])
    demo_id = demo[0][0] if demo else None
    applications = _rows("SELECT count(*) FROM lending_application")[0][0]
    sample = max(1, applications // 4000)
    local = "AT TIME ZONE 'Asia/Shanghai'"
    anchor_rows = _rows(
        f"""
        SELECT a.id, a.enterprise_id, a.institution_id, a.product_id, a.amount, a.submitted_at {local},
               e.region_id, l.id, l.created_at {local}
        FROM lending_application a
        JOIN creditinfo_enterprise e ON e.id = a.enterprise_id
        LEFT JOIN lending_loan l ON l.application_id = a.id
        WHERE a.submitted_at >= %s AND a.status IN ('submitted', 'accepted', 'approved', 'disbursed')
          AND (a.id %% %s = 0 OR a.enterprise_id = %s)
        ORDER BY a.id
        """,  # noqa: S608 - constant text, values bound  # nosec B608
        [horizon.isoformat() + "+08:00", sample, demo_id or 0],
    )
    anchors = [
        Anchor(
            pk, ent, inst, prod, amount, submitted, code_of[region], places[code_of[region]].city_code, loan, loan_at
        )  # fmt: skip
        for pk, ent, inst, prod, amount, submitted, region, loan, loan_at in anchor_rows
    ]
    demo_branch = next((i.id for i in insts if i.code == "ZYB-410100"), None)
    demo_disbursed = next(
        (a.application_id for a in anchors if a.enterprise_id == demo_id and a.loan_id and a.institution_id ==
         demo_branch),
        None,
    )  # fmt: skip
    staff = dict(User.objects.filter(username__in=["demo_province", "demo_city"]).values_list("username", "id"))
    world = World(
        as_of=as_of, places=places, insts=insts, firms=firms, anchors=anchors, province_staff=staff["demo_province"],
        city_staff={ZHENGZHOU: staff["demo_city"]} if "demo_city" in staff else {},
    )  # fmt: skip
    return world, demo_id, demo_disbursed


def bulk_events(seeder, batch) -> None:
    """The events stage of lending.seeding.bulk.BulkSeeder: plans from a sample of the loaded rows (read first,
    before any COPY uses the connection), then one COPY line per row."""
    from lending.seeding.bulk import NULL, opt, ts, tx
    from lending.seeding.demo import DEMO_SME

    world, demo_id, demo_disbursed = bulk_world(
        as_of=seeder.as_of, enterprises=seeder.scale.enterprises, demo_uscc=DEMO_SME.uscc
    )
    events, leads = bulk_counts(seeder.scale.enterprises)
    rng = gen.phase_rng(seeder.seed, "bulk:events")
    specs = bulk_specs(rng, world, events, demo_enterprise=demo_id, demo_disbursed=demo_disbursed)
    plans = plan_events(rng, world, specs)
    lead_rows = _lead_candidates(world, leads, step=max(1, seeder.scale.enterprises // 20_000))
    industry = seeder.industry_id
    add = batch.add

    def t(moment) -> str:
        return NULL if moment is None else ts(moment)

    for plan in plans:
        eid = seeder._id("mevent")
        add("mevent", (
            f"{eid}\t{tx(plan.title)}\t{plan.kind}\t{ts(plan.starts_at)}\t{ts(plan.ends_at)}\t{tx(plan.venue)}\t"
            f"{plan.place.id}\t{tx(plan.theme)}\t{tx(plan.description)}\t{'t' if plan.open_registration else 'f'}\t"
            f"{opt(plan.capacity)}\t{plan.status}\t{plan.organizer}\t{ts(plan.created_at)}\n"
        ))  # fmt: skip
        for section in plan.sections:
            add("mevent_industries", f"{seeder._id('mevent_industries')}\t{eid}\t{industry[section]}\n")
        for p in plan.participants:
            add("participant", (
                f"{seeder._id('participant')}\t{eid}\t{opt(p.enterprise_id)}\t{opt(p.institution_id)}\t{p.status}\t"
                f"{'t' if p.invited else 'f'}\t{t(p.invited_at)}\t{t(p.registered_at)}\t{t(p.attended_at)}\t"
                f"{ts(p.created_at)}\n"
            ))  # fmt: skip
        for i in plan.intents:
            add("intent", (
                f"{seeder._id('intent')}\t{eid}\t{i.enterprise_id}\t{i.institution_id}\t{opt(i.product_id)}\t"
                f"{i.amount:.2f}\t{i.status}\t{opt(i.application_id)}\t{opt(i.loan_id)}\t{i.drop_reason}\t"
                f"{tx(i.note)}\t{plan.organizer}\t{ts(i.recorded_at)}\t{t(i.contacted_at)}\t{t(i.applied_at)}\t"
                f"{t(i.disbursed_at)}\t{t(i.dropped_at)}\t{ts(i.updated_at)}\n"
            ))  # fmt: skip
    latest = world.as_of - datetime.timedelta(minutes=15)
    serving_by_city = defaultdict(list)
    for inst in world.insts:
        serving_by_city[inst.city_code].append(inst.id)
    for enterprise_id, place in lead_rows:
        pushed = _between(rng, world.as_of - 30 * D, latest - 2 * D)
        contacted_by = contacted_at = None
        note = ""
        if rng.random() < 0.25:
            contacted_by = rng.choice(serving_by_city.get(place.city_code) or serving_by_city[PROVINCE])
            contacted_at, note = _between(rng, pushed + H, latest), rng.choice(LEAD_NOTES)
        add("lead", (
            f"{seeder._id('lead')}\t{enterprise_id}\t{place.id}\t{world.province_staff}\t{ts(pushed)}\t"
            f"{'contacted' if contacted_by else 'open'}\t{opt(contacted_by)}\t{t(contacted_at)}\t{tx(note)}\n"
        ))  # fmt: skip
    intents = [i for p in plans for i in p.intents]
    stages = ", ".join(f"{s} {sum(1 for i in intents if i.status == s):,}"
                       for s in ("recorded", "contacted", "applied", "disbursed", "dropped"))  # fmt: skip
    seeder._progress(
        f"  events: {len(plans):,} ({sum(1 for p in plans if p.status == HELD):,} held); intents: {stages}"
    )


def _lead_candidates(world: World, count: int, *, step: int) -> list[tuple[int, Place]]:
    """Registered enterprises with no loan (first-loan candidates), from a sample, the first `count` by id."""
    by_id = {p.id: p for p in world.places.values()}
    rows = _rows(
        "SELECT e.id, e.region_id FROM creditinfo_enterprise e WHERE NOT e.is_skeleton AND e.id %% %s = %s "
        "AND NOT EXISTS (SELECT 1 FROM lending_loan l WHERE l.enterprise_id = e.id) ORDER BY e.id LIMIT %s",
        [step, 1 % step, count],
    )
    return [(pk, by_id[region_id]) for pk, region_id in rows]
