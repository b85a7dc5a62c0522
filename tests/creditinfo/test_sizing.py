"""Enterprise size classification against the real size-standard JSON, on every boundary of DOMAIN.md's table.

The expected thresholds below are typed independently from DOMAIN.md section 2 (工信部联企业〔2011〕300号),
so these tests check the data file as much as the code.
"""

from decimal import Decimal

import pytest

from creditinfo.models import SizeClass
from creditinfo.sizing import rule_for, size_class_for
from xinyidai.refdata import load_json

RULES = load_json("size_standard_2011.json")["rules"]
WAN = Decimal(10000)

# (row, industry code, ancestors nearest first, medium bounds, small bounds, SME ceiling); money in 万元.
TABLE = [
    ("agriculture", "01", ["A"], {"Y": 500}, {"Y": 50}, {"Y": 20000}),
    ("industry", "39", ["C"], {"X": 300, "Y": 2000}, {"X": 20, "Y": 300}, {"X": 1000, "Y": 40000}),
    ("construction", "47", ["E"], {"Y": 6000, "Z": 5000}, {"Y": 300, "Z": 300}, {"Y": 80000, "Z": 80000}),
    ("wholesale", "51", ["F"], {"X": 20, "Y": 5000}, {"X": 5, "Y": 1000}, {"X": 200, "Y": 40000}),
    ("retail", "52", ["F"], {"X": 50, "Y": 500}, {"X": 10, "Y": 100}, {"X": 300, "Y": 20000}),
    ("transport", "54", ["G"], {"X": 300, "Y": 3000}, {"X": 20, "Y": 200}, {"X": 1000, "Y": 30000}),
    ("warehousing", "59", ["G"], {"X": 100, "Y": 1000}, {"X": 20, "Y": 100}, {"X": 200, "Y": 30000}),
    ("postal", "60", ["G"], {"X": 300, "Y": 2000}, {"X": 20, "Y": 100}, {"X": 1000, "Y": 30000}),
    ("accommodation", "61", ["H"], {"X": 100, "Y": 2000}, {"X": 10, "Y": 100}, {"X": 300, "Y": 10000}),
    ("catering", "62", ["H"], {"X": 100, "Y": 2000}, {"X": 10, "Y": 100}, {"X": 300, "Y": 10000}),
    ("telecom", "63", ["I"], {"X": 100, "Y": 1000}, {"X": 10, "Y": 100}, {"X": 2000, "Y": 100000}),
    ("software", "65", ["I"], {"X": 100, "Y": 1000}, {"X": 10, "Y": 50}, {"X": 300, "Y": 10000}),
    ("real_estate_dev", "701", ["70", "K"], {"Y": 1000, "Z": 5000}, {"Y": 100, "Z": 2000}, {"Y": 200000, "Z": 10000}),
    ("property_mgmt", "702", ["70", "K"], {"X": 300, "Y": 1000}, {"X": 100, "Y": 500}, {"X": 1000, "Y": 5000}),
    ("leasing", "72", ["L"], {"X": 100, "Z": 8000}, {"X": 10, "Z": 100}, {"X": 300, "Z": 120000}),
    ("other", "83", ["P"], {"X": 100}, {"X": 10}, {"X": 300}),
]
ROWS = {row[0]: row for row in TABLE}

# "One unit below" a money bound, in 万元: 0.01万元 (e.g. 2999.99万元) and, stricter, one fen (0.000001万元).
MONEY_UNITS = {"0.01wan": Decimal("0.01"), "1fen": Decimal("0.000001")}
NEXT_TIER_DOWN = {"large": "medium", "medium": "small", "small": "micro"}


def classify(row: str, x=0, y=0, z=0, code: str | None = None, ancestors=None) -> str:
    """size_class_for on a TABLE row's industry, with Y and Z given in 万元 and passed on in yuan."""
    _, row_code, row_ancestors, *_ = ROWS[row]
    return size_class_for(
        rules=RULES,
        industry_code=code or row_code,
        industry_ancestors=row_ancestors if ancestors is None else ancestors,
        employees=x,
        revenue_yuan=Decimal(y) * WAN,
        assets_yuan=Decimal(z) * WAN,
    )


def below(measure: str, value, money_unit: Decimal):
    """The value one unit under a bound: one employee, or one money unit (in 万元)."""
    return value - 1 if measure == "X" else Decimal(value) - money_unit


def boundary_cases():
    """(row, tier, measure, base, bound, unit) for every bound of every row; money bounds once per unit."""
    for name, _, _, medium, small, ceiling in TABLE:
        for tier, bounds, base in (("medium", medium, medium), ("small", small, small), ("large", ceiling, medium)):
            for measure, bound in bounds.items():
                units = {"1person": 1} if measure == "X" else MONEY_UNITS
                for label, unit in units.items():
                    yield pytest.param(name, tier, measure, base, bound, unit, id=f"{name}-{tier}-{measure}-{label}")


def values(base: dict, measure: str, value) -> dict:
    """Keyword args for classify(): the other measures at `base`, the tested measure at `value`."""
    kw = {m.lower(): b for m, b in base.items()}
    kw[measure.lower()] = value
    return kw


@pytest.mark.parametrize(("row", "tier", "measure", "base", "bound", "unit"), list(boundary_cases()))
def test_tier_changes_exactly_at_each_bound(row, tier, measure, base, bound, unit):
    # Others sit exactly at their own bound of the tier (for the ceiling: at the medium bounds), so only
    # the tested measure decides: at the bound -> this tier, one unit below -> the next tier down.
    assert classify(row, **values(base, measure, bound)) == tier
    assert classify(row, **values(base, measure, below(measure, bound, unit))) == NEXT_TIER_DOWN[tier]


def micro_cases():
    """(row, measure) for rows whose small tier has two bounds: one micro condition must be enough."""
    for name, _, _, _, small, _ in TABLE:
        if len(small) > 1:
            for measure in small:
                yield pytest.param(name, measure, id=f"{name}-{measure}")


@pytest.mark.parametrize(("row", "measure"), list(micro_cases()))
def test_one_micro_condition_is_enough(row, measure):
    _, _, _, _, small, ceiling = ROWS[row]
    # Every other measure just under the large ceiling, the tested one just under its small bound.
    near_large = {m: below(m, ceiling[m], MONEY_UNITS["0.01wan"]) for m in small}
    assert classify(row, **values(near_large, measure, below(measure, small[measure], Decimal("0.01")))) == "micro"


def test_one_ceiling_bound_is_enough_for_large():
    # Industry: 1000 employees make the firm large even with no revenue (any ceiling bound => large).
    assert classify("industry", x=1000, y=0) == "large"
    assert classify("construction", y=0, z=80000) == "large"


def test_exact_bound_in_yuan_with_cents():
    """Money is compared exactly: 29,999,999.99 yuan is one fen short of the 3000万元 transport medium bound."""
    result = size_class_for(
        rules=RULES,
        industry_code="54",
        industry_ancestors=["G"],
        employees=300,
        revenue_yuan=Decimal("29999999.99"),
        assets_yuan=Decimal(0),
    )
    assert result == "small"


def test_float_money_is_rejected():
    with pytest.raises(TypeError):
        size_class_for(
            rules=RULES, industry_code="39", industry_ancestors=["C"], employees=1, revenue_yuan=1.0, assets_yuan=0
        )


def test_results_are_size_class_values():
    outcomes = {classify("other", x=x) for x in (0, 10, 100, 300)}
    assert outcomes == {SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE}


# --- which row applies -------------------------------------------------------------------------------------

EXPECTED_CATEGORY_BY_SECTION = {
    "A": "agriculture", "B": "industry", "C": "industry", "D": "industry", "E": "construction", "L": "leasing_business",
}  # fmt: skip
EXPECTED_CATEGORY_BY_DIVISION = {
    "51": "wholesale", "52": "retail", "53": "other", "54": "transport", "55": "transport", "56": "transport",
    "57": "transport", "58": "transport", "59": "warehousing", "60": "postal", "61": "accommodation",
    "62": "catering", "63": "telecom", "64": "telecom", "65": "software",
}  # fmt: skip


def category_key(codes: list[str]) -> str:
    """The key of the category rule_for picks (rules are dicts; find which one by identity)."""
    rule = rule_for(RULES, codes)
    return next(key for key, cat in RULES["categories"].items() if cat is rule)


def test_every_division_maps_to_the_domain_table_row():
    divisions = [i for i in load_json("industries_gbt4754_2017.json")["industries"] if i["level"] == "division"]
    assert len(divisions) == 97
    for division in divisions:
        code, section = division["code"], division["parent"]
        expected = EXPECTED_CATEGORY_BY_DIVISION.get(code) or EXPECTED_CATEGORY_BY_SECTION.get(section, "other")
        assert category_key([code, section]) == expected, code


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["701", "70", "K"], "real_estate_development"),
        (["702", "70", "K"], "property_management"),
        (["703", "70", "K"], "other"),
        (["704", "70", "K"], "other"),
        (["709", "70", "K"], "other"),
        (["70", "K"], "other"),
        (["K", "70", "701"], "real_estate_development"),  # specificity, not argument order, decides
        (["C"], "industry"),
        (["G"], "transport"),
        (["9999"], "other"),
        ([], "other"),
    ],
)
def test_most_specific_code_wins(codes, expected):
    assert category_key(codes) == expected


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        # 250 people, 2500万元: warehousing hits its X ceiling (200); rail falls to "everything else" (X only).
        (250, 2500, {"54": "small", "59": "large", "60": "small", "53": "medium"}),
        # 50 people, 150万元: transport needs Y >= 200 to be small; warehousing and postal need Y >= 100.
        (50, 150, {"54": "micro", "59": "small", "60": "small", "53": "small"}),
        # 300 people, 2000万元: postal medium (Y >= 2000) but transport needs Y >= 3000; rail is large (X 300).
        (300, 2000, {"54": "small", "59": "large", "60": "medium", "53": "large"}),
    ],
)
def test_transport_warehousing_postal_and_rail_differ(x, y, expected):
    got = {code: classify("transport", x=x, y=y, code=code, ancestors=["G"]) for code in expected}
    assert got == expected


def test_real_estate_groups_differ():
    # 50 people, 1500万元 revenue, 6000万元 assets.
    kw = {"x": 50, "y": 1500, "z": 6000, "ancestors": ["70", "K"]}
    got = {code: classify("other", code=code, **kw) for code in ("701", "702", "703")}
    assert got == {"701": "medium", "702": "micro", "703": "small"}


@pytest.mark.parametrize(("code", "section"), [("66", "J"), ("73", "M"), ("83", "P"), ("84", "Q"), ("97", "T")])
def test_everything_else_counts_employees_only(code, section):
    huge = Decimal(10**6)  # 100亿元 revenue and assets do not matter outside the listed rows
    kw = {"code": code, "ancestors": [section], "y": huge, "z": huge}
    assert [classify("other", x=x, **kw) for x in (9, 10, 99, 100, 299, 300)] == [
        "micro", "small", "small", "medium", "medium", "large",
    ]  # fmt: skip


# --- the ORM wrapper ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enterprise_size_class_uses_current_standard_and_ancestors(reference_data):
    from creditinfo.sizing_db import enterprise_size_class
    from xinyidai.models import Industry

    kw = {"employees": 50, "revenue": Decimal("15000000.00"), "assets": Decimal("60000000.00")}
    assert enterprise_size_class(industry=Industry.objects.get(code="701"), **kw) == ("medium", "MIIT-2011-300")
    assert enterprise_size_class(industry=Industry.objects.get(code="702"), **kw) == ("micro", "MIIT-2011-300")
    assert enterprise_size_class(industry=Industry.objects.get(code="39"), **kw) == ("small", "MIIT-2011-300")


@pytest.mark.django_db
def test_enterprise_size_class_without_a_current_standard_is_blank():
    from creditinfo.sizing_db import enterprise_size_class
    from tests.factories import DivisionFactory

    result = enterprise_size_class(industry=DivisionFactory(), employees=5, revenue=Decimal(0), assets=Decimal(0))
    assert result == ("", "")
