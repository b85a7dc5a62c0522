"""Enterprise size classification (large/medium/small/micro) from a versioned size standard's rules.

Pure functions over plain data, no ORM: the rules are the `rules` JSON of a SizeStandard row (see
xinyidai/refdata/size_standard_2011.json), so a new standard is new data, not new code.
"""

from decimal import Decimal

# Plain strings equal to creditinfo.models.SizeClass values; importing the model module here would
# pull Django models into what is otherwise a dependency-free calculation.
LARGE, MEDIUM, SMALL, MICRO = "large", "medium", "small", "micro"

YUAN_PER_WAN = Decimal(10000)


def rule_for(rules: dict, codes: list[str]) -> dict:
    """The category rule for an industry, given its code and its ancestors' codes.

    The most specific code wins (group "701" over division "70" over section "K"), which is how a
    section-wide row such as transport (G) gives way to its own divisions (59, 60, 53). Falls back to
    the standard's catch-all category when no listed code matches.
    """
    categories = rules["categories"]
    by_code = {code: key for key, category in categories.items() for code in category.get("codes", [])}
    # GB/T 4754 code length grows with depth: section letter 1, division 2, group 3, class 4.
    for code in sorted((c for c in codes if c), key=len, reverse=True):
        if code in by_code:
            return categories[by_code[code]]
    return categories[rules["fallback"]]


def _measures(employees: int, revenue_yuan: Decimal, assets_yuan: Decimal) -> dict[str, Decimal]:
    """The standard's X/Y/Z values: employees, and money converted from yuan to 万元 exactly."""
    if isinstance(revenue_yuan, float) or isinstance(assets_yuan, float):
        # A float amount would already be inexact, and a boundary like 3000万元 must compare exactly.
        raise TypeError("money must be Decimal (or int/str), not float")
    return {
        "X": Decimal(employees),
        "Y": Decimal(revenue_yuan) / YUAN_PER_WAN,
        "Z": Decimal(assets_yuan) / YUAN_PER_WAN,
    }


def _meets_all(bounds: dict, values: dict[str, Decimal]) -> bool:
    """True when every lower bound is reached (medium and small tiers)."""
    return all(values[m] >= Decimal(str(b)) for m, b in bounds.items())


def _meets_any(bounds: dict, values: dict[str, Decimal]) -> bool:
    """True when at least one bound is reached (the SME ceiling: any one makes the firm large)."""
    return any(values[m] >= Decimal(str(b)) for m, b in bounds.items())


def size_class_for(
    *,
    rules: dict,
    industry_code: str,
    industry_ancestors: list[str],
    employees: int,
    revenue_yuan: Decimal,
    assets_yuan: Decimal,
) -> str:
    """Size class of an enterprise: "large", "medium", "small" or "micro".

    Ceiling first (at or above any ceiling bound = large), then medium and small (all bounds met);
    micro is whatever is left, which is exactly "at least one micro condition holds".
    """
    rule = rule_for(rules, [industry_code, *industry_ancestors])
    values = _measures(employees, revenue_yuan, assets_yuan)
    if _meets_any(rule["large"], values):
        return LARGE
    if _meets_all(rule["medium"], values):
        return MEDIUM
    if _meets_all(rule["small"], values):
        return SMALL
    return MICRO
