"""The nightly expiry: records past publish_until, and negative records 5 years after the event, become expired;
records on the other side of each boundary stay as they are."""

import datetime
from unittest import mock

import pytest
from celery.schedules import crontab
from django.utils import timezone

from creditinfo import tasks
from creditinfo.models import CreditRecord, RecordCategory
from creditinfo.publication import add_months
from creditinfo.services.expiry import credit_records_expire
from tests.factories import CreditRecordFactory, DataSourceFactory, EnterpriseFactory
from xinyidai.celery import app as celery_app

pytestmark = pytest.mark.django_db
S = CreditRecord.Status
DAY = datetime.timedelta(days=1)


@pytest.fixture
def recompute(monkeypatch):
    task = mock.Mock()
    monkeypatch.setattr(tasks, "evaluations_recompute", task, raising=False)
    return task


@pytest.fixture
def today():
    return timezone.localdate()


def status_of(record) -> str:
    record.refresh_from_db()
    return record.status


def test_publish_until_boundary(today):
    ended_yesterday = CreditRecordFactory(publish_until=today - DAY)
    ends_today = CreditRecordFactory(publish_until=today)  # still published today
    disputed_ended = CreditRecordFactory(publish_until=today - DAY, status=S.DISPUTED)
    open_ended = CreditRecordFactory(publish_until=None, category=RecordCategory.HONOUR, severity="")
    assert credit_records_expire(today=today) == 2
    assert status_of(ended_yesterday) == status_of(disputed_ended) == S.EXPIRED
    assert status_of(ends_today) == S.ACTIVE and status_of(open_ended) == S.ACTIVE


def test_negative_records_expire_five_years_after_the_event(today):
    five_years_ago = add_months(today, -60)
    # publish_until left empty, as a feed could send it: the 5-year rule still applies to negative records.
    over = CreditRecordFactory(decision_date=five_years_ago - DAY, publish_until=None, severity="")
    exactly = CreditRecordFactory(decision_date=five_years_ago, publish_until=None, severity="")
    positive_old = CreditRecordFactory(
        decision_date=five_years_ago - DAY, publish_until=None, severity="", category=RecordCategory.HONOUR
    )
    assert credit_records_expire(today=today) == 1
    assert status_of(over) == S.EXPIRED
    assert status_of(exactly) == S.ACTIVE and status_of(positive_old) == S.ACTIVE


def test_leaves_other_statuses_alone(today):
    for status in (S.REPAIRED, S.REMOVED, S.EXPIRED):
        CreditRecordFactory(publish_until=today - DAY, status=status)
    assert credit_records_expire(today=today) == 0
    assert set(CreditRecord.objects.values_list("status", flat=True)) == {S.REPAIRED, S.REMOVED, S.EXPIRED}


def test_chunks_cover_every_row_and_enqueue_each_chunks_enterprises(
    today, recompute, django_capture_on_commit_callbacks
):
    enterprises = [EnterpriseFactory() for _ in range(3)]
    source = DataSourceFactory()
    for i in range(7):
        CreditRecordFactory(enterprise=enterprises[i % 3], source=source, publish_until=today - DAY)
    keep = CreditRecordFactory(enterprise=enterprises[0], publish_until=today + DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert credit_records_expire(today=today, chunk=3) == 7
    assert CreditRecord.objects.filter(status=S.EXPIRED).count() == 7 and status_of(keep) == S.ACTIVE
    assert recompute.delay.call_count == 3  # 3 + 3 + 1 rows
    enqueued = {i for call in recompute.delay.call_args_list for i in call.kwargs["enterprise_ids"]}
    assert enqueued == {e.pk for e in enterprises}
    assert credit_records_expire(today=today) == 0  # idempotent


def test_eager_task_returns_the_count(today):
    CreditRecordFactory(publish_until=today - DAY)
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        assert tasks.credit_records_expire.delay().get(timeout=5) == 1
    finally:
        celery_app.conf.task_always_eager = saved


def test_nightly_beat_entry(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["expire-credit-records"]
    assert entry["task"] == tasks.credit_records_expire.name == "creditinfo.tasks.credit_records_expire"
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == crontab(hour=1, minute=30)
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
