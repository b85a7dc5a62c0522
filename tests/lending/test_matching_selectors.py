"""Matching reads (lending.selectors_matching) and demand pushes (lending.services.matching), on the small Henan
of tests/lending/conftest.py.

The SQL ranking of demands and enterprises must give exactly the pure module's eligibility and integer score;
a seeded loop over random products, enterprises, demands, grades and bank performance checks it.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.matching import EnterpriseFacts, Performance, match
from lending.models import DemandClaim, DemandPush, FinancingDemand, OutreachLead
from lending.models.stats import StatsDim, StatsRollup
from lending.selectors_matching import (
    bank_performance,
    demand_enterprise_facts,
    demand_facts,
    demands_for_product,
    enterprises_for_product,
    institutions_for_demand,
    product_facts,
    products_for_enterprise,
)
from lending.services.matching import demand_push
from tests.factories import DemandClaimFactory, DemandFactory, EnterpriseFactory, EvaluationFactory
from xinyidai.errors import DomainError
from xinyidai.models import Notification

WAN = Decimal(10_000)


def demand_for(enterprise, amount_wan=300, term=12, modes=("04",), **fields):
    return DemandFactory(
        enterprise=enterprise, amount=Decimal(amount_wan) * WAN, term_months=term, guarantee_modes=list(modes), **fields
    )


def rollup(bank, *, decided, granted, days, region, month=None):
    return StatsRollup.objects.create(
        month=month or timezone.localdate().replace(day=1), region=region, dim=StatsDim.BANK, key=str(bank.pk),
        decided_count=decided, granted_count=granted, approval_working_days=days,
    )  # fmt: skip


@pytest.fixture
def province_officer(world):
    """An officer of bank A's head office: its pool is the whole province."""
    return world.officer(world.bank_a)


# --- bank performance from the rollups ------------------------------------------------------------------------


def test_bank_performance_reads_the_province_rollups_of_the_last_twelve_months(world):
    this_month = timezone.localdate().replace(day=1)
    rollup(world.bank_a, decided=10, granted=8, days=30, region=world.henan)
    rollup(
        world.bank_a, decided=10, granted=2, days=10, region=world.henan, month=this_month - datetime.timedelta(days=40)
    )
    rollup(world.bank_a, decided=99, granted=0, days=0, region=world.zhengzhou)  # a city row: not the province's
    rollup(
        world.bank_a,
        decided=99,
        granted=0,
        days=0,
        region=world.henan,
        month=this_month.replace(year=this_month.year - 2),
    )
    assert bank_performance([world.bank_a.pk, world.bank_b.pk]) == {
        world.bank_a.pk: Performance(decided=20, granted=10, working_days=40)
    }
    assert bank_performance([]) == {}


def test_a_branch_product_is_scored_with_its_banks_performance(world, province_officer):
    rollup(world.bank_a, decided=40, granted=40, days=40, region=world.henan)  # approves all, in 1 day
    product = world.product(world.a_zz_js)
    demand_for(world.e1)
    (row,) = demands_for_product(product, officer=province_officer)
    assert row.match.performance == Performance(40, 40, 40)
    assert row.points["approval"] == 20.0 and row.points["speed"] == 15.0


# --- demands for a product ---------------------------------------------------------------------------------------


def test_demands_for_product_keeps_the_eligible_pool_demands_best_first(world, province_officer):
    product = world.product(world.bank_a, amount_min=50 * WAN, amount_max=550 * WAN, term_min_months=6,
                            term_max_months=30, min_grade="B")  # fmt: skip
    product.industries.set([world.section_c])
    EvaluationFactory(enterprise=world.e1, grade="A", score=900)
    middle = demand_for(world.e1, amount_wan=300, term=18)  # the middle of both ranges, grade A: the best
    edge = demand_for(world.e1, amount_wan=60, term=7)
    b_firm = EnterpriseFactory(region=world.zhongyuan, industry=world.electronics)
    EvaluationFactory(enterprise=b_firm, grade="B", score=700)
    b_middle = demand_for(b_firm, amount_wan=300, term=18)
    c_firm = EnterpriseFactory(region=world.zhongyuan, industry=world.electronics)
    EvaluationFactory(enterprise=c_firm, grade="C", score=560)
    demand_for(c_firm)  # below the minimum grade
    demand_for(world.e1, amount_wan=600)  # above the amount range
    demand_for(world.e1, term=36)  # beyond the term range
    demand_for(world.e1, modes=("02",))  # mortgage only
    demand_for(world.e2)  # software: not manufacturing
    demand_for(world.e1, status=FinancingDemand.Status.CLOSED)
    DemandClaimFactory(demand=demand_for(world.e1, status=FinancingDemand.Status.CLAIMED))  # claimed: not in the pool
    rows = demands_for_product(product, officer=province_officer)
    assert [r.demand for r in rows] == [middle, b_middle, edge]
    assert [r.score for r in rows] == [r.demand.score for r in rows]
    assert rows[0].score > rows[1].score > rows[2].score
    assert all(r.eligible and not r.missed for r in rows)
    assert {c.key for c in rows[0].met} == {"region", "industry", "size", "tags", "grade", "amount", "term",
                                            "guarantee"}  # fmt: skip
    assert [r.demand for r in demands_for_product(product, officer=province_officer, limit=2, offset=1)] == [
        b_middle,
        edge,
    ]


def test_demands_for_product_is_limited_to_the_officers_pool(world):
    product = world.product(world.bank_a)
    demand_for(world.e1)  # 金水区, Zhengzhou
    luoyang = demand_for(world.e2, modes=("04",))
    assert [r.demand for r in demands_for_product(product, officer=world.officer(world.a_ly))] == [luoyang]
    assert demands_for_product(product, officer=world.officer(world.a_zz_js))[0].demand.enterprise == world.e1


def test_demands_for_product_flags_the_demands_pushed_to_the_officers_institution(world, province_officer):
    product = world.product(world.bank_a)
    pushed, other = demand_for(world.e1), demand_for(world.e1)
    DemandPush.objects.create(demand=pushed, institution=world.bank_a, reason="published", rank=1, score=80)
    DemandPush.objects.create(demand=other, institution=world.bank_b, reason="published", rank=1, score=80)
    flags = {r.demand.pk: r.pushed for r in demands_for_product(product, officer=province_officer)}
    assert flags == {pushed.pk: True, other.pk: False}


def _count(callable_) -> int:
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


def test_demands_for_product_runs_a_fixed_number_of_queries(world, province_officer):
    product = world.product(world.bank_a)
    product.tags.set([world.zjtx])

    def add(n):
        for i in range(n):
            firm = EnterpriseFactory(region=[world.jinshui, world.zhongyuan, world.laocheng][i % 3])
            firm.tags.set([world.zjtx])
            if i % 2:
                EvaluationFactory(enterprise=firm, grade="AB"[i % 4 // 2])
            demand_for(firm, amount_wan=100 + i)

    add(3)
    officer = type(province_officer).objects.get(pk=province_officer.pk)  # a fresh user, as a request has
    few = _count(lambda: demands_for_product(product, officer=officer))
    add(27)
    officer = type(province_officer).objects.get(pk=province_officer.pk)
    rows = []
    many = _count(lambda: rows.extend(demands_for_product(product, officer=officer)))
    assert len(rows) == 30 and few == many
    [str(c.message) for r in rows for c in r.criteria]  # explaining the page costs no query either
    assert many <= 12


def _random_world(world, rng):
    """Enterprises over three counties with random industries, sizes, tags and grades, each with 1-2 demands."""
    industries = [world.electronics, world.software, world.farming, world.section_i, world.section_c]
    counties = [world.jinshui, world.zhongyuan, world.laocheng]
    for _i in range(45):
        firm = EnterpriseFactory(
            region=rng.choice(counties), industry=rng.choice(industries),
            size_class=rng.choice(["large", "medium", "small", "micro", ""]),
        )  # fmt: skip
        firm.tags.set(rng.sample([world.zjtx, world.gxjs], rng.randint(0, 2)))
        grade = rng.choice(["", "A", "B", "C", "D"])
        if grade:
            EvaluationFactory(enterprise=firm, grade=grade, score=rng.randint(300, 999))
        for _ in range(rng.randint(1, 2)):
            amount = Decimal(rng.randint(1_000_00, 8_000_000_00)) / 100  # yuan with fen
            modes = rng.sample(["01", "02", "03", "04"], rng.choice([0, 2, 3, 4]))
            demand_for(firm, amount_wan=amount / WAN, term=rng.randint(1, 60), modes=modes,
                       created_at=timezone.now() - datetime.timedelta(minutes=rng.randint(0, 5000)))  # fmt: skip


def _random_product(world, rng, n):
    low = Decimal(rng.randint(1, 300)) * WAN + Decimal(rng.randint(0, 99)) / 100
    product = world.product(
        rng.choice([world.bank_a, world.a_zz, world.a_ly, world.bank_b, world.b_zz]),
        name=f"random-{n}", amount_min=low, amount_max=low + Decimal(rng.choice([0, 37, 800, 8000])) * WAN,
        term_min_months=(t := rng.randint(1, 12)), term_max_months=t + rng.choice([0, 11, 48, 120]),
        rate_min=Decimal(rng.randint(2000, 12000)) / 1000, rate_max=Decimal("15"),
        guarantee_mode=rng.choice(["01", "02", "03", "04"]), min_grade=rng.choice(["", "", "", "A", "B", "C", "D"]),
        size_classes=",".join(rng.sample(["medium", "small", "micro"], rng.choice([0, 0, 1, 2]))),
    )  # fmt: skip
    product.regions.set(rng.sample([world.zhengzhou, world.jinshui, world.luoyang, world.henan], rng.randint(0, 2)))
    product.industries.set(rng.sample([world.section_a, world.section_c, world.section_i], rng.choice([0, 0, 1, 2])))
    product.tags.set(rng.sample([world.zjtx, world.gxjs], rng.choice([0, 0, 0, 1])))
    return product


def test_sql_ranking_equals_the_pure_module_for_random_data(world, province_officer):
    """For random products against every pool demand: the SQL returns exactly the demands the pure module finds
    eligible, each with the pure module's integer score, ordered by (score, published, id) descending."""
    rng = random.Random(20261128)
    _random_world(world, rng)
    rollup(world.bank_a, decided=37, granted=23, days=111, region=world.henan)
    rollup(world.bank_b, decided=3, granted=3, days=1, region=world.henan)  # too few: neutral
    pool = list(
        FinancingDemand.objects.pool_for(province_officer)
        .select_related("region__parent__parent", "enterprise__region__parent__parent",
                        "enterprise__industry__parent__parent", "enterprise__evaluation")
        .prefetch_related("enterprise__tags")
    )  # fmt: skip
    facts = {d.pk: (demand_enterprise_facts(d), demand_facts(d)) for d in pool}
    checked = eligible_seen = 0
    for n in range(40):
        product = _random_product(world, rng, n)
        rows = demands_for_product(product, officer=province_officer, limit=1000)
        loaded = (
            type(product)
            .objects.select_related("institution__region__parent__parent", "institution__parent__parent")
            .prefetch_related("regions", "industries", "tags")
            .get(pk=product.pk)
        )
        pf = product_facts(loaded)
        perf = bank_performance([pf.bank_id]).get(pf.bank_id, Performance())
        expected = {}
        for d in pool:
            enterprise, wanted = facts[d.pk]
            result = match(pf, enterprise, demand=wanted, performance=perf)
            if result.eligible:
                expected[d.pk] = result.score
        assert {r.demand.pk: int(r.demand.score) for r in rows} == expected, product.name
        assert all(r.score == int(r.demand.score) for r in rows)
        keys = [(-r.score, -r.demand.created_at.timestamp(), -r.demand.pk) for r in rows]
        assert keys == sorted(keys)
        page = demands_for_product(product, officer=province_officer, limit=4, offset=3)
        assert [r.demand.pk for r in page] == [r.demand.pk for r in rows[3:7]]
        checked += 1
        eligible_seen += len(expected)
    assert checked == 40 and eligible_seen > 100  # the random products are not all trivially empty


# --- enterprises for a product ------------------------------------------------------------------------------------


def test_enterprises_for_product_takes_pool_demands_and_outreach_leads(world, province_officer):
    product = world.product(world.bank_a, min_grade="C")
    EvaluationFactory(enterprise=world.e1, grade="B", score=720)
    demand_for(world.e1)
    demand_for(world.e1)  # one row per enterprise however many demands
    lead_firm = EnterpriseFactory(region=world.zhongyuan)
    EvaluationFactory(enterprise=lead_firm, grade="A", score=900)
    OutreachLead.objects.create(enterprise=lead_firm, region=world.zhongyuan, pushed_by=world.staff(world.henan))
    closed_lead = EnterpriseFactory(region=world.zhongyuan)
    EvaluationFactory(enterprise=closed_lead, grade="A", score=950)
    OutreachLead.objects.create(enterprise=closed_lead, region=world.zhongyuan, pushed_by=world.staff(world.henan),
                                status=OutreachLead.Status.CLOSED)  # fmt: skip
    ungraded = EnterpriseFactory(region=world.jinshui)
    demand_for(ungraded)  # no evaluation: fails the minimum grade
    EnterpriseFactory(region=world.jinshui)  # neither a demand nor a lead
    rows = enterprises_for_product(product, officer=province_officer)
    assert [(r.enterprise, r.has_demand, r.has_lead) for r in rows] == [
        (lead_firm, False, True),
        (world.e1, True, False),
    ]
    assert rows[0].score > rows[1].score  # grade A before B
    assert rows[0].evaluation.score == 900
    # A Zhengzhou branch officer's region: the lead in 中原区 is Zhengzhou's; a Luoyang branch sees neither.
    assert len(enterprises_for_product(product, officer=world.officer(world.a_zz))) == 2
    assert enterprises_for_product(product, officer=world.officer(world.a_ly)) == []


def test_enterprises_ranking_by_grade_then_newest_equals_the_pure_score(world, province_officer):
    """The grade-by-grade reading gives the order of the pure score (then the newest) over every candidate."""
    from lending import selectors_matching as sm

    rng = random.Random(11)
    for i in range(40):
        firm = EnterpriseFactory(
            region=[world.jinshui, world.laocheng][i % 2], size_class=rng.choice(["small", "micro"])
        )
        grade = rng.choice(["", "A", "B", "C", "D"])
        if grade:
            EvaluationFactory(enterprise=firm, grade=grade, score=rng.randint(300, 999))
        if i % 4:
            demand_for(firm)
        else:
            OutreachLead.objects.create(enterprise=firm, region=firm.region, pushed_by=world.staff(world.henan))
    EnterpriseFactory(region=world.jinshui)  # no demand, no lead: never a candidate
    for min_grade in ("", "C"):
        product = world.product(world.bank_a, min_grade=min_grade, size_classes="small")
        facts = sm._facts_of_product(product)
        candidates = sm._enterprises(sm.enterprise_candidates(facts, officer=province_officer))
        pure = sorted(
            ((e.pk, match(facts, EnterpriseFacts.of(e)).score) for e in candidates),
            key=lambda item: (-item[1], -item[0]),
        )
        assert pure and all(match(facts, EnterpriseFacts.of(e)).eligible for e in candidates)
        for offset, limit in [(0, 5), (3, 4), (0, 100), (len(pure) - 2, 5)]:
            assert (
                sm.rank_enterprises(facts, Performance(), officer=province_officer, offset=offset, limit=limit)
                == (pure[offset : offset + limit])
            ), (min_grade, offset, limit)


def test_enterprises_for_product_never_reads_credit_records_and_has_fixed_queries(world, province_officer):
    product = world.product(world.bank_a)

    def add(n):
        for i in range(n):
            firm = EnterpriseFactory(region=world.zhongyuan)
            EvaluationFactory(enterprise=firm, grade="ABCD"[i % 4], score=500 + i)
            if i % 2:
                demand_for(firm)
            else:
                OutreachLead.objects.create(enterprise=firm, region=world.zhongyuan, pushed_by=world.staff(world.henan))

    add(3)
    few = _count(lambda: enterprises_for_product(product, officer=province_officer))
    add(27)
    with CaptureQueriesContext(connection) as ctx:
        rows = enterprises_for_product(product, officer=province_officer)
        [str(c.message) for r in rows for c in r.criteria]
    assert len(rows) == 30 and len(ctx.captured_queries) == few
    assert not any("creditinfo_creditrecord" in q["sql"] for q in ctx.captured_queries)


# --- products for an enterprise ------------------------------------------------------------------------------------


def test_products_for_enterprise_ranks_eligible_first_with_reasons(world):
    rollup(world.bank_b, decided=50, granted=45, days=60, region=world.henan)
    cheap = world.product(world.a_zz, name="cheap", rate_min=Decimal("3.1"))
    dear = world.product(world.a_zz, name="dear", rate_min=Decimal("7.5"), rate_max=Decimal("9"))
    fast_bank = world.product(world.b_zz, name="fast-bank", rate_min=Decimal("3.1"))
    luoyang = world.product(world.a_ly, name="luoyang-only", rate_min=Decimal("3.0"))
    world.product(world.a_zz, name="draft", status="draft")
    rows = products_for_enterprise(world.e1)
    assert [r.product for r in rows] == [fast_bank, cheap, dear, luoyang]
    assert [r.eligible for r in rows] == [True, True, True, False]
    assert [c.key for c in rows[-1].missed] == ["region"]
    assert [r.product for r in products_for_enterprise(world.e1, limit=2)] == [fast_bank, cheap]


def test_products_for_enterprise_scores_against_its_latest_open_demand(world):
    small = world.product(name="small", amount_min=10 * WAN, amount_max=100 * WAN)
    large = world.product(name="large", amount_min=500 * WAN, amount_max=2000 * WAN)
    demand_for(world.e1, amount_wan=50, created_at=timezone.now() - datetime.timedelta(days=3))
    demand_for(world.e1, amount_wan=1200, status=FinancingDemand.Status.CLOSED)
    rows = products_for_enterprise(world.e1)
    assert [(r.product, r.eligible) for r in rows] == [(small, True), (large, False)]
    assert [c.key for c in rows[1].missed] == ["amount"]
    wanted = demand_for(world.e1, amount_wan=1000)  # the newest open demand now
    assert [r.product for r in products_for_enterprise(world.e1)] == [large, small]
    no_demand = products_for_enterprise(world.e1, demand=FinancingDemand(amount=Decimal(1), term_months=1))
    assert all(not r.eligible for r in no_demand)
    assert rows[0].match.demand.amount == 50 * WAN and wanted.pk


def test_products_for_enterprise_runs_a_fixed_number_of_queries(world):
    def add(n):
        for i in range(n):
            product = world.product([world.a_zz, world.b_zz, world.a_ly][i % 3])
            product.tags.set([world.zjtx] if i % 2 else [])
            product.regions.set([world.zhengzhou] if i % 3 == 0 else [])

    add(3)
    few = _count(lambda: products_for_enterprise(world.e1))
    add(27)
    with CaptureQueriesContext(connection) as ctx:
        rows = products_for_enterprise(world.e1)
        [str(c.message) for r in rows for c in r.criteria + r.factors]
    assert len(rows) == 30 and len(ctx.captured_queries) == few <= 12


# --- institutions for a demand, and pushes ------------------------------------------------------------------------


def test_institutions_for_demand_ranks_the_institutions_whose_products_fit(world):
    rollup(world.bank_b, decided=50, granted=50, days=50, region=world.henan)
    world.product(world.a_zz, rate_min=Decimal("4"))
    world.product(world.a_zz, rate_min=Decimal("3"))  # A-ZZ's best product counts
    world.product(world.b_zz, rate_min=Decimal("3"))  # the same rate, a faster bank
    world.product(world.a_ly, rate_min=Decimal("3"))  # Luoyang's pool does not hold a Jinshui demand
    world.product(
        world.bank_a, rate_min=Decimal("8"), rate_max=Decimal("9")
    )  # the head office serves the whole province
    world.product(world.bank_b, amount_min=2000 * WAN, amount_max=3000 * WAN)  # the amount does not fit
    demand = demand_for(world.e1, amount_wan=300)
    ranked = institutions_for_demand(demand)
    assert [i for i, _score in ranked] == [world.b_zz, world.a_zz, world.bank_a]
    scores = [score for _i, score in ranked]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    assert [i for i, _s in institutions_for_demand(demand, exclude_institution_ids=[world.b_zz.pk], limit=1)] == [
        world.a_zz
    ]
    world.b_zz.is_active = False
    world.b_zz.save()
    assert world.b_zz not in [i for i, _s in institutions_for_demand(demand)]


def test_demand_push_pushes_the_best_institutions_and_notifies_their_officers(world):
    world.product(world.a_zz, rate_min=Decimal("3"))
    world.product(world.b_zz, rate_min=Decimal("5"))
    officer_a, officer_b = world.officer(world.a_zz), world.officer(world.b_zz)
    demand = demand_for(world.e1)
    pushes = demand_push(demand_id=demand.pk, reason=DemandPush.Reason.PUBLISHED)
    assert [(p.institution, p.rank) for p in pushes] == [(world.a_zz, 1), (world.b_zz, 2)]
    assert pushes[0].score > pushes[1].score
    notes = Notification.objects.filter(kind="demand_pushed")
    assert sorted(n.user_id for n in notes) == sorted([officer_a.pk, officer_b.pk])
    note = notes.get(user=officer_a)
    assert note.params["demand_id"] == demand.pk and note.params["score"] == pushes[0].score
    assert note.url == f"/demands/{demand.pk}/"
    # Idempotent: the same reason again creates and notifies nothing.
    assert demand_push(demand_id=demand.pk, reason=DemandPush.Reason.PUBLISHED) == []
    assert DemandPush.objects.count() == 2 and notes.count() == 2


def test_demand_push_skips_excluded_and_earlier_claimers_and_claimed_demands(world):
    world.product(world.a_zz)
    world.product(world.b_zz)
    world.product(world.bank_a)
    demand = demand_for(world.e1)
    DemandClaimFactory(demand=demand, institution=world.b_zz, status=DemandClaim.Status.EXPIRED,
                       deadline=timezone.now() - datetime.timedelta(hours=1))  # fmt: skip
    pushes = demand_push(demand_id=demand.pk, reason="claim_expired", exclude_institution_ids=[world.a_zz.pk])
    assert [p.institution for p in pushes] == [world.bank_a]
    live = demand_for(world.e1, status=FinancingDemand.Status.CLAIMED)
    DemandClaimFactory(demand=live, institution=world.a_zz)
    assert demand_push(demand_id=live.pk, reason="published") == []
    with pytest.raises(DomainError):
        demand_push(demand_id=demand.pk, reason="whatever")


def test_publishing_a_demand_pushes_it(world, django_capture_on_commit_callbacks):
    """lending.services.demands sends the demand_push task when a demand's publication commits."""
    from lending.services.demands import demand_publish

    world.product(world.a_zz)
    with django_capture_on_commit_callbacks(execute=True):
        demand = demand_publish(
            user=world.sme1, amount=300 * WAN, term_months=12, purpose="备货", guarantee_modes=["04"]
        )
    assert list(DemandPush.objects.filter(demand=demand).values_list("institution", "reason")) == [
        (world.a_zz.pk, "published")
    ]


def test_the_walks_from_the_middle_give_the_same_pages_as_ranking_the_whole_pool(world, province_officer, monkeypatch):
    """Many demands of few terms: the walks are cut short (WALK_MIN made tiny) and read again up to the amount the
    threshold gives; every page equals ORDER BY score over the whole pool."""
    from lending import selectors_matching as sm

    monkeypatch.setattr(sm, "WALK_MIN", 2)
    rng = random.Random(7)
    for i in range(150):
        firm = EnterpriseFactory(region=[world.jinshui, world.zhongyuan, world.laocheng][i % 3])
        if i % 5:
            EvaluationFactory(enterprise=firm, grade=rng.choice("ABCD"))
        demand_for(firm, amount_wan=Decimal(rng.randint(1000, 60000)) / 100, term=rng.choice([12, 24]),
                   created_at=timezone.now() - datetime.timedelta(minutes=rng.randint(0, 900)))  # fmt: skip
    product = world.product(world.bank_a, amount_min=20 * WAN, amount_max=500 * WAN, term_min_months=6,
                            term_max_months=24)  # fmt: skip
    facts = sm._facts_of_product(product)
    performance = Performance()
    whole = sm._ranked(
        sm.demand_candidates(facts, officer=province_officer).annotate(
            score=sm.sql_score(facts, performance, key="enterprise_id")
        ),
        ("-score", "-created_at", "-id"), offset=0, limit=1000,
    )  # fmt: skip
    assert len(whole) > 100
    for offset, limit in [(0, 1), (0, 10), (5, 7), (40, 25), (len(whole) - 3, 10), (len(whole) + 5, 10)]:
        page = sm.rank_demands(facts, performance, officer=province_officer, offset=offset, limit=limit)
        assert page == whole[offset : offset + limit], (offset, limit)
    monkeypatch.setattr(sm, "WALK_MAX", 3)  # past the deepest walk: the whole pool in one ORDER BY
    assert sm.rank_demands(facts, performance, officer=province_officer, offset=0, limit=10) == whole[:10]


def test_the_officer_pool_read_with_literal_regions_is_the_pool(world):
    """officer_pool (the region subtree as literal ids, for the planner) holds exactly pool_for's demands."""
    from lending.selectors_matching import officer_pool

    demand_for(world.e1)
    demand_for(world.e2)
    demand_for(world.e1, status=FinancingDemand.Status.CLOSED)
    DemandClaimFactory(demand=demand_for(world.e1, status=FinancingDemand.Status.CLAIMED))  # live claim: not pooled
    lapsed = demand_for(world.e2, status=FinancingDemand.Status.CLAIMED)
    DemandClaimFactory(demand=lapsed, deadline=timezone.now() - datetime.timedelta(hours=1))  # back in the pool
    for institution in (world.bank_a, world.a_zz, world.a_zz_js, world.a_ly, world.b_zz):
        officer = world.officer(institution)
        assert set(officer_pool(officer)) == set(FinancingDemand.objects.pool_for(officer)), institution.code
    assert lapsed in set(officer_pool(world.officer(world.a_ly)))
    assert not officer_pool(world.sme1).exists()
