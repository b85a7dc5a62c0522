"""A real Celery worker is killed (SIGKILL) in the middle of a credit-record import; the broker redelivers the task to
a second worker, which completes the import with no duplicate and no lost row (issue 7, failure).

How: the test commits a 50,000-row batch (transactional test, so the workers see it) and starts
`celery -A xinyidai worker --pool=solo` as a subprocess on a queue of its own, with DATABASE_URL naming the test
database and tests/security/worker_settings.py (a visibility timeout of 3 s). It sends the import task once, polls
the batch's progress until a few chunks are committed, and kills the worker. The message was acknowledged late
(acks_late), so it stays in the Redis transport's "unacked" set; the second worker, finding it older than the
visibility timeout, puts it back in the queue and runs it: real redelivery, the test never sends it again. The
second attempt resumes after the committed chunks (creditinfo.services.imports).
"""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from creditinfo.models import CreditRecord, ImportBatch, ImportRowError
from creditinfo.services.imports import import_batch_create
from tests.creditinfo.import_utils import csv_bytes, data_source, row, uscc
from tests.factories import CountyFactory

ROWS = 50_000
CHUNK = 1_000  # rows per committed chunk: fine-grained progress to kill in the middle of
BAD_USCC = range(996, ROWS, 997)  # indexes of rows with an invalid code: row errors on both sides of the kill
# (index, id of an earlier row): a duplicate just after the start, and two long after any kill point that repeat
# ids from before it; the resumed attempt must still recognize them, from ids it did not write itself.
DUPLICATES = {(2_500, "K-000010"), (45_000, "K-000020"), (49_999, "K-030000")}
DEADLINE = 60  # seconds for each wait below (a loaded CI machine), far above what they take


def _feed() -> tuple[bytes, set[str]]:
    rows = [row(source_record_id=f"K-{i:06d}", uscc=uscc(9_000_000 + i % 500)) for i in range(ROWS)]
    for i in BAD_USCC:
        rows[i]["uscc"] = "not-a-code"
    for i, earlier in DUPLICATES:
        rows[i]["source_record_id"] = earlier
        rows[i]["detail"] = "重复行：不得覆盖先前的记录"
    refused = set(BAD_USCC) | {i for i, _earlier in DUPLICATES}
    return csv_bytes(rows), {r["source_record_id"] for i, r in enumerate(rows) if i not in refused}


def _database_url() -> str:
    db = connection.settings_dict  # at test time NAME is the test database's
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{db['NAME']}"


class Worker:
    """`celery worker` in a subprocess, its output in a log file."""

    def __init__(self, name: str, queue: str, env: dict, log: Path):
        self.log = log
        celery = Path(sys.executable).with_name("celery")
        command = [
            str(celery),
            "-A",
            "xinyidai",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-n",
            f"{name}@%h",
            "-l",
            "info",
        ]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                command, cwd=django_settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait(condition, what: str, worker: Worker):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if (value := condition()) is not None:
            return value
        assert worker.process.poll() is None, f"the worker exited while waiting for {what}:\n{worker.output()[-3000:]}"
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}:\n{worker.output()[-3000:]}")


def _progress(batch_id: int) -> tuple[str, int]:
    return ImportBatch.objects.filter(pk=batch_id).values_list("status", "rows_read").get()


@pytest.mark.celery_worker
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_loses_and_duplicates_nothing(broker_url, tmp_path, settings):
    CountyFactory()  # 金水区, 郑州市 and the province: the regions of the skeleton enterprises
    content, valid = _feed()
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media  # where the batch's copy of the file goes; the workers read it there
    queue = f"xinyidai-kill-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.security.worker_settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "XINYIDAI_TEST_MEDIA_ROOT": str(media),
        "XINYIDAI_TEST_VISIBILITY_TIMEOUT": "3",
        "PYTHONPATH": str(django_settings.BASE_DIR),
    }
    sender = Celery("kill-test", broker=broker_url)
    workers = []
    try:
        batch = import_batch_create(source=data_source("samr-penalty"), fileobj=io.BytesIO(content), name="kill.csv")
        first = Worker("kill-first", queue, env, tmp_path / "first.log")
        workers.append(first)
        sent = sender.send_task(
            "creditinfo.tasks.credit_records_import",
            args=[batch.pk],
            kwargs={"recompute": False, "chunk_rows": CHUNK},
            queue=queue,
        )

        # WHEN the first worker has committed a few chunks, it is killed outright.
        _wait(lambda: True if _progress(batch.pk)[1] >= 5 * CHUNK else None, "the first chunks", first)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait()
        time.sleep(0.5)  # a chunk whose COMMIT was already on its way lands now or never
        status, killed_at = _progress(batch.pk)
        written = CreditRecord.objects.count()
        assert status == ImportBatch.Status.RUNNING and 5 * CHUNK <= killed_at < ROWS, (status, killed_at)
        assert 0 < written < len(valid)

        # THEN a second worker gets the same message back from the broker and completes the batch.
        second = Worker("kill-second", queue, env, tmp_path / "second.log")
        workers.append(second)
        done = (ImportBatch.Status.DONE, ImportBatch.Status.FAILED)
        _wait(lambda: True if _progress(batch.pk)[0] in done else None, "the redelivered import", second)
        log = second.output()
        assert f"credit_records_import[{sent.id}] received" in log, log[-3000:]
        assert f"resuming after row {killed_at}" in log, log[-3000:]
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.stop()
        sender.close()
        broker = redis.Redis.from_url(broker_url)  # the queue and kombu's binding keys for it
        broker.delete(queue, *broker.scan_iter(match=f"_kombu.binding*.{queue}"))

    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.failure
    records = CreditRecord.objects.filter(source=batch.source)
    ids = list(records.values_list("source_record_id", flat=True))
    assert len(ids) == len(set(ids)) == len(valid) and set(ids) == valid  # no duplicate, no lost row
    assert not records.filter(detail="重复行：不得覆盖先前的记录").exists()  # duplicates never overwrote
    assert batch.rows_read == ROWS
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (len(valid), 0, 0)
    assert batch.created_count + batch.updated_count + batch.unchanged_count == len(valid)
    refused = len(BAD_USCC) + len(DUPLICATES)
    assert batch.error_count == refused == ImportRowError.objects.filter(batch=batch).count()  # none twice
