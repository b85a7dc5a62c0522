"""The pure scoring module: grade cut-offs, each factor's sign, caps, clamping, monotonicity, advice, texts."""

import dataclasses
import datetime

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from creditinfo import scoring
from creditinfo.models import RecordCategory as C
from creditinfo.publication import is_published
from creditinfo.scoring import EnterpriseFeatures, RecordFacts, RepairableRecord, features_from_records, score

TODAY = datetime.date(2026, 11, 28)


def features(**kwargs) -> EnterpriseFeatures:
    return EnterpriseFeatures(enterprise_id=1, as_of=TODAY, **kwargs)


def factor(result, code):
    found = [f for f in result.factors if f["code"] == code]
    assert len(found) <= 1
    return found[0] if found else None


def points(result, code) -> int:
    found = factor(result, code)
    return found["points"] if found else 0


def test_a_firm_without_records_gets_the_base_plus_the_clean_bonus():
    result = score(features())
    assert result.score == scoring.BASE_SCORE + 60 == 660
    assert result.grade == "B"
    assert result.factors == [{"code": "no_negative", "points": 60, "params": {}}]
    assert result.model_version == scoring.MODEL_VERSION


@pytest.mark.parametrize(
    ("value", "grade"),
    [(1000, "A"), (850, "A"), (849, "B"), (650, "B"), (649, "C"), (500, "C"), (499, "D"), (0, "D")],
)
def test_grade_cutoffs(value, grade):
    assert scoring.grade_for(value) == grade


@pytest.mark.parametrize(
    ("kwargs", "code", "expected"),
    [
        ({"penalties_minor": 1}, "penalties", -15),
        ({"penalties_general": 1}, "penalties", -40),
        ({"penalties_serious": 1}, "penalties", -100),
        ({"abnormal_operation": 1}, "abnormal_operation", -80),
        ({"serious_dishonesty": 1}, "serious_dishonesty", -300),
        ({"judgment_debtor": 1}, "judgment_debtor", -250),
        ({"tax_grade": "A"}, "tax_grade", 120),
        ({"tax_grade": "B"}, "tax_grade", 60),
        ({"tax_grade": "M"}, "tax_grade", 0),
        ({"tax_grade": "C"}, "tax_grade", -60),
        ({"tax_grade": "D"}, "tax_grade", -150),
        ({"registered_on": datetime.date(2023, 11, 28)}, "years_operating", 30),
        ({"utility_arrears": 1}, "utility_arrears", -40),
        ({"social_insurance_arrears": 1}, "social_insurance_arrears", -50),
        ({"payments_regular": 3}, "payments_regular", 20),
        ({"honours": 1}, "honours", 25),
        ({"commitments_kept": 1}, "commitments_kept", 10),
        ({"commitments_broken": 1}, "commitments_broken", -60),
        ({"ip_count": 1}, "intellectual_property", 10),
    ],
)
def test_each_factor_has_its_sign_and_size(kwargs, code, expected):
    result = score(features(**kwargs))
    assert points(result, code) == expected
    if code == "tax_grade":
        assert factor(result, code)["params"] == {"grade": kwargs["tax_grade"]}


@pytest.mark.parametrize(
    ("kwargs", "code", "cap"),
    [
        ({"penalties_serious": 9}, "penalties", -250),
        ({"abnormal_operation": 5}, "abnormal_operation", -160),
        ({"serious_dishonesty": 3}, "serious_dishonesty", -400),
        ({"judgment_debtor": 3}, "judgment_debtor", -400),
        ({"registered_on": datetime.date(1990, 1, 1)}, "years_operating", 80),
        ({"utility_arrears": 9}, "utility_arrears", -120),
        ({"social_insurance_arrears": 9}, "social_insurance_arrears", -150),
        ({"honours": 9}, "honours", 100),
        ({"commitments_kept": 9}, "commitments_kept", 50),
        ({"commitments_broken": 9}, "commitments_broken", -180),
        ({"ip_count": 99}, "intellectual_property", 60),
    ],
)
def test_factors_are_capped(kwargs, code, cap):
    assert points(score(features(**kwargs)), code) == cap


def test_recency_of_the_latest_negative_record():
    def recent(days):
        result = score(features(penalties_minor=1, latest_negative_on=TODAY - datetime.timedelta(days)))
        return points(result, "recent_negative")

    assert (recent(0), recent(179), recent(180), recent(364), recent(365)) == (-50, -50, -25, -25, 0)


def test_no_clean_bonus_once_a_negative_record_is_published():
    result = score(features(penalties_minor=1, latest_negative_on=TODAY - datetime.timedelta(days=800)))
    assert factor(result, "no_negative") is None
    assert result.score == 600 - 15


def test_regular_payments_count_only_without_arrears():
    assert points(score(features(payments_regular=2, utility_arrears=1)), "payments_regular") == 0


def test_a_registration_today_adds_no_factor():
    assert factor(score(features(registered_on=TODAY)), "years_operating") is None


def test_factors_plus_base_always_equal_the_score_and_clamp_to_the_scale():
    worst = score(
        features(
            penalties_serious=5,
            abnormal_operation=3,
            serious_dishonesty=2,
            judgment_debtor=2,
            latest_negative_on=TODAY,
            tax_grade="D",
            utility_arrears=5,
            social_insurance_arrears=5,
            commitments_broken=5,
        )
    )
    assert worst.score == 0 and worst.grade == "D"
    assert worst.factors[-1]["code"] == "clamped" and worst.factors[-1]["points"] > 0
    best = score(
        features(
            tax_grade="A",
            registered_on=datetime.date(2000, 1, 1),
            honours=9,
            commitments_kept=9,
            ip_count=9,
            payments_regular=1,
        )
    )
    assert best.score == 1000 and best.grade == "A"
    assert best.factors[-1] == {"code": "clamped", "points": -90, "params": {"raw": 1090}}
    for result in (worst, best, score(features(penalties_general=2, honours=1))):
        assert scoring.BASE_SCORE + sum(f["points"] for f in result.factors) == result.score


def test_improvements_name_the_repairable_records_with_their_earliest_repair_date():
    general = RepairableRecord(7, "未按规定公示年度报告", C.PENALTY, "general", datetime.date(2026, 10, 1))
    minor = RepairableRecord(8, "逾期年报", C.ABNORMAL_OPERATION, "minor", datetime.date(2026, 11, 1))
    result = score(features(penalties_general=1, abnormal_operation=1, repairable=(general, minor)))
    repairs = [i for i in result.improvements if i["code"] == "repair_record"]
    assert repairs == [
        {
            "code": "repair_record",
            "params": {
                "record_id": 7,
                "title": "未按规定公示年度报告",
                "category": "penalty",
                "severity": "general",
                "earliest": "2027-01-01",  # 3 months after the decision for a general record
                "available_now": False,
            },
        },
        {
            "code": "repair_record",
            "params": {
                "record_id": 8,
                "title": "逾期年报",
                "category": "abnormal_operation",
                "severity": "minor",
                "earliest": "2026-11-01",
                "available_now": True,
            },
        },
    ]


def test_no_repair_advice_without_repairable_records():
    result = score(features(commitments_kept=1, tax_grade="A", registered_on=datetime.date(2010, 1, 1)))
    assert result.grade == "A"
    assert result.improvements == []


def test_other_advice():
    result = score(features(utility_arrears=1, social_insurance_arrears=2, tax_grade="C"))
    codes = {i["code"]: i["params"] for i in result.improvements}
    assert codes["settle_arrears"] == {"count": 3}
    assert codes["improve_tax_grade"] == {"grade": "C"}
    assert codes["make_commitment"] == {}
    assert result.score == 600 + 60 - 40 - 100 - 60 and result.grade == "D"  # arrears are not "negative records"
    assert codes["next_grade"] == {"grade": "C", "points": 40}
    assert scoring.grade_for(result.score + codes["next_grade"]["points"]) == codes["next_grade"]["grade"]
    assert scoring.grade_for(result.score + codes["next_grade"]["points"] - 1) == result.grade


# --- features_from_records: the Python reference of the SQL aggregation ---------------------------------------


def rec(pk, category, severity="", days_ago=30, publish_days=335, status="active", title="t", detail=""):
    decided = TODAY - datetime.timedelta(days=days_ago)
    until = None if publish_days is None else TODAY + datetime.timedelta(days=publish_days)
    return RecordFacts(pk, category, severity, decided, until, status, title, detail)


def test_features_count_published_records_only():
    records = [
        rec(1, C.PENALTY, "minor"),
        rec(2, C.PENALTY, "serious", days_ago=400),
        rec(3, C.PENALTY, ""),  # no severity: counted and ranked as general
        rec(4, C.PENALTY, "general", status="repaired"),
        rec(5, C.PENALTY, "general", status="disputed"),  # disputed stays published
        rec(6, C.PENALTY, "general", publish_days=-1),  # window ended yesterday
        rec(7, C.PENALTY, "general", days_ago=-1),  # decided tomorrow
        rec(8, C.TAX_GRADE, title="2024年度纳税信用等级 B", days_ago=400, publish_days=None),
        rec(9, C.TAX_GRADE, title="2025年度纳税信用等级 A", days_ago=30, publish_days=None),
        rec(10, C.UTILITY, title="拖欠电费"),
        rec(11, C.SOCIAL_INSURANCE, title="社会保险费按时足额缴纳"),
        rec(12, C.SOCIAL_INSURANCE, title="欠缴住房公积金"),
        rec(13, C.COMMITMENT, title="融资信用承诺", detail="履约情况：已履约"),
        rec(14, C.COMMITMENT, title="融资信用承诺", detail="履约情况：未履约（未在承诺期限内履行承诺事项）"),
        rec(15, C.HONOUR, publish_days=None),
        rec(16, C.INTELLECTUAL_PROPERTY, publish_days=None),
        rec(17, C.REGISTRATION, days_ago=3000, publish_days=None),
        rec(18, C.JUDGMENT_DEBTOR, "serious", days_ago=10),
    ]
    f = features_from_records(enterprise_id=3, created_on=TODAY, records=records, today=TODAY)
    assert (f.penalties_minor, f.penalties_general, f.penalties_serious) == (1, 2, 1)
    assert (f.judgment_debtor, f.abnormal_operation, f.serious_dishonesty) == (1, 0, 0)
    assert f.latest_negative_on == TODAY - datetime.timedelta(days=10)
    assert f.tax_grade == "A"
    assert (f.utility_arrears, f.social_insurance_arrears, f.payments_regular) == (1, 1, 1)
    assert (f.commitments_kept, f.commitments_broken, f.honours, f.ip_count) == (1, 1, 1, 1)
    assert f.registered_on == TODAY - datetime.timedelta(days=3000)
    # Worst first: serious (most recent first), then general (same day: higher id first), then minor; at most 3.
    assert [r.id for r in f.repairable] == [18, 2, 5]
    more = features_from_records(enterprise_id=3, created_on=None, records=records[:3], today=TODAY)
    assert [r.id for r in more.repairable] == [2, 3, 1]


def test_features_fall_back_to_the_creation_date_and_parse_tax_grades():
    f = features_from_records(enterprise_id=3, created_on=datetime.date(2020, 5, 1), records=[], today=TODAY)
    assert f == EnterpriseFeatures(enterprise_id=3, as_of=TODAY, registered_on=datetime.date(2020, 5, 1))
    assert scoring.tax_grade_of("2025年度纳税信用等级：m ") == "M"
    assert scoring.tax_grade_of("纳税信用等级评定") is None


# --- monotonicity (hypothesis) ----------------------------------------------------------------------------

CATEGORIES = [c.value for c in C]
record_strategy = st.builds(
    rec,
    pk=st.integers(1, 10**6),
    category=st.sampled_from(CATEGORIES),
    severity=st.sampled_from(["", "minor", "general", "serious"]),
    days_ago=st.integers(-30, 3000),
    publish_days=st.one_of(st.none(), st.integers(-30, 1500)),
    status=st.sampled_from(["active", "disputed", "repaired", "expired"]),
    title=st.sampled_from(["2025年度纳税信用等级 A", "纳税信用等级 D", "处罚", "M", "欠缴社会保险费"]),
    detail=st.sampled_from(["", "履约情况：未履约", "履约情况：已履约"]),
)
NEGATIVE = [C.PENALTY, C.ABNORMAL_OPERATION, C.SERIOUS_DISHONESTY, C.JUDGMENT_DEBTOR]


def score_of(records) -> int:
    f = features_from_records(enterprise_id=1, created_on=datetime.date(2021, 3, 1), records=records, today=TODAY)
    return score(f).score


@settings(max_examples=300, deadline=None)
@given(
    records=st.lists(record_strategy, max_size=12),
    category=st.sampled_from(NEGATIVE),
    severity=st.sampled_from(["", "minor", "general", "serious"]),
    days_ago=st.integers(0, 1800),
)
def test_adding_a_negative_record_never_raises_the_score(records, category, severity, days_ago):
    added = rec(10**7, category, severity, days_ago=days_ago, publish_days=100)
    assert score_of([*records, added]) <= score_of(records)


@settings(max_examples=300, deadline=None)
@given(records=st.lists(record_strategy, max_size=12), days_ago=st.integers(0, 1800))
def test_adding_an_honour_never_lowers_the_score(records, days_ago):
    added = rec(10**7, C.HONOUR, days_ago=days_ago, publish_days=None)
    assert score_of([*records, added]) >= score_of(records)


@settings(max_examples=200, deadline=None)
@given(records=st.lists(record_strategy, max_size=12))
def test_scores_stay_on_the_scale_and_improvements_follow_repairable_records(records):
    f = features_from_records(enterprise_id=1, created_on=None, records=records, today=TODAY)
    result = score(f)
    assert 0 <= result.score <= 1000
    assert result.grade == scoring.grade_for(result.score)
    assert scoring.BASE_SCORE + sum(x["points"] for x in result.factors) == result.score
    repairs = [i["params"]["record_id"] for i in result.improvements if i["code"] == "repair_record"]
    assert repairs == [r.id for r in f.repairable]
    assert bool(repairs) == any(
        r.category in NEGATIVE
        and is_published(status=r.status, decision_date=r.decision_date, publish_until=r.publish_until, today=TODAY)
        for r in records
    )


# --- plain-language texts -------------------------------------------------------------------------------


def test_every_factor_and_improvement_has_a_text_in_english():
    result = score(
        features(
            penalties_minor=1,
            penalties_serious=1,
            abnormal_operation=1,
            serious_dishonesty=1,
            judgment_debtor=2,
            latest_negative_on=TODAY,
            tax_grade="C",
            registered_on=datetime.date(2024, 1, 1),
            utility_arrears=1,
            social_insurance_arrears=1,
            honours=1,
            commitments_broken=1,
            ip_count=3,
            repairable=(RepairableRecord(7, "未按规定公示年度报告", C.PENALTY, "serious", datetime.date(2026, 10, 1)),),
        )
    )
    with translation.override("en"):
        texts = [scoring.factor_text(f) for f in result.factors]
        advice = [scoring.improvement_text(i) for i in result.improvements]
    assert "2 listings as a dishonest judgment debtor (-400)" in texts
    assert "3 intellectual property rights (+30)" in texts
    assert "Limited to the 0-1000 scale (+" in texts[-1]
    assert 'Apply for credit repair of "未按规定公示年度报告" after 2027-10-01, once its obligation is met' in advice
    assert not any("Other" in t for t in texts + advice)
    with translation.override("en"):
        assert scoring.factor_text({"code": "no_negative", "points": 60, "params": {}}) == (
            "No negative record is published (+60)"
        )
        assert scoring.improvement_text({"code": "next_grade", "params": {"grade": "A", "points": 12}}) == (
            "12 more points reach grade A"
        )
        # Unknown codes (a later model version) still render.
        assert scoring.factor_text({"code": "new_thing", "points": -5}) == "Other factor (new_thing) (-5)"


def test_features_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        features().honours = 3  # type: ignore[misc]
