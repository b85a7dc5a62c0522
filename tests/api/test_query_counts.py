"""Every list endpoint runs the same number of queries for 3 rows and for 30 (no N+1), and exactly the number
recorded in EXPECTED_QUERIES, so that a new query is a decision someone explains rather than an accident."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from lending.models import ProductType
from lending.models.targets import Target
from lending.rollups import stats_rebuild
from tests.api.utils import token_client
from tests.factories import (
    ApplicationFactory,
    AuthorizationFactory,
    BranchFactory,
    CityFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    InstitutionFactory,
    LoanFactory,
    OfficerFactory,
    ProductFactory,
    ProvinceFactory,
    SectionFactory,
    SmeUserFactory,
    StaffFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

# Queries per request. Each line says what they are; token lookup = the `Authorization: Token` check.
EXPECTED_QUERIES = {
    # token, enterprise facts (membership with enterprise, region and industry chains; tags),
    # count, page, prefetch regions/industries/tags
    "products (sme)": 8,
    # token, officer's institution, its subtree ids, count, page, prefetch regions/industries/tags
    "institution-products (officer)": 8,
    # token, page (keyset pagination: no count)
    "demands (sme)": 2,
    # token, officer's institution, its subtree ids, its region, page (keyset)
    "demands (officer)": 5,
    # token, officer's institution, its region, page (keyset)
    "demand pool (officer)": 4,
    # token, officer's institution, its subtree ids, count, page
    "claims (officer)": 5,
    # token, count, page
    "claims (sme)": 3,
    # token, officer's institution, its subtree ids, page (keyset)
    "applications (officer)": 4,
    # token, page (keyset)
    "applications (sme)": 2,
    # token, staff's region, page (keyset)
    "applications (staff)": 3,
    # token, officer's institution, its subtree ids (literal ids let the planner use the institution's own
    # (institution, date, id) index instead of walking every bank's loans), page (keyset)
    "loans (officer)": 4,
    # token, page (keyset)
    "loans (sme)": 2,
    # token, count, page
    "authorizations (sme)": 3,
    # token, officer's institution, count, page
    "authorizations (officer)": 4,
}


@dataclass
class Scene:
    branch: object
    officer: object
    sme: object
    staff: object

    @property
    def enterprise(self):
        return self.sme.membership.enterprise


@pytest.fixture
def scene() -> Scene:
    branch = BranchFactory()
    sme = SmeUserFactory()
    sme.membership.enterprise.tags.add(TagFactory())
    return Scene(branch=branch, officer=OfficerFactory(institution=branch), sme=sme, staff=StaffFactory())


def _products(scene: Scene, n: int):
    for product in ProductFactory.create_batch(n, institution=scene.branch):
        product.regions.add(CityFactory())
        product.industries.add(SectionFactory())
        product.tags.add(TagFactory())


def _applications(scene: Scene, n: int, **kwargs):
    product = ProductFactory(institution=scene.branch)
    ApplicationFactory.create_batch(n, product=product, **kwargs)


def _loans(scene: Scene, n: int, **kwargs):
    product = ProductFactory(institution=scene.branch)
    LoanFactory.create_batch(n, application__product=product, **kwargs)


@dataclass
class Endpoint:
    url: str
    viewer: str
    make_rows: Callable[[Scene, int], None]


ENDPOINTS = {
    "products (sme)": Endpoint("/api/v1/products/", "sme", _products),
    "institution-products (officer)": Endpoint("/api/v1/institution-products/", "officer", _products),
    "demands (sme)": Endpoint(
        "/api/v1/demands/", "sme", lambda s, n: DemandFactory.create_batch(n, enterprise=s.enterprise)
    ),
    "demands (officer)": Endpoint("/api/v1/demands/", "officer", lambda s, n: DemandFactory.create_batch(n)),
    "demand pool (officer)": Endpoint("/api/v1/demands/pool/", "officer", lambda s, n: DemandFactory.create_batch(n)),
    "claims (officer)": Endpoint(
        "/api/v1/claims/",
        "officer",
        lambda s, n: DemandClaimFactory.create_batch(n, institution=s.branch, officer=s.officer),
    ),
    "claims (sme)": Endpoint(
        "/api/v1/claims/", "sme", lambda s, n: DemandClaimFactory.create_batch(n, demand__enterprise=s.enterprise)
    ),
    "applications (officer)": Endpoint("/api/v1/applications/", "officer", _applications),
    "applications (sme)": Endpoint(
        "/api/v1/applications/", "sme", lambda s, n: _applications(s, n, enterprise=s.enterprise)
    ),
    "applications (staff)": Endpoint("/api/v1/applications/", "staff", _applications),
    "loans (officer)": Endpoint("/api/v1/loans/", "officer", _loans),
    "loans (sme)": Endpoint(
        "/api/v1/loans/",
        "sme",
        lambda s, n: _loans(s, n, application__enterprise=s.enterprise),
    ),
    "authorizations (sme)": Endpoint(
        "/api/v1/authorizations/", "sme", lambda s, n: AuthorizationFactory.create_batch(n, enterprise=s.enterprise)
    ),
    "authorizations (officer)": Endpoint(
        "/api/v1/authorizations/", "officer", lambda s, n: AuthorizationFactory.create_batch(n, institution=s.branch)
    ),
}


def _measure(client, url: str, expected_rows: int) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.json()
    body = response.json()
    seen = body["count"] if "count" in body else len(body["results"])  # keyset pages carry no count
    assert seen == expected_rows, "the viewer should see every row made for this test"
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_list_query_count_is_constant(scene, name):
    endpoint = ENDPOINTS[name]
    client = token_client(getattr(scene, endpoint.viewer))

    endpoint.make_rows(scene, 3)
    few, _sql = _measure(client, endpoint.url, 3)
    endpoint.make_rows(scene, 27)
    many, sql = _measure(client, endpoint.url, 30)

    listing = "\n".join(f"  {i + 1}. {q}" for i, q in enumerate(sql))
    assert few == many, f"GET {endpoint.url} ({name}): {few} queries for 3 rows but {many} for 30 (N+1):\n{listing}"
    assert many == EXPECTED_QUERIES[name], (
        f"GET {endpoint.url} ({name}) now runs {many} queries, not {EXPECTED_QUERIES[name]}. If the change is "
        f"intended, update EXPECTED_QUERIES in {__name__} and explain the new query in its comment.\n{listing}"
    )


def test_every_list_endpoint_is_covered():
    """A new list endpoint needs an entry in ENDPOINTS (and in EXPECTED_QUERIES)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    lists = set()
    for path, item in schema["paths"].items():
        ok = item.get("get", {}).get("responses", {}).get("200", {})
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        if ref.rsplit("/", 1)[-1].startswith("Paginated"):
            lists.add(path)
    covered = {endpoint.url for endpoint in ENDPOINTS.values()} | set(COVERED_ELSEWHERE)
    assert lists == covered, f"not covered: {sorted(lists - covered)}; gone: {sorted(covered - lists)}"


# List endpoints whose 3-vs-30 query-count test lives beside the rest of their tests (they need a consent,
# a record or a report set up first), with the test that holds it.
COVERED_ELSEWHERE = {
    "/api/v1/enterprises/{id}/credit-records/": "tests/api/test_credit_api.py::test_list_query_counts_are_constant",
    "/api/v1/query-log/": "tests/api/test_credit_api.py::test_list_query_counts_are_constant",
    "/api/v1/events/": "tests/api/test_events_api.py::test_list_query_counts_are_constant",
    "/api/v1/events/{id}/participants/": "tests/api/test_events_api.py::test_list_query_counts_are_constant",
    "/api/v1/intents/": "tests/api/test_events_api.py::test_list_query_counts_are_constant",
    "/api/v1/notifications/": "tests/api/test_notifications_api.py::test_list_query_count_holds_for_3_and_30",
    "/api/v1/loans/{id}/repayments/": "tests/api/test_feedback_api.py::test_list_query_counts_are_constant",
    "/api/v1/loans/{id}/balances/": "tests/api/test_feedback_api.py::test_list_query_counts_are_constant",
    "/api/v1/objections/": "tests/api/test_objections_api.py::test_list_query_counts",
    "/api/v1/repair-requests/": "tests/api/test_objections_api.py::test_list_query_counts",
    "/api/v1/credit-reports/": (
        "tests/api/test_reports_api.py::test_list_is_scoped_and_its_query_count_does_not_grow_with_rows"
    ),
    "/api/v1/recommendations/products/": "tests/api/test_matching_api.py::test_query_counts_are_constant",
    "/api/v1/outreach/leads/": "tests/api/test_outreach_api.py::test_leads_query_count",
}


# --- statistics endpoints ---------------------------------------------------------------------------------------
# Figures come from the rollups (lending.selectors_stats): a handful of rows by (region, breakdown, month range)
# whatever the number of loans. tests/api/test_stats_api.py checks the figures themselves.

STATS_EXPECTED_QUERIES = {
    # token, region (with parents), figures, monthly series (for the trends), targets, last refresh
    "summary (staff)": 6,
    # token, region, figures, last refresh, the region's subtree ids, institutions, products, open demands,
    # matchmaking events held
    "kpis (staff)": 9,
    # token, officer's institution, the province, figures, last refresh, subtree ids, institutions, products,
    # events its institutions took part in (a bank's view has no open demands)
    "kpis (head office)": 9,
    # token, region, series, last refresh
    "series (staff)": 4,
    # token, officer's institution, the province, series, last refresh
    "series (head office)": 5,
    # token, region, rows, bank names, last refresh
    "breakdown by bank (staff)": 5,
    # token, region, rows (labels from the choices), last refresh
    "breakdown by product type (staff)": 4,
    # token, region, child regions, their rows, last refresh
    "breakdown by region (staff)": 5,
    # token, officer's institution, the province, the bank's branch ids, rows, branch names, last refresh
    "breakdown by branch (head office)": 7,
    # token, officer's institution, the province, child regions, their rows, last refresh
    "breakdown by region (head office)": 6,
}


def _months_ago(n: int) -> datetime.date:
    first = timezone.localdate().replace(day=1)
    for _ in range(n):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


@dataclass
class StatsScene:
    head: object  # one bank's head office: every loan is from one of its branches
    staff: object  # province staff
    head_officer: object


@pytest.fixture
def stats_scene() -> StatsScene:
    head = InstitutionFactory()
    Target.objects.create(metric="balance", value=Decimal("1000000000"), deadline=datetime.date(2030, 12, 31),
                          region=ProvinceFactory())  # fmt: skip
    return StatsScene(
        head=head, staff=StaffFactory(region=ProvinceFactory()), head_officer=OfficerFactory(institution=head)
    )


def _stats_loans(scene: StatsScene, n: int) -> None:
    """n loans, each from a new branch, of a new enterprise, with its own product type, guarantee mode and month."""
    types, modes, sizes = list(ProductType.values), ["01", "02", "03", "04"], ["micro", "small", "medium"]
    for i in range(n):
        branch = BranchFactory(parent=scene.head)
        product = ProductFactory(institution=branch, product_type=types[i % len(types)])
        LoanFactory(
            application__product=product, application__enterprise=EnterpriseFactory(size_class=sizes[i % 3]),
            guarantee_mode=modes[i % 4], first_loan_attested=True, disbursed_on=_months_ago(i % 3).replace(day=1),
        )  # fmt: skip
    stats_rebuild()


def _disbursed(body: dict) -> int:
    if "rows" in body:
        return sum(row["disbursed_count"] for row in body["rows"])
    if "months" in body:
        return sum(month["disbursed_count"] for month in body["months"])
    return body["disbursed_count"]


STATS_RANGE = {"from": f"{_months_ago(2):%Y-%m}"}
STATS_ENDPOINTS = {
    "summary (staff)": ("/api/v1/stats/summary/", "staff"),
    "kpis (staff)": ("/api/v1/stats/kpis/", "staff"),
    "kpis (head office)": ("/api/v1/stats/kpis/", "head_officer"),
    "series (staff)": ("/api/v1/stats/series/", "staff"),
    "series (head office)": ("/api/v1/stats/series/", "head_officer"),
    "breakdown by bank (staff)": ("/api/v1/stats/breakdown/bank/", "staff"),
    "breakdown by product type (staff)": ("/api/v1/stats/breakdown/product_type/", "staff"),
    "breakdown by region (staff)": ("/api/v1/stats/breakdown/region/", "staff"),
    "breakdown by branch (head office)": ("/api/v1/stats/breakdown/branch/", "head_officer"),
    "breakdown by region (head office)": ("/api/v1/stats/breakdown/region/", "head_officer"),
}


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(STATS_ENDPOINTS))
def test_stats_query_count_is_constant(stats_scene, name):
    url, viewer = STATS_ENDPOINTS[name]
    client = token_client(getattr(stats_scene, viewer))

    def measure(loans: int) -> tuple[int, list[str]]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {} if "summary" in url else STATS_RANGE)
        assert response.status_code == 200, response.json()
        assert _disbursed(response.json()) == loans, "the viewer should see every loan made for this test"
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    _stats_loans(stats_scene, 3)
    few, _sql = measure(3)
    _stats_loans(stats_scene, 27)
    many, sql = measure(30)

    listing = "\n".join(f"  {i + 1}. {q}" for i, q in enumerate(sql))
    assert few == many, f"GET {url} ({name}): {few} queries for 3 loans but {many} for 30:\n{listing}"
    assert many == STATS_EXPECTED_QUERIES[name], (
        f"GET {url} ({name}) now runs {many} queries, not {STATS_EXPECTED_QUERIES[name]}. If the change is "
        f"intended, update STATS_EXPECTED_QUERIES in {__name__} and explain the new query in its comment.\n{listing}"
    )
