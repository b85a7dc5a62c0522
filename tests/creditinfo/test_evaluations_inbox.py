"""Officers see the applicant's advisory grade in the inbox and in the applications API, with no extra query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from creditinfo.services.evaluations import evaluations_recompute
from tests.api.utils import token_client
from tests.factories import ApplicationFactory, BranchFactory, CreditRecordFactory, OfficerFactory, ProductFactory
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return OfficerFactory(institution=BranchFactory())


def applications(officer, n: int) -> list:
    return [ApplicationFactory(product=ProductFactory(institution=officer.institution)) for _i in range(n)]


def inbox_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("lending:officer_inbox"))
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_inbox_shows_the_grade_of_evaluated_applicants(officer):
    clean, penalized, unevaluated = applications(officer, 3)
    CreditRecordFactory(enterprise=penalized.enterprise, severity="serious")  # 600 - 100 - 50 = 450: D
    evaluations_recompute(enterprise_ids=[clean.enterprise_id, penalized.enterprise_id])
    _count, html = inbox_queries(logged_in(officer))
    assert html.count("xyd-grade") == 2
    assert "Grade B" in html and "Grade D" in html
    assert "Advisory credit grade, score 450 of 1000" in html


def test_the_grade_adds_no_query_to_the_inbox(officer):
    client = logged_in(officer)
    applications(officer, 3)
    client.get(reverse("lending:officer_inbox"))  # warm per-process caches
    without, html = inbox_queries(client)
    assert "xyd-grade" not in html
    evaluations_recompute()
    with_3, html = inbox_queries(client)
    assert html.count("xyd-grade") == 3
    applications(officer, 27)
    evaluations_recompute()
    with_30, html = inbox_queries(client)
    assert html.count("xyd-grade") == 20  # a full page
    assert without == with_3 == with_30


def test_the_api_lists_the_grade_read_only(officer):
    evaluated, unevaluated = applications(officer, 2)
    evaluations_recompute(enterprise_ids=[evaluated.enterprise_id])
    client = token_client(officer)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/applications/")
    assert response.status_code == 200
    grades = {row["id"]: row["enterprise_grade"] for row in response.json()["results"]}
    assert grades == {evaluated.id: "B", unevaluated.id: None}
    listed = len(ctx.captured_queries)
    applications(officer, 5)
    evaluations_recompute()
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/applications/")
    assert len(ctx.captured_queries) == listed
    detail = client.get(f"/api/v1/applications/{evaluated.id}/").json()
    assert detail["enterprise_grade"] == "B"


def test_the_grade_follows_the_consent_and_is_never_shown_to_staff(officer):
    """A grade is credit information: once the application's consent ends the officer no longer sees it, and
    government staff (aggregates only) never do."""
    import datetime

    from django.utils import timezone

    from tests.factories import EvaluationFactory, StaffFactory

    [application] = applications(officer, 1)
    EvaluationFactory(enterprise=application.enterprise, grade="B")
    staff = StaffFactory(region=application.enterprise.region)
    url = f"/api/v1/applications/{application.pk}/"

    assert token_client(officer).get(url).json()["enterprise_grade"] == "B"
    assert "xyd-grade" in inbox_queries(logged_in(officer))[1]
    staff_detail = token_client(staff).get(url)
    assert staff_detail.status_code == 200 and staff_detail.json()["enterprise_grade"] is None

    authorization = application.authorization
    authorization.revoked_at = timezone.now() - datetime.timedelta(seconds=1)
    authorization.save(update_fields=["revoked_at"])
    assert token_client(officer).get(url).json()["enterprise_grade"] is None
    assert "xyd-grade" not in inbox_queries(logged_in(officer))[1]
