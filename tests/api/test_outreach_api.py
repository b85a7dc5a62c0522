"""First-loan outreach over the API: candidates (staff), push (staff), leads and contacted (officers); every answer
is checked against the OpenAPI schema by the token client."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.models import OutreachLead
from tests.api.utils import assert_error
from tests.factories import (
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    LoanFactory,
    OfficerFactory,
    SmeUserFactory,
    StaffFactory,
    TagFactory,
)
from xinyidai.models import Institution, Notification

pytestmark = pytest.mark.django_db

CANDIDATES = "/api/v1/outreach/candidates/"
PUSH = "/api/v1/outreach/push/"
LEADS = "/api/v1/outreach/leads/"


def registered(**fields):
    enterprise = EnterpriseFactory(**fields)
    SmeUserFactory(enterprise=enterprise)
    return enterprise


@pytest.fixture
def firms(parties):
    """Two candidates in 金水区 (one tagged, graded A, with an open demand), one in 老城区, and a borrower."""
    tagged = registered(name="金水专精特新有限公司", region=parties.jinshui)
    tagged.tags.set([TagFactory()])
    EvaluationFactory(enterprise=tagged, grade="A")
    DemandFactory(enterprise=tagged, status="open")
    plain = registered(name="金水普通有限公司", region=parties.jinshui, size_class="micro")
    luoyang = registered(name="老城机械二厂有限公司", region=parties.laocheng)
    borrower = registered(name="金水已贷款有限公司", region=parties.jinshui)
    LoanFactory(application__enterprise=borrower)
    return tagged, plain, luoyang, borrower


def test_staff_list_their_candidates_with_a_capped_count(client_for, parties, firms):
    tagged, plain, _luoyang, _borrower = firms
    response = client_for(parties.staff_zz).get(CANDIDATES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["count_capped"] is False
    assert [row["name"] for row in body["results"]] == [plain.name, tagged.name]  # newest registration first
    row = {r["name"]: r for r in body["results"]}[tagged.name]
    assert row["uscc"] == tagged.uscc and row["region"] == {"code": "410105", "name": "金水区", "city": "郑州市"}
    assert row["section"] == "C" and row["grade"] == "A" and row["tags"] == [{"code": "zjtx", "name": "专精特新"}]
    assert row["has_open_demand"] is True and row["pushed"] is False
    luoyang = {r["name"] for r in client_for(parties.staff_ly).get(CANDIDATES).json()["results"]}
    assert luoyang == {firms[2].name, "洛阳老城机械有限公司"}  # and the parties' other SME


@pytest.mark.parametrize("cap", [1000, 1])
def test_candidate_pages_follow_next(client_for, parties, firms, monkeypatch, cap):
    from lending import selectors_outreach

    monkeypatch.setattr(selectors_outreach, "COUNT_CAP", cap)
    client = client_for(parties.staff_zz)
    extra = [registered(region=parties.jinshui) for _i in range(3)]
    names, url = [], f"{CANDIDATES}?page_size=2&order=oldest"
    while url:
        body = client.get(url).json()
        assert (body["count"], body["count_capped"]) == ((5, False) if cap > 5 else (cap, True))
        assert body["previous"] is None
        names += [row["name"] for row in body["results"]]
        url = body["next"]
    assert names == [firms[0].name, firms[1].name, *(e.name for e in extra)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("size_class=micro", {1}),
        ("tag=zjtx", {0}),
        ("min_grade=B", {0}),
        ("has_open_demand=false", {1}),
        ("section=C&section=I", {0, 1}),
        ("section=I", set()),
        ("region=410105&order=oldest", {0, 1}),
    ],
)
def test_filters(client_for, parties, firms, query, expected):
    response = client_for(parties.staff_zz).get(f"{CANDIDATES}?{query}")
    assert response.status_code == 200, response.json()
    assert {r["name"] for r in response.json()["results"]} == {firms[i].name for i in expected}


def test_candidate_refusals(client_for, parties, firms):
    staff = client_for(parties.staff_zz)
    assert_error(staff.get(f"{CANDIDATES}?region=410300"), 404)  # Luoyang: outside Zhengzhou
    assert_error(staff.get(f"{CANDIDATES}?region=999999"), 404)
    assert_error(staff.get(f"{CANDIDATES}?section=Z"), 400, "invalid")
    assert_error(staff.get(f"{CANDIDATES}?min_grade=E"), 400, "invalid")
    assert_error(client_for(parties.officer_a).get(CANDIDATES), 403, "forbidden")
    assert_error(client_for(parties.other_sme).get(CANDIDATES), 403, "forbidden")
    assert_error(client_for(None).get(CANDIDATES), 401)


def test_push_by_ids_and_by_criteria_idempotent(client_for, parties, firms):
    tagged, plain, luoyang, borrower = firms
    staff = client_for(parties.staff_zz)

    response = staff.post(PUSH, {"enterprise_ids": [tagged.pk, luoyang.pk, borrower.pk]}, format="json")
    assert response.status_code == 200 and response.json() == {"pushed": 1}  # the others are not its candidates
    response = staff.post(PUSH, {"all_matching": True, "criteria": {"size_class": ["micro", "small"]}}, format="json")
    assert response.json() == {"pushed": 1}
    assert staff.post(PUSH, {"all_matching": True}, format="json").json() == {"pushed": 0}
    assert set(OutreachLead.objects.values_list("enterprise_id", flat=True)) == {tagged.pk, plain.pk}
    assert all(row["pushed"] for row in staff.get(CANDIDATES).json()["results"])
    # Two pushes with new leads: the Zhengzhou branch's officer got two notifications, not one per enterprise.
    assert Notification.objects.filter(user=parties.officer_a, kind="outreach_leads_pushed").count() == 2


def test_push_refusals(client_for, parties, firms):
    staff = client_for(parties.staff_zz)
    assert_error(staff.post(PUSH, {}, format="json"), 400, "invalid")
    both = {"enterprise_ids": [firms[0].pk], "all_matching": True}
    assert_error(staff.post(PUSH, both, format="json"), 400, "invalid")
    assert_error(staff.post(PUSH, {"enterprise_ids": []}, format="json"), 400, "invalid")
    outside = {"all_matching": True, "criteria": {"region": "410300"}}
    assert_error(staff.post(PUSH, outside, format="json"), 404)
    assert_error(client_for(parties.officer_a).post(PUSH, {"all_matching": True}, format="json"), 403, "forbidden")
    assert not OutreachLead.objects.exists()


def test_officers_list_and_contact_leads_of_the_region_they_serve(client_for, parties, firms):
    tagged, plain, luoyang, _borrower = firms
    client_for(StaffFactory(region=parties.province)).post(PUSH, {"all_matching": True}, format="json")
    lead = OutreachLead.objects.get(enterprise=tagged)
    far = OutreachLead.objects.get(enterprise=luoyang)
    officer = client_for(parties.officer_a)

    body = officer.get(LEADS).json()
    assert body["count"] == 2 and body["count_capped"] is False
    assert {r["enterprise"]["name"] for r in body["results"]} == {tagged.name, plain.name}
    row = next(r for r in body["results"] if r["id"] == lead.pk)
    assert row["enterprise"]["grade"] == "A" and row["status"] == "open" and row["contacted_by"] is None
    assert "records" not in row["enterprise"]

    response = officer.post(f"{LEADS}{lead.pk}/contacted/", {"note": "已电话联系"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "contacted" and response.json()["contacted_by"]["code"] == "ZYB-ZZ"
    assert [r["id"] for r in officer.get(f"{LEADS}?status=contacted").json()["results"]] == [lead.pk]
    assert_error(officer.post(f"{LEADS}{lead.pk}/contacted/", {}, format="json"), 409, "invalid_transition")
    assert_error(officer.post(f"{LEADS}{far.pk}/contacted/", {}, format="json"), 404)  # Luoyang: not served
    assert_error(officer.post(f"{LEADS}999999/contacted/", {}, format="json"), 404)
    open_lead = OutreachLead.objects.get(enterprise=plain)
    too_long = {"note": "x" * 301}
    assert_error(officer.post(f"{LEADS}{open_lead.pk}/contacted/", too_long, format="json"), 400, "invalid")
    # Staff see their region's leads but do not contact enterprises; SMEs see none.
    assert_error(client_for(parties.staff_zz).post(f"{LEADS}{open_lead.pk}/contacted/", {}, format="json"), 403)
    assert_error(client_for(parties.staff_zz).get(LEADS), 403)
    assert_error(client_for(parties.other_sme).post(f"{LEADS}{open_lead.pk}/contacted/", {}, format="json"), 404)
    assert_error(officer.get(f"{LEADS}?status=closed"), 400, "invalid")


# --- query counts ---------------------------------------------------------------------------------------------

# token, staff's region, count capped at 10,000, page (keyset), tags prefetch
EXPECTED_CANDIDATES = 5
# token, officer's institution, its region, count capped at 10,000, page (keyset), tags prefetch
EXPECTED_LEADS = 6


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    assert response.json()["results"], url
    return len(ctx.captured_queries)


def add_candidates(parties, n: int) -> list:
    made = []
    for i in range(n):
        enterprise = registered(region=parties.jinshui)
        if i % 2:
            enterprise.tags.set([TagFactory()])
            EvaluationFactory(enterprise=enterprise, grade="ABCD"[i % 4])
        if i % 3 == 0:
            DemandFactory(enterprise=enterprise, status="open")
        made.append(enterprise)
    return made


def test_candidates_query_count(client_for, parties):
    client = client_for(parties.staff_zz)
    add_candidates(parties, 3)
    client.get(CANDIDATES)
    with_3 = count(client, CANDIDATES)
    add_candidates(parties, 27)
    assert count(client, CANDIDATES) == with_3 == EXPECTED_CANDIDATES


def test_leads_query_count(client_for, parties):
    from lending.services.outreach import outreach_lead_contacted, outreach_push

    pusher = StaffFactory(region=parties.province)
    branch = Institution.objects.create(
        code="ZYB-ZZ-JS", name="中原银行金水支行", parent=parties.bank_a_zz, region=parties.jinshui
    )
    colleague = OfficerFactory(institution=branch)
    client = client_for(parties.officer_a)

    def add(n):
        made = add_candidates(parties, n)
        outreach_push(user=pusher, enterprise_ids=[e.pk for e in made])
        for i, lead in enumerate(OutreachLead.objects.filter(enterprise__in=made)):
            if i % 2:
                outreach_lead_contacted(lead_id=lead.pk, officer=colleague)

    add(6)
    client.get(LEADS)
    open_3, contacted_3 = count(client, LEADS), count(client, f"{LEADS}?status=contacted")
    add(54)
    assert count(client, LEADS) == open_3 == EXPECTED_LEADS
    assert count(client, f"{LEADS}?status=contacted") == contacted_3
