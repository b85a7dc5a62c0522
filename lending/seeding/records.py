"""Synthetic public credit records (DOMAIN.md §3) for seeded enterprises, as pure generators.

`firm_records(ctx, firm)` returns what the provincial credit platform would hold about one enterprise on the
`as_of` day: its registration (and changes) with the bureau that registered it, licences, a tax credit grade per
year, social insurance and housing fund payment records, and now and then a penalty (双公示), an entry on the
abnormal operation list, utility arrears, a serious-dishonesty or dishonest-judgment-debtor listing, honours for
tagged firms, credit commitments and intellectual property. Decision dates spread over the last six years, so
some negative records are already past their publication window (status `expired`, as the nightly task leaves
them) and some were repaired (after the severity's minimum period).

Pure: a function of the seed, the day and the firm's facts; no database. Each firm draws from its own random
stream (seeded by the seed and the firm's index), so the demo's ORM loader and the bulk COPY loader produce the
same records for the same firm, and a firm's records never depend on the others'. `source_record_id` is
`<prefix><firm index, 8 digits><n, 2 digits>`: unique per source, and increasing in firm order (the bulk load
appends to the unique index instead of scattering into it).

Text comes from the word lists here and never holds a tab, newline or backslash (bulk.assert_copy_safe checks).
"""

import datetime
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from creditinfo.ingest.validation import content_hash as ingest_hash
from creditinfo.models import NEGATIVE_CATEGORIES, CreditRecord, RecordCategory, Severity
from creditinfo.publication import add_months, publication_end, repair_earliest
from lending.seeding import generators as gen
from lending.seeding import vocab

# Plain strings, not the enum members: a record is built millions of times and enum hashing is slow.
C = type("C", (), {member.name: member.value for member in RecordCategory})
ACTIVE, EXPIRED, REPAIRED = (CreditRecord.Status.ACTIVE.value, CreditRecord.Status.EXPIRED.value,
                             CreditRecord.Status.REPAIRED.value)  # fmt: skip
MINOR, GENERAL, SERIOUS = Severity.MINOR.value, Severity.GENERAL.value, Severity.SERIOUS.value
D = datetime.timedelta(days=1)
DAYS = [datetime.timedelta(days=n) for n in range(32)]

# DataSource code (creditinfo.sources.STANDARD_SOURCES) and record id prefix per category.
SOURCE_OF = {
    C.REGISTRATION: ("samr-registration", "DJ"),
    C.LICENCE: ("samr-licence", "XK"),
    C.PENALTY: ("samr-penalty", "CF"),
    C.ABNORMAL_OPERATION: ("samr-abnormal", "YC"),
    C.SERIOUS_DISHONESTY: ("ndrc-dishonesty", "SX"),
    C.JUDGMENT_DEBTOR: ("court-debtor", "ZX"),
    C.TAX_GRADE: ("tax-grade", "NS"),
    C.SOCIAL_INSURANCE: ("hrss-social-insurance", "SB"),
    C.UTILITY: ("utility-payment", "SD"),
    C.HONOUR: ("gov-honour", "RY"),
    C.COMMITMENT: ("ndrc-commitment", "CN"),
    C.INTELLECTUAL_PROPERTY: ("ipa-ip", "ZC"),
}
HISTORY_YEARS = 6  # decision dates of events spread over this many years before as_of
USCC_SINCE = datetime.date(2015, 10, 1)  # firms with an all-digit organization code registered before this

# Firms (by index) that carry a rare category whatever their draw, so that even the 200-firm demo shows every
# section of the profile; the same firms at every scale.
SHOWCASE = {
    7: (C.JUDGMENT_DEBTOR, C.UTILITY),
    19: (C.SERIOUS_DISHONESTY, C.ABNORMAL_OPERATION),
    43: (C.ABNORMAL_OPERATION,),
    61: (C.UTILITY,),
}

# --- word lists -------------------------------------------------------------------------------------------

CAPITAL_WAN = (10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 3000, 5000)
CHANGE_ITEMS = ("注册资本", "经营范围", "住所", "法定代表人", "股东", "高级管理人员备案")

# Licences by industry code (or its first two digits): (title, issuing authority kind, years valid).
LICENCES = {
    "13": [("食品生产许可证", "samr", 5)],
    "14": [("食品生产许可证", "samr", 5)],
    "15": [("食品生产许可证", "samr", 5)],
    "52": [("食品经营许可证", "samr", 5), ("烟草专卖零售许可证", "tobacco", 5)],
    "62": [("食品经营许可证", "samr", 5)],
    "61": [("特种行业许可证（旅馆业）", "police", 5), ("公共场所卫生许可证", "health", 4)],
    "27": [("药品生产许可证", "nmpa", 5)],
    "26": [("危险化学品经营许可证", "safety", 3), ("排污许可证", "env", 5)],
    "10": [("安全生产许可证", "safety", 3), ("采矿许可证", "land", 5)],
    "30": [("排污许可证", "env", 5)],
    "44": [("排污许可证", "env", 5), ("电力业务许可证", "energy", 20)],
    "47": [("建筑业企业资质证书", "housing", 5), ("安全生产许可证", "safety_housing", 3)],
    "48": [("建筑业企业资质证书", "housing", 5)],
    "49": [("建筑业企业资质证书", "housing", 5)],
    "50": [("建筑业企业资质证书", "housing", 5)],
    "54": [("道路运输经营许可证", "transport", 4)],
    "59": [("食品经营许可证（冷链仓储）", "samr", 5)],
    "64": [("增值电信业务经营许可证", "telecom", 5)],
    "65": [("增值电信业务经营许可证", "telecom", 5)],
    "51": [("酒类商品批发许可证", "commerce", 3)],
    "83": [("民办学校办学许可证", "education", 5)],
    "84": [("医疗机构执业许可证", "health", 5)],
    "702": [("物业服务企业备案证明", "housing", 5)],
}

# Penalties: (title, authority kind, severity, fine range in yuan, law, sections it fits or "" for any).
PENALTIES = (
    ("未按规定公示年度报告", "samr", MINOR, (1000, 5000), "《企业信息公示暂行条例》", ""),
    ("未按规定明码标价", "samr", MINOR, (500, 5000), "《中华人民共和国价格法》", "FHR"),
    ("销售不符合食品安全标准的食品", "samr", GENERAL, (5000, 50000), "《中华人民共和国食品安全法》", "FH"),
    ("经营超过保质期的食品", "samr", GENERAL, (5000, 30000), "《中华人民共和国食品安全法》", "FH"),
    ("发布虚假广告", "samr", GENERAL, (10000, 100000), "《中华人民共和国广告法》", ""),
    ("生产销售不合格产品", "samr", GENERAL, (20000, 200000), "《中华人民共和国产品质量法》", "C"),
    ("未按规定办理变更登记", "samr", MINOR, (1000, 10000), "《中华人民共和国市场主体登记管理条例》", ""),
    ("超标排放大气污染物", "env", SERIOUS, (100000, 500000), "《中华人民共和国大气污染防治法》", "BCD"),
    ("建设项目环境影响评价文件未经批准擅自开工建设", "env", GENERAL, (50000, 300000),
     "《中华人民共和国环境影响评价法》", "BCDE"),
    ("未按规定设置危险废物识别标志", "env", MINOR, (10000, 50000), "《中华人民共和国固体废物污染环境防治法》", "BC"),
    ("未按规定对从业人员进行安全生产教育和培训", "safety", MINOR, (10000, 50000), "《中华人民共和国安全生产法》",
     "BCEG"),
    ("未建立事故隐患排查治理制度", "safety", GENERAL, (20000, 100000), "《中华人民共和国安全生产法》", "BCE"),
    ("消防设施、器材未保持完好有效", "fire", MINOR, (5000, 20000), "《中华人民共和国消防法》", ""),
    ("占用、堵塞、封闭疏散通道、安全出口", "fire", GENERAL, (5000, 50000), "《中华人民共和国消防法》", "FHR"),
    ("未按照规定期限办理纳税申报和报送纳税资料", "tax", MINOR, (200, 2000), "《中华人民共和国税收征收管理法》", ""),
    ("未按规定取得发票", "tax", MINOR, (500, 10000), "《中华人民共和国发票管理办法》", ""),
    ("未按时足额支付劳动者劳动报酬", "hrss", GENERAL, (20000, 50000), "《劳动保障监察条例》", "CEH"),
    ("未经批准擅自设置大型户外广告设施", "city", MINOR, (1000, 10000), "《城市市容和环境卫生管理条例》", "FHR"),
    ("道路运输车辆未按规定进行年度审验", "transport", MINOR, (1000, 3000), "《中华人民共和国道路运输条例》", "G"),
    ("未取得建筑工程施工许可证擅自施工", "housing", SERIOUS, (100000, 600000), "《中华人民共和国建筑法》", "E"),
)  # fmt: skip
# The issuing office's word in a decision number: 金市监罚〔2024〕123号.
PENALTY_OFFICES = {
    "samr": "市监罚", "env": "环罚", "safety": "应急罚", "fire": "消行罚", "tax": "税简罚", "hrss": "人社监罚",
    "city": "城管罚", "transport": "交运罚", "housing": "建罚",
}  # fmt: skip
PENALTY_ARTICLES = ("第十八条", "第二十一条", "第三十条", "第四十二条", "第五十六条", "第六十二条", "第九十九条")
ABNORMAL_REASONS = (
    ("未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告", 0.8),
    ("通过登记的住所或者经营场所无法联系", 0.2),
)
DISHONESTY_REASONS = (
    "被列入经营异常名录届满3年仍未履行相关义务",
    "提交虚假材料、采取欺诈手段取得市场主体登记",
    "拒不履行行政处罚决定，情节严重",
)
DEBTOR_OBLIGATIONS = ("支付货款", "支付工程款", "偿还借款本息", "支付租金", "支付劳动报酬")
UTILITIES = (("电费", "power"), ("水费", "water"), ("燃气费", "gas"))
COMMITMENTS = (
    ("行政许可告知承诺", "按承诺期限补齐许可申请材料"),
    ("涉企经营许可事项信用承诺", "守法诚信经营，接受监督检查"),
    ("申请财政资金信用承诺", "资金专款专用，按期报送使用情况"),
    ("融资信用承诺", "如实提供经营和财务信息，按期还本付息"),
    ("证明事项告知承诺", "所承诺事项真实有效"),
)
HONOURS = {
    "zjtx": ("河南省专精特新中小企业", "河南省工业和信息化厅", 3),
    "gxjs": ("高新技术企业", "河南省科学技术厅", 3),
    "kjxzx": ("科技型中小企业（入库）", "河南省科学技术厅", 1),
    "lsqy": ("河南省绿色工厂", "河南省工业和信息化厅", 0),
    "nyjyzt": ("河南省农业产业化重点龙头企业", "河南省农业农村厅", 2),
}
OTHER_HONOURS = (("守合同重信用企业", "samr_city", 2), ("纳税信用A级纳税人", "tax", 0))
PATENT_SUBJECTS = (
    "一种智能检测装置", "一种节能控制系统", "一种数据采集方法", "一种高效混合设备", "一种自动化生产线",
    "一种复合材料及其制备方法", "一种远程监控系统", "一种环保处理装置", "一种物流分拣装置", "一种图像识别方法",
    "一种精密加工夹具", "一种农产品保鲜装置", "一种耐高温耐火材料", "一种电力巡检设备", "一种软件测试方法",
)  # fmt: skip
TRADEMARK_CLASSES = (9, 29, 30, 35, 42, 7, 11, 19, 37, 39, 43)


# --- plain inputs and outputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Firm:
    """What the generator needs to know about one enterprise."""

    index: int  # position in the seeded population (0 = the demo SME); keys the record ids and the stream
    uscc: str
    county: gen.RegionRef  # operating county (Jiyuan: the city itself)
    city: gen.RegionRef
    registrar: gen.RegionRef  # region of the registering bureau (USCC positions 3-8): the county or its city
    industry_code: str
    tags: tuple[str, ...]
    employees: int
    legacy: bool  # all-digit organization code: registered before the USCC (October 2015)
    joined: datetime.date  # joined the platform; registration precedes it
    demo: bool = False  # the fixed demo SME: a curated mix


class Rec(NamedTuple):
    """One credit record as the seeder writes it; `publish_until` is the effective end (publication_end)."""

    source: str  # DataSource code
    source_record_id: str
    category: str
    decision_date: datetime.date
    severity: str
    title: str
    authority: str
    detail: str
    publish_until: datetime.date | None
    status: str
    received: datetime.date  # when the platform got it (created_at)
    changed: datetime.date  # last status change (updated_at)


def content_hash(rec: Rec, uscc: str) -> str:
    """The record's content hash by the importer's recipe (creditinfo.ingest.validation.content_hash: md5 of the
    USCC, category, decision date, severity, title, authority, detail and effective end, joined by U+001F), so
    that re-importing a seeded record as a departmental file finds it unchanged."""
    until = rec.publish_until.isoformat() if rec.publish_until else ""
    return ingest_hash((uscc, rec.category, rec.decision_date.isoformat(), rec.severity, rec.title, rec.authority,
                        rec.detail, until))  # fmt: skip


def id_number(rng: random.Random, area: str, born_from: int = 1962, born_to: int = 1996) -> str:
    """A well-formed 18-digit resident ID (GB 11643): area code, birth date, sequence, MOD 11-2 check."""
    born = datetime.date(born_from, 1, 1) + rng.randrange((born_to - born_from) * 365) * D
    body = f"{area}{born:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(ch) * w for ch, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return body + "10X98765432"[total % 11]


# --- authorities --------------------------------------------------------------------------------------


def _place(region: gen.RegionRef, city: gen.RegionRef) -> str:
    """How a local bureau names its place: 郑州市金水区 (urban district), 中牟县, 巩义市, 郑州市 (the city)."""
    if region.code == city.code or region.level != "county":
        return city.name
    if region.name.endswith("区"):
        return city.name + region.name
    return region.name


@dataclass
class Authorities:
    """Authority names for one operating county, built once per place."""

    samr: str  # the county's (or district's) market-regulation bureau
    samr_city: str
    tax: str
    env: str
    safety: str
    fire: str
    hrss: str
    city: str
    transport: str
    housing: str
    court: str
    court_code: str  # 豫0105: the court's code in case numbers
    social_insurance: str
    housing_fund: str
    power: str
    water: str
    gas: str
    doc_prefix: str  # 金: the short name in document numbers (金市监罚〔2024〕123号)
    other: dict = field(default_factory=dict)

    def of(self, kind: str) -> str:
        return getattr(self, kind, None) or self.other[kind]


def authorities_for(county: gen.RegionRef, city: gen.RegionRef) -> Authorities:
    place = _place(county, city)
    short = gen.short_place(city.name)
    return Authorities(
        samr=f"{place}市场监督管理局",
        samr_city=f"{city.name}市场监督管理局",
        tax=f"国家税务总局{place}税务局",
        env=f"{city.name}生态环境局",
        safety=f"{place}应急管理局",
        fire=f"{place}消防救援大队" if place != city.name else f"{city.name}消防救援支队",
        hrss=f"{place}人力资源和社会保障局",
        city=f"{place}城市管理局",
        transport=f"{place}交通运输局",
        housing=f"{city.name}住房和城乡建设局",
        court=f"{place}人民法院",
        court_code=f"豫{county.code[2:6]}",
        social_insurance=f"{city.name}社会保险中心",
        housing_fund=f"{short}住房公积金管理中心",
        power=f"国网{short}供电公司",
        water=f"{short}市供水有限公司",
        gas=f"{short}市燃气有限公司",
        doc_prefix=gen.short_place(county.name)[:1] if county.code != city.code else short[:1],
        other={
            "tobacco": f"{city.name}烟草专卖局",
            "police": f"{place}公安局",
            "health": f"{place}卫生健康委员会",
            "nmpa": "河南省药品监督管理局",
            "land": "河南省自然资源厅",
            "energy": "国家能源局河南监管办公室",
            "safety_housing": "河南省住房和城乡建设厅",
            "telecom": "河南省通信管理局",
            "commerce": f"{city.name}商务局",
            "education": f"{place}教育局",
            "ndrc": f"{place}发展和改革委员会",
        },
    )


# --- the generator ----------------------------------------------------------------------------------


class RecordContext:
    """The day the records are as of, the seed, and caches shared by every firm of one run."""

    def __init__(self, *, seed: int, as_of: datetime.date):
        self.seed, self.as_of = seed, as_of
        self.rng = random.Random()  # noqa: S311 - synthetic data; reseeded per firm  # nosec B311
        self._authorities: dict[tuple[str, str], Authorities] = {}
        self.last = None  # the last firm's builder state, for extra_payments
        # The latest tax credit evaluation year published by as_of (results come out in April).
        self.tax_year = as_of.year - 1 if as_of >= datetime.date(as_of.year, 4, 20) else as_of.year - 2
        # The latest yearly payment statement (January of the next year).
        self.payment_year = as_of.year - 1 if as_of >= datetime.date(as_of.year, 1, 31) else as_of.year - 2

    def authorities(self, county: gen.RegionRef, city: gen.RegionRef) -> Authorities:
        key = (county.code, city.code)
        found = self._authorities.get(key)
        if found is None:
            found = self._authorities[key] = authorities_for(county, city)
        return found


class _Builder:
    """Collects one firm's records, numbering them per source."""

    def __init__(self, ctx: RecordContext, firm: Firm, rng: random.Random):
        self.ctx, self.firm, self.rng = ctx, firm, rng
        self.records: list[Rec] = []
        self.serial: dict[str, int] = {}
        self.key = f"{firm.index:08d}"

    def add(
        self,
        category: str,
        decision: datetime.date,
        title: str,
        authority: str,
        detail: str,
        *,
        severity: str = "",
        sent_until: datetime.date | None = None,
        repaired_on: datetime.date | None = None,
    ) -> Rec:
        source, prefix = SOURCE_OF[category]
        n = self.serial.get(prefix, 0) + 1
        self.serial[prefix] = n
        as_of = self.ctx.as_of
        decision = min(decision, as_of)
        if sent_until is None and not severity and category not in NEGATIVE:
            until = None
        else:
            until = publication_end(category=category, severity=severity, decision_date=decision,
                                    publish_until=sent_until)  # fmt: skip
        received = min(decision + DAYS[1 + int(self.rng.random() * 7)], as_of)
        status, changed = ACTIVE, received
        if repaired_on is not None and (until is None or repaired_on <= until) and repaired_on <= as_of:
            status, changed = REPAIRED, max(repaired_on, received)
        elif until is not None and until < as_of:
            status, changed = EXPIRED, max(until + D, received)  # the nightly task expired it the day after
        rec = Rec(source, f"{prefix}{self.key}{n:02d}", category, decision, severity, title, authority, detail,
                  until, status, received, changed)  # fmt: skip
        self.records.append(rec)
        return rec


NEGATIVE = frozenset(c.value for c in NEGATIVE_CATEGORIES)


def firm_records(ctx: RecordContext, firm: Firm) -> list[Rec]:
    """The credit records of one firm as of `ctx.as_of`, in a fixed order."""
    rng = ctx.rng
    rng.seed(f"{ctx.seed}:records:{firm.index}")
    b = _Builder(ctx, firm, rng)
    auth = ctx.authorities(firm.county, firm.city)
    registrar = ctx.authorities(firm.registrar, firm.city)
    as_of = ctx.as_of
    founded = _founded(rng, firm, as_of)
    # About one firm in seventeen is in trouble: arrears, penalties and low grades cluster there.
    troubled = rng.random() < 0.06
    risk = 4.0 if troubled else 0.7
    section = gen.section_of(firm.industry_code)
    if firm.demo:
        ctx.last = (b, auth, founded, 0)
        return _demo_records(b, auth, registrar, founded)

    _registration(b, registrar, founded)
    _licences(b, auth, founded, section)
    _tax_grades(b, auth, founded, troubled, years=(3, 3, 4, 5)[int(rng.random() * 4)])
    payment_years = 2 + (rng.random() < 0.4)
    _payments(b, auth, founded, risk, years=payment_years)
    shown = SHOWCASE.get(firm.index, ())
    if rng.random() < 0.03 * risk or C.UTILITY in shown:
        _utility_arrears(b, auth, founded)
    for _ in range(_count(rng, 0.10 * risk)):
        _penalty(b, auth, founded, section)
    if rng.random() < 0.04 * risk or C.ABNORMAL_OPERATION in shown:
        _abnormal(b, registrar, founded)
    if rng.random() < 0.0006 * risk * risk or C.SERIOUS_DISHONESTY in shown:
        _serious_dishonesty(b, registrar, founded)
    if rng.random() < 0.001 * risk * risk or C.JUDGMENT_DEBTOR in shown:
        _judgment_debtor(b, auth, founded)
    _honours(b, auth, founded)
    for _ in range(_count(rng, 0.32)):
        _commitment(b, auth, founded, troubled)
    _intellectual_property(b, founded, section)
    ctx.last = (b, auth, founded, payment_years)
    return b.records


def extra_payments(ctx: RecordContext, count: int) -> list[Rec]:
    """Adds up to `count` yearly social insurance statements to the firm `firm_records` returned last, for the
    years before its usual window (never before it was founded), and returns that firm's whole list. Drawn after
    all its other records, so those stay as they were; the bulk loader uses them to reach an exact total."""
    b, auth, founded, years = ctx.last
    if b.firm.demo:
        return b.records
    rng = b.rng
    staff = max(1, b.firm.employees)
    for n in range(years, years + count):
        year = ctx.payment_year - n
        if year < founded.year:
            break
        b.add(C.SOCIAL_INSURANCE, datetime.date(year + 1, 1, 10 + int(rng.random() * 20)), "社会保险费按时足额缴纳",
              auth.social_insurance, f"{year}年度参保职工{max(1, round(staff * rng.uniform(0.7, 1.0)))}人，"
              "按时足额缴纳养老、医疗、失业、工伤保险费")  # fmt: skip
    return b.records


def _count(rng: random.Random, mean: float) -> int:
    """0, 1 or 2 (rarely 3) events with about this mean."""
    roll = rng.random()
    if roll >= mean:
        return 0
    return 1 + (roll < mean * 0.25) + (roll < mean * 0.04)


def _founded(rng: random.Random, firm: Firm, as_of: datetime.date) -> datetime.date:
    latest = min(firm.joined - 30 * D, as_of - 60 * D)
    if firm.legacy:
        start, end = datetime.date(1998, 1, 1), min(USCC_SINCE - D, latest)
        span = (end - start).days
        return start + int(span * rng.random()) * D if span > 0 else end
    start = min(USCC_SINCE, latest)
    span = (latest - start).days
    return start + int(span * rng.random() ** 0.8) * D if span > 0 else latest


def _after(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    """A day in [start, end] (end if the span is empty)."""
    span = (end - start).days
    return start + int(rng.random() * (span + 1)) * D if span > 0 else end


def _event_day(b: _Builder, founded: datetime.date, earliest_days: int = 5) -> datetime.date:
    """A day in the last six years after the firm existed, at least `earliest_days` before as_of."""
    as_of = b.ctx.as_of
    start = max(founded + 30 * D, as_of - (HISTORY_YEARS * 365) * D)
    return _after(b.rng, start, as_of - earliest_days * D)


def _person(b: _Builder) -> str:
    """A natural person named in a detail: a name with an ID number or a mobile phone (the profile masks them)."""
    rng = b.rng
    name = gen.person_name(rng)
    if rng.random() < 0.5:
        return f"{name}（身份证号{id_number(rng, b.firm.county.code)}）"
    return f"{name}（联系电话{gen.mobile_phone(rng)}）"


def _registration(b: _Builder, registrar: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    capital = rng.choice(CAPITAL_WAN)
    kind = "农民专业合作社" if b.firm.industry_code[:2] in vocab.COOPERATIVE_WORDS and rng.random() < 0.1 else (
        "有限责任公司（自然人投资或控股）")  # fmt: skip
    b.add(C.REGISTRATION, founded, "设立登记", registrar.samr,
          f"企业类型：{kind}；注册资本：{capital}万元人民币；登记状态：存续")  # fmt: skip
    changes = _count(rng, 0.28 if (b.ctx.as_of - founded).days > 730 else 0.08)
    for _ in range(changes):
        item = rng.choice(CHANGE_ITEMS)
        day = _after(rng, founded + 180 * D, b.ctx.as_of - 3 * D)
        if item == "注册资本":
            detail = f"变更事项：注册资本；变更前：{capital}万元；变更后：{capital * rng.choice((2, 3, 5))}万元"
        elif item == "法定代表人":
            detail = f"变更事项：法定代表人；变更前：{gen.person_name(rng)}；变更后：{gen.person_name(rng)}"
        else:
            detail = f"变更事项：{item}"
        b.add(C.REGISTRATION, day, "变更登记", registrar.samr, detail)


def _licences(b: _Builder, auth: Authorities, founded: datetime.date, section: str) -> None:
    rng = b.rng
    code = b.firm.industry_code
    options = LICENCES.get(code) or LICENCES.get(code[:2])
    if not options or rng.random() > 0.55:
        return
    for title, kind, years in options[: 1 + (rng.random() < 0.3)]:
        day = _after(rng, founded + 20 * D, b.ctx.as_of - 2 * D)
        until = add_months(day, 12 * years)
        while True:
            number = f"{kind[:2].upper()}{b.firm.county.code}{day.year}{rng.randrange(10**5):05d}"
            b.add(C.LICENCE, day, title, auth.of(kind), f"许可证编号：{number}；有效期至{until.isoformat()}",
                  sent_until=until)  # fmt: skip
            if until >= b.ctx.as_of - 30 * D or rng.random() < 0.15:
                break
            # Renewed shortly before the old one ran out (a few firms let it lapse and stop).
            day, until = until - int(rng.random() * 60) * D, add_months(until, 12 * years)


GRADE_SCORE = {"A": (90, 99), "B": (70, 89), "C": (40, 69), "D": (11, 39)}


def _tax_grades(b: _Builder, auth: Authorities, founded: datetime.date, troubled: bool, years: int) -> None:
    rng = b.rng
    latest = b.ctx.tax_year
    # Most firms hold a steady grade; a troubled firm slides.
    base = rng.choices("ABC", weights=(20, 75, 5) if troubled else (45, 53, 2))[0]
    for year in range(latest - years + 1, latest + 1):
        if year < founded.year:
            continue
        if year == founded.year or rng.random() < 0.02:
            grade = "M"  # newly established in the year, or no revenue
        else:
            roll = rng.random()
            grade = base
            if roll < 0.15:
                grade = {"A": "B", "B": "A" if not troubled else "C", "C": "B"}[base]
            elif troubled and roll < 0.22:
                grade = "D"
        day = datetime.date(year + 1, 4, 10 + int(rng.random() * 10))
        if grade == "M":
            detail = f"{year}年度纳税信用评价结果：M级（新设立企业或评价年度内无生产经营业务收入）"
        elif grade == "D" and rng.random() < 0.5:
            detail = f"{year}年度纳税信用评价结果：D级（存在逃避缴纳税款等行为，直接判级）"
        else:
            detail = f"{year}年度纳税信用评价结果：{grade}级（评价得分{rng.randint(*GRADE_SCORE[grade])}分）"
        b.add(C.TAX_GRADE, day, grade, auth.tax, detail)


def _payments(b: _Builder, auth: Authorities, founded: datetime.date, risk: float, years: int) -> None:
    """Yearly social insurance and housing fund statements: mostly paid in full, a few in arrears."""
    rng = b.rng
    latest = b.ctx.payment_year
    staff = max(1, b.firm.employees)
    fund = staff >= 5 and rng.random() < 0.75
    for n in range(years):
        year = latest - n
        if year < founded.year:
            break
        day = datetime.date(year + 1, 1, 10 + int(rng.random() * 20))
        insured = max(1, round(staff * rng.uniform(0.7, 1.0)))
        if rng.random() < 0.02 * risk:
            owed = rng.randrange(20, 400) * 100 * insured // 3 + 1000
            b.add(C.SOCIAL_INSURANCE, day, "欠缴社会保险费", auth.social_insurance,
                  f"截至{year}年12月欠缴社会保险费{owed}元，已责令限期缴纳")  # fmt: skip
        else:
            b.add(C.SOCIAL_INSURANCE, day, "社会保险费按时足额缴纳", auth.social_insurance,
                  f"{year}年度参保职工{insured}人，按时足额缴纳养老、医疗、失业、工伤保险费")  # fmt: skip
        if fund:
            day = datetime.date(year + 1, 1, 10 + int(rng.random() * 20))
            if rng.random() < 0.015 * risk:
                b.add(C.SOCIAL_INSURANCE, day, "欠缴住房公积金", auth.housing_fund,
                      f"截至{year}年12月欠缴住房公积金{rng.randrange(5, 200) * 100}元")  # fmt: skip
            else:
                b.add(C.SOCIAL_INSURANCE, day, "住房公积金按时足额缴存", auth.housing_fund,
                      f"{year}年度缴存职工{max(1, insured - int(rng.random() * 3))}人，按时足额缴存")  # fmt: skip


def _utility_arrears(b: _Builder, auth: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    what, kind = rng.choice(UTILITIES)
    day = _event_day(b, founded)
    months = rng.randint(3, 12)
    b.add(C.UTILITY, day, f"拖欠{what}", auth.of(kind),
          f"截至{day.isoformat()}累计欠缴{what}{rng.randrange(20, 3000) * 10}元，逾期{months}个月",
          sent_until=add_months(day, 12))  # fmt: skip


def _penalty(b: _Builder, auth: Authorities, founded: datetime.date, section: str, template=None) -> Rec:
    rng = b.rng
    if template is None:
        fitting = [p for p in PENALTIES if not p[5] or section in p[5]]
        template = rng.choice(fitting)
    title, kind, severity, (low, high), law, _sections = template
    if rng.random() < 0.1:  # the same offence, judged one step milder or harsher
        severity = {MINOR: GENERAL, GENERAL: rng.choice((MINOR, SERIOUS)), SERIOUS: GENERAL}[severity]
    day = _event_day(b, founded)
    fine = round(rng.uniform(low, high), -2)
    issuer = auth.of(kind)
    office = PENALTY_OFFICES.get(kind, "罚")
    number = f"{auth.doc_prefix}{office}〔{day.year}〕{rng.randrange(1, 3000)}号"
    article = rng.choice(PENALTY_ARTICLES)
    detail = f"违反{law}{article}规定，依据{law}相关规定，决定处以罚款人民币{fine:,.0f}元。处罚决定书文号：{number}"
    if rng.random() < 0.3:
        detail += f"。现场负责人：{_person(b)}"
    repaired = None
    if severity != SERIOUS and rng.random() < 0.2:
        # Fine paid, repair approved some time after the minimum period.
        repaired = repair_earliest(severity=severity, decision_date=day) + rng.randrange(5, 60) * D
    return b.add(C.PENALTY, day, title, issuer, detail, severity=severity, repaired_on=repaired)


def _abnormal(b: _Builder, registrar: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    reason = rng.choices([r for r, _w in ABNORMAL_REASONS], weights=[w for _r, w in ABNORMAL_REASONS])[0]
    day = _event_day(b, founded, earliest_days=20)
    if reason.startswith("未依照"):
        day = datetime.date(day.year, 7, 1 + rng.randrange(28))  # listed after the 30 June deadline
        day = min(day, b.ctx.as_of - 20 * D)
    repaired = None
    detail = f"列入原因：{reason}"
    if rng.random() < 0.55:
        repaired = day + rng.randrange(20, 400) * D
        if repaired <= b.ctx.as_of:
            detail += f"；{repaired.isoformat()}已履行公示义务，申请移出经营异常名录"
    b.add(C.ABNORMAL_OPERATION, day, "列入经营异常名录", registrar.samr, detail, repaired_on=repaired)


def _serious_dishonesty(b: _Builder, registrar: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    day = _event_day(b, founded, earliest_days=10)
    b.add(C.SERIOUS_DISHONESTY, day, "列入严重违法失信名单", registrar.samr_city,
          f"列入事由：{rng.choice(DISHONESTY_REASONS)}；法定代表人：{_person(b)}", severity=SERIOUS)  # fmt: skip


def _judgment_debtor(b: _Builder, auth: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    day = _event_day(b, founded, earliest_days=10)
    case = f"（{day.year - rng.randint(0, 1)}）{auth.court_code}执{rng.randrange(1, 9000)}号"
    obligation = f"{rng.choice(DEBTOR_OBLIGATIONS)}{rng.randrange(5, 500) * 1000}元"
    b.add(C.JUDGMENT_DEBTOR, day, "失信被执行人", auth.court,
          f"案号：{case}；生效法律文书确定的义务：{obligation}；失信情形：有履行能力而拒不履行生效法律文书确定义务",
          severity=SERIOUS)  # fmt: skip


def _honours(b: _Builder, auth: Authorities, founded: datetime.date) -> None:
    rng = b.rng
    for tag in b.firm.tags:
        title, issuer, years = HONOURS[tag]
        if tag == "nyjyzt" and rng.random() < 0.7:
            continue  # most agricultural operators are not provincial leading enterprises
        day = _after(rng, max(founded + 365 * D, b.ctx.as_of - 4 * 365 * D), b.ctx.as_of - 10 * D)
        until = add_months(day, 12 * years) if years else None
        b.add(C.HONOUR, day, title, issuer, f"{day.year}年度认定（公告），证书有效期{years or '长期'}年" if years
              else f"{day.year}年度认定", sent_until=until)  # fmt: skip
    if rng.random() < 0.015:
        title, kind, years = rng.choice(OTHER_HONOURS)
        day = _event_day(b, founded)
        b.add(C.HONOUR, day, title, auth.of(kind), f"{day.year}年度公示",
              sent_until=add_months(day, 12 * years) if years else None)  # fmt: skip


def _commitment(b: _Builder, auth: Authorities, founded: datetime.date, troubled: bool) -> None:
    rng = b.rng
    title, promise = rng.choice(COMMITMENTS)
    day = _event_day(b, founded, earliest_days=3)
    kept = rng.random() >= (0.2 if troubled else 0.03)
    outcome = "已履约" if kept else "未履约（未在承诺期限内履行承诺事项）"
    if kept and (b.ctx.as_of - day).days < 90:
        outcome = "履约期内"
    b.add(C.COMMITMENT, day, title, auth.of("ndrc"), f"承诺内容：{promise}；履约情况：{outcome}")


def _intellectual_property(b: _Builder, founded: datetime.date, section: str) -> None:
    rng = b.rng
    tech = {"gxjs", "kjxzx", "zjtx"} & set(b.firm.tags)
    patents = 0
    if tech:
        patents = rng.randint(2, 6)
    elif section in ("C", "I", "M") and rng.random() < 0.3:
        patents = rng.randint(1, 2)
    for _ in range(patents):
        day = _after(rng, founded + 200 * D, b.ctx.as_of - 5 * D)
        invention = rng.random() < 0.3
        kind, digit = ("发明专利", 1) if invention else ("实用新型专利", 2)
        number = f"ZL{day.year - 1}{digit}{rng.randrange(10**7):07d}.{rng.randrange(10)}"
        b.add(C.INTELLECTUAL_PROPERTY, day, f"{kind}：{rng.choice(PATENT_SUBJECTS)}", "国家知识产权局",
              f"专利号：{number}；授权公告日：{day.isoformat()}")  # fmt: skip
    if rng.random() < (0.5 if tech else 0.18):
        day = _after(rng, founded + 100 * D, b.ctx.as_of - 5 * D)
        cls = rng.choice(TRADEMARK_CLASSES)
        b.add(C.INTELLECTUAL_PROPERTY, day, f"注册商标（第{cls}类）", "国家知识产权局商标局",
              f"注册号：{rng.randrange(10**7, 8 * 10**7)}；专用权期限：{day.isoformat()}至"
              f"{add_months(day, 120).isoformat()}")  # fmt: skip


# --- the demo SME's curated mix ------------------------------------------------------------------------

DEMO_PENALTY = ("年度报告公示信息隐瞒真实情况、弄虚作假", "samr", GENERAL, (20000, 20000),
                "《企业信息公示暂行条例》", "")  # fmt: skip
DEMO_PENALTY_DAYS_AGO = 150  # general: repairable after 3 months, published for a year


def _demo_records(b: _Builder, auth: Authorities, registrar: Authorities, founded: datetime.date) -> list[Rec]:
    """郑州星河智能科技有限公司: a sound firm with one repairable general penalty and an old, expired minor one."""
    as_of, rng = b.ctx.as_of, b.rng
    founded = datetime.date(2017, 3, 16)
    b.add(C.REGISTRATION, founded, "设立登记", registrar.samr,
          "企业类型：有限责任公司（自然人投资或控股）；注册资本：1000万元人民币；登记状态：存续")  # fmt: skip
    b.add(C.REGISTRATION, datetime.date(2021, 8, 9), "变更登记", registrar.samr,
          "变更事项：注册资本；变更前：1000万元；变更后：3000万元")  # fmt: skip
    licence = as_of - 3 * 365 * D
    b.add(C.LICENCE, licence, "增值电信业务经营许可证", "河南省通信管理局",
          f"许可证编号：豫B2-{licence.year}0{rng.randrange(1000, 9999)}；有效期至{add_months(licence, 60).isoformat()}",
          sent_until=add_months(licence, 60))  # fmt: skip
    for year, grade in zip(range(b.ctx.tax_year - 4, b.ctx.tax_year + 1), "AABAA", strict=True):
        b.add(C.TAX_GRADE, datetime.date(year + 1, 4, 16), grade, auth.tax,
              f"{year}年度纳税信用评价结果：{grade}级（评价得分{rng.randint(*GRADE_SCORE[grade])}分）")  # fmt: skip
    for year in range(b.ctx.payment_year - 2, b.ctx.payment_year + 1):
        b.add(C.SOCIAL_INSURANCE, datetime.date(year + 1, 1, 18), "社会保险费按时足额缴纳", auth.social_insurance,
              f"{year}年度参保职工{80 + year % 7}人，按时足额缴纳养老、医疗、失业、工伤保险费")  # fmt: skip
        b.add(C.SOCIAL_INSURANCE, datetime.date(year + 1, 1, 22), "住房公积金按时足额缴存", auth.housing_fund,
              f"{year}年度缴存职工{78 + year % 7}人，按时足额缴存")  # fmt: skip
    # The repairable one: general severity, decided 150 days ago (minimum 3 months passed, maximum 1 year not).
    day = as_of - DEMO_PENALTY_DAYS_AGO * D
    b.add(C.PENALTY, day, DEMO_PENALTY[0], registrar.samr,
          f"经查，当事人{day.year - 1}年度报告公示的从业人数与实际不符，违反《企业信息公示暂行条例》第十条规定，"
          f"依据第十八条，决定处以罚款人民币20,000元。处罚决定书文号：金市监罚〔{day.year}〕1187号。"
          f"现场负责人：陈志远（身份证号410105198203152316，联系电话13937125508）",
          severity=GENERAL)  # fmt: skip
    old = as_of - (3 * 365 + 40) * D
    b.add(C.PENALTY, old, "消防设施、器材未保持完好有效", auth.fire,
          f"违反《中华人民共和国消防法》第十六条规定，决定处以罚款人民币5,000元。处罚决定书文号：金消行罚〔{old.year}〕"
          f"0213号", severity=MINOR)  # fmt: skip
    honour = as_of - 400 * D
    b.add(C.HONOUR, honour, "河南省专精特新中小企业", "河南省工业和信息化厅",
          f"{honour.year}年度认定（公告），证书有效期3年", sent_until=add_months(honour, 36))  # fmt: skip
    b.add(C.HONOUR, as_of - 200 * D, "科技型中小企业（入库）", "河南省科学技术厅",
          f"{(as_of - 200 * D).year}年度入库，入库编号202641010500{rng.randrange(1000, 9999)}",
          sent_until=add_months(as_of - 200 * D, 12))  # fmt: skip
    b.add(C.COMMITMENT, as_of - 215 * D, "融资信用承诺", auth.of("ndrc"),
          "承诺内容：如实提供经营和财务信息，按期还本付息；履约情况：已履约")  # fmt: skip
    for days, title, number in (
        (1500, "发明专利：一种基于边缘计算的智能调度方法", "ZL202010123456.7"),
        (900, "发明专利：一种多源数据融合的设备故障预测方法", "ZL202210654321.0"),
        (600, "实用新型专利：一种智能算力服务器散热装置", "ZL202320987654.3"),
    ):
        day = as_of - days * D
        b.add(C.INTELLECTUAL_PROPERTY, day, title, "国家知识产权局", f"专利号：{number}；授权公告日：{day.isoformat()}")
    mark = as_of - 1200 * D
    b.add(C.INTELLECTUAL_PROPERTY, mark, "注册商标（第42类）", "国家知识产权局商标局",
          f"注册号：38765432；专用权期限：{mark.isoformat()}至{add_months(mark, 120).isoformat()}")  # fmt: skip
    return b.records


def copy_safe_values() -> list:
    """Every literal the generator writes (nested), for bulk.assert_copy_safe."""
    return [
        CAPITAL_WAN,
        CHANGE_ITEMS,
        LICENCES,
        PENALTIES,
        PENALTY_ARTICLES,
        ABNORMAL_REASONS,
        DISHONESTY_REASONS,
        DEBTOR_OBLIGATIONS,
        UTILITIES,
        COMMITMENTS,
        HONOURS,
        OTHER_HONOURS,
        PATENT_SUBJECTS,
        DEMO_PENALTY,
        PENALTY_OFFICES,
    ]


def ensure_sources() -> dict[str, int]:
    """The standard data sources' ids by code, created when missing (a data migration normally has). The one
    function here that touches the database."""
    from creditinfo.models import DataSource
    from creditinfo.sources import STANDARD_SOURCES

    ids = {}
    for code, name, department, category in STANDARD_SOURCES:
        source, _created = DataSource.objects.get_or_create(
            code=code, defaults={"name": name, "department": department, "category": category}
        )
        ids[code] = source.pk
    missing = {code for code, _prefix in SOURCE_OF.values()} - set(ids)
    if missing:
        raise ValueError(f"creditinfo.sources lacks {', '.join(sorted(missing))}")
    return ids
