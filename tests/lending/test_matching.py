"""The pure match scoring (lending.matching): hard criteria, the 0-100 score, the ranking and the reasons.

No database: plain facts in, a Match out.
"""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from lending import matching as m
from lending.matching import DemandFacts, EnterpriseFacts, Performance, ProductFacts, match, rank

JINSHUI, ZHENGZHOU, HENAN, LUOYANG = 105, 100, 1, 300
WAN = Decimal(10_000)


def product(**changes) -> ProductFacts:
    fields = {
        "product_id": 1,
        "institution_id": 10,
        "bank_id": 9,
        "region_ids": frozenset({ZHENGZHOU}),
        "regions_listed": False,
        "sections": frozenset(),
        "size_classes": frozenset(),
        "tag_ids": frozenset(),
        "amount_min": 10 * WAN,
        "amount_max": 500 * WAN,
        "term_min_months": 6,
        "term_max_months": 36,
        "rate_min": Decimal("3.450"),
        "guarantee_mode": "04",
        "min_grade": "",
        "name": "科创信用贷",
        "region_names": ("郑州市",),
        "tag_names": (),
    }
    return ProductFacts(**(fields | changes))


def enterprise(**changes) -> EnterpriseFacts:
    fields = {
        "region_ids": (JINSHUI, ZHENGZHOU, HENAN),
        "section_code": "C",
        "size_class": "small",
        "tag_ids": frozenset(),
        "grade": "B",
        "region_name": "金水区",
        "section_name": "制造业",
    }
    return EnterpriseFacts(**(fields | changes))


def demand(amount_wan=300, term=12, modes=("04",)) -> DemandFacts:
    return DemandFacts(amount=Decimal(amount_wan) * WAN, term_months=term, guarantee_modes=tuple(modes))


def keys(criteria) -> dict[str, bool]:
    return {c.key: c.met for c in criteria}


# --- hard criteria --------------------------------------------------------------------------------------------


def test_without_a_demand_only_the_enterprise_criteria_apply():
    result = match(product(), enterprise())
    assert keys(result.criteria) == {"region": True, "industry": True, "size": True, "tags": True}
    assert result.eligible and result.missed == []


def test_with_a_demand_amount_term_and_guarantee_mode_apply():
    result = match(product(), enterprise(), demand=demand())
    assert list(keys(result.criteria)) == ["region", "industry", "size", "tags", "amount", "term", "guarantee"]
    assert result.eligible


@pytest.mark.parametrize(
    ("changes", "wanted", "missed"),
    [
        ({"region_ids": frozenset({LUOYANG})}, None, "region"),
        ({"region_ids": frozenset({JINSHUI})}, None, None),  # a listed county the enterprise sits in
        ({"region_ids": frozenset({HENAN})}, None, None),  # the province covers every county
        ({"sections": frozenset({"I"})}, None, "industry"),
        ({"sections": frozenset({"I", "C"})}, None, None),
        ({"size_classes": frozenset({"medium"})}, None, "size"),
        ({"size_classes": frozenset({"small", "micro"})}, None, None),
        ({"tag_ids": frozenset({7})}, None, "tags"),
        ({"min_grade": "A"}, None, "grade"),
        ({"min_grade": "B"}, None, None),
        ({"min_grade": "C"}, None, None),
        ({}, demand(amount_wan=9), "amount"),
        ({}, demand(amount_wan=501), "amount"),
        ({}, demand(amount_wan=10), None),  # the ends of a range belong to it
        ({}, demand(amount_wan=500), None),
        ({}, demand(term=5), "term"),
        ({}, demand(term=37), "term"),
        ({}, demand(term=36), None),
        ({}, demand(modes=("02", "03")), "guarantee"),
        ({}, demand(modes=("02", "04")), None),
        ({}, demand(modes=()), None),  # a demand naming no mode accepts any
    ],
)
def test_each_hard_criterion(changes, wanted, missed):
    result = match(product(**changes), enterprise(), demand=wanted)
    assert [c.key for c in result.missed] == ([missed] if missed else [])
    assert result.eligible is (missed is None)


def test_tags_are_any_of():
    assert match(product(tag_ids=frozenset({7, 8})), enterprise(tag_ids=frozenset({8, 99}))).eligible


@pytest.mark.parametrize(
    ("grade", "minimum", "met"),
    [("A", "A", True), ("B", "A", False), ("D", "D", True), ("A", "D", True), ("", "D", False), (None, "C", False),
     ("", "", True), ("D", "", True)],
)  # fmt: skip
def test_grade_meets(grade, minimum, met):
    assert m.grade_meets(grade, minimum) is met


def test_an_enterprise_without_evaluation_fails_a_minimum_grade_only():
    assert not match(product(min_grade="D"), enterprise(grade="")).eligible
    assert match(product(), enterprise(grade="")).eligible


# --- reasons ------------------------------------------------------------------------------------------------------


def messages(result) -> dict[str, str]:
    return {c.key: str(c.message) for c in result.criteria}


def test_reasons_say_why_in_plain_language():
    with translation.override("en"):
        tagged = product(min_grade="B", tag_ids=frozenset({7, 8}), tag_names=("专精特新", "高新技术企业"),
                         tag_labels=((7, "专精特新"), (8, "高新技术企业")))  # fmt: skip
        ok = messages(match(tagged, enterprise(tag_ids=frozenset({7})), demand=demand()))
        assert ok == {
            "region": "Located in 金水区, which the product serves",
            "industry": "The product takes every industry",
            "size": "The product takes every size class",
            "tags": "Holds a qualification the product requires (专精特新)",
            "grade": "Credit grade B meets the product's minimum B",
            "amount": "Amount 300 10k yuan is within the product's 10–500 10k yuan",
            "term": "Term of 12 months is within the product's 6–36 months",
            "guarantee": "The demand accepts the product's guarantee mode (Credit)",
        }
        refused = product(
            region_ids=frozenset({LUOYANG}), region_names=("洛阳市",), sections=frozenset({"I"}),
            size_classes=frozenset({"micro", "medium"}), tag_ids=frozenset({7}), tag_names=("专精特新", "高新技术企业"),
            min_grade="A", amount_max=Decimal("2500000"),
        )  # fmt: skip
        missed = messages(match(refused, enterprise(), demand=demand(amount_wan="312.5", term=48, modes=("02",))))
        assert missed == {
            "region": "Located in 金水区, outside the product's regions (洛阳市)",
            "industry": "Industry C 制造业 is not among the product's sections (I)",
            "size": "Size class Small is not one the product takes (Medium, Micro)",
            "tags": "Requires one of these qualifications: 专精特新, 高新技术企业",
            "grade": "Credit grade B is below the product's minimum A",
            "amount": "Amount 312.5 10k yuan is outside the product's 10–250 10k yuan",
            "term": "Term of 48 months is outside the product's 6–36 months",
            "guarantee": "The product's guarantee mode (Credit) is not one the demand accepts (Mortgage)",
        }
        assert messages(match(product(min_grade="C"), enterprise(grade="")))["grade"] == (
            "The product requires credit grade C or better; there is no evaluation yet"
        )


def test_reasons_render_in_the_readers_language_when_shown():
    result = match(product(), enterprise(), demand=demand())
    amount = next(c for c in result.criteria if c.key == "amount")
    with translation.override("zh-hans"):
        assert "300万元" in str(amount.message)
    with translation.override("en"):
        assert "300 10k yuan" in str(amount.message)


def test_factors_explain_the_score():
    result = match(product(), enterprise(grade="A"), demand=demand(), performance=Performance(10, 8, 25))
    factors = {f.key: f for f in result.factors}
    assert list(factors) == ["rate", "approval", "speed", "grade", "fit"]
    assert sum(f.max_points for f in result.factors) == 100
    with translation.override("en"):
        assert str(factors["rate"].message) == "Minimum annual rate 3.45%"
        assert str(factors["approval"].message) == (
            "The bank approved 80% of the applications it decided on the platform"
        )
        assert str(factors["speed"].message) == "The bank decides in 2.5 working days on average"
        assert str(factors["grade"].message) == "Credit grade A (advisory)"
        unknown = {f.key: str(f.message) for f in match(product(), enterprise(grade="")).factors}
        assert unknown["approval"].startswith("Too few decisions")
        assert unknown["grade"] == "No credit evaluation yet"
        assert unknown["fit"] == "No demand to compare with the product's amount and term"


# --- the score ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "points"), [("2.5", 25.0), ("3", 25.0), ("6", 12.5), ("9", 0.0), ("12", 0.0)])
def test_rate_points(rate, points):
    assert m.rate_points(product(rate_min=Decimal(rate))) == pytest.approx(points)


def test_bank_performance_points_and_the_neutral_fallback():
    assert m.approval_points(Performance()) == 10.0 and m.speed_points(Performance()) == 7.5
    assert m.approval_points(Performance(decided=4, granted=4, working_days=4)) == 10.0  # too few to judge
    assert m.approval_points(Performance(decided=10, granted=7, working_days=10)) == pytest.approx(14.0)
    assert m.speed_points(Performance(decided=10, granted=7, working_days=10)) == 15.0  # 1 day
    assert m.speed_points(Performance(decided=10, granted=7, working_days=55)) == pytest.approx(7.5)  # 5.5 days
    assert m.speed_points(Performance(decided=10, granted=7, working_days=200)) == 0.0


def test_grade_points():
    assert [m.grade_points(g) for g in ["A", "B", "C", "D", "", None]] == [20, 15, 10, 4, 7, 7]


@pytest.mark.parametrize(
    ("amount_wan", "term", "fit"),
    [(255, 21, 20.0), (10, 6, 0.0), (500, 36, 0.0), ("132.5", 21, 15.0), (255, 6, 10.0), (1000, 60, 0.0)],
)
def test_fit_is_best_at_the_middle_of_the_ranges(amount_wan, term, fit):
    assert m.fit_points(product(), demand(amount_wan=amount_wan, term=term)) == pytest.approx(fit)
    assert m.fit_points(product(), None) == 10.0


def test_a_range_of_one_value_fits_that_value():
    fixed = product(amount_min=100 * WAN, amount_max=100 * WAN, term_min_months=12, term_max_months=12)
    assert m.fit_points(fixed, demand(amount_wan=100, term=12)) == 20.0


def test_score_adds_the_points_and_rounds_half_up():
    best = match(product(rate_min=Decimal("3")), enterprise(grade="A"), demand=demand(255, 21),
                 performance=Performance(20, 20, 20))  # fmt: skip
    assert best.score == 100
    worst = match(product(rate_min=Decimal("9")), enterprise(grade="D"), demand=demand(10, 6),
                  performance=Performance(20, 0, 400))  # fmt: skip
    assert worst.score == 4
    assert m.round_score(62.5) == 63 and m.round_score(62.49) == 62 and m.round_score(0.5) == 1


def test_the_enterprise_grade_and_the_demand_rank_demands_for_one_product():
    p = product()
    a = match(p, enterprise(grade="A"), demand=demand(255, 21))
    b = match(p, enterprise(grade="B"), demand=demand(255, 21))
    b_far = match(p, enterprise(grade="B"), demand=demand(20, 30))
    assert a.score > b.score > b_far.score


def test_rank_puts_eligible_first_then_score_then_the_lower_rate():
    cheap = product(product_id=1, rate_min=Decimal("3.2"))
    dear = product(product_id=2, rate_min=Decimal("6.0"))
    dear_twin = product(product_id=3, rate_min=Decimal("6.0"))
    refused = product(product_id=4, rate_min=Decimal("3.0"), sections=frozenset({"A"}))
    matches = [match(p, enterprise()) for p in (dear, refused, dear_twin, cheap)]
    assert [r.product.product_id for r in rank(matches)] == [1, 3, 2, 4]


@given(
    rate=st.decimals(min_value=0, max_value=20, places=3),
    decided=st.integers(0, 500),
    granted_share=st.floats(0, 1),
    days=st.integers(0, 4000),
    grade=st.sampled_from(["", "A", "B", "C", "D"]),
    low=st.integers(1, 5000),
    width=st.integers(0, 5000),
    amount=st.integers(1, 12000),
    term=st.integers(1, 120),
)
def test_score_is_an_integer_from_0_to_100(rate, decided, granted_share, days, grade, low, width, amount, term):
    p = product(rate_min=rate, amount_min=low * WAN, amount_max=(low + width) * WAN)
    perf = Performance(decided=decided, granted=int(decided * granted_share), working_days=days)
    result = match(p, enterprise(grade=grade), demand=demand(amount, term), performance=perf)
    assert isinstance(result.score, int) and 0 <= result.score <= 100
    assert result.eligible is (not result.missed)
    total = sum(result.points.values())
    assert abs(result.score - total) <= 0.5 + 1e-9
