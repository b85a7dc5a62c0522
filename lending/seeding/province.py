"""Pure generators for the bulk scales (`seed_demo --scale medium|province`): the provincial bank network,
where Henan's firms are, what they are called and how big they are, and exact-count samplers.

Like `generators`, everything here is a function of a `random.Random` and plain data, touches no database,
and gives the same output for the same seed. It reuses `generators` (names, people, addresses, tags,
amounts, timelines) and `catalog` (the bank model, product templates) and adds what a million rows need:
O(log n) weighted picks, more 字号 variety, USCCs that can never collide, and the size standard applied
once per industry.
"""

import bisect
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from decimal import Decimal

from creditinfo.sizing import rule_for, size_class_for
from creditinfo.uscc import uscc_build
from lending.seeding import generators as gen
from lending.seeding import vocab
from lending.seeding.catalog import BANKS, ZHENGZHOU, Bank

# --- where the firms are -------------------------------------------------------------------------------

# Registered enterprises by city, in 万户 (rounded from the provincial market-regulation statistics):
# Zhengzhou far ahead, then the populous Nanyang, Zhoukou and Shangqiu, then Luoyang.
CITY_ENTERPRISES_WAN: dict[str, float] = {
    "410100": 60.0, "411300": 19.0, "411600": 17.0, "411400": 16.5, "410300": 16.0, "411500": 14.0,
    "411700": 13.5, "410700": 13.0, "410500": 11.0, "410400": 10.5, "411000": 10.5, "410200": 10.0,
    "410900": 8.0, "410800": 7.5, "411100": 5.5, "411200": 4.5, "410600": 3.5, "419001": 2.2,
}  # fmt: skip
CITIES_BY_SIZE: tuple[str, ...] = tuple(sorted(CITY_ENTERPRISES_WAN, key=lambda c: (-CITY_ENTERPRISES_WAN[c], c)))


class PlacePicker:
    """Draws an enterprise's county in O(log n): a city by its share of Henan's firms, then a county of that
    city, urban districts heavier than county-level cities, and those heavier than rural counties (the kind
    weights of `generators.RegionPicker`). Jiyuan has no counties and is drawn itself."""

    def __init__(self, regions: Iterable[gen.RegionRef], city_weights: dict[str, float] = CITY_ENTERPRISES_WAN):
        regions = sorted(regions, key=lambda r: r.code)
        self.by_code = {r.code: r for r in regions}
        cities = [r for r in regions if r.level == "city"]
        self.places: list[gen.RegionRef] = []
        self.city_of_place: list[gen.RegionRef] = []
        weights: list[float] = []
        for city in cities:
            counties = [r for r in regions if r.parent == city.code and r.level == "county"] or [city]
            kinds = [gen.RegionPicker._kind_weight(c) for c in counties]
            for county, kind in zip(counties, kinds, strict=True):
                self.places.append(county)
                self.city_of_place.append(city)
                weights.append(city_weights.get(city.code, 1.0) * kind / sum(kinds))
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]
        self.index = {p.code: i for i, p in enumerate(self.places)}

    def pick(self, rng: random.Random) -> int:
        """Index of a place in `places`."""
        return bisect.bisect_right(self.cum, rng.random() * self.total)


class WeightedPicker:
    """rng.choices with precomputed cumulative weights: one draw, one bisect."""

    def __init__(self, weights: dict):
        self.keys = list(weights)
        self.cum = list(itertools.accumulate(weights[k] for k in self.keys))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.keys[bisect.bisect_right(self.cum, rng.random() * self.total)]


# --- names and size ---------------------------------------------------------------------------------------

TRADE_THIRD = vocab.TRADE_SECOND + "之方德嘉亿宝鼎华丰源"


def varied_trade_name(rng: random.Random) -> str:
    """A 字号 of two (25%), three (55%) or four (20%) characters: 鼎盛, 鼎盛源, 鼎盛华通. Two-character names
    alone give ~2,000 combinations, far too few for a million firms."""
    roll = rng.random()
    base = gen.trade_name(rng)
    if roll < 0.25:
        return base
    if roll < 0.80:
        return base + rng.choice(TRADE_THIRD)
    return base + gen.trade_name(rng)


def enterprise_name(
    rng: random.Random,
    *,
    city: gen.RegionRef,
    county: gen.RegionRef,
    industry_code: str,
    employees: int,
    cooperative: bool = False,
) -> str:
    """`generators.enterprise_name` with a varied 字号: city or county prefix + 字号 + industry word + 有限公司."""
    return gen.enterprise_name(
        rng,
        city=city,
        county=county,
        industry_code=industry_code,
        employees=employees,
        cooperative=cooperative,
        make_trade_name=varied_trade_name,
    )


# Most registered enterprises are micro firms (about three in four under the 2011 standard), a fifth small,
# a few percent medium and large. The tier is only aimed at; the size standard decides the class.
BULK_SIZE_TIERS = {"micro": 0.80, "small": 0.16, "medium": 0.035, "large": 0.005}
BULK_EMPLOYEES_BY_TIER = {"micro": (1, 9), "small": (8, 80), "medium": (60, 280), "large": (320, 2000)}
_TIER_PICKER = WeightedPicker(BULK_SIZE_TIERS)


def size_figures(rng: random.Random, industry_code: str, section: str) -> tuple[int, Decimal, Decimal]:
    """`generators.size_figures` with the bulk tier mix: (employees, revenue in yuan, total assets in yuan)."""
    low, high = BULK_EMPLOYEES_BY_TIER[_TIER_PICKER.pick(rng)]
    employees = round(math.exp(rng.uniform(math.log(low), math.log(high))))
    per_head = gen.REVENUE_PER_HEAD_WAN.get(industry_code[:2]) or gen.REVENUE_PER_HEAD_WAN.get(section) or (10, 40)
    revenue_wan = employees * rng.uniform(*per_head)
    assets_wan = revenue_wan * rng.uniform(*gen.ASSETS_TO_REVENUE.get(section, (0.3, 1.0)))
    return employees, gen._yuan_rounded(revenue_wan), gen._yuan_rounded(assets_wan)


class SizeClassifier:
    """`creditinfo.sizing.size_class_for` under one standard's rules, with each industry's category looked up
    once (`rule_for`) instead of once per firm: the same answer, a fraction of the work per row."""

    def __init__(self, rules: dict, ancestors: dict[str, list[str]]):
        self.rules_by_code = {}
        for code, above in ancestors.items():
            rule = rule_for(rules, [code, *above])
            self.rules_by_code[code] = {"categories": {"rule": {**rule, "codes": [code]}}, "fallback": "rule"}

    def __call__(self, industry_code: str, employees: int, revenue: Decimal, assets: Decimal) -> str:
        return size_class_for(
            rules=self.rules_by_code[industry_code],
            industry_code=industry_code,
            industry_ancestors=[],
            employees=employees,
            revenue_yuan=revenue,
            assets_yuan=assets,
        )


# --- USCCs by serial ------------------------------------------------------------------------------------

MODERN_SPACE = 31**6  # the six characters after "MA"
LEGACY_SPACE = 5 * 10**7  # an all-digit GB 11714 code: a leading 3-7, then seven digits
_MODERN_MUL, _MODERN_ADD = 387_420_489, 12_345_678  # 3**18 is coprime to 31**6: a bijection on the space
_LEGACY_MUL, _LEGACY_ADD = 4_435_761, 19_260_817  # odd, not a multiple of 5: coprime to 2**7 * 5**8


def organization_serial(index: int, legacy: bool) -> int:
    """The uscc_build serial of the `index`-th generated enterprise. A bijection of the index onto the modern
    (MA + 6 characters) or legacy (8 digits) code space, so codes look scattered yet never repeat."""
    if not legacy:
        return gen.MODERN_ORG_PREFIX * MODERN_SPACE + (index * _MODERN_MUL + _MODERN_ADD) % MODERN_SPACE
    k = (index * _LEGACY_MUL + _LEGACY_ADD) % LEGACY_SPACE
    digits = "34567"[k // 10**7] + f"{k % 10**7:07d}"
    serial = 0
    for d in digits:
        serial = serial * 31 + ord(d) - 48
    return serial


def enterprise_uscc(index: int, *, division: str, cooperative: bool, legacy: bool, avoid: str = "") -> str:
    """A valid USCC for the `index`-th enterprise registered in `division`; distinct indexes never share one."""
    prefix = "93" if cooperative else "91"
    code = uscc_build(division=division, serial=organization_serial(index, legacy), prefix=prefix)
    if code == avoid:  # the fixed demo enterprise's code, hit by one index in ~900 million
        code = uscc_build(division=division, serial=organization_serial(index, not legacy), prefix=prefix)
    return code


# --- exact counts -----------------------------------------------------------------------------------


def exact_counts(weights: dict[str, float], total: int) -> dict[str, int]:
    """`total` split in proportion to `weights` by largest remainders (every positive weight gets at least
    one when `total` allows)."""
    share = sum(weights.values())
    exact = {k: total * w / share for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in exact.items()}
    for k in sorted(weights, key=lambda k: (counts[k] - exact[k], k)):
        if sum(counts.values()) >= total:
            break
        counts[k] += 1
    positive = [k for k, w in weights.items() if w > 0]
    if total >= len(positive):
        for k in positive:
            while counts[k] == 0:
                donor = max(counts, key=lambda d: (counts[d], d))
                counts[donor] -= 1
                counts[k] += 1
    return counts


class ExactMix:
    """Draws labels without replacement from fixed counts: after `sum(counts)` draws every label has come up
    exactly its count, in a random order, without ever holding the whole list."""

    def __init__(self, counts: dict[str, int]):
        self.remaining = {k: v for k, v in counts.items() if v > 0}

    def __len__(self) -> int:
        return sum(self.remaining.values())

    def draw(self, rng: random.Random) -> str:
        total = sum(self.remaining.values())
        if total <= 0:
            raise ValueError("ExactMix is exhausted")
        x = rng.randrange(total)
        for key, count in self.remaining.items():
            if x < count:
                self.remaining[key] = count - 1
                return key
            x -= count
        raise AssertionError("unreachable")

    def take(self, key: str) -> None:
        """Consume one `key` chosen by the caller (e.g. the fixed demo items)."""
        if self.remaining.get(key, 0) <= 0:
            raise ValueError(f"no {key} left")
        self.remaining[key] -= 1


def spread(rng: random.Random, remaining: int, slots_left: int, skew: float = 1.5) -> int:
    """How many of `remaining` items the next of `slots_left` holders gets: Poisson around the fair share,
    times a gamma factor so that a few holders get many; the last holder takes what is left, so the total
    is exact."""
    if slots_left <= 1:
        return remaining
    mean = remaining / slots_left * rng.gammavariate(skew, 1 / skew)
    # Knuth's Poisson sampler; the means here are small (a few items per holder).
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return min(k, remaining)


# --- the provincial bank network ---------------------------------------------------------------------

ALL_CITIES = CITIES_BY_SIZE


def _cities(count: int, first: Sequence[str] = ()) -> tuple[str, ...]:
    """`count` branch cities: the given ones first, then the others by number of firms."""
    ordered = list(first) + [c for c in CITIES_BY_SIZE if c not in first]
    return tuple(ordered[:count])


def _joint_stock(code: str, short: str, brand: str, count: int) -> Bank:
    """A national joint-stock bank: its Henan head is its 郑州分行; the Zhengzhou city unit is the 营业部."""
    return Bank(code, f"{short}郑州分行", short, brand, _cities(count),
                branch_names={ZHENGZHOU: f"{short}郑州分行营业部"})  # fmt: skip


def _state(code: str, name: str, short: str, brand: str, count: int, pattern: str = "{bank}{city}分行") -> Bank:
    return Bank(code, name, short, brand, _cities(count), branch_pattern=pattern)


_CATALOG = {b.code: b for b in BANKS}

# Thirty banks lending to Henan's SMEs, each with a province-level head office and ~300 branches in all
# eighteen cities. The first eight are the demo catalog's banks (same codes and naming), with more cities.
PROVINCE_BANKS: tuple[Bank, ...] = (
    Bank("ZYB", "中原银行", "中原银行", "中原", _cities(18)),
    Bank("ZZB", "郑州银行", "郑州银行", "郑银", _cities(16, _CATALOG["ZZB"].branch_cities),
         branch_names=_CATALOG["ZZB"].branch_names),
    _state("ICBC", "中国工商银行河南省分行", "中国工商银行", "工银", 18),
    _state("ABC", "中国农业银行河南省分行", "中国农业银行", "农银", 18),
    _state("CCB", "中国建设银行河南省分行", "中国建设银行", "建行", 18),
    _state("BOC", "中国银行河南省分行", "中国银行", "中银", 18),
    Bank("HNRCB", "河南农商银行", "河南农商银行", "农商", _cities(18), branch_pattern="{city}农商银行"),
    Bank("LYB", "洛阳银行", "洛阳银行", "洛银",
         _cities(8, ("410300", ZHENGZHOU, "411200", "410400", "411300", "410800", "410700", "411000")),
         branch_names=_CATALOG["LYB"].branch_names),
    _state("BOCOM", "交通银行河南省分行", "交通银行", "交银", 14),
    _state("PSBC", "中国邮政储蓄银行河南省分行", "中国邮政储蓄银行", "邮储", 18, "{bank}{city}市分行"),
    _state("ADBC", "中国农业发展银行河南省分行", "中国农业发展银行", "农发", 18, "{bank}{city}市分行"),
    _joint_stock("CMB", "招商银行", "招银", 10),
    _joint_stock("CITIC", "中信银行", "中信", 10),
    _joint_stock("SPDB", "浦发银行", "浦发", 9),
    _joint_stock("CIB", "兴业银行", "兴业", 10),
    _joint_stock("CMBC", "民生银行", "民生", 9),
    _joint_stock("CEB", "光大银行", "光大", 9),
    _joint_stock("HXB", "华夏银行", "华夏", 7),
    _joint_stock("PAB", "平安银行", "平安", 6),
    _joint_stock("CGB", "广发银行", "广发", 6),
    _joint_stock("CZB", "浙商银行", "浙商", 6),
    _joint_stock("CBHB", "渤海银行", "渤海", 4),
    _joint_stock("EGB", "恒丰银行", "恒丰", 4),
    Bank("PDSB", "平顶山银行", "平顶山银行", "鹰城", _cities(5, ("410400", ZHENGZHOU, "411300", "411000", "410300")),
         branch_names={"410400": "平顶山银行总行营业部"}),
    Bank("JZCTB", "焦作中旅银行", "焦作中旅银行", "中旅",
         _cities(5, ("410800", ZHENGZHOU, "419001", "410700", "410300")),
         branch_names={"410800": "焦作中旅银行总行营业部"}),
    Bank("ZYVB", "郑银村镇银行", "郑银村镇银行", "郑银村镇", ("410100", "411000", "410600", "411700", "411600"),
         branch_names={"410100": "新郑郑银村镇银行", "411000": "鄢陵郑银村镇银行", "410600": "浚县郑银村镇银行",
                       "411700": "确山郑银村镇银行", "411600": "扶沟郑银村镇银行"}),
    Bank("CDB", "国家开发银行河南省分行", "国家开发银行", "开行", (ZHENGZHOU,),
         branch_names={ZHENGZHOU: "国家开发银行河南省分行营业部"}),
    Bank("EXIM", "中国进出口银行河南省分行", "中国进出口银行", "进出口", (ZHENGZHOU,),
         branch_names={ZHENGZHOU: "中国进出口银行河南省分行营业部"}),
    Bank("HSBC", "汇丰银行（中国）有限公司郑州分行", "汇丰银行", "汇丰", (ZHENGZHOU,),
         branch_names={ZHENGZHOU: "汇丰银行郑州分行营业部"}),
    Bank("BEA", "东亚银行（中国）有限公司郑州分行", "东亚银行", "东亚", (ZHENGZHOU,),
         branch_names={ZHENGZHOU: "东亚银行郑州分行营业部"}),
)  # fmt: skip

NETWORKS: dict[str, tuple[Bank, ...]] = {"demo": BANKS, "province": PROVINCE_BANKS}
