"""Product eligibility: a pure check with reasons, and the same rule as a database annotation.

The pure check explains each criterion on a product page; the annotation sorts the whole
supermarket (eligible first) in SQL so that pagination stays correct and cheap. Both are the first part of the
matcher's hard eligibility (lending.matching), which adds the demand's amount, term and guarantee mode; tests keep
the three in agreement.
"""

from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.utils.translation import gettext_lazy as _

from lending.matching import EnterpriseFacts, grade_meets
from lending.models import Product

__all__ = ["Criterion", "EnterpriseFacts", "eligible_annotation", "no_enterprise_annotation", "product_criteria"]


@dataclass(frozen=True)
class Criterion:
    key: str
    met: bool
    message: str


def _grade_of(facts: EnterpriseFacts) -> str:
    """The enterprise's grade ("" when not evaluated), read now if the facts were built without it."""
    if facts.grade is not None:
        return facts.grade
    if facts.enterprise_id is None:
        return ""
    from creditinfo.models import Evaluation

    return Evaluation.objects.filter(enterprise_id=facts.enterprise_id).values_list("grade", flat=True).first() or ""


def product_criteria(product: Product, facts: EnterpriseFacts) -> list[Criterion]:
    """Each criterion of `product` for the enterprise; regions, industries and tags must be prefetched.

    With no regions listed, a product covers the region its institution serves and everything below it. A
    product with a minimum credit grade adds the grade criterion (none otherwise).
    """
    regions = [r.pk for r in product.regions.all()] or [product.institution.region_id]
    in_region = any(rid in regions for rid in facts.region_ids)
    sizes = product.size_class_list
    sections = [i.code for i in product.industries.all()]
    tags = [t.pk for t in product.tags.all()]
    return [
        Criterion("region", in_region, str(_("Region served") if in_region else _("Outside the product's regions"))),
        Criterion(
            "industry",
            not sections or facts.section_code in sections,
            str(
                _("Industry eligible")
                if not sections or facts.section_code in sections
                else _("Industry not covered by the product")
            ),
        ),
        Criterion(
            "size",
            not sizes or facts.size_class in sizes,
            str(
                _("Size class eligible")
                if not sizes or facts.size_class in sizes
                else _("Enterprise size class not covered")
            ),
        ),
        Criterion(
            "tags",
            not tags or bool(facts.tag_ids.intersection(tags)),
            str(
                _("Qualification tags met")
                if not tags or facts.tag_ids.intersection(tags)
                else _("Requires a qualification tag the enterprise does not have")
            ),
        ),
        *_grade_criterion(product, facts),
    ]


def _grade_criterion(product: Product, facts: EnterpriseFacts) -> list[Criterion]:
    if not product.min_grade:
        return []
    grade = _grade_of(facts)
    met = grade_meets(grade, product.min_grade)
    if met:
        message = _("Credit grade %(grade)s meets the minimum %(minimum)s")
    elif grade:
        message = _("Credit grade %(grade)s is below the minimum %(minimum)s")
    else:
        message = _("Requires credit grade %(minimum)s or better; the enterprise has no evaluation yet")
    return [Criterion("grade", met, str(message % {"grade": grade, "minimum": product.min_grade}))]


def eligible_annotation(facts: EnterpriseFacts) -> ExpressionWrapper:
    """A boolean SQL expression equal to all(product_criteria(...)) for every product row."""
    through_regions = Product.regions.through.objects.filter(product_id=OuterRef("pk"))
    through_industries = Product.industries.through.objects.filter(product_id=OuterRef("pk"))
    through_tags = Product.tags.through.objects.filter(product_id=OuterRef("pk"))
    # An institution serves its own region and everything below it: the enterprise must sit in that subtree.
    inst_serves = Q(institution__region_id__in=facts.region_ids)
    region_ok = (~Exists(through_regions) & inst_serves) | Exists(
        through_regions.filter(region_id__in=facts.region_ids)
    )
    industry_ok = ~Exists(through_industries) | Exists(through_industries.filter(industry__code=facts.section_code))
    size_ok = Q(size_classes="")
    if facts.size_class:
        size_ok |= Q(size_classes__contains=facts.size_class)
    tags_ok = ~Exists(through_tags)
    if facts.tag_ids:
        tags_ok = tags_ok | Exists(through_tags.filter(enterprisetag_id__in=facts.tag_ids))
    # A is the best grade: the enterprise's grade meets a minimum when it sorts at or before it.
    grade = _grade_of(facts)
    grade_ok = Q(min_grade="")
    if grade:
        grade_ok |= Q(min_grade__gte=grade)
    return ExpressionWrapper(region_ok & industry_ok & size_ok & tags_ok & grade_ok, output_field=BooleanField())


def no_enterprise_annotation():
    return Value(None, output_field=BooleanField())
