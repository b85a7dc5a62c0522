"""Every Celery task is safe to run twice (issue 7, failure).

Tasks are acknowledged late (CELERY_TASK_ACKS_LATE, REJECT_ON_WORKER_LOST): a worker lost mid-task has its message
redelivered, so any task may run again after a partial or even a complete first run. Each test below runs one
task kind twice through Celery (`Task.apply`, the worker's code path without a broker) and shows that the second
run adds nothing: no second email, notification, file, record, evaluation or statistics row. The import, the one
task long enough to be killed in the middle, is also interrupted mid-file here (a BaseException, as a lost worker
leaves things) and then resumed; tests/security/test_worker_kill.py does the same with a real worker and SIGKILL.
"""

import datetime
import io
from decimal import Decimal

import psycopg
import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.utils import timezone

from creditinfo import tasks as credit_tasks
from creditinfo.models import CreditRecord, CreditReport, Evaluation, ImportBatch, ImportRowError
from creditinfo.services import imports, reports
from creditinfo.services.imports import import_batch_create
from lending import tasks as lending_tasks
from lending.models import Application, DemandClaim, DemandPush, FinancingDemand
from lending.models.stats import StatsCell, StatsRollup
from tests.creditinfo.import_utils import csv_bytes, data_source, row, uscc
from tests.factories import (
    ApplicationFactory,
    CountyFactory,
    CreditRecordFactory,
    CreditReportFactory,
    DemandClaimFactory,
    EnterpriseFactory,
    OfficerFactory,
    SmeUserFactory,
)
from xinyidai import tasks as core_tasks
from xinyidai.models import Notification
from xinyidai.notifications import notify


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def recompute(monkeypatch):
    """Stands in for the evaluation task (its own idempotency is tested below): records what it was asked."""

    class FakeTask:
        calls: list = []

        def delay(self, **kwargs):
            self.calls.append(kwargs)

    fake = FakeTask()
    monkeypatch.setattr(credit_tasks, "evaluations_recompute", fake, raising=False)
    return fake


def twice(task, **kwargs) -> tuple:
    """Run a task as a worker would, twice (the second run is the redelivery); returns both results."""
    return task.apply(kwargs=kwargs).get(), task.apply(kwargs=kwargs).get()


# --- notifications and emails -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_task_run_twice_sends_each_email_once():
    sme = SmeUserFactory(email="cfo@example.com")
    rows = notify(users=[sme], kind="application_accepted", params={"number": "XYD1", "institution": "某银行"})
    ids = [row.pk for row in rows]
    assert twice(core_tasks.notification_email_send, notification_ids=ids) == (1, 0)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["cfo@example.com"]
    assert Notification.objects.get(pk=ids[0]).emailed_at is not None


# --- credit information ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_expiry_run_twice_expires_and_reevaluates_once(recompute, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    lapsed = CreditRecordFactory(publish_until=today - datetime.timedelta(days=1))
    live = CreditRecordFactory(publish_until=today + datetime.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert twice(credit_tasks.credit_records_expire) == (1, 0)
    lapsed.refresh_from_db()
    live.refresh_from_db()
    assert (lapsed.status, live.status) == (CreditRecord.Status.EXPIRED, CreditRecord.Status.ACTIVE)
    assert recompute.calls == [{"enterprise_ids": [lapsed.enterprise_id]}]


@pytest.mark.django_db
def test_report_generation_run_twice_stores_one_pdf_and_tells_once(monkeypatch, settings):
    renders = []
    monkeypatch.setattr(reports, "report_render", lambda **kwargs: renders.append(1) or b"%PDF-1.4 test")
    sme = SmeUserFactory()
    report = CreditReportFactory(enterprise=sme.membership.enterprise, requested_by=sme)
    assert twice(credit_tasks.credit_report_generate, report_id=report.pk) == ("ready", "ready")
    report.refresh_from_db()
    assert report.status == CreditReport.Status.READY and len(renders) == 1
    assert Notification.objects.filter(kind="credit_report_ready").count() == 1
    assert [path.name for path in settings.MEDIA_ROOT.rglob("*.pdf")] == [f"{report.number}.pdf"]


@pytest.mark.django_db
def test_evaluation_recompute_run_twice_keeps_one_evaluation_per_enterprise():
    troubled, clean = EnterpriseFactory(), EnterpriseFactory()
    CreditRecordFactory(enterprise=troubled, severity="serious")
    ids = [troubled.pk, clean.pk]
    assert twice(credit_tasks.evaluations_recompute, enterprise_ids=ids) == (2, 2)
    first = dict(Evaluation.objects.values_list("enterprise_id", "score"))
    assert twice(credit_tasks.evaluations_recompute, enterprise_ids=ids) == (2, 2)
    assert dict(Evaluation.objects.values_list("enterprise_id", "score")) == first
    assert Evaluation.objects.count() == 2 and first[troubled.pk] < first[clean.pk]


# --- the import: interrupted mid-file, then redelivered ------------------------------------------------------


class WorkerLost(BaseException):
    """What a killed worker leaves behind: the call stops dead, no `except Exception` handler runs."""


ROWS = 20
CHUNK = 4


def _feed() -> tuple[ImportBatch, set[str]]:
    """A batch of ROWS rows: 18 valid, one invalid USCC (row 8) and one duplicate id (row 15, of row 3)."""
    CountyFactory()
    rows = [row(source_record_id=f"K-{i:03d}", uscc=uscc(9_000_000 + i % 3)) for i in range(ROWS)]
    rows[6]["uscc"] = "bad"
    rows[13]["source_record_id"] = "K-001"
    content = csv_bytes(rows)
    batch = import_batch_create(source=data_source("samr-penalty"), fileobj=io.BytesIO(content), name="feed.csv")
    valid = {r["source_record_id"] for i, r in enumerate(rows) if i not in (6, 13)}
    return batch, valid


def _lose_worker_at(monkeypatch, *, chunk: int) -> None:
    """The worker dies as it is about to commit the `chunk`-th chunk (1-based): the earlier ones are committed."""
    real, calls = imports._chunk, []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == chunk:
            raise WorkerLost
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "_chunk", dying)


def _assert_complete(batch: ImportBatch, valid: set[str]) -> None:
    batch.refresh_from_db()
    records = CreditRecord.objects.filter(source=batch.source)
    assert sorted(records.values_list("source_record_id", flat=True)) == sorted(valid)  # none lost, none twice
    assert batch.status == ImportBatch.Status.DONE and batch.rows_read == ROWS
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (len(valid), 0, 0)
    assert batch.error_count == 2
    assert sorted(ImportRowError.objects.filter(batch=batch).values_list("row_number", "field")) == [
        (8, "uscc"),
        (15, "source_record_id"),
    ]
    assert set(records.values_list("batch_id", flat=True)) == {batch.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_an_import_lost_mid_file_resumes_without_duplicates_or_double_counts(
    use_copy, on_postgres, monkeypatch, recompute, django_capture_on_commit_callbacks
):
    if use_copy and not on_postgres:
        pytest.skip("COPY needs PostgreSQL")
    batch, valid = _feed()
    _lose_worker_at(monkeypatch, chunk=3)
    with pytest.raises(WorkerLost):
        imports.credit_records_import(batch_id=batch.pk, chunk_rows=CHUNK, use_copy=use_copy)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.RUNNING and batch.rows_read == 2 * CHUNK
    assert CreditRecord.objects.count() == 2 * CHUNK - 1  # row 8 of the second chunk is an error
    monkeypatch.undo()
    monkeypatch.setattr(credit_tasks, "evaluations_recompute", recompute, raising=False)

    with django_capture_on_commit_callbacks(execute=True):
        redelivered = imports.credit_records_import(batch_id=batch.pk, chunk_rows=CHUNK, use_copy=use_copy)
    assert redelivered.status == ImportBatch.Status.DONE
    _assert_complete(batch, valid)
    assert recompute.calls == [{"batch_id": batch.pk}]
    # A third delivery of a finished batch is a no-op.
    again = credit_tasks.credit_records_import.apply(args=[batch.pk], kwargs={"chunk_rows": CHUNK}).get()
    assert again == {"status": "done", "created": len(valid), "updated": 0, "unchanged": 0, "errors": 2}
    _assert_complete(batch, valid)


@pytest.mark.django_db
def test_an_import_lost_after_its_last_chunk_still_finishes_and_reevaluates(
    monkeypatch, recompute, django_capture_on_commit_callbacks
):
    """GIVEN every chunk committed but the worker lost before the batch was marked done WHEN the task is
    redelivered THEN it finishes the batch with the first attempt's counts and asks for the re-evaluation
    (a restart from zero would count every row unchanged and ask for none)."""
    batch, valid = _feed()
    real = imports._batch_finish

    def lost(*args, **kwargs):
        raise WorkerLost

    monkeypatch.setattr(imports, "_batch_finish", lost)
    with pytest.raises(WorkerLost):
        imports.credit_records_import(batch_id=batch.pk, chunk_rows=CHUNK)
    monkeypatch.setattr(imports, "_batch_finish", real)
    with django_capture_on_commit_callbacks(execute=True):
        result = credit_tasks.credit_records_import.apply(args=[batch.pk], kwargs={"chunk_rows": CHUNK}).get()
    assert result["created"] == len(valid) and result["status"] == "done"
    _assert_complete(batch, valid)
    assert recompute.calls == [{"batch_id": batch.pk}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_redelivery_while_the_first_attempt_holds_the_batch_retries_later(recompute, monkeypatch):
    """GIVEN another session holds the batch's import lock (the first attempt, still running: the broker redelivers
    a message unacknowledged past its visibility timeout) WHEN the task runs THEN it writes nothing and asks Celery
    to try again in a minute; once the lock is free the import runs."""
    batch, valid = _feed()
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or None
    )
    retries = []

    def retry(**kwargs):
        retries.append(kwargs)
        return Retry()

    monkeypatch.setattr(credit_tasks.credit_records_import, "retry", retry)
    key = imports.IMPORT_LOCK_BASE + batch.pk
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [key])
        result = credit_tasks.credit_records_import.apply(args=[batch.pk], kwargs={"chunk_rows": CHUNK}, throw=False)
        assert result.state == "RETRY" and CreditRecord.objects.count() == 0
        assert [(type(r["exc"]), r["countdown"]) for r in retries] == [(imports.ImportBusy, 60)]
        assert ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PENDING
        other.execute("SELECT pg_advisory_unlock(%s)", [key])  # the first attempt ends (or its connection does)
    finally:
        other.close()
    credit_tasks.credit_records_import.apply(args=[batch.pk], kwargs={"chunk_rows": CHUNK}).get()
    _assert_complete(batch, valid)


# --- lending ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_release_run_twice_reopens_tells_and_pushes_once(monkeypatch):
    pushes = []
    monkeypatch.setattr(
        "lending.services.matching.demand_push", lambda **kwargs: pushes.append(kwargs["demand_id"]) or []
    )
    claim = DemandClaimFactory(deadline=timezone.now() - datetime.timedelta(minutes=1))
    sme = SmeUserFactory(enterprise=claim.demand.enterprise)
    assert twice(lending_tasks.demand_claims_release_expired) == (1, 0)
    claim.refresh_from_db()
    assert claim.status == DemandClaim.Status.EXPIRED
    assert FinancingDemand.objects.get(pk=claim.demand_id).status == FinancingDemand.Status.OPEN
    assert Notification.objects.filter(user=sme, kind="demand_claim_expired").count() == 1
    assert Notification.objects.filter(user=claim.officer, kind="claim_lapsed").count() == 1
    assert pushes == [claim.demand_id] and DemandPush.objects.filter(demand=claim.demand).count() == 0


@pytest.mark.django_db
def test_overdue_flagging_run_twice_tells_the_institution_once():
    application = ApplicationFactory(respond_by=timezone.now() - datetime.timedelta(hours=1))
    officer = OfficerFactory(institution=application.institution)
    assert twice(lending_tasks.applications_flag_overdue) == (1, 0)
    assert Notification.objects.filter(user=officer, kind="application_overdue").count() == 1
    assert Application.objects.get(pk=application.pk).overdue_notified_at is not None


def _figures() -> tuple[list, list]:
    """Every statistics row's content (a rebuild may re-insert rows under new ids)."""

    def rows(model):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        return sorted(map(repr, model.objects.order_by().values_list(*fields)))

    return rows(StatsCell), rows(StatsRollup)


@pytest.mark.postgres
@pytest.mark.django_db
def test_statistics_refresh_and_rebuild_run_twice_count_each_loan_once():
    from tests.lending.feedback_support import make_bank, make_loan

    loan = make_loan(make_bank(), principal=Decimal("1000000.00"))
    province = loan.enterprise.region.parent.parent
    rebuilt = twice(lending_tasks.stats_rebuild)
    assert [r["kind"] for r in rebuilt] == ["full", "full"] and rebuilt[0]["cells"] == rebuilt[1]["cells"] > 0
    after_rebuild = _figures()
    assert StatsRollup.objects.filter(region=province, dim="").exclude(live_loans=0).exists()
    twice(lending_tasks.stats_refresh)
    assert _figures() == after_rebuild
    live = StatsRollup.objects.filter(region=province, dim="").order_by("-month").first()
    assert (live.live_loans, live.balance) == (1, Decimal("1000000.00"))
