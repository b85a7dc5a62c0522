"""Size classification against the current SizeStandard row: the ORM-aware wrapper around creditinfo.sizing."""

from decimal import Decimal

from creditinfo.sizing import size_class_for
from xinyidai.models import Industry, SizeStandard


def industry_ancestor_codes(industry: Industry) -> list[str]:
    """Codes above an industry, nearest first (group -> division -> section); the tree is at most 3 deep."""
    codes, node = [], industry.parent
    while node is not None:
        codes.append(node.code)
        node = node.parent
    return codes


def enterprise_size_class(*, industry: Industry, employees: int, revenue: Decimal, assets: Decimal) -> tuple[str, str]:
    """(size class, standard version) under the current size standard; revenue and assets in yuan.

    Returns ("", "") when no standard is current (reference data not loaded yet): the enterprise's
    size_class is blank-able, and a made-up class would be worse than none.
    """
    standard = SizeStandard.objects.filter(is_current=True).only("version", "rules").first()
    if standard is None:
        return "", ""
    size_class = size_class_for(
        rules=standard.rules,
        industry_code=industry.code,
        industry_ancestors=industry_ancestor_codes(industry),
        employees=employees,
        revenue_yuan=revenue,
        assets_yuan=assets,
    )
    return size_class, standard.version
