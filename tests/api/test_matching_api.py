"""Recommendation endpoints: /recommendations/products/ (SME) and /institution-products/{id}/matches/demands/
and .../enterprises/ (officers). Every answer is checked against the OpenAPI schema by the token client."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.models import DemandPush, OutreachLead
from tests.api.utils import assert_error
from tests.factories import (
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    ProductFactory,
    StaffFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

WAN = Decimal(10_000)
RECOMMENDATIONS = "/api/v1/recommendations/products/"


def matches_url(product, kind="demands") -> str:
    return f"/api/v1/institution-products/{product.pk}/matches/{kind}/"


@pytest.fixture
def sme_client(parties, client_for):
    """parties.other_sme: an enterprise in 老城区, Luoyang."""
    return client_for(parties.other_sme)


# --- recommendations ---------------------------------------------------------------------------------------------


def test_sme_gets_products_ranked_with_score_and_reasons(parties, sme_client):
    luoyang_bank = ProductFactory(institution=parties.bank_a, name="全省信用贷", rate_min=Decimal("3.2"))
    zhengzhou_only = ProductFactory(institution=parties.bank_b, name="郑州贷", rate_min=Decimal("3.0"))
    response = sme_client.get(RECOMMENDATIONS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert (first["product"]["id"], first["eligible"]) == (luoyang_bank.pk, True)
    assert (second["product"]["id"], second["eligible"]) == (zhengzhou_only.pk, False)
    assert 0 <= second["score"] <= first["score"] <= 100 or first["eligible"]
    assert [c["key"] for c in second["missed"]] == ["region"]
    assert second["missed"][0]["message"] == "Located in 老城区, outside the product's regions (郑州市)"
    assert {c["key"] for c in first["met"]} == {"region", "industry", "size", "tags"}
    assert [f["key"] for f in first["factors"]] == ["rate", "approval", "speed", "grade", "fit"]
    assert sum(f["max_points"] for f in first["factors"]) == 100


def test_recommendations_are_for_smes_with_an_enterprise(parties, client_for):
    assert_error(client_for(parties.officer_a).get(RECOMMENDATIONS), 403, "forbidden")
    assert_error(client_for(parties.sme).get(RECOMMENDATIONS), 404, "no_enterprise")
    assert client_for(None).get(RECOMMENDATIONS).status_code == 401


# --- matches for an officer's product ------------------------------------------------------------------------------


def test_officer_gets_the_demands_ranked_for_a_product(parties, client_for):
    product = ProductFactory(institution=parties.bank_a_zz, min_grade="B")
    firm_a = EnterpriseFactory(region=parties.jinshui, name="甲公司")
    EvaluationFactory(enterprise=firm_a, grade="A", score=910)
    firm_b = EnterpriseFactory(region=parties.jinshui, name="乙公司")
    EvaluationFactory(enterprise=firm_b, grade="B", score=700)
    best = DemandFactory(enterprise=firm_a, amount=255 * WAN, term_months=20)
    second = DemandFactory(enterprise=firm_b, amount=255 * WAN, term_months=20)
    DemandFactory(enterprise=EnterpriseFactory(region=parties.jinshui))  # not evaluated: below the minimum
    DemandPush.objects.create(demand=second, institution=parties.bank_a_zz, reason="published", rank=1, score=70)

    response = client_for(parties.officer_a).get(matches_url(product), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    body = response.json()
    assert [r["demand"]["id"] for r in body["results"]] == [best.pk, second.pk]
    assert body["next"] is None and body["previous"] is None
    row = body["results"][0]
    assert row["enterprise"]["grade"] == "A" and row["enterprise"]["evaluation_score"] == 910
    assert row["enterprise"]["region"] == {"code": "410105", "name": "金水区"}
    assert row["eligible"] is True and row["missed"] == [] and row["score"] > body["results"][1]["score"]
    assert "Credit grade A meets the product's minimum B" in [c["message"] for c in row["met"]]
    assert [r["pushed"] for r in body["results"]] == [False, True]


def test_matches_page_with_limit_and_offset(parties, client_for):
    product = ProductFactory(institution=parties.bank_a_zz)
    demands = [DemandFactory(enterprise=EnterpriseFactory(region=parties.jinshui), amount=(100 + i) * WAN)
               for i in range(5)]  # fmt: skip
    client = client_for(parties.officer_a)
    first = client.get(matches_url(product), {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["previous"] is None
    assert "offset=2" in first["next"] and "limit=2" in first["next"]
    last = client.get(first["next"].replace("http://testserver", "")).json()
    following = client.get(last["next"].replace("http://testserver", "")).json()
    assert len(following["results"]) == 1 and following["next"] is None and following["previous"]
    seen = [r["demand"]["id"] for page in (first, last, following) for r in page["results"]]
    assert sorted(seen) == sorted(d.pk for d in demands)
    assert_error(client.get(matches_url(product), {"limit": 0}), 400, "invalid")
    assert_error(client.get(matches_url(product), {"offset": "x"}), 400, "invalid")


def test_officer_gets_the_enterprises_ranked_for_a_product(parties, client_for):
    product = ProductFactory(institution=parties.bank_a_zz)
    with_demand = EnterpriseFactory(region=parties.jinshui, name="有需求公司")
    EvaluationFactory(enterprise=with_demand, grade="B", score=720)
    DemandFactory(enterprise=with_demand)
    lead = EnterpriseFactory(region=parties.jinshui, name="首贷企业")
    EvaluationFactory(enterprise=lead, grade="A", score=880)
    OutreachLead.objects.create(enterprise=lead, region=parties.jinshui, pushed_by=StaffFactory())
    body = client_for(parties.officer_a).get(matches_url(product, "enterprises")).json()
    assert [(r["enterprise"]["name"], r["has_demand"], r["has_lead"]) for r in body["results"]] == [
        ("首贷企业", False, True),
        ("有需求公司", True, False),
    ]
    assert set(body["results"][0]["enterprise"]) == {"id", "uscc", "name", "region", "industry", "size_class",
                                                     "grade", "evaluation_score"}  # fmt: skip


@pytest.mark.parametrize("kind", ["demands", "enterprises"])
def test_matches_of_a_product_outside_the_callers_tree_are_404(parties, client_for, kind):
    product = ProductFactory(institution=parties.bank_b)
    assert_error(client_for(parties.officer_a).get(matches_url(product, kind)), 404)
    assert_error(client_for(parties.other_sme).get(matches_url(product, kind)), 404)
    assert_error(client_for(parties.officer_a).get(f"/api/v1/institution-products/x/matches/{kind}/"), 404)
    assert client_for(parties.officer_b).get(matches_url(product, kind)).status_code == 200


# --- query counts -------------------------------------------------------------------------------------------------

# token, membership (enterprise with region and industry chains), the enterprise again with its grade, its tags,
# its latest open demand, the listed products' facts (values: products, regions, industries, tags), the banks'
# performance (rollups), then the page's Product rows (institution joined) with their regions, industries, tags
RECOMMENDATIONS_QUERIES = 14
# token, officer's institution, its subtree ids, the product (editable_by), the product's facts (values: product,
# regions, industries, tags), the bank's performance, the region ids the product covers, then
# demands: the officer's region subtree ids, the terms of the open demands (a loose index scan), the walks;
# enterprises: the officer's region (the leads' subtree), its subtree ids, one query per grade best first until the
# page is full (here all five: fewer enterprises than a page), the subtree ids again (the page's demand flag);
# then the page's rows and their enterprises' tags
MATCH_QUERIES = {"demands": 15, "enterprises": 20}


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100, "limit": 100})
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries)


def test_query_counts_are_constant(parties, client_for):
    sme, officer = client_for(parties.other_sme), client_for(parties.officer_a)
    product = ProductFactory(institution=parties.bank_a_zz)
    tag = TagFactory()

    def add(n):
        for i in range(n):
            listed = ProductFactory(institution=[parties.bank_a, parties.bank_b, parties.bank_a_zz][i % 3])
            listed.tags.set([tag] if i % 2 else [])
            firm = EnterpriseFactory(region=parties.jinshui)
            EvaluationFactory(enterprise=firm, grade="ABCD"[i % 4])
            DemandFactory(enterprise=firm)

    add(3)
    counts_3 = [_count(sme, RECOMMENDATIONS), *(_count(officer, matches_url(product, k)) for k in MATCH_QUERIES)]
    add(27)
    counts_30 = [_count(sme, RECOMMENDATIONS), *(_count(officer, matches_url(product, k)) for k in MATCH_QUERIES)]
    assert counts_3 == counts_30
    assert counts_30 == [RECOMMENDATIONS_QUERIES, *MATCH_QUERIES.values()]
