"""Matchmaking events and intents over the API: scoped by visibility (404 outside), roles (403), rules (400, 409),
every answer checked against the OpenAPI schema (tests.api.utils.SchemaCheckingClient), constant query counts.

Zhengzhou (410100) staff organise; the officer's branch is in Zhengzhou; the SME's enterprise is in 金水区 (410105).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending.models import EventParticipant, Intent, MatchmakingEvent
from tests.api.utils import assert_error, token_client
from tests.factories import (
    ApplicationFactory,
    BranchFactory,
    CityFactory,
    CountyFactory,
    EnterpriseFactory,
    EventParticipantFactory,
    IntentFactory,
    LoanFactory,
    MatchmakingEventFactory,
    OfficerFactory,
    SectionFactory,
    SmeUserFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@dataclass
class Scene:
    staff: object
    officer: object
    sme: object

    @property
    def branch(self):
        return self.officer.institution

    @property
    def enterprise(self):
        return self.sme.membership.enterprise

    def client(self, who: str):
        return token_client(getattr(self, who))


@pytest.fixture
def scene() -> Scene:
    return Scene(staff=StaffFactory(), officer=OfficerFactory(institution=BranchFactory()), sme=SmeUserFactory())


@pytest.fixture
def event(scene):
    return MatchmakingEventFactory(region=scene.staff.region, organizer=scene.staff)


@pytest.fixture
def started(scene):
    start = timezone.now() - HOUR
    return MatchmakingEventFactory(
        region=scene.staff.region, organizer=scene.staff, starts_at=start, ends_at=start + HOUR
    )


def luoyang_event():
    return MatchmakingEventFactory(region=CityFactory(code="410300", name="洛阳市"))


def new_event_body(**changes) -> dict:
    start = timezone.now() + datetime.timedelta(days=5)
    body = {
        "title": "郑州市首贷对接会",
        "kind": "salon",
        "starts_at": start.isoformat(),
        "ends_at": (start + HOUR).isoformat(),
        "region": "410105",
        "theme_industries": [SectionFactory().code],
        "capacity": 10,
    }
    return {**body, **changes}


# --- events ---------------------------------------------------------------------------------------------------


def test_staff_create_an_event(scene):
    CountyFactory()
    response = scene.client("staff").post("/api/v1/events/", new_event_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["region"] == {"code": "410105", "name": "金水区"} and body["status"] == "scheduled"
    assert [industry["code"] for industry in body["theme_industries"]] == ["C"]
    assert MatchmakingEvent.objects.get().organizer == scene.staff


def test_create_refuses_bad_input_and_other_roles(scene):
    CityFactory(code="410300", name="洛阳市")
    client = scene.client("staff")
    body = assert_error(client.post("/api/v1/events/", new_event_body(region="410300"), format="json"), 400, "invalid")
    assert "region" in body["detail"]
    body = assert_error(client.post("/api/v1/events/", new_event_body(kind="party"), format="json"), 400, "invalid")
    assert "kind" in body["detail"]
    start = timezone.now()
    late = new_event_body(starts_at=start.isoformat(), ends_at=(start - HOUR).isoformat())
    assert "ends_at" in assert_error(client.post("/api/v1/events/", late, format="json"), 400)["detail"]
    for who in ("sme", "officer"):
        assert_error(scene.client(who).post("/api/v1/events/", new_event_body(), format="json"), 403, "forbidden")
    assert not MatchmakingEvent.objects.exists()


def test_events_are_scoped(scene, event):
    other = luoyang_event()
    response = scene.client("staff").get("/api/v1/events/")
    assert [row["id"] for row in response.json()["results"]] == [event.pk]
    assert_error(scene.client("staff").get(f"/api/v1/events/{other.pk}/"), 404)
    assert_error(scene.client("officer").get(f"/api/v1/events/{event.pk}/"), 404)  # not invited
    assert scene.client("sme").get(f"/api/v1/events/{event.pk}/").status_code == 200  # open to its region
    assert_error(scene.client("staff").get("/api/v1/events/abc/"), 404)


def test_invite_is_idempotent_and_scoped(scene, event):
    client = scene.client("staff")
    body = {"enterprise_ids": [scene.enterprise.pk], "institution_ids": [scene.branch.pk]}
    assert client.post(f"/api/v1/events/{event.pk}/invite/", body, format="json").json() == {"invited": 2}
    assert client.post(f"/api/v1/events/{event.pk}/invite/", body, format="json").json() == {"invited": 0}
    outsider = EnterpriseFactory(region=CountyFactory(code="410302", name="老城区", parent=CityFactory(code="410300")))
    error = assert_error(
        client.post(f"/api/v1/events/{event.pk}/invite/", {"enterprise_ids": [outsider.pk]}, format="json"), 400
    )
    assert outsider.uscc in error["detail"]["enterprise_ids"][0]
    assert_error(client.post(f"/api/v1/events/{event.pk}/invite/", {}, format="json"), 400, "invalid")
    assert_error(scene.client("sme").post(f"/api/v1/events/{event.pk}/invite/", body, format="json"), 403)
    other = luoyang_event()
    assert_error(client.post(f"/api/v1/events/{other.pk}/invite/", body, format="json"), 404)


def test_invite_by_criteria_no_loan_only(scene, event):
    borrower = LoanFactory(application__enterprise=EnterpriseFactory()).enterprise
    client = scene.client("staff")
    body = {"no_loan_only": True, "region": "410100", "limit": 1000}
    response = client.post(f"/api/v1/events/{event.pk}/invite-by-criteria/", body, format="json")
    invited = set(EventParticipant.objects.filter(event=event).values_list("enterprise_id", flat=True))
    assert response.json() == {"invited": len(invited)} and scene.enterprise.pk in invited
    assert borrower.pk not in invited
    bad = {"min_grade": "E"}
    assert_error(client.post(f"/api/v1/events/{event.pk}/invite-by-criteria/", bad, format="json"), 400, "invalid")


def test_register_decline_and_capacity(scene, event):
    client = scene.client("sme")
    response = client.post(f"/api/v1/events/{event.pk}/register/")
    assert response.status_code == 200 and response.json()["status"] == "registered"
    assert response.json()["enterprise"]["uscc"] == scene.enterprise.uscc
    assert client.post(f"/api/v1/events/{event.pk}/decline/").json()["status"] == "declined"
    full = MatchmakingEventFactory(region=event.region, capacity=1)
    EventParticipantFactory(event=full, status="registered")
    assert_error(client.post(f"/api/v1/events/{full.pk}/register/"), 409, "event_full")
    closed = MatchmakingEventFactory(region=event.region, open_registration=False)
    assert_error(client.post(f"/api/v1/events/{closed.pk}/register/"), 404)
    assert_error(scene.client("staff").post(f"/api/v1/events/{event.pk}/register/"), 403, "forbidden")


def test_attendance_and_funnel(scene, event, started):
    client = scene.client("staff")
    row = EventParticipantFactory(event=started, enterprise=scene.enterprise)
    elsewhere = EventParticipantFactory(event=event, enterprise=scene.enterprise)
    body = {"participant_ids": [row.pk], "attended": True}
    not_its_own = {"participant_ids": [row.pk, elsewhere.pk], "attended": True}
    error = assert_error(client.post(f"/api/v1/events/{started.pk}/attendance/", not_its_own, format="json"), 400)
    assert str(elsewhere.pk) in error["detail"]["participant_ids"][0]
    assert_error(
        client.post(
            f"/api/v1/events/{started.pk}/attendance/", {"participant_ids": [], "attended": True}, format="json"
        ),
        400,
    )
    assert client.post(f"/api/v1/events/{started.pk}/attendance/", body, format="json").json() == {"updated": 1}
    assert_error(
        client.post(
            f"/api/v1/events/{event.pk}/attendance/", {"participant_ids": [1], "attended": True}, format="json"
        ),
        409,
        "not_started",
    )
    IntentFactory(event=started, enterprise=scene.enterprise, amount=Decimal("500000"))
    funnel = client.get(f"/api/v1/events/{started.pk}/funnel/").json()
    assert (funnel["invited"], funnel["attended"], funnel["intents"], funnel["intent_amount"]) == (1, 1, 1, "500000.00")
    assert_error(scene.client("sme").get(f"/api/v1/events/{event.pk}/funnel/"), 403, "forbidden")
    assert_error(scene.client("staff").get(f"/api/v1/events/{luoyang_event().pk}/funnel/"), 404)


def test_cancel_and_held(scene, event, started):
    client = scene.client("staff")
    assert client.post(f"/api/v1/events/{event.pk}/cancel/").json()["status"] == "cancelled"
    assert_error(client.post(f"/api/v1/events/{event.pk}/cancel/"), 409, "invalid_transition")
    assert client.post(f"/api/v1/events/{started.pk}/held/").json()["status"] == "held"


def test_participants_as_each_party_sees_them(scene, event):
    EventParticipantFactory(event=event, enterprise=scene.enterprise)
    EventParticipantFactory(event=event)
    EventParticipantFactory(event=event, enterprise=None, institution=scene.branch)
    staff_rows = scene.client("staff").get(f"/api/v1/events/{event.pk}/participants/").json()
    assert staff_rows["count"] == 3
    sme_rows = scene.client("sme").get(f"/api/v1/events/{event.pk}/participants/").json()["results"]
    assert {(r["enterprise"] or {}).get("id") for r in sme_rows} == {scene.enterprise.pk, None}
    institutions = scene.client("staff").get(f"/api/v1/events/{event.pk}/participants/", {"party": "institution"})
    assert institutions.json()["count"] == 1


# --- intents ------------------------------------------------------------------------------------------------------


@pytest.fixture
def taking_part(scene, started):
    EventParticipantFactory(event=started, enterprise=scene.enterprise, status="attended")
    EventParticipantFactory(event=started, enterprise=None, institution=scene.branch, status="attended")
    return started


def intent_body(scene, event, **changes):
    body = {
        "event": event.pk,
        "enterprise": scene.enterprise.pk,
        "institution": scene.branch.pk,
        "amount": "1000000.00",
        "note": "现场签约",
    }
    return {**body, **changes}


def test_record_an_intent(scene, taking_part):
    response = scene.client("staff").post("/api/v1/intents/", intent_body(scene, taking_part), format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["amount"]) == ("recorded", "1000000.00")
    response = scene.client("officer").post("/api/v1/intents/", intent_body(scene, taking_part), format="json")
    assert response.status_code == 201
    other_officer = OfficerFactory(institution=scene.branch.parent)  # sees the event through its branch
    other_bank = token_client(OfficerFactory())
    assert_error(other_bank.post("/api/v1/intents/", intent_body(scene, taking_part), format="json"), 404)
    stranger = EnterpriseFactory()
    body = intent_body(scene, taking_part, enterprise=stranger.pk)
    assert (
        "enterprise" in assert_error(scene.client("staff").post("/api/v1/intents/", body, format="json"), 400)["detail"]
    )
    body = intent_body(scene, taking_part, amount="0")
    assert_error(scene.client("staff").post("/api/v1/intents/", body, format="json"), 400, "invalid")
    assert_error(scene.client("sme").post("/api/v1/intents/", intent_body(scene, taking_part), format="json"), 403)
    assert token_client(other_officer).get("/api/v1/intents/").json()["count"] == 2
    assert Intent.objects.count() == 2


def test_follow_an_intent_up(scene, taking_part):
    intent = IntentFactory(event=taking_part, enterprise=scene.enterprise, institution=scene.branch)
    client = scene.client("officer")
    response = client.post(f"/api/v1/intents/{intent.pk}/contacted/", {"note": "已联系"}, format="json")
    assert response.json()["status"] == "contacted" and response.json()["contacted_at"]
    error = assert_error(client.post(f"/api/v1/intents/{intent.pk}/contacted/", {}, format="json"), 409)
    assert error["code"] == "invalid_transition" and error["detail"]["status"] == "contacted"
    wrong = ApplicationFactory()  # another enterprise
    body = assert_error(
        client.post(f"/api/v1/intents/{intent.pk}/applied/", {"application": wrong.pk}, format="json"), 400
    )
    assert "application" in body["detail"]
    application = ApplicationFactory(enterprise=scene.enterprise, product__institution=scene.branch)
    response = client.post(f"/api/v1/intents/{intent.pk}/applied/", {"application": application.pk}, format="json")
    assert response.json()["application"] == application.pk
    loan = LoanFactory(application=application)
    response = client.post(f"/api/v1/intents/{intent.pk}/disbursed/", {"loan": loan.pk}, format="json")
    assert (response.json()["status"], response.json()["loan"]) == ("disbursed", loan.pk)
    assert_error(client.post(f"/api/v1/intents/{intent.pk}/drop/", {"reason": "terms"}, format="json"), 409)


def test_drop_and_scope(scene, taking_part):
    intent = IntentFactory(event=taking_part, enterprise=scene.enterprise, institution=scene.branch)
    client = scene.client("staff")
    assert_error(client.post(f"/api/v1/intents/{intent.pk}/drop/", {"reason": "nope"}, format="json"), 400)
    response = client.post(f"/api/v1/intents/{intent.pk}/drop/", {"reason": "no_need"}, format="json")
    assert (response.json()["status"], response.json()["drop_reason"]) == ("dropped", "no_need")
    stranger = token_client(OfficerFactory())
    assert_error(stranger.get(f"/api/v1/intents/{intent.pk}/"), 404)
    assert_error(stranger.post(f"/api/v1/intents/{intent.pk}/contacted/", {}, format="json"), 404)
    assert_error(scene.client("sme").post(f"/api/v1/intents/{intent.pk}/contacted/", {}, format="json"), 403)
    assert scene.client("sme").get(f"/api/v1/intents/{intent.pk}/").status_code == 200
    assert scene.client("sme").get("/api/v1/intents/", {"status": "dropped"}).json()["count"] == 1


# --- query counts --------------------------------------------------------------------------------------------------

# Queries per request; a change here is a decision to explain.
EXPECTED_QUERIES = {
    # token, staff's region, count, page, theme industries
    "events (staff)": 5,
    # token, count, page, theme industries (visibility: one EXISTS and a membership subquery)
    "events (sme)": 4,
    # token, officer's institution, count, page, theme industries
    "events (officer)": 5,
    # token, staff's region, the event, its theme industries, count, page
    "participants (staff)": 6,
    # token, staff's region, count, page
    "intents (staff)": 4,
    # token, officer's institution, count, page
    "intents (officer)": 4,
    # token, count, page
    "intents (sme)": 3,
}


def _events(scene, n, viewer):
    for _ in range(n):
        event = MatchmakingEventFactory(region=scene.staff.region)
        event.theme_industries.set([SectionFactory()])
        if viewer == "sme":
            EventParticipantFactory(event=event, enterprise=scene.enterprise)
        if viewer == "officer":
            EventParticipantFactory(event=event, enterprise=None, institution=scene.branch)


def _intents(scene, n, viewer):
    for i in range(n):
        enterprise = scene.enterprise if viewer == "sme" else EnterpriseFactory()
        intent = IntentFactory(
            event__region=scene.staff.region, enterprise=enterprise, institution=scene.branch, product=None
        )
        if i % 2:
            loan = LoanFactory(application__enterprise=enterprise)
            Intent.objects.filter(pk=intent.pk).update(status="disbursed", application=loan.application, loan=loan)


@pytest.mark.parametrize("name", list(EXPECTED_QUERIES))
def test_list_query_counts_are_constant(scene, name):
    resource, viewer = name.split(" (")
    viewer = viewer.rstrip(")")
    client = scene.client(viewer)
    event = MatchmakingEventFactory(region=scene.staff.region) if resource == "participants" else None
    url = {
        "events": "/api/v1/events/",
        "participants": f"/api/v1/events/{event and event.pk}/participants/",
        "intents": "/api/v1/intents/",
    }[resource]

    def add(n):
        if resource == "events":
            _events(scene, n, viewer)
        elif resource == "participants":
            EventParticipantFactory.create_batch(n, event=event)
        else:
            _intents(scene, n, viewer)

    def measure(expected_rows):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"page_size": 100})
        assert response.status_code == 200, response.json()
        assert response.json()["count"] == expected_rows
        return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]

    add(3)
    few, _sql = measure(3)
    add(27)
    many, sql = measure(30)
    listing = "\n".join(f"  {i + 1}. {q}" for i, q in enumerate(sql))
    assert few == many, f"{name}: {few} queries for 3 rows, {many} for 30:\n{listing}"
    assert many == EXPECTED_QUERIES[name], f"{name}: {many} queries, not {EXPECTED_QUERIES[name]}:\n{listing}"
