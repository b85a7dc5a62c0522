"""The tamper-evident audit trail (issue 7, must-have 4): the hash chain, one event per security-relevant action
through the real services and pages, none for a rolled-back action, the verifier catching raw-SQL tampering, and
the staff page with its filters and export."""

import datetime
import io
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import EnterpriseTag
from creditinfo.services.authorizations import authorization_grant, authorization_revoke
from creditinfo.services.imports import credit_records_import, import_batch_create
from creditinfo.services.objections import objection_raise, objection_resolve
from creditinfo.services.repairs import repair_request_reject, repair_request_submit
from lending.services.applications import application_accept, application_reject, application_submit
from lending.services.feedback import repayment_record
from lending.services.feedback_import import feedback_batch_import
from tests.creditinfo.import_utils import csv_bytes, data_source, row, uscc
from tests.factories import (
    AdminFactory,
    AuthorizationFactory,
    CountyFactory,
    CreditRecordFactory,
    EnterpriseFactory,
    OfficerFactory,
    ProductFactory,
    ProvinceFactory,
    SmeUserFactory,
    StaffFactory,
    TagFactory,
    UserFactory,
)
from tests.lending.feedback_support import make_bank, make_loan, today
from tests.web.utils import english_client, logged_in
from xinyidai.models import AuditEvent, User
from xinyidai.models_audit import CHAINED_FIELDS, GENESIS_HASH, event_hash
from xinyidai.services.audit import Action, audit_chain_verify, audit_record

pytestmark = pytest.mark.django_db
PASSWORD = "Passw0rd!xyz"  # tests.factories.UserFactory's


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Login tests post from 127.0.0.1 like the rest of the suite: start with empty rate-limit counters."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_recompute(monkeypatch):
    """The evaluation task after imports, objections and repairs is not what these tests are about."""
    from creditinfo import tasks

    monkeypatch.setattr(tasks, "evaluations_recompute", None, raising=False)


def events(action=None) -> list[AuditEvent]:
    queryset = AuditEvent.objects.order_by("seq")
    return list(queryset.filter(action=action) if action else queryset)


def only_event(action) -> AuditEvent:
    found = events(action)
    assert len(found) == 1, f"expected one {action} event, found {[(e.seq, e.data) for e in found]}"
    return found[0]


def tamper(sql: str, params=()) -> None:
    """Change the table as a database superuser would: around the append-only trigger (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def three_events(actor=None) -> list[AuditEvent]:
    return [audit_record(action=Action.LOGIN_FAILED, actor=actor, data={"username": f"u{n}"}) for n in range(3)]


# --- the chain ---------------------------------------------------------------------------------------------


def test_each_event_chains_to_the_one_before():
    user = SmeUserFactory()
    first, second, third = three_events(actor=user)
    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    for event in events():
        assert event.hash == event.compute_hash() and len(event.hash) == 64
    assert (first.actor_id, first.actor_username, first.actor_role) == (user.pk, user.username, "sme")


def test_the_hash_covers_every_stored_field():
    event = audit_record(action=Action.LOGIN, data={"via": "session"})
    fields = event.chained_fields()
    assert set(fields) == {f.attname for f in AuditEvent._meta.concrete_fields} - {"id", "hash"}
    changed = {
        "seq": 2,
        "occurred_at": fields["occurred_at"] + datetime.timedelta(microseconds=1),
        "actor_id": 99,
        "actor_username": "x",
        "actor_role": "admin",
        "actor_institution_id": 1,
        "actor_region_id": 1,
        "ip": "10.0.0.1",
        "action": "logout",
        "object_type": "xinyidai.user",
        "object_id": "1",
        "data": {"via": "api_token"},
        "prev_hash": "1" * 64,
    }
    assert set(changed) == set(CHAINED_FIELDS)
    for name, value in changed.items():
        assert event_hash({**fields, name: value}) != event.hash, name


def test_decimals_dates_and_floats_hash_the_same_once_read_back():
    audit_record(
        action=Action.FEEDBACK,
        data={"amount": Decimal("1234.50"), "on": datetime.date(2026, 11, 1), "ratio": 0.1, "big": 1e20, "名": "值"},
    )
    stored = AuditEvent.objects.get()
    assert stored.data["amount"] == "1234.50" and stored.data["on"] == "2026-11-01"
    assert stored.compute_hash() == stored.hash
    assert audit_chain_verify().ok


def test_deleting_a_user_keeps_the_events_and_the_chain():
    user = UserFactory()
    audit_record(action=Action.LOGIN, actor=user)
    user_id = user.pk
    user.delete()
    event = AuditEvent.objects.get()
    assert (event.actor_id, event.actor_username) == (user_id, user.username)
    assert audit_chain_verify().ok


def test_a_rolled_back_action_leaves_no_event():
    sme = SmeUserFactory()
    authorization = AuthorizationFactory(enterprise=sme.membership.enterprise, granted_by=sme)
    with pytest.raises(RuntimeError), transaction.atomic():
        authorization_revoke(authorization_id=authorization.pk, user=sme)
        assert len(events(Action.AUTHORIZATION_REVOKED)) == 1  # appended inside the transaction ...
        raise RuntimeError("the caller fails after the service")
    assert events() == []  # ... and gone with it
    authorization_revoke(authorization_id=authorization.pk, user=sme)
    assert only_event(Action.AUTHORIZATION_REVOKED).seq == 1  # the next append reuses the free seq: no gap


# --- one event per wired action ----------------------------------------------------------------------------


def test_login_and_logout_through_the_pages():
    user = SmeUserFactory()
    client = english_client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="1.2.3.4")
    assert response.status_code == 302
    login = only_event(Action.LOGIN)
    assert (login.actor_id, login.ip, login.data) == (user.pk, "1.2.3.4", {"via": "session"})
    client.post(reverse("logout"))
    assert only_event(Action.LOGOUT).actor_id == user.pk


def test_a_failed_login_records_the_username_never_the_password():
    user = SmeUserFactory()
    response = english_client().post(reverse("login"), {"username": user.username, "password": "wrong-secret-1"})
    assert response.status_code == 200
    failed = only_event(Action.LOGIN_FAILED)
    assert failed.actor_id is None and failed.data == {"username": user.username}
    assert "wrong-secret-1" not in failed.data_text
    assert events(Action.LOGIN) == []


def test_lockout_after_repeated_failures(settings):
    user = SmeUserFactory()
    client = english_client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong-secret-1"})
    lockout = only_event(Action.LOCKOUT)
    assert lockout.data == {"username": user.username}
    assert len(events(Action.LOGIN_FAILED)) == settings.AXES_FAILURE_LIMIT


def test_api_token_login_and_its_failure(api_client):
    user = OfficerFactory()
    url = reverse("api-token")
    assert (
        api_client.post(url, {"username": user.username, "password": "nope-nope-1"}, format="json").status_code == 400
    )
    assert only_event(Action.LOGIN_FAILED).data == {"username": user.username}
    response = api_client.post(url, {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    login = only_event(Action.LOGIN)
    assert (login.actor_id, login.data, login.object_type) == (user.pk, {"via": "api_token"}, "xinyidai.user")


def test_an_officer_viewing_a_credit_profile():
    officer = OfficerFactory()
    enterprise = EnterpriseFactory()
    authorization = AuthorizationFactory(enterprise=enterprise, institution=officer.institution)
    response = logged_in(officer).get(reverse("creditinfo:profile", args=[enterprise.pk]))
    assert response.status_code == 200
    view = only_event(Action.PROFILE_VIEW)
    assert (view.actor_id, view.object_type, view.object_id) == (
        officer.pk,
        "creditinfo.enterprise",
        str(enterprise.pk),
    )
    assert view.data["authorization_id"] == authorization.pk and view.data["what"] == "profile"
    assert view.actor_institution_id == officer.institution_id


def test_no_event_when_the_consent_gate_refuses():
    officer = OfficerFactory()
    enterprise = EnterpriseFactory()
    assert logged_in(officer).get(reverse("creditinfo:profile", args=[enterprise.pk])).status_code == 404
    assert events(Action.PROFILE_VIEW) == []


def test_granting_and_revoking_an_authorization():
    sme = SmeUserFactory()
    institution = OfficerFactory().institution
    authorization = authorization_grant(
        enterprise=sme.membership.enterprise, institution=institution, purpose="loan_review", days=30, user=sme
    )
    granted = only_event(Action.AUTHORIZATION_GRANTED)
    assert (granted.object_type, granted.object_id) == ("creditinfo.authorization", str(authorization.pk))
    assert granted.data["institution_id"] == institution.pk and granted.data["purpose"] == "loan_review"
    authorization_revoke(authorization_id=authorization.pk, user=sme)
    assert only_event(Action.AUTHORIZATION_REVOKED).actor_id == sme.pk
    authorization_revoke(authorization_id=authorization.pk, user=sme)  # already revoked: nothing happens
    assert len(events(Action.AUTHORIZATION_REVOKED)) == 1


def test_each_application_transition():
    sme = SmeUserFactory()
    product = ProductFactory()
    officer = OfficerFactory(institution=product.institution)
    application = application_submit(
        user=sme, product_id=product.pk, amount=Decimal("500000"), term_months=12, purpose="备货", consent=True
    )
    application_accept(application_id=application.pk, officer=officer)
    application_reject(application_id=application.pk, officer=officer, reason_code="credit_record")
    steps = [(e.data["from"], e.data["to"], e.actor_id) for e in events(Action.APPLICATION_TRANSITION)]
    assert steps == [
        ("", "submitted", sme.pk),
        ("submitted", "accepted", officer.pk),
        ("accepted", "rejected", officer.pk),
    ]
    assert {e.object_id for e in events(Action.APPLICATION_TRANSITION)} == {str(application.pk)}
    assert len(events(Action.AUTHORIZATION_GRANTED)) == 1  # the consent given with the application


def test_a_credit_record_import_records_its_upload_and_its_end():
    CountyFactory()
    admin = AdminFactory()
    content = csv_bytes([row(uscc=uscc(9_000_001)), row(source_record_id="CF-2", uscc="bad")])
    batch = import_batch_create(
        source=data_source("credit-henan"), fileobj=io.BytesIO(content), name="feed.csv", uploaded_by=admin
    )
    credit_records_import(batch_id=batch.pk, use_copy=False)
    uploaded, done = events(Action.CREDIT_IMPORT)
    assert (uploaded.actor_id, uploaded.data["stage"], uploaded.data["source"]) == (
        admin.pk,
        "uploaded",
        "credit-henan",
    )
    assert done.actor_id is None and done.data == {
        "stage": "done",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "error": 1,
    }
    assert uploaded.object_id == done.object_id == str(batch.pk)


def test_a_failed_import_is_recorded():
    batch = import_batch_create(
        source=data_source("credit-henan"), fileobj=io.BytesIO(b"no,header\n1,2\n"), name="bad.csv", uploaded_by=None
    )
    credit_records_import(batch_id=batch.pk, use_copy=False)
    assert events(Action.CREDIT_IMPORT)[-1].data["stage"] == "failed"


def test_a_feedback_post_and_a_feedback_file():
    bank = make_bank()
    loan = make_loan(bank)
    repayment_record(
        loan_id=loan.pk, officer=bank.officer, paid_on=today(), principal_amount=Decimal("1000.00"), reference="R1"
    )
    post = only_event(Action.FEEDBACK)
    assert (post.object_type, post.data["kind"], post.data["amount"]) == ("lending.loan", "repayment", "1000.00")
    text = (
        "contract_number,kind,date,amount,interest,reference\n"
        f"{loan.contract_number},repayment,{today():%Y-%m-%d},500.00,,R2\n"
        f"{loan.contract_number},repayment,{today():%Y-%m-%d},500.00,,R3\n"
        "NO-SUCH,repayment,2026-01-01,1.00,,R4\n"
    )
    batch = feedback_batch_import(fileobj=io.BytesIO(text.encode()), name="fb.csv", officer=bank.officer)
    file_event = only_event(Action.FEEDBACK_BATCH)
    assert file_event.data == {"file": "fb.csv", "rows": 3, "applied": 2, "errors": 1}
    assert file_event.object_id == str(batch.pk)
    assert len(events(Action.FEEDBACK)) == 1  # the file's rows are covered by its one event


def test_objection_and_repair_decisions():
    sme, staff = SmeUserFactory(), StaffFactory()
    record = CreditRecordFactory(enterprise=sme.membership.enterprise)
    objection = objection_raise(user=sme, record_id=record.pk, reason="不属实")
    objection_resolve(objection_id=objection.pk, user=staff, outcome="unresolved", response="原处罚有效")
    resolved = only_event(Action.OBJECTION_RESOLVED)
    assert (resolved.actor_id, resolved.data["outcome"]) == (staff.pk, "unresolved")
    minor = CreditRecordFactory(enterprise=sme.membership.enterprise, severity="minor")  # repairable at once
    fulfilled = timezone.localdate() - datetime.timedelta(days=1)
    repair = repair_request_submit(user=sme, record_id=minor.pk, obligation_fulfilled_on=fulfilled, statement="已缴清")
    repair_request_reject(repair_id=repair.pk, user=staff, note="未提供凭证")
    assert only_event(Action.REPAIR_DECIDED).data == {"status": "rejected", "record_id": minor.pk}


def test_admin_changes_one_by_one_and_in_bulk():
    admin = AdminFactory()
    client = logged_in(admin)
    tags = [TagFactory(code=f"tag{n}", name=f"标签{n}") for n in range(3)]
    url = reverse("admin:creditinfo_enterprisetag_delete", args=[tags[0].pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    single = only_event(Action.ADMIN_CHANGE)
    assert (single.actor_id, single.object_type, single.object_id) == (
        admin.pk,
        "creditinfo.enterprisetag",
        str(tags[0].pk),
    )
    assert single.data["change"] == "delete"
    changelist = reverse("admin:creditinfo_enterprisetag_changelist")
    action = {"action": "delete_selected", "_selected_action": [tags[1].pk, tags[2].pk], "post": "yes"}
    assert client.post(changelist, action).status_code == 302
    assert not EnterpriseTag.objects.filter(pk__in=[tags[1].pk, tags[2].pk]).exists()
    bulk = events(Action.ADMIN_CHANGE)[1:]
    assert sorted(e.object_id for e in bulk) == sorted([str(tags[1].pk), str(tags[2].pk)])
    assert LogEntry.objects.count() == 3 == len(events(Action.ADMIN_CHANGE))


def test_an_append_costs_a_fixed_few_queries():
    three_events()
    with CaptureQueriesContext(connection) as ctx:
        audit_record(action=Action.LOGIN_FAILED, data={"username": "x"})
    # the advisory lock (PostgreSQL only), the head read on the seq index, the insert
    assert len(ctx.captured_queries) == (3 if connection.vendor == "postgresql" else 2)


# --- the verifier ------------------------------------------------------------------------------------------


def run_verifier() -> tuple[int, str]:
    """(exit status, output) of `manage.py verify_audit_chain`: a CommandError is what run_from_argv turns into
    "CommandError: <message>" on stderr and sys.exit(returncode) (run_from_argv itself would close the test's
    database connection)."""
    out = io.StringIO()
    try:
        call_command("verify_audit_chain", stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def test_an_intact_chain_passes():
    three_events()
    head = AuditEvent.objects.order_by("-seq").first().hash
    assert run_verifier() == (0, f"OK: 3 events, head {head}\n")
    assert run_verifier()[0] == 0  # reading changes nothing


def test_an_empty_chain_passes():
    assert run_verifier() == (0, f"OK: 0 events, head {GENESIS_HASH}\n")


def test_editing_an_events_data_is_caught_at_that_event():
    three_events()
    tamper("UPDATE xinyidai_auditevent SET data = %s WHERE seq = 2", ['{"username": "someone else"}'])
    code, output = run_verifier()
    assert code == 1
    assert "BROKEN at seq 2: hash mismatch" in output and "(1 events intact)" in output
    with pytest.raises(CommandError, match="seq 2"):
        call_command("verify_audit_chain")


def test_rewriting_an_events_hash_is_caught_at_the_next_link():
    """An attacker who edits seq 2 and recomputes its hash still breaks seq 3's prev_hash."""
    three_events()
    second = AuditEvent.objects.get(seq=2)
    forged = event_hash({**second.chained_fields(), "data": {"username": "forged"}})
    tamper("UPDATE xinyidai_auditevent SET data = %s, hash = %s WHERE seq = 2", ['{"username": "forged"}', forged])
    code, output = run_verifier()
    assert code == 1 and "BROKEN at seq 3: prev_hash" in output


def test_deleting_an_event_is_caught_as_a_gap():
    three_events()
    tamper("DELETE FROM xinyidai_auditevent WHERE seq = 2")
    code, output = run_verifier()
    assert code == 1 and "BROKEN at seq 3: sequence gap: expected seq 2" in output


def test_deleting_the_first_event_is_caught():
    three_events()
    tamper("DELETE FROM xinyidai_auditevent WHERE seq = 1")
    code, output = run_verifier()
    assert code == 1 and "BROKEN at seq 2" in output


def test_the_walk_is_chunked(monkeypatch):
    from xinyidai.services import audit

    monkeypatch.setattr(audit, "VERIFY_CHUNK", 2)
    three_events()
    audit_record(action=Action.LOGOUT)
    assert audit_chain_verify().count == 4
    tamper("UPDATE xinyidai_auditevent SET ip = '6.6.6.6' WHERE seq = 4")
    assert audit_chain_verify().broken_seq == 4


@pytest.mark.postgres
@pytest.mark.parametrize("sql", ["UPDATE xinyidai_auditevent SET data = '{}'", "DELETE FROM xinyidai_auditevent"])
def test_the_database_refuses_updates_and_deletes(sql):
    three_events()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == 3 and audit_chain_verify().ok


# --- the staff page ----------------------------------------------------------------------------------------


def province_staff() -> User:
    return StaffFactory(region=ProvinceFactory())


def newest_first() -> list[int]:
    return list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True))


@pytest.mark.parametrize("who", ["admin", "province_staff"])
def test_admins_and_province_staff_browse_the_trail(who):
    client = logged_in(AdminFactory() if who == "admin" else province_staff())  # force_login: a login event
    three_events()
    response = client.get(reverse("audit_list"))
    assert response.status_code == 200
    assert [e.seq for e in response.context["page_obj"]] == newest_first() == [4, 3, 2, 1]
    assert reverse("audit_list").encode() in response.content  # the navbar links to it


@pytest.mark.parametrize("who", ["city_staff", "officer", "sme"])
def test_everyone_else_gets_404(who):
    client = logged_in({"city_staff": StaffFactory, "officer": OfficerFactory, "sme": SmeUserFactory}[who]())
    three_events()
    assert client.get(reverse("audit_list")).status_code == 404
    assert client.get(reverse("audit_export")).status_code == 404
    assert reverse("audit_list").encode() not in client.get(reverse("home")).content


def test_anonymous_users_are_sent_to_log_in():
    response = english_client().get(reverse("audit_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert english_client().get(reverse("audit_export")).status_code == 302


def test_filters():
    sme, officer = SmeUserFactory(), OfficerFactory()
    client = logged_in(AdminFactory())  # seq 1: the admin's login
    audit_record(action=Action.LOGIN_FAILED, actor=sme)  # 2
    audit_record(action=Action.LOGIN_FAILED, actor=officer, obj=officer)  # 3
    audit_record(action=Action.LOGOUT, actor=officer)  # 4

    def seqs(**params):
        response = client.get(reverse("audit_list"), params)
        assert response.status_code == 200
        return [e.seq for e in response.context["page_obj"]]

    assert seqs(action="login_failed") == [3, 2]
    assert seqs(actor=officer.username) == [4, 3]
    assert seqs(object_type="xinyidai.user", object_id=str(officer.pk)) == [3]
    today_ = timezone.localdate()
    assert seqs(date_from=today_.isoformat(), date_to=today_.isoformat()) == [4, 3, 2, 1]
    assert seqs(date_to=(today_ - datetime.timedelta(days=1)).isoformat()) == []
    assert seqs(date_from=(today_ + datetime.timedelta(days=1)).isoformat()) == []
    assert seqs(action="no_such_action") == [4, 3, 2, 1]  # an invalid filter is shown as a form error, not applied
    assert client.get(reverse("audit_list"), {"action": "no_such_action"}).context["filter"].errors


def test_pages_follow_the_cursor_newest_first():
    client = logged_in(AdminFactory())  # seq 1
    for _ in range(23):
        audit_record(action=Action.LOGOUT)
    first = client.get(reverse("audit_list")).context["page_obj"]
    assert [e.seq for e in first] == list(range(24, 4, -1)) and first.total == 24
    second = client.get(reverse("audit_list"), {"cursor": first.next_cursor}).context["page_obj"]
    assert [e.seq for e in second] == [4, 3, 2, 1] and not second.has_next


def test_the_page_runs_the_same_queries_for_3_events_and_30():
    client = logged_in(AdminFactory())
    counts = []
    for total in (3, 30):
        while AuditEvent.objects.count() < total:
            audit_record(action=Action.LOGIN, actor=SmeUserFactory(), data={"via": "session"})
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit_list")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_export_streams_the_filtered_events_with_their_hashes():
    client = logged_in(AdminFactory())
    sme = SmeUserFactory()
    audit_record(action=Action.LOGOUT, actor=sme, data={"via": "session"})
    audit_record(action=Action.LOGIN_FAILED, actor=sme)
    response = client.get(reverse("audit_export"), {"action": "logout"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 2
    logout = AuditEvent.objects.get(action="logout")
    assert lines[1].startswith(f"{logout.seq},") and logout.hash in lines[1] and sme.username in lines[1]
    assert '"{""via"":""session""}"' in lines[1]
