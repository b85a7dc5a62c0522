"""Pure generators of synthetic Henan SMEs and loan traffic: every function takes a `random.Random` and
plain data, touches no database, and returns the same output for the same seed.

Shared by every `seed_demo --scale`: the demo loader feeds these specs through the services; a bulk
loader for larger scales can stream the same specs into COPY.
"""

import datetime
import math
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from creditinfo.uscc import ALPHABET, uscc_build
from lending.seeding import vocab
from lending.seeding.catalog import PRODUCT_TEMPLATES, Bank, ProductSlot, ProductTemplate

WAN = Decimal(10000)
CENT = Decimal("0.01")

# Share of generated enterprises by city (GB/T 2260 code); Zhengzhou, the capital, has the most firms.
CITY_WEIGHTS: dict[str, float] = {
    "410100": 30.0, "410300": 9.0, "411300": 6.5, "410700": 5.0, "411000": 4.5, "411400": 4.5, "411600": 4.5,
    "411700": 4.0, "411500": 4.0, "410500": 3.5, "410400": 3.5, "410200": 3.5, "410800": 3.0, "410900": 2.5,
    "411100": 2.0, "411200": 2.0, "410600": 1.5, "419001": 1.5,
}  # fmt: skip

# Sizes aimed at before the size standard decides the real class (it depends on the industry's thresholds).
SIZE_TIERS = {"micro": 0.50, "small": 0.35, "medium": 0.13, "large": 0.02}
EMPLOYEES_BY_TIER = {"micro": (2, 15), "small": (12, 90), "medium": (60, 280), "large": (320, 2000)}
# Operating revenue per employee per year, in 万元, by section (wholesale and retail differ a lot).
REVENUE_PER_HEAD_WAN = {
    "A": (12, 50), "B": (40, 120), "C": (45, 150), "D": (80, 250), "E": (40, 120), "51": (150, 700), "52": (30, 150),
    "G": (30, 100), "H": (10, 30), "I": (20, 80), "K": (30, 160), "L": (20, 100), "M": (20, 60),
}  # fmt: skip
ASSETS_TO_REVENUE = {
    "C": (0.6, 1.5),
    "D": (1.5, 4.0),
    "E": (0.5, 1.2),
    "F": (0.2, 0.6),
    "K": (2.0, 8.0),
    "L": (0.5, 3.0),
}
LOAN_CAP_WAN = {"micro": 300, "small": 1000, "medium": 3000, "large": 5000, "": 300}
STANDARD_TERMS = (1, 3, 6, 12, 12, 12, 18, 24, 24, 36, 36, 48, 60, 84, 120)

SECTION_RANGES = (
    ("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52), ("G", 53, 60),
    ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72), ("M", 73, 75), ("N", 76, 79),
    ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90), ("S", 91, 96), ("T", 97, 97),
)  # fmt: skip


def phase_rng(seed: int, phase: str) -> random.Random:
    """An independent stream per phase, so that changing how products are drawn never renames enterprises."""
    return random.Random(f"{seed}:{phase}")  # noqa: S311 - synthetic data, not security  # nosec B311


def section_of(code: str) -> str:
    """GB/T 4754 section letter of a division ("65") or group ("701") code."""
    division = int(code[:2])
    for letter, low, high in SECTION_RANGES:
        if low <= division <= high:
            return letter
    raise ValueError(f"not a GB/T 4754 division or group: {code}")


def forked(seed: int) -> random.Random:
    """A stream of its own for one item (e.g. an application's timeline), replayable from its seed."""
    return random.Random(seed)  # noqa: S311 - synthetic data, not security  # nosec B311


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def quota(rng: random.Random, weights: dict[str, float], total: int) -> list[str]:
    """Exactly `total` labels in proportion to `weights` (largest remainders), shuffled. Every label with a
    positive weight appears at least once when `total` allows it."""
    share = sum(weights.values())
    exact = {k: total * w / share for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    positive = [k for k, w in weights.items() if w > 0]
    if total >= len(positive):
        for k in positive:
            counts[k] = max(counts[k], 1)
    for k in sorted(weights, key=lambda k: (counts[k] - exact[k], k)):
        if sum(counts.values()) >= total:
            break
        counts[k] += 1
    while sum(counts.values()) > total:
        k = max((k for k in counts if counts[k] > 1), key=lambda k: (counts[k] - exact[k], k))
        counts[k] -= 1
    labels = [k for k in weights for _ in range(counts[k])]
    rng.shuffle(labels)
    return labels


# --- regions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionRef:
    """A GB/T 2260 division as plain data (from the database or from xinyidai/refdata)."""

    code: str
    name: str
    level: str
    parent: str | None


def region_refs_from_refdata() -> list[RegionRef]:
    """The Henan division tree from the reference-data file, without a database."""
    from xinyidai.refdata import load_json

    return [
        RegionRef(r["code"], r["name"], r["level"], r["parent"]) for r in load_json("regions_henan.json")["regions"]
    ]


def short_place(name: str) -> str:
    """郑州市 -> 郑州, 中牟县 -> 中牟, 管城回族区 -> 管城; two-character names keep their suffix (义马市 -> 义马)."""
    for suffix in ("回族区", "区", "县", "市"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class RegionPicker:
    """Draws the operating location of an enterprise: a county weighted by city share and county kind
    (urban districts host more firms than rural counties); Jiyuan has no counties and is drawn itself."""

    def __init__(self, regions: Iterable[RegionRef]):
        regions = sorted(regions, key=lambda r: r.code)
        self.by_code = {r.code: r for r in regions}
        self.cities = [r for r in regions if r.level == "city"]
        self.counties_of = {
            c.code: [r for r in regions if r.parent == c.code and r.level == "county"] for c in self.cities
        }
        self.places, weights = [], []
        for city in self.cities:
            counties = self.counties_of[city.code] or [city]
            kind_weight = [self._kind_weight(c) for c in counties]
            total = sum(kind_weight)
            for county, w in zip(counties, kind_weight, strict=True):
                self.places.append(county)
                weights.append(CITY_WEIGHTS.get(city.code, 1.0) * w / total)
        self.weights = weights

    @staticmethod
    def _kind_weight(region: RegionRef) -> float:
        if region.name.endswith("区"):
            return 3.0
        if region.name.endswith("市") and region.level == "county":
            return 2.0
        return 1.2

    def pick(self, rng: random.Random) -> RegionRef:
        return rng.choices(self.places, weights=self.weights)[0]

    def city_of(self, region: RegionRef) -> RegionRef:
        return region if region.level != "county" else self.by_code[region.parent]

    def counties(self, city_code: str | None = None) -> list[RegionRef]:
        """Rural counties (县) of a city, or of the whole province."""
        cities = [city_code] if city_code else [c.code for c in self.cities]
        return [r for code in cities for r in self.counties_of.get(code, []) if r.name.endswith("县")]


# --- people, names, contacts ---------------------------------------------------------------------------


def person_name(rng: random.Random) -> str:
    surname = rng.choices([s for s, _w in vocab.SURNAMES], weights=[w for _s, w in vocab.SURNAMES])[0]
    length = 2 if rng.random() < 0.7 else 1
    return surname + "".join(rng.choice(vocab.GIVEN_CHARS) for _ in range(length))


def mobile_phone(rng: random.Random) -> str:
    return rng.choice(vocab.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random, city_code: str) -> str:
    return f"{vocab.AREA_CODES.get(city_code, '0371')}-{rng.randint(5, 6)}{rng.randrange(10**6, 10**7)}"


def street_address(rng: random.Random, city: RegionRef, county: RegionRef) -> str:
    place = city.name + (county.name if county.code != city.code else "")
    if rng.random() < 0.25:
        return f"{place}{rng.choice(vocab.PARKS)}{rng.randint(1, 12)}号楼"
    return f"{place}{rng.choice(vocab.ROADS)}{rng.randint(1, 399)}号"


def trade_name(rng: random.Random) -> str:
    """A two-character 字号 (trade name), e.g. 鼎盛, 恒通."""
    first = rng.choice(vocab.TRADE_FIRST)
    second = rng.choice(vocab.TRADE_SECOND)
    while second == first:
        second = rng.choice(vocab.TRADE_SECOND)
    return first + second


def pick_industry(rng: random.Random) -> str:
    return weighted(rng, vocab.INDUSTRY_WEIGHTS)


def size_figures(rng: random.Random, industry_code: str) -> tuple[int, Decimal, Decimal]:
    """(employees, operating revenue in yuan, total assets in yuan) for a firm of a drawn size tier."""
    section = section_of(industry_code)
    tier = weighted(rng, SIZE_TIERS)
    low, high = EMPLOYEES_BY_TIER[tier]
    employees = round(math.exp(rng.uniform(math.log(low), math.log(high))))
    per_head = REVENUE_PER_HEAD_WAN.get(industry_code[:2]) or REVENUE_PER_HEAD_WAN.get(section) or (10, 40)
    revenue_wan = employees * rng.uniform(*per_head)
    ratio = ASSETS_TO_REVENUE.get(section, (0.3, 1.0))
    assets_wan = revenue_wan * rng.uniform(*ratio)
    return employees, _yuan_rounded(revenue_wan), _yuan_rounded(assets_wan)


def _yuan_rounded(wan: float) -> Decimal:
    """万元 -> yuan, rounded to the thousand yuan as financial statements usually are."""
    return (Decimal(round(wan * 10)) * Decimal(1000)).quantize(CENT)


def pick_tags(rng: random.Random, industry_code: str, employees: int, cooperative: bool) -> tuple[str, ...]:
    """Qualification tags: technology tags for manufacturing, IT and R&D firms; 农业经营主体 for agriculture."""
    section = section_of(industry_code)
    tags = set()
    if section in ("C", "I", "M"):
        if employees >= 10 and rng.random() < 0.16:
            tags.add("zjtx")
        if employees >= 10 and rng.random() < 0.18:
            tags.add("gxjs")
        if employees < 500 and rng.random() < 0.25:
            tags.add("kjxzx")
    if section == "A" and (cooperative or rng.random() < 0.75):
        tags.add("nyjyzt")
    if section in ("D", "N") and rng.random() < 0.5 or section == "C" and rng.random() < 0.06:
        tags.add("lsqy")
    return tuple(sorted(tags))


def enterprise_name(
    rng: random.Random,
    *,
    city: RegionRef,
    county: RegionRef,
    industry_code: str,
    employees: int,
    cooperative: bool = False,
    make_trade_name=None,
) -> str:
    """City prefix + 字号 + industry word + 有限公司 (郑州鼎盛商贸有限公司); county-level cities and counties
    often register under their own name (巩义宏达耐火材料有限公司); cooperatives name their county in full.
    `make_trade_name(rng)` picks the 字号 (the province scale passes a more varied one)."""
    trade = (make_trade_name or trade_name)(rng)
    if cooperative:
        place = county.name if not county.name.endswith("区") else city.name + county.name
        return place + trade + rng.choice(vocab.COOPERATIVE_WORDS[industry_code[:2]])
    roll = rng.random()
    if employees >= 300 and roll < 0.3:
        place = "河南"
    elif county.level == "county" and not county.name.endswith("区") and roll < 0.45:
        place = short_place(county.name)
    else:
        place = short_place(city.name)
    word = rng.choice(vocab.INDUSTRY_WORDS[industry_code])
    if employees >= 300 and rng.random() < 0.3:
        suffix = "股份有限公司"
    else:
        suffix = "有限责任公司" if rng.random() < 0.06 else "有限公司"
    return place + trade + word + suffix


MODERN_ORG_PREFIX = ALPHABET.index("M") * 31 + ALPHABET.index("A")  # codes issued since 2015 start with MA


def organization_serial(rng: random.Random) -> int:
    """A serial for uscc_build giving a realistic organization code: MA + 6 characters (issued with the
    USCC since 2015) for most firms, an all-digit legacy GB 11714 code for older ones."""
    if rng.random() < 0.75:
        return MODERN_ORG_PREFIX * 31**6 + rng.randrange(31**6)
    digits = [rng.choice("34567")] + [str(rng.randrange(10)) for _ in range(7)]
    return sum(int(d) * 31 ** (7 - i) for i, d in enumerate(digits))


def enterprise_uscc(rng: random.Random, *, division: str, cooperative: bool, taken: set[str]) -> str:
    """A valid, unused USCC registered in `division` (91 enterprise, 93 farmers' cooperative)."""
    prefix = "93" if cooperative else "91"
    while True:
        code = uscc_build(division=division, serial=organization_serial(rng), prefix=prefix)
        if code not in taken:
            taken.add(code)
            return code


@dataclass(frozen=True)
class EnterpriseSpec:
    uscc: str
    name: str
    legal_representative: str
    region_code: str  # operating county (or Jiyuan)
    industry_code: str
    employees: int
    revenue: Decimal  # yuan
    assets: Decimal  # yuan
    tags: tuple[str, ...]
    address: str
    contact_phone: str
    claimed: bool  # registered by its own user; otherwise a skeleton created from a data feed
    joined_days_ago: int


def iter_enterprises(
    rng: random.Random,
    count: int,
    regions: Iterable[RegionRef],
    *,
    reserved_names: Iterable[str] = (),
    reserved_usccs: Iterable[str] = (),
    claimed_share: float = 0.8,
) -> Iterator[EnterpriseSpec]:
    """`count` distinct enterprises spread over Henan; names and USCCs never repeat nor hit the reserved ones.

    The registering authority is the county's bureau for most firms and the city's for about one in five
    (positions 3-8 of the USCC), as with real codes.
    """
    picker = RegionPicker(regions)
    names, usccs = set(reserved_names), set(reserved_usccs)
    for _ in range(count):
        county = picker.pick(rng)
        city = picker.city_of(county)
        code = pick_industry(rng)
        cooperative = section_of(code) == "A" and code[:2] in vocab.COOPERATIVE_WORDS and rng.random() < 0.3
        employees, revenue, assets = size_figures(rng, code)
        name = enterprise_name(rng, city=city, county=county, industry_code=code, employees=employees,
                               cooperative=cooperative)  # fmt: skip
        while name in names:
            name = enterprise_name(rng, city=city, county=county, industry_code=code, employees=employees,
                                   cooperative=cooperative)  # fmt: skip
        names.add(name)
        division = city.code if county.level == "county" and rng.random() < 0.2 else county.code
        yield EnterpriseSpec(
            uscc=enterprise_uscc(rng, division=division, cooperative=cooperative, taken=usccs),
            name=name,
            legal_representative=person_name(rng),
            region_code=county.code,
            industry_code=code,
            employees=employees,
            revenue=revenue,
            assets=assets,
            tags=pick_tags(rng, code, employees, cooperative),
            address=street_address(rng, city, county),
            contact_phone=landline(rng, city.code) if rng.random() < 0.6 else mobile_phone(rng),
            claimed=rng.random() < claimed_share,
            joined_days_ago=rng.randint(20, 1400),
        )


# --- products, amounts, terms, rates ---------------------------------------------------------------


def product_slots(
    rng: random.Random, banks: Sequence[Bank], count: int, anchors: Sequence[ProductSlot] = ()
) -> list[ProductSlot]:
    """`count` products: the anchors, then round-robin over the banks, each drawing a template it offers
    (weighted) at its head office (province-wide) or at one of its branches; half carry the bank's brand."""
    slots = list(anchors)
    used = {(s.institution_code, s.template) for s in slots} | {(s.institution_code, s.name) for s in slots}
    i = 0
    while len(slots) < count:
        bank = banks[i % len(banks)]
        i += 1
        offered = [t for t in PRODUCT_TEMPLATES if not t.banks or bank.code in t.banks]
        template = rng.choices(offered, weights=[t.weight for t in offered])[0]
        location = "hq" if rng.random() < 0.3 else rng.choice(bank.branch_cities)
        name = template.name if rng.random() < 0.5 else bank.brand + template.name
        slot = ProductSlot(bank.code, location, template.key, name)
        if (slot.institution_code, template.key) in used or (slot.institution_code, name) in used:
            if i > count * 50:
                raise ValueError("not enough distinct products for this many slots")
            continue
        used |= {(slot.institution_code, template.key), (slot.institution_code, name)}
        slots.append(slot)
    return slots


def product_region_codes(
    rng: random.Random, template: ProductTemplate, location: str, picker: RegionPicker
) -> list[str]:
    """Regions a product is restricted to: a few rural counties, or a few cities for a head-office product;
    empty means the institution's whole region."""
    if template.region_rule == "counties":
        counties = picker.counties(None if location == "hq" else location)
        if not counties:
            return []
        return sorted(r.code for r in rng.sample(counties, min(len(counties), rng.randint(3, 6))))
    if template.region_rule == "cities" and location == "hq":
        return sorted(c.code for c in rng.sample(picker.cities, rng.randint(3, 6)))
    return []


def amount_wan(rng: random.Random, size_class: str, low: int = 1, high: int = 5000) -> int | None:
    """A requested amount in 万元 for the firm's size, within [low, high], in round steps; None if the
    range is out of the firm's reach."""
    high = min(high, LOAN_CAP_WAN.get(size_class, 300))
    if low > high:
        return None
    value = math.exp(rng.uniform(math.log(max(low, 1)), math.log(high)))
    step = 1 if value < 20 else 5 if value < 100 else 10 if value < 1000 else 50
    return int(min(high, max(low, round(value / step) * step)))


def pick_term(rng: random.Random, low: int = 1, high: int = 360) -> int:
    terms = [t for t in STANDARD_TERMS if low <= t <= high]
    return rng.choice(terms) if terms else low


def rate_between(rng: random.Random, low: Decimal, high: Decimal) -> Decimal:
    """An annual rate in [low, high] on a 0.05-point grid, as banks quote them."""
    steps = int((high - low) / Decimal("0.05"))
    return (low + Decimal("0.05") * rng.randint(0, max(steps, 0))).quantize(Decimal("0.001"))


def guarantee_modes(rng: random.Random) -> list[str]:
    """Guarantee modes a demand accepts; credit (04) nearly always."""
    return rng.choices([["04"], ["03", "04"], ["02", "04"], ["01", "02", "03", "04"]], weights=[50, 25, 15, 10])[0]


def purpose(rng: random.Random, industry_code: str) -> str:
    return rng.choice(vocab.PURPOSES.get(section_of(industry_code), vocab.PURPOSES[""]))


# --- time -------------------------------------------------------------------------------------------------

# Hours between consecutive steps of an application, by step.
STEP_HOURS = {
    "accept": (2, 72),
    "approve": (20, 240),
    "reject": (20, 200),
    "disburse": (20, 168),
    "withdraw": (1, 72),
    "decline": (12, 200),
}
OFFICER_STEPS = {"accept", "approve", "reject", "disburse"}
STEPS_TO = {
    "submitted": (),
    "accepted": ("accept",),
    "approved": ("accept", "approve"),
    "rejected": ("accept", "reject"),
    "disbursed": ("accept", "approve", "disburse"),
    "withdrawn": ("withdraw",),
    "declined": ("accept", "approve", "decline"),
}


def history_days_ago(rng: random.Random, horizon_days: int = 540) -> float:
    """How long ago a past event happened, within the horizon, denser recently (the platform grows)."""
    return 1 + (horizon_days - 1) * rng.random() ** 1.4


def sme_time(rng: random.Random, day: datetime.datetime) -> datetime.datetime:
    """A moment on that local day when an enterprise user might be online (08:00-22:59)."""
    return day.replace(hour=rng.randint(8, 22), minute=rng.randrange(60), second=rng.randrange(60), microsecond=0)


def business_time(rng: random.Random, moment: datetime.datetime, is_working_day) -> datetime.datetime:
    """The first bank working hour at or after `moment` (09:00-17:00 on a working day), with some jitter.

    Exactly one draw whatever the moment, so the random stream never depends on the clock.
    """
    jitter = rng.random()
    if moment.hour >= 17 or not is_working_day(moment.date()):
        day = moment + datetime.timedelta(days=1)
        while not is_working_day(day.date()):
            day += datetime.timedelta(days=1)
        return day.replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(seconds=int(jitter * 5400))
    if moment.hour < 9:
        return moment.replace(hour=9, minute=0, second=0, microsecond=0) + datetime.timedelta(
            seconds=int(jitter * 3600)
        )
    return moment


def step_times(
    rng: random.Random, start: datetime.datetime, steps: Sequence[str], is_working_day
) -> list[datetime.datetime]:
    """A moment for each step after `start`; bank steps fall in working hours."""
    times, current = [], start
    for step in steps:
        low, high = STEP_HOURS[step]
        current = current + datetime.timedelta(hours=rng.uniform(low, high))
        if step in OFFICER_STEPS:
            current = business_time(rng, current, is_working_day)
        current = current.replace(microsecond=0)
        times.append(current)
    return times
