"""Reads for matchmaking: products ranked for an SME, demands and enterprises ranked for a product, the
institutions a demand is pushed to. Scores and reasons come from the pure lending.matching.

The facts are loaded once per call with a fixed (or, where it says so, bounded) number of queries whatever the
data volume, and only the page shown is explained in Python. Province-wide rankings never score every candidate:

- demands for a product (`rank_demands`): the hard criteria are filters and the score is a float8 expression
  (`sql_score`, the twin of lending.matching's arithmetic, tested to give the same integers); the pool is read in
  walks from the middle of the product's amount range, term by term, stopped once nothing unread can enter the
  page (the threshold algorithm), which gives exactly the page of ORDER BY score LIMIT (a test compares them);
- enterprises for a product (`rank_enterprises`): without a demand the score depends on the grade only, so the
  candidates are read grade by grade, newest first, until the page is full;
- products for an enterprise: every listed product is scored in Python from plain values (a few thousand).

A bank's performance (approval rate, working days to a decision) comes from the statistics rollups (StatsRollup
rows dim='bank' at the province, the last PERFORMANCE_MONTHS months); with no rollups the factors are neutral.

FloatField appears below only as the output type of score expressions: a dimensionless ranking score (0-100,
rounded to an integer), never stored and never money. Amounts and rates stay Decimal in every model and output;
only where a demand's amount sits within a product's range becomes a fraction of the score.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Abs, Cast, Coalesce, Floor
from django.utils import timezone

from creditinfo.models import Enterprise, Evaluation
from lending.eligibility import eligible_annotation
from lending.matching import (
    GRADE_POINTS,
    NEUTRAL,
    NO_PERFORMANCE,
    W_AMOUNT_FIT,
    W_FIT,
    W_TERM_FIT,
    DemandFacts,
    EnterpriseFacts,
    Match,
    Performance,
    ProductFacts,
    grade_meets,
    match,
    product_points,
    range_fit,
    range_geometry,
    rank,
    round_score,
    score_total,
)
from lending.models import DemandPush, FinancingDemand, OutreachLead, Product
from lending.models.stats import StatsDim, StatsRollup
from xinyidai.models import Industry, Institution, Region

PERFORMANCE_MONTHS = 12
PRODUCT_RELATED = ("institution__region__parent__parent", "institution__parent__parent")
PRODUCT_M2M = ("regions", "industries", "tags")
ENTERPRISE_RELATED = ("region__parent__parent", "industry__parent__parent", "evaluation")
# A demand is matched in its own region: its enterprise's region is only shown (no chain).
DEMAND_RELATED = (
    "region__parent__parent",
    "enterprise__region",
    "enterprise__industry__parent__parent",
    "enterprise__evaluation",
)
# The evaluation's explanation (JSON lists) is the profile's, not the matcher's: never loaded here.
EVALUATION_DEFERRED = ("evaluation__factors", "evaluation__improvements")
OPEN_DEMAND = (FinancingDemand.Status.OPEN, FinancingDemand.Status.CLAIMED)


# --- results ------------------------------------------------------------------------------------------------


@dataclass(eq=False)
class ProductMatch:
    """A listed product for an SME: the Product (institution joined) and its Match."""

    product: Product
    match: Match

    def __getattr__(self, name):  # score, eligible, met, missed, factors, criteria
        return getattr(self.match, name)


@dataclass(eq=False)
class DemandMatch:
    """An open demand for a product: the demand (enterprise, region, industry, evaluation joined) and its Match."""

    demand: FinancingDemand
    match: Match
    pushed: bool = False

    def __getattr__(self, name):
        return getattr(self.match, name)

    @property
    def enterprise(self) -> Enterprise:
        return self.demand.enterprise


@dataclass(eq=False)
class EnterpriseMatch:
    """An enterprise for a product: why it is a candidate (a pool demand, an outreach lead) and its Match.

    Shows the advisory grade and evaluation score only; never credit records."""

    enterprise: Enterprise
    match: Match
    has_demand: bool
    has_lead: bool

    def __getattr__(self, name):
        return getattr(self.match, name)

    @property
    def evaluation(self):
        return getattr(self.enterprise, "evaluation", None)


# --- facts ----------------------------------------------------------------------------------------------------


def _head_office_id(institution: Institution) -> int:
    node = institution
    while node.parent_id is not None:
        node = node.parent
    return node.pk


def product_facts(product: Product) -> ProductFacts:
    """From a Product with PRODUCT_RELATED joined and PRODUCT_M2M prefetched."""
    institution = product.institution
    regions, tags = list(product.regions.all()), list(product.tags.all())
    return ProductFacts(
        product_id=product.pk,
        institution_id=institution.pk,
        bank_id=_head_office_id(institution),
        region_ids=frozenset(r.pk for r in regions) or frozenset({institution.region_id}),
        regions_listed=bool(regions),
        sections=frozenset(i.code for i in product.industries.all()),
        size_classes=frozenset(product.size_class_list),
        tag_ids=frozenset(t.pk for t in tags),
        amount_min=product.amount_min,
        amount_max=product.amount_max,
        term_min_months=product.term_min_months,
        term_max_months=product.term_max_months,
        rate_min=product.rate_min,
        guarantee_mode=product.guarantee_mode,
        min_grade=product.min_grade,
        name=product.name,
        region_names=tuple(r.name for r in regions) or (institution.region.name,),
        tag_names=tuple(t.name for t in tags),
        tag_labels=tuple((t.pk, t.name) for t in tags),
    )


def demand_facts(demand: FinancingDemand) -> DemandFacts:
    return DemandFacts(
        amount=demand.amount,
        term_months=demand.term_months,
        guarantee_modes=tuple(demand.guarantee_modes or ()),
        demand_id=demand.pk,
    )


PRODUCT_VALUES = (
    "id", "name", "institution_id", "institution__parent_id", "institution__parent__parent_id",
    "institution__region_id", "institution__region__name", "amount_min", "amount_max", "term_min_months",
    "term_max_months", "rate_min", "guarantee_mode", "min_grade", "size_classes",
)  # fmt: skip


def products_facts(queryset) -> list[ProductFacts]:
    """ProductFacts of every product of `queryset`, in its order: four queries of plain values whatever the number
    of products (no model instances: the supermarket's thousands of products are read in milliseconds). The same
    facts as `product_facts` gives for one instance."""
    rows = list(queryset.values_list(*PRODUCT_VALUES))
    regions, sections, tags = defaultdict(list), defaultdict(set), defaultdict(list)
    if rows:
        # The products again as a subquery, not thousands of literal ids (which cost more to send than to run).
        ids = queryset.order_by().values("id")
        through = Product.regions.through.objects.filter(product_id__in=ids).order_by("product_id", "region__code")
        for pid, rid, name in through.values_list("product_id", "region_id", "region__name"):
            regions[pid].append((rid, name))
        through = Product.industries.through.objects.filter(product_id__in=ids)
        for pid, code in through.values_list("product_id", "industry__code"):
            sections[pid].add(code)
        through = Product.tags.through.objects.filter(product_id__in=ids).order_by("product_id", "enterprisetag__code")
        for pid, tid, name in through.values_list("product_id", "enterprisetag_id", "enterprisetag__name"):
            tags[pid].append((tid, name))
    return [_facts_from_row(row, regions.get(row[0]), sections.get(row[0]), tags.get(row[0])) for row in rows]


EMPTY = frozenset()


def _facts_from_row(row, listed, sections, tagged) -> ProductFacts:
    (pk, name, inst, parent, grandparent, inst_region, inst_region_name, amount_min, amount_max, term_min, term_max,
     rate_min, mode, min_grade, sizes) = row  # fmt: skip
    return ProductFacts(
        product_id=pk, institution_id=inst, bank_id=grandparent or parent or inst,
        region_ids=frozenset([rid for rid, _n in listed]) if listed else frozenset((inst_region,)),
        regions_listed=bool(listed), sections=frozenset(sections) if sections else EMPTY,
        size_classes=frozenset([c for c in sizes.split(",") if c]) if sizes else EMPTY,
        tag_ids=frozenset([tid for tid, _n in tagged]) if tagged else EMPTY, amount_min=amount_min,
        amount_max=amount_max, term_min_months=term_min, term_max_months=term_max, rate_min=rate_min,
        guarantee_mode=mode, min_grade=min_grade, name=name,
        region_names=tuple([n for _r, n in listed]) if listed else (inst_region_name,),
        tag_names=tuple([n for _t, n in tagged]) if tagged else (), tag_labels=tuple(tagged) if tagged else (),
    )  # fmt: skip


def _facts_of_product(product: Product) -> ProductFacts:
    (facts,) = products_facts(Product.objects.filter(pk=product.pk))
    return facts


def attach_products(matches) -> list[ProductMatch]:
    """The Product (institution joined; regions, industries and tags prefetched) of each match, in order: three
    plus one queries for the page of matches shown, not for every product ranked."""
    ids = [m.product.product_id for m in matches]
    by_id = Product.objects.select_related(*PRODUCT_RELATED).prefetch_related(*PRODUCT_M2M).in_bulk(ids)
    return [ProductMatch(by_id[m.product.product_id], m) for m in matches]


def bank_performance(bank_ids, *, today: datetime.date | None = None) -> dict[int, Performance]:
    """Decisions of each bank (head office id) over the last PERFORMANCE_MONTHS months, from the province's
    rollups, in one query; banks without rows are absent (the caller uses NO_PERFORMANCE)."""
    bank_ids = sorted(set(bank_ids))
    if not bank_ids:
        return {}
    today = today or timezone.localdate()
    start = today.replace(day=1)
    for _i in range(PERFORMANCE_MONTHS - 1):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    rows = (
        StatsRollup.objects.filter(
            dim=StatsDim.BANK,
            key__in=[str(pk) for pk in bank_ids],
            month__gte=start,
            region__in=Region.objects.filter(parent__isnull=True).values("id"),
        )
        .values("key")
        .annotate(decided=Sum("decided_count"), granted=Sum("granted_count"), days=Sum("approval_working_days"))
    )
    return {
        int(row["key"]): Performance(decided=row["decided"] or 0, granted=row["granted"] or 0,
                                     working_days=row["days"] or 0)
        for row in rows
    }  # fmt: skip


def _enterprises(queryset):
    return queryset.select_related(*ENTERPRISE_RELATED).defer(*EVALUATION_DEFERRED).prefetch_related("tags")


# --- the SQL twin of the score ---------------------------------------------------------------------------------


def sql_grade_points(key: str):
    """GRADE_POINTS of the enterprise whose id is the outer row's `key`: one index probe of its evaluation per row
    (a subquery, so that a demand needs no join to its enterprise)."""
    whens = [When(grade=grade, then=Value(points)) for grade, points in GRADE_POINTS.items() if grade]
    points = Evaluation.objects.filter(enterprise_id=OuterRef(key)).annotate(
        points=Case(*whens, default=Value(GRADE_POINTS[""]), output_field=FloatField())
    )
    return Coalesce(Subquery(points.values("points")[:1]), Value(GRADE_POINTS[""]), output_field=FloatField())


def _sql_range_fit(column: str, low, high):
    middle, half = range_geometry(low, high)
    if half == 0:
        return Value(1.0, output_field=FloatField())  # every eligible value is the middle itself
    distance = Abs(Cast(column, FloatField()) - Value(middle, output_field=FloatField()))
    return Value(1.0, output_field=FloatField()) - distance / Value(half, output_field=FloatField())


def sql_fit(facts: ProductFacts):
    """fit_points of lending.matching for a demand row, as SQL (float8, the same operations in the same order)."""
    amount_fit = _sql_range_fit("amount", facts.amount_min, facts.amount_max)
    term_fit = _sql_range_fit("term_months", facts.term_min_months, facts.term_max_months)
    return (
        Value(W_AMOUNT_FIT, output_field=FloatField()) * amount_fit
        + Value(W_TERM_FIT, output_field=FloatField()) * term_fit
    )


def sql_score(facts: ProductFacts, performance: Performance, *, key: str, with_demand: bool = True):
    """The integer score of lending.matching.match for each row, as SQL, for rows that pass the hard criteria.

    `key` names the enterprise id of the row ("enterprise_id" on a demand, "pk" on an enterprise); without a
    demand the fit is neutral. The operations are those of `match`, in the same order, in float8: the same
    integer comes out."""
    base = Value(product_points(facts, performance), output_field=FloatField())
    fit = sql_fit(facts) if with_demand else Value(W_FIT * NEUTRAL, output_field=FloatField())
    total = base + sql_grade_points(key) + fit
    return Floor(total + Value(0.5, output_field=FloatField()), output_field=FloatField())


@dataclass(frozen=True)
class SqlRules:
    """A product's regions and industry sections as the ids of the rows they cover (literal lists: the planner
    hashes them instead of probing the region and industry trees for every candidate)."""

    region_ids: tuple[int, ...]
    industry_ids: tuple[int, ...] | None  # None: every industry


def sql_rules(facts: ProductFacts) -> SqlRules:
    """One query, two when the product lists industry sections."""
    ids = facts.region_ids
    regions = Region.objects.filter(Q(id__in=ids) | Q(parent_id__in=ids) | Q(parent__parent_id__in=ids))
    industries = None
    if facts.sections:
        sections = sorted(facts.sections)
        # An industry's section is the root of its chain (a section, a division below one, a group below that).
        roots = Q(code__in=sections, parent__isnull=True)
        roots |= Q(parent__code__in=sections, parent__parent__isnull=True)
        roots |= Q(parent__parent__code__in=sections, parent__parent__parent__isnull=True)
        industries = tuple(Industry.objects.filter(roots).values_list("id", flat=True))
    return SqlRules(region_ids=tuple(regions.values_list("id", flat=True)), industry_ids=industries)


def sql_enterprise_criteria(facts: ProductFacts, rules: SqlRules, *, key: str, region: bool = True) -> Q:
    """The enterprise-side hard criteria as filters on rows whose enterprise id is `key`: the row's own `region_id`
    (a demand's region, an enterprise's region); industry and size on the enterprise itself ("pk") or, from a
    demand, by a subquery on it; tags and grade by subqueries. Subqueries rather than joins: a walk of the pool
    probes them for the few rows it reads, instead of joining a million enterprises first. `region` False leaves
    the region to the caller (officer_pool intersects it with the officer's)."""
    q = Q(region_id__in=rules.region_ids) if region else Q()
    own = {}
    if rules.industry_ids is not None:
        own["industry_id__in"] = rules.industry_ids
    if facts.size_classes:
        own["size_class__in"] = sorted(facts.size_classes)
    if own and key == "pk":
        q &= Q(**own)
    elif own:
        q &= Q(Exists(Enterprise.objects.filter(pk=OuterRef(key), **own)))
    if facts.tag_ids:
        holds = Enterprise.tags.through.objects.filter(
            enterprise_id=OuterRef(key), enterprisetag_id__in=sorted(facts.tag_ids)
        )
        q &= Q(Exists(holds))
    if facts.min_grade:  # A is the best grade: the enterprise's grade sorts at or before the minimum
        q &= Q(Exists(Evaluation.objects.filter(enterprise_id=OuterRef(key), grade__lte=facts.min_grade)))
    return q


def sql_demand_criteria(facts: ProductFacts) -> Q:
    """The demand-side hard criteria (amount, term, guarantee mode) as filters on FinancingDemand."""
    q = Q(amount__gte=facts.amount_min, amount__lte=facts.amount_max)
    q &= Q(term_months__gte=facts.term_min_months, term_months__lte=facts.term_max_months)
    # A demand listing no mode accepts any. PostgreSQL tests jsonb containment; elsewhere the list's text.
    if connection.vendor == "postgresql":
        q &= Q(guarantee_modes=[]) | Q(guarantee_modes__contains=[facts.guarantee_mode])
    else:
        q &= Q(modes_text="[]") | Q(modes_text__contains=f'"{facts.guarantee_mode}"')
    return q


# --- products for an SME -------------------------------------------------------------------------------------


def enterprise_for_matching(enterprise_id: int) -> Enterprise:
    return _enterprises(Enterprise.objects.filter(pk=enterprise_id)).get()


def latest_open_demand(enterprise_id: int) -> FinancingDemand | None:
    return (
        FinancingDemand.objects.filter(enterprise_id=enterprise_id, status__in=OPEN_DEMAND)
        .order_by("-created_at", "-id")
        .first()
    )


def rank_products_for(enterprise, *, demand=None) -> list[Match]:
    """Every listed product's Match for `enterprise`, ranked (eligible first, then score); facts only, no Product
    instances (see attach_products). Eight queries whatever the number of products."""
    enterprise = enterprise_for_matching(enterprise.pk)
    facts = EnterpriseFacts.of(enterprise)
    demand = demand if demand is not None else latest_open_demand(enterprise.pk)
    wanted = demand_facts(demand) if demand is not None else None
    all_facts = products_facts(Product.objects.listed().order_by())
    performance = bank_performance(f.bank_id for f in all_facts)
    return rank(
        match(f, facts, demand=wanted, performance=performance.get(f.bank_id, NO_PERFORMANCE)) for f in all_facts
    )


def products_for_enterprise(enterprise, *, limit: int | None = None, demand=None) -> list[ProductMatch]:
    """Listed products ranked for `enterprise` (eligible first, then score), with reasons.

    Scored against `demand`, or else the enterprise's latest open demand (amount, term and guarantee mode then
    count), or else no demand at all. A fixed number of queries whatever the number of products."""
    ranked = rank_products_for(enterprise, demand=demand)
    return attach_products(ranked if limit is None else ranked[:limit])


# --- demands and enterprises for a product (officers) ----------------------------------------------------------


def pushed_flag(officer) -> Exists:
    """True for demands pushed to the officer's own institution (shown as "recommended to you")."""
    return Exists(DemandPush.objects.filter(demand_id=OuterRef("pk"), institution_id=officer.institution_id))


def officer_pool(officer, *, within=None):
    """FinancingDemand.objects.pool_for(officer) (a test keeps them equal), with the region subtree read first as
    literal ids, intersected with `within` (region ids) when given. Given a subquery the planner drives the ranking
    from the region list through the (status, region) index over the whole pool; given the ids it walks the
    (term, amount) index and stops after a page (cf. Institution.subtree_literal_q)."""
    if not (officer.is_authenticated and officer.is_officer):
        return FinancingDemand.objects.none()
    root = Institution.objects.filter(pk=officer.institution_id).values("region_id")  # one query for the subtree
    subtree = Q(id__in=root) | Q(parent_id__in=root) | Q(parent__parent_id__in=root)
    region_ids = set(Region.objects.filter(subtree).values_list("id", flat=True))
    if within is not None:
        region_ids &= set(within)
    return FinancingDemand.objects.unclaimed().filter(region_id__in=sorted(region_ids))


def demand_candidates(facts: ProductFacts, *, officer, rules: SqlRules | None = None):
    """The officer's pool narrowed by every hard criterion of the product, unordered and unscored. A demand's
    region is its own (where it was published: the enterprise's region then)."""
    rules = rules or sql_rules(facts)
    return (
        officer_pool(officer, within=rules.region_ids)
        .alias(modes_text=Cast("guarantee_modes", TextField()))
        .filter(sql_demand_criteria(facts))
        .filter(sql_enterprise_criteria(facts, rules, key="enterprise_id", region=False))
    )


def demand_enterprise_facts(demand: FinancingDemand) -> EnterpriseFacts:
    """The enterprise's facts as its demand is matched: in the demand's region (DEMAND_RELATED joined)."""
    return EnterpriseFacts.of(demand.enterprise, region=demand.region)


def _ranked(queryset, ordering, *, offset: int, limit: int) -> list[tuple[int, int]]:
    """[(pk, score)] of one page of an annotated `score` ranking: ids and scores only, so that the sort over every
    candidate carries two columns and no joins beyond those the criteria and the score need."""
    rows = queryset.order_by(*ordering).values_list("pk", "score")[offset : offset + limit]
    return [(pk, int(score)) for pk, score in rows]


def _in_rank_order(objects, ranked) -> list:
    by_id = {obj.pk: obj for obj in objects}
    page = []
    for pk, score in ranked:
        obj = by_id[pk]
        obj.score = score
        page.append(obj)
    return page


def demands_for_product(product: Product, *, officer, limit: int = 50, offset: int = 0) -> list[DemandMatch]:
    """The open demands in the officer's pool that meet every hard criterion of `product`, best score first
    (then newest), one page; each explained by lending.matching. The ranking returns ids and scores only
    (`rank_demands`), then one query loads the page's rows with what they show."""
    facts = _facts_of_product(product)
    performance = bank_performance([facts.bank_id]).get(facts.bank_id, NO_PERFORMANCE)
    ranked = rank_demands(facts, performance, officer=officer, offset=offset, limit=limit)
    if not ranked:
        return []
    rows = (
        FinancingDemand.objects.filter(pk__in=[pk for pk, _score in ranked])
        .annotate(pushed=pushed_flag(officer))
        .select_related(*DEMAND_RELATED)
        .defer(*(f"enterprise__{f}" for f in EVALUATION_DEFERRED))
        .prefetch_related("enterprise__tags")
    )
    results = []
    for demand in _in_rank_order(rows, ranked):
        result = match(facts, demand_enterprise_facts(demand), demand=demand_facts(demand),
                       performance=performance)  # fmt: skip
        results.append(DemandMatch(demand, result, pushed=demand.pushed))
    return results


# --- ranking the pool: walks from the middle of the product's ranges -------------------------------------------
#
# The score is base + grade points + fit, and the fit of a demand of a given term only falls as its amount moves
# away from the middle of the product's amount range. So the eligible demands of one term, read in the order of
# their distance from that middle (the partial index demand_pool_term_amount), come best fit first. Each term
# gives two such walks (amounts above and below the middle), all run as one statement (_WalkSql), each stopped
# after `depth` eligible demands. What a walk did not reach scores at most base + the best grade points + the fit
# of the last demand it returned; when that cannot reach the score of the page's last demand, the walk cannot
# change the page. A walk that still could is read once more, this time to the amount beyond which no demand can
# (`reach`): the page is then exactly the one ORDER BY score LIMIT gives over the whole pool (the threshold
# algorithm; a test compares them). Province-wide this reads hundreds of demands instead of ranking every one
# (each needs its enterprise's grade, a probe into a million evaluations). The whole pool is ranked in one
# ORDER BY score LIMIT instead past WALK_MAX rows, away from PostgreSQL, and for a product that requires
# qualification tags or industry sections (few enterprises qualify: walks would read most of the pool to fill a
# page, and one statement does that faster).

WALK_MIN, WALK_MAX = 20, 5000
CENT = Decimal("0.01")
BEST_GRADE_POINTS = max(GRADE_POINTS.values())


def rank_demands(facts: ProductFacts, performance: Performance, *, officer, offset: int, limit: int):
    """[(demand id, score)] of one page of the officer's pool ranked for the product: score, then newest."""
    rules = sql_rules(facts)
    scored = demand_candidates(facts, officer=officer, rules=rules).annotate(
        score=sql_score(facts, performance, key="enterprise_id")
    )
    wanted = offset + limit
    if wanted <= 0:
        return []
    if connection.vendor != "postgresql" or wanted > WALK_MAX or facts.tag_ids or facts.sections:
        # Required tags or industry sections leave few eligible demands: checking the whole pool in one statement
        # costs less than walks that must read most of it to fill a page.
        return _ranked(scored, ("-score", "-created_at", "-id"), offset=offset, limit=limit)
    base, rows = product_points(facts, performance), {}
    walk_sql = _WalkSql(scored.annotate(fit=sql_fit(facts)), facts)
    depth = max(WALK_MIN, wanted)
    walks = [(2 * n + side, term, side) for n, term in enumerate(_pool_terms(facts)) for side in (0, 1)]
    if not walks:
        return []
    fits = walk_sql.run([(walk, term, side, depth, None) for walk, term, side in walks], rows)
    page_last = _ranked_rows(rows)[wanted - 1][1][0] if len(rows) >= wanted else None
    # Walks cut short whose unseen demands might still enter the page: read all of those (not every one they hold).
    deeper = [
        (walk, term, side, None, walk_sql.reach(term, side, page_last - base - BEST_GRADE_POINTS - 0.5))
        for walk, term, side in walks
        if len(fits.get(walk, ())) >= depth and _unseen_best(base, fits[walk]) >= page_last
    ]
    if deeper:
        walk_sql.run(deeper, rows)
    return [(pk, score) for pk, (score, _created) in _ranked_rows(rows)[offset:wanted]]


def _ranked_rows(rows: dict) -> list:
    """Score, then published (epoch seconds), then id, all descending: the order of ORDER BY score."""
    return sorted(rows.items(), key=lambda item: (-item[1][0], -item[1][1], -item[0]))


def _unseen_best(base: float, fits) -> int:
    """The best score a demand a walk did not reach can have: the best grade and the fit of the walk's last row."""
    return round_score(score_total(base, BEST_GRADE_POINTS, min(fits)))


class _WalkSql:
    """The walks as one statement: the ranked pool query compiled once, read by a LATERAL subquery per side, for
    each (walk, term, depth, amount bound) of a VALUES list. The planner pushes the term and the amount range into
    the pool query and walks demand_pool_term_amount in amount order, stopping at the depth (none: the bound)."""

    def __init__(self, scored, facts: ProductFacts):
        columns = (
            scored.order_by()
            .annotate(d_id=F("id"), d_amount=F("amount"), d_term=F("term_months"), d_created=F("created_at"))
            .values("d_id", "d_amount", "d_term", "d_created", "score", "fit")
        )
        self.inner, self.inner_params = columns.query.sql_with_params()
        self.facts = facts
        self.middle = (facts.amount_min + facts.amount_max) / 2

    def reach(self, term: int, side: int, fit: float) -> Decimal:
        """The amount bound of a walk beyond which a demand's fit falls below `fit` (with a fen to spare)."""
        f = self.facts
        _middle, half = range_geometry(f.amount_min, f.amount_max)
        term_fit = range_fit(term, f.term_min_months, f.term_max_months)
        distance = half * (1 - (fit - W_TERM_FIT * term_fit) / W_AMOUNT_FIT)
        distance = Decimal(repr(max(distance, 0.0))).quantize(CENT) + CENT
        return self.middle + distance if side == 0 else self.middle - distance

    def run(self, walks, rows: dict) -> dict:
        """Rows seen go into `rows` (id -> (score, published epoch)); returns {walk: [fit, ...]} of this round."""
        sides, params = [], []
        ends = (self.facts.amount_max, self.facts.amount_min)
        directions = (
            ("s.d_amount >= %s AND s.d_amount <= v.bound", "ASC"),  # above the middle, nearest first
            ("s.d_amount < %s AND s.d_amount >= v.bound", "DESC"),  # below it
        )
        for side, (tests, order) in enumerate(directions):
            these = [(w, t, d, ends[side] if b is None else b) for w, t, walk_side, d, b in walks if walk_side == side]
            if not these:
                continue
            values = ", ".join(["(%s::int, %s::int, %s::int, %s::numeric)"] * len(these))
            lateral = (
                f"SELECT s.d_id, s.score, s.d_created, s.fit FROM ({self.inner}) s WHERE s.d_term = v.term AND {tests} "  # noqa: S608 - the ORM's query; values are parameters  # nosec B608
                f"ORDER BY s.d_amount {order} LIMIT v.depth"
            )
            # The publication time as epoch seconds: a double keeps microseconds apart and costs less to read.
            select = "SELECT v.walk, x.d_id, x.score, extract(epoch FROM x.d_created)::float8, x.fit"
            sides.append(
                f"{select} FROM (VALUES {values}) AS v(walk, term, depth, bound) CROSS JOIN LATERAL ({lateral}) x"
            )
            params += [value for row in these for value in row]
            params += [*self.inner_params, self.middle]
        fits: dict[int, list] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(sides), params)
            for walk, pk, score, created_at, fit in cursor.fetchall():
                rows[pk] = (int(score), created_at)
                fits[walk].append(fit)
        return fits


def _pool_terms(facts: ProductFacts) -> list[int]:
    """The distinct terms (months) of open demands within the product's term range: a loose scan of the index
    demand_pool_term_amount, one probe per term, however many demands there are."""
    table = connection.ops.quote_name(FinancingDemand._meta.db_table)
    statuses = [FinancingDemand.Status.OPEN.value, FinancingDemand.Status.CLAIMED.value]
    sql = f"""
        WITH RECURSIVE terms AS (
            SELECT min(term_months) AS term FROM {table}
             WHERE status IN (%s, %s) AND term_months >= %s AND term_months <= %s
            UNION ALL
            SELECT (SELECT min(term_months) FROM {table}
                     WHERE status IN (%s, %s) AND term_months > terms.term AND term_months <= %s)
              FROM terms WHERE terms.term IS NOT NULL
        )
        SELECT term FROM terms WHERE term IS NOT NULL
    """  # noqa: S608 - the table name is the model's; every value is a parameter  # nosec B608
    params = [*statuses, facts.term_min_months, facts.term_max_months, *statuses, facts.term_max_months]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _open_leads_of(officer):
    """Open first-loan outreach leads in the region the officer's institution serves, and below."""
    return OutreachLead.objects.filter(officer.institution.region.subtree_q("region"), status=OutreachLead.Status.OPEN)


def enterprise_candidates(facts: ProductFacts, *, officer):
    """Enterprises with an open demand in the officer's pool, or an open first-loan outreach lead in the region
    the officer's institution serves, that meet the product's enterprise-side criteria."""
    # EXISTS (not IN a list of ids): read newest first and stopped after a page, each enterprise is checked by
    # two index probes, where a list of the pool's fifty thousand enterprises would be built and graded whole.
    has_demand = Exists(officer_pool(officer).filter(enterprise_id=OuterRef("pk")))
    has_lead = Exists(_open_leads_of(officer).filter(enterprise_id=OuterRef("pk")))
    return Enterprise.objects.filter(has_demand | has_lead).filter(
        sql_enterprise_criteria(facts, sql_rules(facts), key="pk")
    )


def _grade_tiers(min_grade: str) -> list[tuple[str, float]]:
    """(grade, points) best first; "" is not evaluated. Only the grades that meet `min_grade`."""
    tiers = sorted(GRADE_POINTS.items(), key=lambda item: -item[1])
    return [(grade, points) for grade, points in tiers if grade_meets(grade, min_grade)]


def rank_enterprises(facts: ProductFacts, performance: Performance, *, officer, offset: int, limit: int):
    """[(enterprise id, score)] of one page of the candidates ranked for the product: score, then newest.

    Without a demand the score is base + the grade's points + a neutral fit, the same for every enterprise of a
    grade, and the grades' points are at least 3 apart: the ranking is the grades best first, each newest first.
    So it reads the best grade's candidates newest first, then the next grade's, stopping once the page is full
    (at most one query per grade; province-wide the first grade fills a page after reading a few hundred
    candidates, where scoring every candidate would probe a million evaluations)."""
    wanted, ranked = offset + limit, []
    if wanted <= 0:
        return []
    candidates = enterprise_candidates(facts, officer=officer)
    base, neutral = product_points(facts, performance), W_FIT * NEUTRAL
    for grade, points in _grade_tiers(facts.min_grade):
        if grade:
            tier = candidates.filter(Exists(Evaluation.objects.filter(enterprise_id=OuterRef("pk"), grade=grade)))
        else:
            tier = candidates.filter(~Exists(Evaluation.objects.filter(enterprise_id=OuterRef("pk"))))
        score = round_score(score_total(base, points, neutral))
        ranked += [(pk, score) for pk in tier.order_by("-pk").values_list("pk", flat=True)[: wanted - len(ranked)]]
        if len(ranked) >= wanted:
            break
    return ranked[offset:wanted]


def enterprises_for_product(product: Product, *, officer, limit: int = 50, offset: int = 0) -> list[EnterpriseMatch]:
    """Enterprises ranked for `product` (score without a demand: the grade ranks them, then the newest). Grade and
    evaluation score only: credit records are never read here."""
    facts = _facts_of_product(product)
    performance = bank_performance([facts.bank_id]).get(facts.bank_id, NO_PERFORMANCE)
    ranked = rank_enterprises(facts, performance, officer=officer, offset=offset, limit=limit)
    if not ranked:
        return []
    rows = _enterprises(Enterprise.objects.filter(pk__in=[pk for pk, _score in ranked])).annotate(
        has_demand=Exists(officer_pool(officer).filter(enterprise_id=OuterRef("pk"))),
        has_lead=Exists(_open_leads_of(officer).filter(enterprise_id=OuterRef("pk"))),
    )
    return [
        EnterpriseMatch(e, match(facts, EnterpriseFacts.of(e), performance=performance), e.has_demand, e.has_lead)
        for e in _in_rank_order(rows, ranked)
    ]


# --- institutions for a demand (pushes) -------------------------------------------------------------------------


def institutions_for_demand(demand, *, exclude_institution_ids=(), limit: int = 3) -> list[tuple[Institution, int]]:
    """The best-ranked active institutions whose listed products fit `demand`, with their best product's score.

    An institution qualifies when the demand is in its pool (the region it serves, or below) and one of its listed
    products meets every hard criterion; it ranks by that product's score (then by id)."""
    demand = (
        FinancingDemand.objects.select_related(*DEMAND_RELATED)
        .defer(*(f"enterprise__{f}" for f in EVALUATION_DEFERRED))
        .prefetch_related("enterprise__tags")
        .get(pk=demand.pk)
    )
    facts, wanted = demand_enterprise_facts(demand), demand_facts(demand)
    serving = demand.region.ancestors_and_self_ids()  # institutions whose pool holds the demand
    candidates = (
        Product.objects.listed()
        .filter(institution__is_active=True, institution__region_id__in=serving)
        .exclude(institution_id__in=list(exclude_institution_ids))
        .filter(amount_min__lte=wanted.amount, amount_max__gte=wanted.amount)
        .filter(term_min_months__lte=wanted.term_months, term_max_months__gte=wanted.term_months)
        .annotate(eligible=eligible_annotation(facts))
        .filter(eligible=True)
    )
    if wanted.guarantee_modes:
        candidates = candidates.filter(guarantee_mode__in=wanted.guarantee_modes)
    all_facts = products_facts(candidates.order_by())
    performance = bank_performance(f.bank_id for f in all_facts)
    best: dict[int, int] = {}
    for pf in all_facts:
        result = match(pf, facts, demand=wanted, performance=performance.get(pf.bank_id, NO_PERFORMANCE))
        if result.eligible and result.score > best.get(pf.institution_id, -1):
            best[pf.institution_id] = result.score
    ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))[:limit]
    institutions = Institution.objects.in_bulk([pk for pk, _score in ranked])
    return [(institutions[pk], score) for pk, score in ranked]
