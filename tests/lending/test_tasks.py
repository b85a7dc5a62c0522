"""The Celery task that returns lapsed claims to the pool: inline (eager) and through a real worker and broker.

The worker test runs `celery.contrib.testing.worker.start_worker` in a thread of this process, with the
project's Celery app pointed at the test broker. The test database is shared with that thread because
(1) the test is transactional, so the rows it creates are committed before the task is sent, and
(2) Django's connection settings already name the test database when the worker thread opens its own
connection. Celery's Django fixup closes the worker thread's connection after each task, so nothing is
left holding the test database at teardown. A queue of its own keeps this worker off other runs' tasks.
"""

import datetime
import uuid
from contextlib import contextmanager
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult
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
