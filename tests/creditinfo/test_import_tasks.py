"""The import task: inline (the embedded default) and through a real worker and broker (pattern and caveats of
tests/lending/test_tasks.py: a transactional test, the worker thread opens its own connection to the test
database, a queue of its own)."""

import io
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.result import EagerResult

from creditinfo import tasks
from creditinfo.models import CreditRecord, ImportBatch
from creditinfo.services.imports import import_batch_create
from tests.creditinfo.import_utils import csv_bytes, data_source, row
from tests.factories import CountyFactory
from tests.lending.test_tasks import _app_on_broker
from xinyidai.celery import app as celery_app


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def no_recompute(monkeypatch):
    class Fake:
        def delay(self, **kwargs):
            pass

    monkeypatch.setattr(tasks, "evaluations_recompute", Fake(), raising=False)


def _batch(content: bytes) -> ImportBatch:
    CountyFactory()
    source = data_source("samr-penalty")
    return import_batch_create(source=source, fileobj=io.BytesIO(content), name="feed.csv")


EXPECTED = {"status": "done", "created": 2, "updated": 0, "unchanged": 0, "errors": 1}


@pytest.mark.django_db
def test_eager_task_imports_the_batch():
    batch = _batch(csv_bytes([row(), row(source_record_id="B"), row(source_record_id="C", uscc="bad")]))
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        result = tasks.credit_records_import.delay(batch.pk)
        assert isinstance(result, EagerResult)
        assert result.get(timeout=1) == EXPECTED
    finally:
        celery_app.conf.task_always_eager = saved
    assert CreditRecord.objects.count() == 2


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_imports_the_batch(broker_url):
    batch = _batch(csv_bytes([row(), row(source_record_id="B"), row(source_record_id="C", uscc="bad")]))
    queue = f"xinyidai-test-{uuid.uuid4().hex[:12]}"
    import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the worker's start-up check)

    with _app_on_broker(celery_app, broker_url, queue) as app:
        try:
            with start_worker(app, pool="solo", queues=[queue], perform_ping_check=True, shutdown_timeout=20):
                result = tasks.credit_records_import.delay(batch.pk)
                assert not isinstance(result, EagerResult)
                assert result.get(timeout=30) == EXPECTED
                result.forget()
        finally:
            with app.connection_for_write() as connection:
                bound = app.amqp.queues[queue].bind(connection.default_channel)
                bound.declare()
                bound.delete()

    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.error_count) == ("done", 2, 1)
    assert CreditRecord.objects.filter(batch=batch).count() == 2
