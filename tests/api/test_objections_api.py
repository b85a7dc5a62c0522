"""/api/v1/objections/ and /api/v1/repair-requests/: scoped lists, SME create, staff answers; every answer is
checked against the OpenAPI schema (token_client), errors in the one error shape, and list query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditinfo.models import CreditRecord, Objection, RepairRequest
from creditinfo.publication import add_months
from tests.api.utils import assert_error, token_client
from tests.factories import (
    CreditRecordFactory,
    ObjectionFactory,
    OfficerFactory,
    ProvinceFactory,
    RepairRequestFactory,
    SmeUserFactory,
    StaffFactory,
)
from xinyidai.models import Region

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
OBJECTIONS, REPAIRS = "/api/v1/objections/", "/api/v1/repair-requests/"


@pytest.fixture
def sme():
    return SmeUserFactory()


@pytest.fixture
def record(sme):
    return CreditRecordFactory(enterprise=sme.membership.enterprise, decision_date=add_months(TODAY(), -6))


@pytest.fixture
def staff():
    return StaffFactory()  # 郑州市: the factories' enterprises are in 金水区 below it


@pytest.fixture
def luoyang_staff():
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", parent=ProvinceFactory())
    return StaffFactory(region=luoyang)


def test_sme_raises_an_objection(sme, record):
    response = token_client(sme).post(OBJECTIONS, {"record": record.pk, "reason": "已撤销"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["record"]["id"] == record.pk and body["record"]["status"] == "disputed"
    assert body["status"] == "open" and body["overdue"] is False and body["has_evidence"] is False
    assert body["due_on"] == (TODAY() + datetime.timedelta(days=20)).isoformat()
    again = token_client(sme).post(OBJECTIONS, {"record": record.pk, "reason": "again"}, format="json")
    assert_error(again, 409, "objection_open")


@pytest.mark.parametrize("payload", [{"record": "x", "reason": "r"}, {"reason": "r"}, {"record": 1, "reason": ""}])
def test_invalid_input_is_400_and_changes_nothing(sme, record, payload):
    payload = {**payload, "record": record.pk} if payload.get("record") == 1 else payload
    assert_error(token_client(sme).post(OBJECTIONS, payload, format="json"), 400, "invalid")
    assert not Objection.objects.exists()
    assert CreditRecord.objects.get(pk=record.pk).status == CreditRecord.Status.ACTIVE


def test_other_parties_cannot_raise(record, staff):
    assert_error(
        token_client(SmeUserFactory()).post(OBJECTIONS, {"record": record.pk, "reason": "x"}, format="json"), 404
    )
    assert_error(token_client(staff).post(OBJECTIONS, {"record": record.pk, "reason": "x"}, format="json"), 403)


def test_lists_are_scoped(sme, record, staff, luoyang_staff):
    objection = ObjectionFactory(record=record)
    for user in (sme, staff):
        assert [o["id"] for o in token_client(user).get(OBJECTIONS).json()["results"]] == [objection.pk]
    for user in (luoyang_staff, SmeUserFactory(), OfficerFactory()):
        assert token_client(user).get(OBJECTIONS).json()["results"] == []
    assert_error(token_client(luoyang_staff).get(f"{OBJECTIONS}{objection.pk}/"), 404)
    assert token_client(sme).get(f"{OBJECTIONS}{objection.pk}/").json()["id"] == objection.pk


def test_overdue_filter(staff):
    late = ObjectionFactory(due_on=TODAY() - datetime.timedelta(days=1))
    ObjectionFactory(due_on=TODAY() + datetime.timedelta(days=3))
    body = token_client(staff).get(OBJECTIONS, {"overdue": "true"}).json()
    assert [o["id"] for o in body["results"]] == [late.pk] and body["results"][0]["overdue"] is True


def test_staff_resolve(sme, record, staff, luoyang_staff):
    objection = token_client(sme).post(OBJECTIONS, {"record": record.pk, "reason": "x"}, format="json").json()
    url = f"{OBJECTIONS}{objection['id']}/resolve/"
    assert_error(token_client(luoyang_staff).post(url, {"outcome": "removed", "response": "x"}, format="json"), 404)
    assert_error(token_client(sme).post(url, {"outcome": "removed", "response": "x"}, format="json"), 403)
    assert_error(token_client(staff).post(url, {"outcome": "open", "response": "x"}, format="json"), 400)
    payload = {"outcome": "corrected", "response": "已更正", "correction": {"title": "更正标题", "severity": "minor"}}
    response = token_client(staff).post(url, payload, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "corrected" and response.json()["record"]["title"] == "更正标题"
    assert response.json()["record"]["status"] == "active"
    again = token_client(staff).post(url, {"outcome": "removed", "response": "x"}, format="json")
    assert_error(again, 409, "invalid_transition")
    assert CreditRecord.objects.get(pk=record.pk).status == CreditRecord.Status.ACTIVE


def test_repair_request_lifecycle(sme, record, staff):
    payload = {"record": record.pk, "obligation_fulfilled_on": TODAY().isoformat(), "statement": "已缴清"}
    response = token_client(sme).post(REPAIRS, payload, format="json")
    assert response.status_code == 201, response.json()
    repair_id = response.json()["id"]
    assert_error(token_client(sme).post(f"{REPAIRS}{repair_id}/approve/", {}, format="json"), 403)
    assert_error(token_client(staff).post(f"{REPAIRS}{repair_id}/reject/", {"note": ""}, format="json"), 400)
    approved = token_client(staff).post(f"{REPAIRS}{repair_id}/approve/", {"note": "同意"}, format="json")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["record"]["status"] == "repaired"
    assert_error(token_client(staff).post(f"{REPAIRS}{repair_id}/reject/", {"note": "x"}, format="json"), 409)


def test_repair_too_early_and_future_obligation(sme):
    record = CreditRecordFactory(enterprise=sme.membership.enterprise, severity="serious")
    payload = {"record": record.pk, "obligation_fulfilled_on": TODAY().isoformat(), "statement": "x"}
    body = assert_error(token_client(sme).post(REPAIRS, payload, format="json"), 409, "too_early")
    assert body["detail"]["earliest"] == add_months(record.decision_date, 12).isoformat()
    payload["obligation_fulfilled_on"] = (TODAY() + datetime.timedelta(days=1)).isoformat()
    body = assert_error(token_client(sme).post(REPAIRS, payload, format="json"), 400, "invalid")
    assert "obligation_fulfilled_on" in body["detail"]
    assert not RepairRequest.objects.exists()


# Queries per list request: token, [staff's region], count, page (record and enterprise joined).
EXPECTED = {("objections", "sme"): 3, ("objections", "staff"): 4, ("repairs", "sme"): 3, ("repairs", "staff"): 4}


@pytest.mark.parametrize(("kind", "role"), list(EXPECTED))
def test_list_query_counts(kind, role, sme, staff):
    factory, url = (ObjectionFactory, OBJECTIONS) if kind == "objections" else (RepairRequestFactory, REPAIRS)
    user = sme if role == "sme" else staff
    client = token_client(user)

    def add(n):
        for _ in range(n):
            factory(record=CreditRecordFactory(enterprise=sme.membership.enterprise))

    counts = []
    for n in (3, 27):
        add(n)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200 and len(response.json()["results"]) == min(3 + 27 * (n == 27), 20)
        counts.append(len(ctx.captured_queries))
    assert counts == [EXPECTED[kind, role]] * 2, counts
