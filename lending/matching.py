"""Match scoring, pure: plain facts in, an explained match out. No ORM here (lending.selectors_matching loads the
facts; the SQL twin of the score for ranking demands lives there and is tested against `match`).

A match is (product, enterprise[, demand]). **Hard eligibility** (every criterion must be met):

============  =============================================================================================
region        the enterprise sits in one of the product's regions (or below), or, when the product lists
              none, in the region its institution serves (or below)
industry      the enterprise's industry section is one the product lists (none listed: any)
size          the enterprise's size class is one the product lists (none listed: any)
tags          the enterprise holds at least one of the product's qualification tags (none listed: no need)
grade         the enterprise's platform evaluation is the product's minimum grade or better (A best, D worst);
              an enterprise without an evaluation fails a product that sets a minimum (no criterion when the
              product sets none)
amount        with a demand: its amount lies within the product's amount range
term          with a demand: its term lies within the product's term range
guarantee     with a demand: the product's guarantee mode is one the demand accepts (a demand listing no
              mode accepts any)
============  =============================================================================================

The first five are exactly `lending.eligibility` (the product supermarket's rule, pure and SQL); a test keeps
the three in agreement.

**Soft ranking**, 0-100 points, rounded half up to an integer:

==========  ======  ============================================================================================
factor      max     points
==========  ======  ============================================================================================
rate        25      by the product's minimum annual rate: 25 at RATE_BEST (3 %) or lower, 0 at RATE_WORST (9 %)
                    or higher, linear between
approval    20      the bank's approval rate on the platform (credit granted / applications decided, last 12
                    months) x 20; 10 (neutral) with fewer than MIN_DECISIONS decisions
speed       15      the bank's average working days from submission to decision: 15 at FAST_DAYS (1) or fewer,
                    0 at SLOW_DAYS (10) or more, linear between; 7.5 (neutral) with fewer than MIN_DECISIONS
grade       20      the enterprise's grade: A 20, B 15, C 10, D 4, not evaluated 7
fit         20      with a demand: 10 x amount fit + 10 x term fit, where a fit is 1 at the middle of the
                    product's range, falling linearly to 0 at its ends and outside; 10 (neutral) without one
==========  ======  ============================================================================================

Rate, approval and speed are the product's and its bank's, the same for every enterprise; grade and fit rank the
enterprises and demands for one product. The score is advisory: eligibility decides what is shown first.

The arithmetic is IEEE double precision in a fixed order (`score_total`), so that the SQL twin (PostgreSQL float8)
gives the very same integer; no money is computed here, amounts only place a demand within a range.
"""

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

GRADES = ("A", "B", "C", "D")  # best first

W_RATE, W_APPROVAL, W_SPEED, W_GRADE, W_FIT = 25.0, 20.0, 15.0, 20.0, 20.0
W_AMOUNT_FIT = W_TERM_FIT = W_FIT / 2
RATE_BEST, RATE_WORST = 3.0, 9.0  # % a year
FAST_DAYS, SLOW_DAYS = 1.0, 10.0  # working days to a decision
MIN_DECISIONS = 5  # fewer decisions on the platform say nothing about a bank: neutral points
GRADE_POINTS = {"A": 20.0, "B": 15.0, "C": 10.0, "D": 4.0, "": 7.0}
NEUTRAL = 0.5

SIZE_LABELS = {"large": _("Large"), "medium": _("Medium"), "small": _("Small"), "micro": _("Micro")}
MODE_LABELS = {
    "01": _("Pledge"),
    "02": _("Mortgage"),
    "03": _("Guarantee"),
    "04": _("Credit"),
    "00": _("Other"),
}


# --- facts ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseFacts:
    """What matching needs to know of an enterprise, loaded once per request.

    `grade` is the platform evaluation's grade ("" when not evaluated); None means it was not loaded
    (lending.eligibility reads it then, only for a product that sets a minimum grade). The grade, the id and
    the names take no part in comparisons: two enterprises with the same facts compare equal whether or not
    their grade was loaded.
    """

    region_ids: tuple[int, ...]  # county, city, province
    section_code: str
    size_class: str
    tag_ids: frozenset[int]
    grade: str | None = field(default="", compare=False)
    enterprise_id: int | None = field(default=None, compare=False)
    region_name: str = field(default="", compare=False)
    section_name: str = field(default="", compare=False)

    @classmethod
    def of(cls, enterprise, *, region=None) -> "EnterpriseFacts":
        """From an Enterprise with its region chain (or `region`, e.g. a demand's, with its chain), industry chain
        and tags loaded; the evaluation's grade when it is loaded too (select_related("evaluation")), else None
        (read later, only if needed)."""
        region, industry = region or enterprise.region, enterprise.industry
        grade = None
        if type(enterprise).evaluation.is_cached(enterprise):
            evaluation = getattr(enterprise, "evaluation", None)
            grade = evaluation.grade if evaluation is not None else ""
        section = _section_of(industry)
        return cls(
            region_ids=tuple(region.ancestors_and_self_ids()),
            section_code=section.code if section else "",
            size_class=enterprise.size_class,
            tag_ids=frozenset(t.pk for t in enterprise.tags.all()),
            grade=grade,
            enterprise_id=enterprise.pk,
            region_name=region.name,
            section_name=section.name if section else "",
        )


def _section_of(industry):
    """The GB/T 4754 section above an industry (the industry itself for a section), or None."""
    node = industry
    while node is not None and node.parent_id is not None and node.level != "section":
        node = node.parent
    return node


@dataclass(frozen=True)
class DemandFacts:
    """A financing demand: amount in yuan, term in months, the guarantee mode codes it accepts."""

    amount: Decimal
    term_months: int
    guarantee_modes: tuple[str, ...] = ()
    demand_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProductFacts:
    """A product's terms and eligibility rules; `region_ids` are its listed regions, or (`regions_listed`
    False) the one region its institution serves."""

    product_id: int
    institution_id: int
    bank_id: int  # the head office: performance is the bank's
    region_ids: frozenset[int]
    regions_listed: bool
    sections: frozenset[str]
    size_classes: frozenset[str]
    tag_ids: frozenset[int]
    amount_min: Decimal
    amount_max: Decimal
    term_min_months: int
    term_max_months: int
    rate_min: Decimal
    guarantee_mode: str
    min_grade: str = ""
    name: str = field(default="", compare=False)
    region_names: tuple[str, ...] = field(default=(), compare=False)
    tag_names: tuple[str, ...] = field(default=(), compare=False)
    tag_labels: tuple[tuple[int, str], ...] = field(default=(), compare=False)  # (tag id, name): who holds which


@dataclass(frozen=True)
class Performance:
    """A bank's decisions on the platform: applications decided, credit granted, working days to decide (sum)."""

    decided: int = 0
    granted: int = 0
    working_days: int = 0

    @property
    def known(self) -> bool:
        return self.decided >= MIN_DECISIONS

    @property
    def approval_rate(self) -> float | None:
        return self.granted / self.decided if self.known else None

    @property
    def average_days(self) -> float | None:
        return self.working_days / self.decided if self.known else None


NO_PERFORMANCE = Performance()


# --- messages -----------------------------------------------------------------------------------------------


class Reason:
    """A message rendered in the reader's language when shown: an English msgid and its parameters."""

    __slots__ = ("template", "params")

    def __init__(self, template, **params):
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return str(self.template) % {key: str(value) for key, value in self.params.items()}

    def __repr__(self) -> str:
        return f"Reason({str(self)!r})"

    def __eq__(self, other) -> bool:
        return str(self) == str(other)

    __hash__ = None


TWO_PLACES = Decimal("0.01")


def _wan_number(amount) -> str:
    """Yuan as 万 with at most two decimals, half up, thousands separated: 3000000 -> "300", 125000 -> "12.5"."""
    number = f"{(Decimal(amount).scaleb(-4)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP):,f}"
    return number.rstrip("0").rstrip(".") if "." in number else number


class Wan:
    """An amount in yuan (or a range: two amounts) shown in 万元 without trailing zeros ("300万元", "10–500万元")."""

    __slots__ = ("amounts",)

    def __init__(self, *amounts: Decimal):
        self.amounts = amounts

    def __str__(self) -> str:
        return gettext("%(value)s 10k yuan") % {"value": "–".join(_wan_number(a) for a in self.amounts)}


class Joined:
    """Labels joined with the reader's list separator when shown."""

    __slots__ = ("labels",)

    def __init__(self, labels):
        self.labels = list(labels)

    def __str__(self) -> str:
        return gettext(", ").join(str(label) for label in self.labels)


@dataclass(frozen=True)
class Criterion:
    """One hard criterion: `met`, and a message that says why."""

    key: str
    met: bool
    message: Reason


@dataclass(frozen=True)
class Factor:
    """One part of the score: points earned of `max_points`, and what earned them."""

    key: str
    points: float
    max_points: float
    message: Reason

    @property
    def rounded(self) -> str:
        return f"{self.points:.1f}"


# --- the rule -----------------------------------------------------------------------------------------------


def grade_meets(grade: str | None, minimum: str) -> bool:
    """An enterprise's grade ("" or None: not evaluated) against a product's minimum ("" for any); A is best."""
    if not minimum:
        return True
    return bool(grade) and grade <= minimum


def in_range(value, low, high) -> bool:
    return low <= value <= high


def hard_checks(product: ProductFacts, enterprise: EnterpriseFacts, demand: DemandFacts | None) -> list:
    """[(key, met)] of every hard criterion, in the order they are shown."""
    checks = [
        ("region", any(rid in product.region_ids for rid in enterprise.region_ids)),
        ("industry", not product.sections or enterprise.section_code in product.sections),
        ("size", not product.size_classes or enterprise.size_class in product.size_classes),
        ("tags", not product.tag_ids or bool(enterprise.tag_ids & product.tag_ids)),
    ]
    if product.min_grade:
        checks.append(("grade", grade_meets(enterprise.grade, product.min_grade)))
    if demand is not None:
        checks += [
            ("amount", in_range(demand.amount, product.amount_min, product.amount_max)),
            ("term", in_range(demand.term_months, product.term_min_months, product.term_max_months)),
            ("guarantee", not demand.guarantee_modes or product.guarantee_mode in demand.guarantee_modes),
        ]
    return checks


def clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def rate_points(product: ProductFacts) -> float:
    return W_RATE * clamp((RATE_WORST - float(product.rate_min)) / (RATE_WORST - RATE_BEST))


def approval_points(performance: Performance) -> float:
    rate = performance.approval_rate
    return W_APPROVAL * (NEUTRAL if rate is None else rate)


def speed_points(performance: Performance) -> float:
    days = performance.average_days
    if days is None:
        return W_SPEED * NEUTRAL
    return W_SPEED * clamp((SLOW_DAYS - days) / (SLOW_DAYS - FAST_DAYS))


def product_points(product: ProductFacts, performance: Performance) -> float:
    """The part of the score that is the product's and its bank's alone (the same for every enterprise)."""
    return rate_points(product) + approval_points(performance) + speed_points(performance)


def grade_points(grade: str | None) -> float:
    return GRADE_POINTS.get(grade or "", GRADE_POINTS[""])


def range_geometry(low, high) -> tuple[float, float]:
    """(middle, half width) of a range as doubles; the SQL twin receives exactly these numbers."""
    low, high = float(low), float(high)
    return (low + high) / 2, (high - low) / 2


def range_fit(value, low, high) -> float:
    """1 at the middle of [low, high], falling linearly to 0 at the ends and outside."""
    middle, half = range_geometry(low, high)
    if half == 0:
        return 1.0 if float(value) == middle else 0.0
    return clamp(1.0 - abs(float(value) - middle) / half)


def fit_points(product: ProductFacts, demand: DemandFacts | None) -> float:
    if demand is None:
        return W_FIT * NEUTRAL
    amount_fit = range_fit(demand.amount, product.amount_min, product.amount_max)
    term_fit = range_fit(demand.term_months, product.term_min_months, product.term_max_months)
    return W_AMOUNT_FIT * amount_fit + W_TERM_FIT * term_fit


def round_score(total: float) -> int:
    """Half up, as the SQL twin does with floor(x + 0.5)."""
    return int(math.floor(total + 0.5))


def score_total(base: float, grade: float, fit: float) -> float:
    # The order of the additions is part of the contract with the SQL twin (float addition is not associative).
    return base + grade + fit


@dataclass(eq=False)
class Match:
    """A product for an enterprise (and its demand): eligibility, score, and on demand the reasons."""

    product: ProductFacts
    enterprise: EnterpriseFacts
    demand: DemandFacts | None
    performance: Performance
    eligible: bool
    score: int
    points: dict = field(default_factory=dict)

    @cached_property
    def criteria(self) -> list[Criterion]:
        return [
            Criterion(key, met, _criterion_message(key, met, self.product, self.enterprise, self.demand))
            for key, met in hard_checks(self.product, self.enterprise, self.demand)
        ]

    @property
    def met(self) -> list[Criterion]:
        return [c for c in self.criteria if c.met]

    @property
    def missed(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.met]

    @cached_property
    def factors(self) -> list[Factor]:
        return _factors(self)


def match(
    product: ProductFacts,
    enterprise: EnterpriseFacts,
    *,
    demand: DemandFacts | None = None,
    performance: Performance = NO_PERFORMANCE,
) -> Match:
    """Eligibility and score of `product` for `enterprise` (and its `demand`); reasons are built when read."""
    eligible = all(met for _key, met in hard_checks(product, enterprise, demand))
    rate, approval, speed = rate_points(product), approval_points(performance), speed_points(performance)
    base = rate + approval + speed  # = product_points(product, performance), in the same order
    grade, fit = grade_points(enterprise.grade), fit_points(product, demand)
    points = {"rate": rate, "approval": approval, "speed": speed, "grade": grade, "fit": fit}
    return Match(product, enterprise, demand, performance, eligible, round_score(score_total(base, grade, fit)), points)


def rank(matches) -> list[Match]:
    """Eligible first, then by score, then by the lower minimum rate, then the newer product (higher id)."""
    return sorted(matches, key=lambda m: (not m.eligible, -m.score, m.product.rate_min, -m.product.product_id))


# --- wording --------------------------------------------------------------------------------------------------


def _criterion_message(key, met, p: ProductFacts, e: EnterpriseFacts, d: DemandFacts | None) -> Reason:
    return _MESSAGES[key](met, p, e, d)


def _region(met, p, e, d) -> Reason:
    where = e.region_name or gettext("The enterprise")
    regions = Joined(p.region_names) if p.region_names else ""
    if met:
        return Reason(_("Located in %(region)s, which the product serves"), region=where)
    if regions:
        return Reason(_("Located in %(region)s, outside the product's regions (%(regions)s)"), region=where,
                      regions=regions)  # fmt: skip
    return Reason(_("Located in %(region)s, outside the region the institution serves"), region=where)


def _industry(met, p, e, d) -> Reason:
    section = f"{e.section_code} {e.section_name}".strip() or gettext("not given")
    if not p.sections:
        return Reason(_("The product takes every industry"))
    if met:
        return Reason(_("Industry %(section)s is one the product takes"), section=section)
    return Reason(_("Industry %(section)s is not among the product's sections (%(sections)s)"), section=section,
                  sections=", ".join(sorted(p.sections)))  # fmt: skip


def _size(met, p, e, d) -> Reason:
    size = SIZE_LABELS.get(e.size_class) or gettext("not classified")
    if not p.size_classes:
        return Reason(_("The product takes every size class"))
    allowed = Joined(SIZE_LABELS.get(s, s) for s in ("large", "medium", "small", "micro") if s in p.size_classes)
    if met:
        return Reason(_("Size class %(size)s is one the product takes"), size=size)
    return Reason(_("Size class %(size)s is not one the product takes (%(sizes)s)"), size=size, sizes=allowed)


def _tags(met, p, e, d) -> Reason:
    tags = Joined(p.tag_names) if p.tag_names else ""
    if not p.tag_ids:
        return Reason(_("No qualification is required"))
    if met:
        held = [name for pk, name in p.tag_labels if pk in e.tag_ids]
        return Reason(_("Holds a qualification the product requires (%(tags)s)"), tags=Joined(held) if held else tags)
    return Reason(_("Requires one of these qualifications: %(tags)s"), tags=tags)


def _grade(met, p, e, d) -> Reason:
    if met:
        return Reason(_("Credit grade %(grade)s meets the product's minimum %(minimum)s"), grade=e.grade,
                      minimum=p.min_grade)  # fmt: skip
    if not e.grade:
        return Reason(_("The product requires credit grade %(minimum)s or better; there is no evaluation yet"),
                      minimum=p.min_grade)  # fmt: skip
    return Reason(_("Credit grade %(grade)s is below the product's minimum %(minimum)s"), grade=e.grade,
                  minimum=p.min_grade)  # fmt: skip


def _amount(met, p, e, d) -> Reason:
    params = {"amount": Wan(d.amount), "range": Wan(p.amount_min, p.amount_max)}
    if met:
        return Reason(_("Amount %(amount)s is within the product's %(range)s"), **params)
    return Reason(_("Amount %(amount)s is outside the product's %(range)s"), **params)


def _term(met, p, e, d) -> Reason:
    params = {"term": d.term_months, "min": p.term_min_months, "max": p.term_max_months}
    if met:
        return Reason(_("Term of %(term)s months is within the product's %(min)s–%(max)s months"), **params)
    return Reason(_("Term of %(term)s months is outside the product's %(min)s–%(max)s months"), **params)


def _guarantee(met, p, e, d) -> Reason:
    mode = MODE_LABELS.get(p.guarantee_mode, p.guarantee_mode)
    if met:
        return Reason(_("The demand accepts the product's guarantee mode (%(mode)s)"), mode=mode)
    accepted = Joined(MODE_LABELS.get(m, m) for m in d.guarantee_modes)
    return Reason(_("The product's guarantee mode (%(mode)s) is not one the demand accepts (%(modes)s)"),
                  mode=mode, modes=accepted)  # fmt: skip


_MESSAGES = {
    "region": _region,
    "industry": _industry,
    "size": _size,
    "tags": _tags,
    "grade": _grade,
    "amount": _amount,
    "term": _term,
    "guarantee": _guarantee,
}


def _factors(m: Match) -> list[Factor]:
    p, perf = m.product, m.performance
    rate = f"{Decimal(p.rate_min).quantize(TWO_PLACES, rounding=ROUND_HALF_UP):f}%"
    factors = [Factor("rate", m.points["rate"], W_RATE, Reason(_("Minimum annual rate %(rate)s"), rate=rate))]
    if perf.known:
        approval = Reason(_("The bank approved %(share)s of the applications it decided on the platform"),
                          share=f"{perf.approval_rate:.0%}")  # fmt: skip
        speed = Reason(_("The bank decides in %(days)s working days on average"), days=f"{perf.average_days:.1f}")
    else:
        approval = Reason(_("Too few decisions on the platform yet to judge the bank's approval rate"))
        speed = Reason(_("Too few decisions on the platform yet to judge the bank's response time"))
    factors += [
        Factor("approval", m.points["approval"], W_APPROVAL, approval),
        Factor("speed", m.points["speed"], W_SPEED, speed),
    ]
    grade = m.enterprise.grade
    grade_text = (Reason(_("Credit grade %(grade)s (advisory)"), grade=grade) if grade
                  else Reason(_("No credit evaluation yet")))  # fmt: skip
    factors.append(Factor("grade", m.points["grade"], W_GRADE, grade_text))
    if m.demand is None:
        fit = Reason(_("No demand to compare with the product's amount and term"))
    else:
        fit = Reason(_("How close the amount and term are to the middle of the product's ranges"))
    factors.append(Factor("fit", m.points["fit"], W_FIT, fit))
    return factors
