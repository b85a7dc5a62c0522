"""The Celery task that returns lapsed claims to the pool: inline (eager) and through a real worker and broker.

The worker test runs `celery.contrib.testing.worker.start_worker` in a thread of this process, with the
project's Celery app pointed at the test broker. The test database is shared with that thread because
(1) the test is transactional, so the rows it creates are committed before the task is sent, and
(2) Django's connection settings already name the test database when the worker thread opens its own
connection. Celery's Django fixup closes the worker thread's connection after each task, so nothing is
left holding the test database at teardown. A queue of its own keeps this worker off other runs' tasks.
"""

import datetime
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
from django.conf import settings
from django.utils import timezone

from lending import tasks
from lending.models import DemandClaim, FinancingDemand
from lending.services.demands import demand_claim, demand_publish
from xinyidai.celery import app as celery_app


def _lapsed_claim(world):
    """A demand claimed by A-ZZ whose working-day deadline has passed; the rows still say active/claimed."""
    demand = demand_publish(
        user=world.sme1, amount=Decimal("300000"), term_months=6, purpose="备货", guarantee_modes=["04"]
    )
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    DemandClaim.objects.filter(pk=claim.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    live_demand = demand_publish(
        user=world.sme2, amount=Decimal("500000"), term_months=12, purpose="扩产", guarantee_modes=["03"]
    )
    live_claim = demand_claim(demand_id=live_demand.pk, officer=world.officer(world.a_ly))
    return demand, claim, live_demand, live_claim


def _assert_released(demand, claim, live_demand, live_claim):
    demand.refresh_from_db()
    claim.refresh_from_db()
    live_demand.refresh_from_db()
    live_claim.refresh_from_db()
    assert (demand.status, claim.status) == (FinancingDemand.Status.OPEN, DemandClaim.Status.EXPIRED)
    assert claim.closed_at is not None
    assert (live_demand.status, live_claim.status) == (FinancingDemand.Status.CLAIMED, DemandClaim.Status.ACTIVE)


@pytest.mark.django_db
def test_eager_task_releases_lapsed_claims(world):
    rows = _lapsed_claim(world)
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the embedded default (no broker): tasks run inline
    try:
        result = tasks.demand_claims_release_expired.delay()
        assert isinstance(result, EagerResult)
        assert result.get(timeout=1) == 1
        _assert_released(*rows)
        assert tasks.demand_claims_release_expired.delay().get(timeout=1) == 0  # idempotent
    finally:
        celery_app.conf.task_always_eager = saved


def test_the_test_settings_run_tasks_inline_without_a_broker(settings):
    if settings.CELERY_BROKER_URL:
        pytest.skip("CELERY_BROKER_URL is set in this environment")
    assert settings.CELERY_TASK_ALWAYS_EAGER and celery_app.conf.task_always_eager


def test_task_is_registered_under_the_beat_schedules_name(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["release-expired-demand-claims"]
    assert entry["task"] == tasks.demand_claims_release_expired.name == "lending.tasks.demand_claims_release_expired"
    assert entry["task"] in celery_app.tasks


@contextmanager
def _app_on_broker(app, broker_url: str, queue: str):
    """Point the project's Celery app at a real broker for one test, then put everything back."""
    keys = ("broker_url", "result_backend", "task_always_eager", "task_default_queue", "worker_hijack_root_logger")
    saved = {key: app.conf[key] for key in keys}

    def forget_connections():
        # The producer pool and the result backend are cached on first use; drop them so the new URLs apply.
        app._pool = None
        amqp = app.__dict__.get("amqp")
        if amqp is not None:
            amqp._producer_pool = None
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)

    forget_connections()
    app.conf.update(
        broker_url=broker_url,
        result_backend=broker_url,
        task_always_eager=False,
        task_default_queue=queue,
        worker_hijack_root_logger=False,  # leave pytest's log capture alone
    )
    try:
        yield app
    finally:
        app.conf.update(saved)
        forget_connections()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_releases_lapsed_claims(world, broker_url):
    rows = _lapsed_claim(world)
    queue = f"xinyidai-test-{uuid.uuid4().hex[:12]}"
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start-up check)

    with _app_on_broker(celery_app, broker_url, queue) as app:
        try:
            with start_worker(app, pool="solo", queues=[queue], perform_ping_check=True, shutdown_timeout=20):
                result = tasks.demand_claims_release_expired.delay()
                assert not isinstance(result, EagerResult)  # sent through the broker, run by the worker thread
                assert result.get(timeout=20) == 1
                assert result.state == "SUCCESS"
                result.forget()
        finally:
            # Leave nothing behind in the broker: declaring first tells this channel the queue's bindings,
            # which delete() then removes along with the queue.
            with app.connection_for_write() as connection:
                bound = app.amqp.queues[queue].bind(connection.default_channel)
                bound.declare()
                bound.delete()

    _assert_released(*rows)


# --- statistics rollups -------------------------------------------------------------------------------------


def test_stats_tasks_are_in_the_beat_schedule(settings):
    refresh = settings.CELERY_BEAT_SCHEDULE["refresh-statistics"]
    assert refresh["task"] == tasks.stats_refresh.name == "lending.tasks.stats_refresh"
    assert refresh["schedule"] == 5 * 60 and refresh["options"]["expires"] <= 5 * 60  # a stale run is dropped
    rebuild = settings.CELERY_BEAT_SCHEDULE["rebuild-statistics"]
    assert rebuild["task"] == tasks.stats_rebuild.name == "lending.tasks.stats_rebuild"
    nightly = rebuild["schedule"]
    assert (nightly.hour, nightly.minute, nightly.day_of_week) == ({2}, {30}, set(range(7)))
    assert {refresh["task"], rebuild["task"]} <= set(celery_app.tasks)


def _balance(region) -> Decimal:
    from lending.selectors_stats import summary

    return summary(region=region)["balance"]


def _repay(loan, officer, amount: str, reference: str):
    from lending.services.feedback import repayment_record

    return repayment_record(
        loan_id=loan.pk, officer=officer, paid_on=timezone.localdate(), principal_amount=Decimal(amount),
        reference=reference,
    )  # fmt: skip


@pytest.fixture
def lent(db):
    """A bank, and its live loan of 1,000,000 disbursed over a year ago (tests/lending/feedback_support.py)."""
    from tests.lending.feedback_support import make_bank, make_loan

    bank = make_bank()
    return bank, make_loan(bank)


@pytest.mark.postgres
@pytest.mark.django_db
def test_stats_refresh_skips_a_request_that_a_later_refresh_already_covered(lent):
    from lending.models.stats import StatsRefresh
    from lending.rollups import stats_rebuild

    bank, loan = lent
    province = loan.enterprise.region.parent.parent
    requested = timezone.now()
    stats_rebuild()  # started after the request: it saw everything committed before it
    assert _balance(province) == Decimal("1000000.00")
    _repay(loan, bank.officer, "100000", "R-1")

    note = tasks.stats_refresh.apply(kwargs={"requested_at": requested.isoformat()}).get()
    assert set(note) == {"skipped"} and requested.isoformat() in note["skipped"]
    assert StatsRefresh.objects.count() == 1 and _balance(province) == Decimal("1000000.00")  # nothing ran

    after = tasks.stats_refresh.apply(kwargs={"requested_at": timezone.now().isoformat()}).get()
    assert after["kind"] == "incremental" and after["cells"] == 1 and after["months"] >= 1
    assert StatsRefresh.objects.count() == 2 and _balance(province) == Decimal("900000.00")

    beat = tasks.stats_refresh.apply().get()  # the beat sends no request time: it always refreshes
    assert beat["kind"] == "incremental" and StatsRefresh.objects.count() == 3
    full = tasks.stats_rebuild.apply().get()
    assert full["kind"] == "full" and full["cells"] >= 1 and _balance(province) == Decimal("900000.00")


@pytest.mark.django_db
def test_feedback_asks_for_one_refresh_with_the_commit_time(lent, monkeypatch, django_capture_on_commit_callbacks):
    bank, loan = lent
    sent = []
    monkeypatch.setattr(tasks.stats_refresh, "apply_async", lambda kwargs, countdown: sent.append((kwargs, countdown)))
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _repay(loan, bank.officer, "1", "R-1")
    assert len(callbacks) == 1 and len(sent) == 1
    kwargs, countdown = sent[0]
    assert before <= datetime.datetime.fromisoformat(kwargs["requested_at"]) <= timezone.now()
    assert countdown == settings.XINYIDAI_STATS_REFRESH_DELAY_SECONDS == 30  # posts within 30 s share a refresh


@pytest.mark.django_db
def test_a_feedback_batch_asks_for_one_refresh_and_an_empty_one_for_none(
    lent, monkeypatch, django_capture_on_commit_callbacks
):
    import io

    from lending.services.feedback_import import feedback_batch_import

    bank, loan = lent
    sent = []
    monkeypatch.setattr(tasks.stats_refresh, "apply_async", lambda kwargs, countdown: sent.append((kwargs, countdown)))
    rows = "".join(f"{loan.contract_number},repayment,{timezone.localdate()},1.00,TX-{i}\n" for i in range(5))
    header = "contract_number,kind,date,amount,reference\n"
    with django_capture_on_commit_callbacks(execute=True):
        batch = feedback_batch_import(fileobj=io.BytesIO((header + rows).encode()), name="a.csv", officer=bank.officer)
    assert batch.applied_count == 5 and len(sent) == 1
    with django_capture_on_commit_callbacks(execute=True):
        bad = f"{loan.contract_number},repayment,{timezone.localdate()},-1,TX-X\n"
        batch = feedback_batch_import(fileobj=io.BytesIO((header + bad).encode()), name="b.csv", officer=bank.officer)
    assert batch.applied_count == 0 and len(sent) == 1


@pytest.mark.django_db
def test_a_broker_failure_does_not_fail_the_feedback(lent, monkeypatch, django_capture_on_commit_callbacks):
    bank, loan = lent

    def broken(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.stats_refresh, "apply_async", broken)
    with django_capture_on_commit_callbacks(execute=True):
        repayment = _repay(loan, bank.officer, "1", "R-1")
    assert repayment.pk and loan.repayments.count() == 1


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_refreshes_the_rollups_after_a_repayment_commits(lent, broker_url, settings):
    """A repayment commits, its on_commit hook sends stats_refresh to the broker, a real worker runs it: the
    balance the dashboard reads falls without anyone loading a page."""
    from lending.models.stats import StatsRefresh
    from lending.rollups import stats_rebuild

    bank, loan = lent
    province = loan.enterprise.region.parent.parent
    stats_rebuild()
    settings.XINYIDAI_STATS_REFRESH_DELAY_SECONDS = 1  # the task is sent with a countdown (30 s by default)
    queue = f"xinyidai-test-{uuid.uuid4().hex[:12]}"
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start-up check)

    with _app_on_broker(celery_app, broker_url, queue) as app:
        try:
            with start_worker(app, pool="solo", queues=[queue], perform_ping_check=True, shutdown_timeout=20):
                committed = timezone.now()
                _repay(loan, bank.officer, "250000", "R-1")  # its own transaction: committed on return
                deadline = time.monotonic() + 20
                while not StatsRefresh.objects.filter(started_at__gte=committed, finished_at__isnull=False).exists():
                    assert time.monotonic() < deadline, "no refresh ran within 20 s of the commit"
                    time.sleep(0.1)
        finally:
            with app.connection_for_write() as connection:
                bound = app.amqp.queues[queue].bind(connection.default_channel)
                bound.declare()
                bound.delete()

    refresh = StatsRefresh.objects.order_by("-started_at").first()
    assert refresh.kind == StatsRefresh.Kind.INCREMENTAL and refresh.cells == 1
    assert _balance(province) == Decimal("750000.00")


@pytest.mark.postgres
@pytest.mark.django_db
def test_stats_refresh_command_prints_what_it_did(lent):
    import io
    import re

    from django.core.management import call_command

    def run(*args) -> tuple[str, int, int]:
        out = io.StringIO()
        call_command("stats_refresh", *args, stdout=out)
        found = re.fullmatch(r"(\w+) refresh: ([\d,]+) cells, ([\d,]+) months, [\d.]+ s\n", out.getvalue())
        assert found, out.getvalue()
        return found[1], int(found[2].replace(",", "")), int(found[3].replace(",", ""))

    kind, cells, months = run()  # no refresh yet: a full one
    assert kind == "full" and cells == 1 and months >= 13  # one firm cell; the loan was disbursed 400 days ago
    assert run()[0] == "incremental"
    assert run("--full")[0] == "full"
