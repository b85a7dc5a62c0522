"""The advisory credit evaluation: pure functions from an enterprise's published credit facts to a score.

No ORM here. `creditinfo.services.evaluations` computes `EnterpriseFeatures` for every enterprise with one SQL
aggregation; `features_from_records` is the same computation in Python (the reference the SQL is tested
against). The score informs a loan officer; it never decides an application by itself.

The model (version `MODEL_VERSION`) starts from `BASE_SCORE` and adds one signed factor per fact, so that
`BASE_SCORE + sum(factor points) == score` always holds (a final `clamped` factor absorbs the clamp to 0-1000):

======================  =====================================================  ===========
factor code             points                                                 cap
======================  =====================================================  ===========
penalties               -15 per minor, -40 per general, -100 per serious        -250
abnormal_operation      -80 per listing                                         -160
serious_dishonesty      -300 per listing                                        -400
judgment_debtor         -250 per listing                                        -400
recent_negative         -50 if the latest negative record is < 180 days old,
                        -25 if < 365 days
no_negative             +60 when no negative record is published
tax_grade               A +120, B +60, M 0, C -60, D -150 (latest grade)
years_operating         +10 per full year since registration                    +80
utility_arrears         -40 per unresolved arrears record                       -120
social_insurance_arrears  -50 per unresolved arrears record                     -150
payments_regular        +20 when regular payment records exist (and no arrears)
honours                 +25 per honour                                          +100
commitments_kept        +10 per kept commitment                                 +50
commitments_broken      -60 per broken commitment                               -180
intellectual_property   +10 per IP right                                        +60
======================  =====================================================  ===========

Grades: A >= 850, B 650-849, C 500-649, D < 500 (`GRADE_CUTOFFS`). A firm with no records at all scores
600 + 60 (no negative record) = 660, a B; a clean firm with a tax grade A and a few years of history reaches A;
one recent serious penalty takes a typical B firm to C, a dishonest-judgment-debtor listing to D. On the medium
demo data (100k firms) this gives about A 35 %, B 63 %, C 2 %, D 1 %.

Record conventions (those of the interchange format and the demo seeder; only dishonesty records carry a severity):
- a `tax_grade` record's title is the grade letter (A, B, M, C or D), or ends with it ("2025年度纳税信用等级 A");
- every published `utility` record is unpaid arrears (the category is "utility payment arrears"); settled arrears
  leave publication, so a published one is unresolved;
- a `social_insurance` record whose title contains ARREARS_MARK ("欠", as in 欠缴社会保险费) is arrears, others
  attest regular payment;
- a `commitment` record whose title or detail contains BROKEN_MARK ("未履约") was broken, others are kept;
- a negative record without a severity counts (and ranks) as general, and is repairable from its decision date.
"""

import dataclasses
import datetime
from collections.abc import Iterable

from django.utils.translation import gettext, ngettext

from creditinfo.models import RecordCategory as C
from creditinfo.models import Severity
from creditinfo.publication import is_published, repair_earliest

MODEL_VERSION = "2026.1"
BASE_SCORE = 600
MIN_SCORE, MAX_SCORE = 0, 1000
# (lowest score of the grade, grade), best first.
GRADE_CUTOFFS = ((850, "A"), (650, "B"), (500, "C"), (MIN_SCORE, "D"))
REPAIRABLE_SHOWN = 3  # the worst few repairable records the features carry for improvement advice

PENALTY_POINTS = {Severity.MINOR: -15, Severity.GENERAL: -40, Severity.SERIOUS: -100}
TAX_GRADE_POINTS = {"A": 120, "B": 60, "M": 0, "C": -60, "D": -150}
SEVERITY_RANK = {Severity.MINOR: 1, Severity.GENERAL: 2, Severity.SERIOUS: 3}
NEGATIVE = (C.PENALTY, C.ABNORMAL_OPERATION, C.SERIOUS_DISHONESTY, C.JUDGMENT_DEBTOR)
ARREARS_MARK = "欠"  # data markers as the departments write them, not user-facing text
BROKEN_MARK = "未履约"


@dataclasses.dataclass(frozen=True)
class RepairableRecord:
    """A published negative record: it can be repaired early once its minimum period passed."""

    id: int
    title: str
    category: str
    severity: str
    decision_date: datetime.date


@dataclasses.dataclass(frozen=True)
class EnterpriseFeatures:
    """What the score depends on: counts over an enterprise's PUBLISHED records on `as_of`, plus its age."""

    enterprise_id: int
    as_of: datetime.date
    registered_on: datetime.date | None = None
    penalties_minor: int = 0
    penalties_general: int = 0
    penalties_serious: int = 0
    abnormal_operation: int = 0
    serious_dishonesty: int = 0
    judgment_debtor: int = 0
    latest_negative_on: datetime.date | None = None
    tax_grade: str | None = None
    utility_arrears: int = 0
    social_insurance_arrears: int = 0
    payments_regular: int = 0
    honours: int = 0
    commitments_kept: int = 0
    commitments_broken: int = 0
    ip_count: int = 0
    # The worst repairable records (most severe, then most recent), at most REPAIRABLE_SHOWN.
    repairable: tuple[RepairableRecord, ...] = ()

    @property
    def negative_count(self) -> int:
        return (
            self.penalties_minor
            + self.penalties_general
            + self.penalties_serious
            + self.abnormal_operation
            + self.serious_dishonesty
            + self.judgment_debtor
        )


COUNT_FIELDS = tuple(
    f.name for f in dataclasses.fields(EnterpriseFeatures) if f.type is int and f.name != "enterprise_id"
)


@dataclasses.dataclass(frozen=True)
class ScoreResult:
    """A score 0-1000, its grade, the signed factors that sum (with BASE_SCORE) to it, and how to improve."""

    score: int
    grade: str
    factors: list[dict]
    improvements: list[dict]
    model_version: str = MODEL_VERSION


@dataclasses.dataclass(frozen=True)
class RecordFacts:
    """The columns of one credit record that scoring reads (for `features_from_records`)."""

    id: int
    category: str
    severity: str
    decision_date: datetime.date
    publish_until: datetime.date | None
    status: str
    title: str = ""
    detail: str = ""


# --- features in Python (the reference for the SQL aggregation) ---------------------------------------------


def tax_grade_of(title: str) -> str | None:
    """The grade letter a tax_grade record's title ends with, or None when it ends otherwise."""
    letter = title.strip()[-1:].upper()
    return letter if letter in TAX_GRADE_POINTS else None


def worst_first_key(record) -> tuple:
    """Sort key putting the most severe, then the most recent, then the highest id first."""
    return (-SEVERITY_RANK.get(record.severity, 2), -record.decision_date.toordinal(), -record.id)


def features_from_records(
    *,
    enterprise_id: int,
    created_on: datetime.date | None,
    records: Iterable[RecordFacts],
    today: datetime.date,
) -> EnterpriseFeatures:
    """Features of one enterprise from all its records; unpublished ones (status, window) are ignored."""
    counts: dict[str, int] = dict.fromkeys(COUNT_FIELDS, 0)
    registered = latest_negative = None
    tax = None  # (decision_date, id, grade) of the latest tax grade record
    repairable = []
    for r in records:
        if not is_published(status=r.status, decision_date=r.decision_date, publish_until=r.publish_until, today=today):
            continue
        if r.category == C.REGISTRATION:
            registered = min(registered or r.decision_date, r.decision_date)
        elif r.category in NEGATIVE:
            key = f"penalties_{r.severity or Severity.GENERAL}" if r.category == C.PENALTY else r.category
            counts[key] += 1
            latest_negative = max(latest_negative or r.decision_date, r.decision_date)
            repairable.append(r)
        elif r.category == C.TAX_GRADE:
            if tax is None or (r.decision_date, r.id) > tax[:2]:
                tax = (r.decision_date, r.id, tax_grade_of(r.title))
        elif r.category == C.UTILITY:
            counts["utility_arrears"] += 1
        elif r.category == C.SOCIAL_INSURANCE:
            counts["social_insurance_arrears" if ARREARS_MARK in r.title else "payments_regular"] += 1
        elif r.category == C.COMMITMENT:
            broken = BROKEN_MARK in r.title or BROKEN_MARK in r.detail
            counts["commitments_broken" if broken else "commitments_kept"] += 1
        elif r.category == C.HONOUR:
            counts["honours"] += 1
        elif r.category == C.INTELLECTUAL_PROPERTY:
            counts["ip_count"] += 1
    repairable.sort(key=worst_first_key)
    return EnterpriseFeatures(
        enterprise_id=enterprise_id,
        as_of=today,
        registered_on=registered or created_on,
        latest_negative_on=latest_negative,
        tax_grade=tax[2] if tax else None,
        repairable=tuple(
            RepairableRecord(r.id, r.title, r.category, r.severity, r.decision_date)
            for r in repairable[:REPAIRABLE_SHOWN]
        ),
        **counts,
    )


# --- the score ----------------------------------------------------------------------------------------------


def grade_for(score: int) -> str:
    """The grade of a score under GRADE_CUTOFFS."""
    return next(grade for lowest, grade in GRADE_CUTOFFS if score >= lowest)


def full_years(start: datetime.date, end: datetime.date) -> int:
    """Whole years from start to end (0 when end is before start)."""
    years = end.year - start.year - ((end.month, end.day) < (start.month, start.day))
    return max(years, 0)


def _capped(code: str, points: int, cap: int, **params) -> dict | None:
    """A factor of `points` limited to `cap` (same sign), or None when it contributes nothing."""
    if points == 0:
        return None
    points = max(points, cap) if cap < 0 else min(points, cap)
    return {"code": code, "points": points, "params": params}


def _negative_factors(f: EnterpriseFeatures) -> list[dict | None]:
    penalty_points = (
        f.penalties_minor * PENALTY_POINTS[Severity.MINOR]
        + f.penalties_general * PENALTY_POINTS[Severity.GENERAL]
        + f.penalties_serious * PENALTY_POINTS[Severity.SERIOUS]
    )
    factors = [
        _capped(
            "penalties",
            penalty_points,
            -250,
            minor=f.penalties_minor,
            general=f.penalties_general,
            serious=f.penalties_serious,
        ),
        _capped("abnormal_operation", -80 * f.abnormal_operation, -160, count=f.abnormal_operation),
        _capped("serious_dishonesty", -300 * f.serious_dishonesty, -400, count=f.serious_dishonesty),
        _capped("judgment_debtor", -250 * f.judgment_debtor, -400, count=f.judgment_debtor),
    ]
    if f.latest_negative_on is not None:
        days = (f.as_of - f.latest_negative_on).days
        points = -50 if days < 180 else -25 if days < 365 else 0
        factors.append(_capped("recent_negative", points, -50, days=days, date=f.latest_negative_on.isoformat()))
    elif f.negative_count == 0:
        factors.append({"code": "no_negative", "points": 60, "params": {}})
    return factors


def _other_factors(f: EnterpriseFeatures) -> list[dict | None]:
    factors = []
    if f.tax_grade in TAX_GRADE_POINTS:
        factors.append({"code": "tax_grade", "points": TAX_GRADE_POINTS[f.tax_grade], "params": {"grade": f.tax_grade}})
    if f.registered_on is not None:
        years = full_years(f.registered_on, f.as_of)
        factors.append(_capped("years_operating", 10 * years, 80, years=years))
    arrears = f.utility_arrears + f.social_insurance_arrears
    factors += [
        _capped("utility_arrears", -40 * f.utility_arrears, -120, count=f.utility_arrears),
        _capped("social_insurance_arrears", -50 * f.social_insurance_arrears, -150, count=f.social_insurance_arrears),
        _capped("payments_regular", 20 if f.payments_regular and not arrears else 0, 20, count=f.payments_regular),
        _capped("honours", 25 * f.honours, 100, count=f.honours),
        _capped("commitments_kept", 10 * f.commitments_kept, 50, count=f.commitments_kept),
        _capped("commitments_broken", -60 * f.commitments_broken, -180, count=f.commitments_broken),
        _capped("intellectual_property", 10 * f.ip_count, 60, count=f.ip_count),
    ]
    return factors


def _improvements(f: EnterpriseFeatures, score: int, grade: str) -> list[dict]:
    items = []
    for r in f.repairable:
        earliest = repair_earliest(severity=r.severity, decision_date=r.decision_date)
        items.append(
            {
                "code": "repair_record",
                "params": {
                    "record_id": r.id,
                    "title": r.title,
                    "category": r.category,
                    "severity": r.severity,
                    "earliest": earliest.isoformat(),
                    "available_now": earliest <= f.as_of,
                },
            }
        )
    if f.utility_arrears or f.social_insurance_arrears:
        count = f.utility_arrears + f.social_insurance_arrears
        items.append({"code": "settle_arrears", "params": {"count": count}})
    if f.tax_grade in ("C", "D"):
        items.append({"code": "improve_tax_grade", "params": {"grade": f.tax_grade}})
    if f.commitments_kept == 0 and f.commitments_broken == 0:
        items.append({"code": "make_commitment", "params": {}})
    if grade != "A":
        better = next(g for g in reversed(GRADE_CUTOFFS) if g[1] < grade)  # the next grade up
        items.append({"code": "next_grade", "params": {"grade": better[1], "points": better[0] - score}})
    return items


def score(features: EnterpriseFeatures) -> ScoreResult:
    """Score one enterprise: 0-1000, grade A-D, signed factors and improvement advice (all JSON-ready)."""
    factors = [x for x in _negative_factors(features) + _other_factors(features) if x is not None]
    raw = BASE_SCORE + sum(x["points"] for x in factors)
    value = min(max(raw, MIN_SCORE), MAX_SCORE)
    if value != raw:
        factors.append({"code": "clamped", "points": value - raw, "params": {"raw": raw}})
    grade = grade_for(value)
    return ScoreResult(score=value, grade=grade, factors=factors, improvements=_improvements(features, value, grade))


# --- plain-language explanations (translated; English msgids) ------------------------------------------------


def _signed(points: int) -> str:
    return f"{points:+d}"


def factor_text(factor: dict) -> str:
    """One factor in plain language, in the active language, e.g. "2 administrative penalties published (-80)"."""
    code, p = factor.get("code"), factor.get("params") or {}
    count = p.get("count", 0)
    texts = {
        "penalties": lambda: (
            gettext("Administrative penalties published: %(minor)d minor, %(general)d general, %(serious)d serious")
            % {"minor": p.get("minor", 0), "general": p.get("general", 0), "serious": p.get("serious", 0)}
        ),
        "abnormal_operation": lambda: (
            ngettext(
                "Listed %(count)d time on the abnormal operation list",
                "Listed %(count)d times on the abnormal operation list",
                count,
            )
            % {"count": count}
        ),
        "serious_dishonesty": lambda: (
            ngettext(
                "%(count)d listing on the serious illegal and dishonest list",
                "%(count)d listings on the serious illegal and dishonest list",
                count,
            )
            % {"count": count}
        ),
        "judgment_debtor": lambda: (
            ngettext(
                "%(count)d listing as a dishonest judgment debtor",
                "%(count)d listings as a dishonest judgment debtor",
                count,
            )
            % {"count": count}
        ),
        "recent_negative": lambda: gettext("The latest negative record is recent (%(date)s)") % {"date": p.get("date")},
        "no_negative": lambda: gettext("No negative record is published"),
        "tax_grade": lambda: gettext("Latest tax credit grade: %(grade)s") % {"grade": p.get("grade")},
        "years_operating": lambda: (
            ngettext("%(years)d year in operation", "%(years)d years in operation", p.get("years", 0))
            % {"years": p.get("years", 0)}
        ),
        "utility_arrears": lambda: (
            ngettext("%(count)d unpaid water, power or gas bill", "%(count)d unpaid water, power or gas bills", count)
            % {"count": count}
        ),
        "social_insurance_arrears": lambda: (
            ngettext(
                "%(count)d unpaid social insurance or housing fund contribution",
                "%(count)d unpaid social insurance or housing fund contributions",
                count,
            )
            % {"count": count}
        ),
        "payments_regular": lambda: gettext("Social insurance and utilities are paid regularly"),
        "honours": lambda: (
            ngettext("%(count)d honour or award", "%(count)d honours or awards", count) % {"count": count}
        ),
        "commitments_kept": lambda: (
            ngettext("%(count)d credit commitment kept", "%(count)d credit commitments kept", count) % {"count": count}
        ),
        "commitments_broken": lambda: (
            ngettext("%(count)d credit commitment broken", "%(count)d credit commitments broken", count)
            % {"count": count}
        ),
        "intellectual_property": lambda: (
            ngettext("%(count)d intellectual property right", "%(count)d intellectual property rights", count)
            % {"count": count}
        ),
        "clamped": lambda: gettext("Limited to the 0-1000 scale"),
    }
    text = texts[code]() if code in texts else gettext("Other factor (%(code)s)") % {"code": code}
    return f"{text} ({_signed(int(factor.get('points', 0)))})"


def improvement_text(item: dict) -> str:
    """One piece of advice in plain language, e.g. 'Repair the penalty "X" (possible from 2026-03-01)...'."""
    code, p = item.get("code"), item.get("params") or {}
    if code == "repair_record":
        if p.get("available_now"):
            return gettext('Apply for credit repair of "%(title)s" now, once its obligation is met') % p
        return gettext('Apply for credit repair of "%(title)s" after %(earliest)s, once its obligation is met') % p
    if code == "settle_arrears":
        count = p.get("count", 0)
        return ngettext(
            "Settle the %(count)d unpaid social insurance or utility bill",
            "Settle the %(count)d unpaid social insurance or utility bills",
            count,
        ) % {"count": count}
    if code == "improve_tax_grade":
        return gettext("Raise the tax credit grade (now %(grade)s) by filing and paying taxes on time") % p
    if code == "make_commitment":
        return gettext("Sign a credit commitment and keep it")
    if code == "next_grade":
        return gettext("%(points)d more points reach grade %(grade)s") % p
    return gettext("Other advice (%(code)s)") % {"code": code}
