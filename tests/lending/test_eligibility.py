"""Eligibility: the SQL annotation (`eligible_annotation`) must agree with the pure `product_criteria` for every
product and every enterprise, and the reasons shown on a product page must name the missed criteria.

The product grid is exhaustive over the rule shapes (no regions with the institution at each level, regions
listed at province / city / county level, industries, size classes, tags); enterprises are an exhaustive grid
of facts plus hypothesis-generated ones, including facts no product lists.
"""

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import prefetch_related_objects
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditinfo.models import EnterpriseTag
from lending.eligibility import EnterpriseFacts, eligible_annotation, product_criteria
from lending.models import Product
from lending.selectors import enterprise_facts_for, product_supermarket, products_with_reasons
from lending.services.applications import application_submit
from xinyidai.errors import DomainError
from xinyidai.models import Region

SIZES = ["large", "medium", "small", "micro"]


class _Rows(list):
    def all(self):
        return self


@dataclass(frozen=True)
class ProductRow:
    """What `product_criteria` reads of a product, copied once from the prefetched instance.

    The grid runs the pure rule 100 000 times; the prefetch cache's `.all()` clones a queryset on each call,
    which would make the exhaustive comparison take minutes instead of a second.
    """

    pk: int
    name: str
    institution: object
    regions: _Rows
    industries: _Rows
    tags: _Rows
    size_class_list: list
    min_grade: str = ""

    @classmethod
    def of(cls, product: Product) -> "ProductRow":
        return cls(
            pk=product.pk,
            name=product.name,
            institution=product.institution,
            regions=_Rows(product.regions.all()),
            industries=_Rows(product.industries.all()),
            tags=_Rows(product.tags.all()),
            size_class_list=product.size_class_list,
            min_grade=product.min_grade,
        )


class Grid:
    """Products covering every combination of rule shapes, created in bulk."""

    def __init__(self, world):
        w = world
        self.world = w
        self.hubei = Region.objects.create(code="420000", name="湖北省", level=Region.Level.PROVINCE)
        self.wuhan = Region.objects.create(code="420100", name="武汉市", level=Region.Level.CITY, parent=self.hubei)
        self.lsqy = EnterpriseTag.objects.create(code="lsqy", name="绿色企业")  # a tag no product asks for
        region_rules = [
            (w.a_zz, []),  # no regions: the institution's region (Zhengzhou) and below
            (w.bank_a, []),  # ... province
            (w.a_zz_js, []),  # ... county
            (w.a_ly, []),  # ... another city
            (w.a_zz, [w.henan]),
            (w.a_zz, [w.zhengzhou]),
            (w.a_ly, [w.zhengzhou]),  # listed regions win over the institution's own
            (w.a_zz, [w.luoyang]),
            (w.a_zz, [w.jinshui]),
            (w.a_zz, [w.zhongyuan, w.laocheng]),
        ]
        industry_rules = [[], [w.section_c], [w.section_a, w.section_i], [w.electronics]]  # 39: a division
        size_rules = ["", "small", "small,micro", "medium,large"]
        tag_rules = [[], [w.zjtx, w.gxjs]]  # "any of": one listed tag is enough
        combos = list(itertools.product(region_rules, industry_rules, size_rules, tag_rules))
        officer = w.officer(w.a_zz)
        products = Product.objects.bulk_create(
            [
                Product(
                    institution=institution,
                    name=f"grid-{n}",
                    product_type="working_capital",
                    guarantee_mode="04",
                    amount_min=100_000,
                    amount_max=1_000_000,
                    term_min_months=1,
                    term_max_months=36,
                    rate_min=3,
                    rate_max=6,
                    size_classes=sizes,
                    created_by=officer,
                )
                for n, ((institution, _r), _i, sizes, _t) in enumerate(combos)
            ]
        )
        regions, industries, tags = [], [], []
        for product, ((_inst, region_list), industry_list, _s, tag_list) in zip(products, combos, strict=True):
            regions += [Product.regions.through(product_id=product.pk, region_id=r.pk) for r in region_list]
            industries += [Product.industries.through(product_id=product.pk, industry_id=i.pk) for i in industry_list]
            tags += [Product.tags.through(product_id=product.pk, enterprisetag_id=t.pk) for t in tag_list]
        Product.regions.through.objects.bulk_create(regions)
        Product.industries.through.objects.bulk_create(industries)
        Product.tags.through.objects.bulk_create(tags)
        products = list(Product.objects.select_related("institution").order_by("pk"))
        prefetch_related_objects(products, "regions", "industries", "tags")
        assert len(products) == len(combos)
        self.products = [ProductRow.of(p) for p in products]

        self.region_chains = {
            "金水区": (w.jinshui.pk, w.zhengzhou.pk, w.henan.pk),
            "中原区": (w.zhongyuan.pk, w.zhengzhou.pk, w.henan.pk),
            "老城区": (w.laocheng.pk, w.luoyang.pk, w.henan.pk),
            "郑州市": (w.zhengzhou.pk, w.henan.pk),
            "河南省": (w.henan.pk,),
            "武汉市": (self.wuhan.pk, self.hubei.pk),
        }
        self.tag_sets = {
            "none": frozenset(),
            "zjtx": frozenset({w.zjtx.pk}),
            "gxjs": frozenset({w.gxjs.pk}),
            "lsqy": frozenset({self.lsqy.pk}),
        }

    def sql(self, facts: EnterpriseFacts) -> dict[int, bool]:
        rows = Product.objects.annotate(ok=eligible_annotation(facts)).values_list("pk", "ok")
        return {pk: bool(ok) for pk, ok in rows}

    def pure(self, facts: EnterpriseFacts) -> dict[int, bool]:
        return {p.pk: all(c.met for c in product_criteria(p, facts)) for p in self.products}

    def compare(self, facts: EnterpriseFacts) -> tuple[list, dict[int, bool]]:
        """(disagreements as (product, pure, sql), the pure verdicts)."""
        sql, pure = self.sql(facts), self.pure(facts)
        assert sql.keys() == pure.keys()
        return [(p.name, pure[p.pk], sql[p.pk]) for p in self.products if pure[p.pk] != sql[p.pk]], pure


@pytest.fixture
def grid(world):
    return Grid(world)


@pytest.mark.parametrize("region", ["金水区", "中原区", "老城区", "郑州市", "河南省", "武汉市"])
def test_annotation_agrees_with_the_pure_rule_over_the_whole_grid(grid, region):
    seen = set()
    for section, size, tags in itertools.product(["C", "I", "F"], [*SIZES, ""], grid.tag_sets):
        facts = EnterpriseFacts(
            region_ids=grid.region_chains[region],
            section_code=section,
            size_class=size,
            tag_ids=grid.tag_sets[tags],
        )
        disagreements, verdicts = grid.compare(facts)
        assert disagreements == [], (section, size, tags)
        seen |= set(verdicts.values())
    if region != "武汉市":
        assert seen == {True, False}  # the grid is not trivially all-eligible or all-refused


REGION_NAMES = ["henan", "zhengzhou", "jinshui", "zhongyuan", "luoyang", "laocheng"]
INSTITUTION_NAMES = ["bank_a", "a_zz", "a_zz_js", "a_ly", "b_zz"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    institution=st.sampled_from(INSTITUTION_NAMES),
    product_regions=st.lists(st.sampled_from(REGION_NAMES), unique=True, max_size=3),
    product_sections=st.lists(st.sampled_from(["A", "C", "I"]), unique=True, max_size=2),
    product_sizes=st.lists(st.sampled_from(SIZES), unique=True, max_size=3),
    product_tags=st.lists(st.sampled_from(["zjtx", "gxjs"]), unique=True, max_size=2),
    enterprise_region=st.sampled_from([*REGION_NAMES, "wuhan"]),
    section=st.sampled_from(["A", "C", "I", "F"]),
    size=st.sampled_from([*SIZES, ""]),
    tags=st.lists(st.sampled_from(["zjtx", "gxjs", "lsqy", "unknown"]), unique=True, max_size=3),
)
def test_annotation_agrees_with_the_pure_rule_for_generated_products_and_enterprises(
    grid,
    institution,
    product_regions,
    product_sections,
    product_sizes,
    product_tags,
    enterprise_region,
    section,
    size,
    tags,
):
    w = grid.world
    tag_objects = {"zjtx": w.zjtx, "gxjs": w.gxjs, "lsqy": grid.lsqy}
    product = Product.objects.create(
        institution=getattr(w, institution),
        name="generated",
        product_type="working_capital",
        guarantee_mode="04",
        amount_min=1,
        amount_max=2,
        term_min_months=1,
        term_max_months=2,
        rate_min=1,
        rate_max=2,
        size_classes=",".join(product_sizes),
        created_by=w.officer(w.a_zz),
    )
    try:
        product.regions.set([getattr(w, r) for r in product_regions])
        product.industries.set([{"A": w.section_a, "C": w.section_c, "I": w.section_i}[c] for c in product_sections])
        product.tags.set([tag_objects[t] for t in product_tags])
        region = grid.wuhan if enterprise_region == "wuhan" else getattr(w, enterprise_region)
        facts = EnterpriseFacts(
            region_ids=tuple(region.ancestors_and_self_ids()),
            section_code=section,
            size_class=size,
            tag_ids=frozenset(tag_objects[t].pk if t in tag_objects else 999_999 for t in tags),
        )
        fresh = Product.objects.prefetch_related("regions", "industries", "tags").select_related("institution")
        pure = all(c.met for c in product_criteria(fresh.get(pk=product.pk), facts))
        sql = Product.objects.annotate(ok=eligible_annotation(facts)).get(pk=product.pk).ok
        assert bool(sql) is pure
    finally:
        product.delete()


def test_facts_of_a_real_enterprise_drive_both_rules_the_same_way(grid):
    w = grid.world
    w.e1.tags.add(w.zjtx)
    facts = EnterpriseFacts.of(w.e1)
    assert facts == EnterpriseFacts(
        region_ids=(w.jinshui.pk, w.zhengzhou.pk, w.henan.pk),
        section_code="C",
        size_class="small",
        tag_ids=frozenset({w.zjtx.pk}),
    )
    assert enterprise_facts_for(w.sme1) == facts
    disagreements, verdicts = grid.compare(facts)
    assert disagreements == []
    eligible = {pk for pk, ok in verdicts.items() if ok}
    assert eligible and len(eligible) < len(grid.products)


# -- single rules, explicitly ----------------------------------------------------------------------------


def _facts(world, *, region=None, section="C", size="small", tags=()):
    region = region or world.jinshui
    return EnterpriseFacts(
        region_ids=tuple(region.ancestors_and_self_ids()),
        section_code=section,
        size_class=size,
        tag_ids=frozenset(t.pk for t in tags),
    )


def _criteria(product, facts) -> dict[str, bool]:
    product = Product.objects.prefetch_related("regions", "industries", "tags").get(pk=product.pk)
    return {c.key: c.met for c in product_criteria(product, facts)}


@pytest.mark.parametrize(
    ("institution", "regions", "enterprise_region", "met"),
    [
        ("a_zz", [], "jinshui", True),  # the institution serves its city and the counties below
        ("a_zz", [], "laocheng", False),
        ("a_zz_js", [], "zhongyuan", False),  # a county sub-branch does not serve the neighbouring county
        ("a_zz_js", [], "zhengzhou", False),  # ...nor the city above it
        ("bank_a", [], "laocheng", True),
        ("a_zz", ["henan"], "laocheng", True),
        ("a_zz", ["luoyang"], "jinshui", False),  # listed regions replace the institution's
        ("a_ly", ["jinshui"], "jinshui", True),
        ("a_zz", ["jinshui"], "zhongyuan", False),
        ("a_zz", ["zhongyuan", "laocheng"], "laocheng", True),
    ],
)
def test_region_rule(world, institution, regions, enterprise_region, met):
    product = world.product(getattr(world, institution))
    product.regions.set([getattr(world, r) for r in regions])
    facts = _facts(world, region=getattr(world, enterprise_region))
    assert _criteria(product, facts)["region"] is met
    annotated = Product.objects.annotate(ok=eligible_annotation(facts)).get(pk=product.pk)
    assert bool(annotated.ok) is met


@pytest.mark.parametrize(
    ("sizes", "size", "met"),
    [
        ("", "large", True),
        ("", "", True),
        ("small,micro", "micro", True),
        ("small,micro", "medium", False),
        ("small", "", False),
        ("medium", "small", False),
    ],
)
def test_size_rule(world, sizes, size, met):
    product = world.product(size_classes=sizes)
    facts = _facts(world, size=size)
    assert _criteria(product, facts)["size"] is met
    assert bool(Product.objects.annotate(ok=eligible_annotation(facts)).get(pk=product.pk).ok) is met


# -- the supermarket and the reasons shown ---------------------------------------------------------------


def test_supermarket_lists_eligible_products_first(world):
    ok_old = world.product(name="ok-old")
    refused_new = world.product(world.a_ly, name="refused-new")  # serves Luoyang only
    ok_new = world.product(world.bank_a, name="ok-new")
    world.product(name="draft", status=Product.Status.DRAFT)
    facts = _facts(world)
    rows = [(p.name, p.eligible) for p in product_supermarket(user=world.sme1, facts=facts)]
    assert rows == [(ok_new.name, True), (ok_old.name, True), (refused_new.name, False)]
    rows = [(p.name, p.eligible) for p in product_supermarket(user=world.sme1, facts=None)]
    assert rows == [(ok_new.name, None), (refused_new.name, None), (ok_old.name, None)]


def test_products_with_reasons_names_each_missed_criterion(world):
    product = world.product(world.a_zz, size_classes="medium")
    product.regions.set([world.luoyang])
    product.industries.set([world.section_c])
    product.tags.set([world.zjtx])
    with translation.override("en"):
        (annotated,) = products_with_reasons(Product.objects.filter(pk=product.pk), _facts(world))
        assert [(c.key, c.met, c.message) for c in annotated.criteria] == [
            ("region", False, "Outside the product's regions"),
            ("industry", True, "Industry eligible"),
            ("size", False, "Enterprise size class not covered"),
            ("tags", False, "Requires a qualification tag the enterprise does not have"),
        ]
        assert [c.key for c in annotated.missed] == ["region", "size", "tags"]

        facts = _facts(world, region=world.luoyang, size="medium", tags=[world.zjtx])
        (annotated,) = products_with_reasons(Product.objects.filter(pk=product.pk), facts)
        assert [c.message for c in annotated.criteria] == [
            "Region served",
            "Industry eligible",
            "Size class eligible",
            "Qualification tags met",
        ]
        assert annotated.missed == []


def test_products_with_reasons_without_an_enterprise(world):
    products = products_with_reasons(Product.objects.filter(pk=world.product().pk), None)
    assert (products[0].criteria, products[0].missed) == ([], [])


def test_products_with_reasons_prefetches_once(world, django_assert_max_num_queries):
    for _ in range(5):
        product = world.product()
        product.tags.set([world.zjtx])
    facts = _facts(world)
    with django_assert_max_num_queries(4):
        products = products_with_reasons(Product.objects.select_related("institution"), facts)
    assert len(products) == 5 and all(p.missed[0].key == "tags" for p in products)


def test_not_eligible_message_lists_the_reasons(world):
    product = world.product(size_classes="medium")
    product.tags.set([world.zjtx])
    with translation.override("en"), pytest.raises(DomainError) as excinfo:
        application_submit(
            user=world.sme1, product_id=product.pk, amount=Decimal(200000), term_months=12, purpose="x", consent=True
        )
    assert excinfo.value.code == "not_eligible"
    message = str(excinfo.value.message)
    assert "Enterprise size class not covered" in message
    assert "Requires a qualification tag" in message
    assert "Region" not in message and "Industry" not in message


# -- minimum grade, and agreement with the matcher (lending.matching) ---------------------------------------------

GRADE_CHOICES = ["", "A", "B", "C", "D"]


def _matcher_eligible(product: Product, facts: EnterpriseFacts) -> bool:
    from lending.matching import match
    from lending.selectors_matching import PRODUCT_M2M, PRODUCT_RELATED, product_facts

    fresh = Product.objects.select_related(*PRODUCT_RELATED).prefetch_related(*PRODUCT_M2M).get(pk=product.pk)
    return match(product_facts(fresh), facts).eligible


@pytest.mark.parametrize("min_grade", GRADE_CHOICES)
@pytest.mark.parametrize("grade", GRADE_CHOICES)
def test_minimum_grade_rule_pure_sql_and_matcher_agree(world, min_grade, grade):
    """A is the best grade: an enterprise meets a minimum of its own grade or worse; without an evaluation it
    meets only a product that sets no minimum."""
    product = world.product(min_grade=min_grade)
    facts = EnterpriseFacts(
        region_ids=tuple(world.jinshui.ancestors_and_self_ids()),
        section_code="C",
        size_class="small",
        tag_ids=frozenset(),
        grade=grade,
    )
    expected = not min_grade or (bool(grade) and "ABCD".index(grade) <= "ABCD".index(min_grade))
    criteria = _criteria(product, facts)
    assert ("grade" in criteria) is bool(min_grade)  # no grade criterion for a product without a minimum
    assert all(criteria.values()) is expected
    assert bool(Product.objects.annotate(ok=eligible_annotation(facts)).get(pk=product.pk).ok) is expected
    assert _matcher_eligible(product, facts) is expected


def test_grade_message_says_why(world):
    product = world.product(min_grade="B")
    with translation.override("en"):

        def message(grade):
            facts = _facts(world)
            facts = EnterpriseFacts(facts.region_ids, facts.section_code, facts.size_class, facts.tag_ids, grade=grade)
            product_ = Product.objects.prefetch_related("regions", "industries", "tags").get(pk=product.pk)
            return [c.message for c in product_criteria(product_, facts) if c.key == "grade"][0]

        assert message("A") == "Credit grade A meets the minimum B"
        assert message("C") == "Credit grade C is below the minimum B"
        assert message("") == "Requires credit grade B or better; the enterprise has no evaluation yet"


def test_grade_is_read_only_when_a_product_needs_it(world, django_assert_num_queries):
    """Facts built without the evaluation joined (as application_submit does) read the grade only for a product
    with a minimum grade, so the other products cost no query."""
    from tests.factories import EvaluationFactory

    EvaluationFactory(enterprise=world.e1, grade="C", score=560)
    facts = EnterpriseFacts.of(
        type(world.e1).objects.select_related("region__parent__parent", "industry__parent__parent").get(pk=world.e1.pk)
    )
    assert facts.grade is None
    products = Product.objects.select_related("institution").prefetch_related("regions", "industries", "tags")
    plain, strict = products.get(pk=world.product().pk), products.get(pk=world.product(min_grade="B").pk)
    with django_assert_num_queries(0):
        assert all(c.met for c in product_criteria(plain, facts))
    with django_assert_num_queries(1):
        assert [c.met for c in product_criteria(strict, facts) if c.key == "grade"] == [False]
    joined = enterprise_facts_for(world.sme1)
    assert joined.grade == "C"  # the supermarket joins the evaluation: no query per product


def test_supermarket_puts_products_below_the_grade_last(world):
    from tests.factories import EvaluationFactory

    EvaluationFactory(enterprise=world.e1, grade="C", score=560)
    needs_b = world.product(name="needs-b", min_grade="B")
    takes_c = world.product(name="takes-c", min_grade="C")
    facts = enterprise_facts_for(world.sme1)
    rows = [(p.name, p.eligible) for p in product_supermarket(user=world.sme1, facts=facts)]
    assert rows == [(takes_c.name, True), (needs_b.name, False)]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    institution=st.sampled_from(INSTITUTION_NAMES),
    product_regions=st.lists(st.sampled_from(REGION_NAMES), unique=True, max_size=2),
    product_sections=st.lists(st.sampled_from(["A", "C", "I"]), unique=True, max_size=2),
    product_sizes=st.lists(st.sampled_from(SIZES), unique=True, max_size=2),
    product_tags=st.lists(st.sampled_from(["zjtx", "gxjs"]), unique=True, max_size=2),
    min_grade=st.sampled_from(GRADE_CHOICES),
    enterprise_region=st.sampled_from(REGION_NAMES),
    section=st.sampled_from(["A", "C", "I", "F"]),
    size=st.sampled_from([*SIZES, ""]),
    tags=st.lists(st.sampled_from(["zjtx", "gxjs"]), unique=True, max_size=2),
    grade=st.sampled_from(GRADE_CHOICES),
)
def test_supermarket_and_matcher_agree_for_generated_products_and_enterprises(
    world,
    institution,
    product_regions,
    product_sections,
    product_sizes,
    product_tags,
    min_grade,
    enterprise_region,
    section,
    size,
    tags,
    grade,
):
    w = world
    tag_objects = {"zjtx": w.zjtx, "gxjs": w.gxjs}
    product = w.product(getattr(w, institution), size_classes=",".join(product_sizes), min_grade=min_grade)
    try:
        product.regions.set([getattr(w, r) for r in product_regions])
        product.industries.set([{"A": w.section_a, "C": w.section_c, "I": w.section_i}[c] for c in product_sections])
        product.tags.set([tag_objects[t] for t in product_tags])
        facts = EnterpriseFacts(
            region_ids=tuple(getattr(w, enterprise_region).ancestors_and_self_ids()),
            section_code=section,
            size_class=size,
            tag_ids=frozenset(tag_objects[t].pk for t in tags),
            grade=grade,
        )
        pure = all(_criteria(product, facts).values())
        sql = bool(Product.objects.annotate(ok=eligible_annotation(facts)).get(pk=product.pk).ok)
        assert sql is pure
        assert _matcher_eligible(product, facts) is pure
    finally:
        product.delete()
