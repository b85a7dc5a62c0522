"""Ingestion of departmental credit-record files (README: "Credit record interchange format").

The file is streamed: rows are validated in Python a chunk at a time, and each chunk is written and
committed on its own, with the batch's progress, so memory stays flat and the batch page can follow along.
On PostgreSQL a chunk goes through COPY into a temporary staging table with no index, then set-based SQL
creates skeleton enterprises for unknown USCCs and upserts the records in one INSERT ... ON CONFLICT; elsewhere
(SQLite: `make run`) the same chunk goes through ORM bulk operations with the same results. Chunks commit with
synchronous_commit off: a server crash may lose the last chunks' commits, never part of one, and re-running the
batch restores them (the import is idempotent); the batch's final status is committed normally.

A row is written whole or not at all: it is either in its chunk's writes or in ImportRowError.
Re-importing is idempotent: records are keyed by (source, source_record_id) and an unchanged content hash
means no write at all. A re-import changes a record's content, never the platform's decision about it:
disputed, repaired and removed records keep their status (a repaired record is not published again);
only an expired record whose new window includes today becomes active again.
"""

import csv
import gc
import io
import logging
import os
import queue
import sys
import threading
import time
from contextlib import contextmanager
from typing import NamedTuple

from django.core.files import File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditinfo.forms import region_for_uscc
from creditinfo.ingest import FileError
from creditinfo.ingest.readers import RecordReader, detect_encoding, detect_format
from creditinfo.ingest.validation import VALUE_MAX, RowValidator, ValidRow
from creditinfo.models import CreditRecord, DataSource, Enterprise, ImportBatch, ImportRowError
from xinyidai.errors import DomainError
from xinyidai.models import Region
from xinyidai.services.audit import Action, audit_record

logger = logging.getLogger("creditinfo.imports")

CHUNK_ROWS = 25_000  # PostgreSQL: one COPY + upsert + commit per chunk; three chunks live at most (writer thread)
ORM_CHUNK_ROWS = 2_000  # SQLite's bound-parameter limits and the ORM's per-object cost
PROVINCE_CODE = "410000"  # skeletons whose USCC names no known city or county are filed under the province


def import_batch_create(
    *, source: DataSource, fileobj, name: str, uploaded_by=None, file_format: str = ""
) -> ImportBatch:
    """Store a copy of the file (the batch keeps what it imported) and create its pending batch."""
    batch = ImportBatch(source=source, original_name=os.path.basename(name)[:200], uploaded_by=uploaded_by)
    batch.file_format = file_format
    fileobj.seek(0)
    batch.file.save(os.path.basename(name) or "records.csv", File(fileobj), save=False)
    batch.bytes_total = batch.file.size
    batch.save()
    audit_record(
        action=Action.CREDIT_IMPORT,
        actor=uploaded_by,
        obj=batch,
        data={"stage": "uploaded", "source": source.code, "file": batch.original_name, "bytes": batch.bytes_total},
    )
    return batch


def import_batch_enqueue(*, batch: ImportBatch) -> None:
    """Run the import task once the batch row is committed."""
    from creditinfo.tasks import credit_records_import as task

    transaction.on_commit(lambda: task.delay(batch.id))


def credit_records_import(
    *, batch_id: int, recompute: bool = True, chunk_rows: int | None = None, use_copy: bool | None = None
) -> ImportBatch:
    """Run one import batch to the end (idempotent: a finished batch is left alone, a re-run resumes it).

    `recompute=False` skips the re-evaluation of the affected enterprises (a bulk first load followed by
    `recompute_evaluations` for all)."""
    with _batch_claimed(batch_id) as claimed:
        if not claimed:
            raise ImportBusy(batch_id)
        return _import(batch_id, recompute=recompute, chunk_rows=chunk_rows, use_copy=use_copy)


class ImportBusy(Exception):
    """Another session holds the batch: a redelivery while the first attempt is alive (a run longer than the broker's
    visibility timeout), or before the server has ended a killed worker's session. The task retries later."""


def _import(batch_id: int, *, recompute: bool, chunk_rows: int | None, use_copy: bool | None) -> ImportBatch:
    batch = _batch_start(batch_id)
    if batch is None:
        return ImportBatch.objects.get(pk=batch_id)
    use_copy = connection.vendor == "postgresql" if use_copy is None else use_copy
    try:
        with batch.file.open("rb") as raw:
            batch.encoding = detect_encoding(raw)
            batch.file_format = batch.file_format or detect_format(raw)
            ImportBatch.objects.filter(pk=batch.pk).update(encoding=batch.encoding, file_format=batch.file_format)
            reader = RecordReader(raw, encoding=batch.encoding, file_format=batch.file_format)
            # A writer thread needs its own connection, which sees only committed rows: not inside a transaction.
            if use_copy and not connection.in_atomic_block:
                writer = ThreadedWriter(batch)
            else:
                writer = DirectWriter(batch, (CopyLoader if use_copy else OrmLoader)(batch))
            try:
                _run(batch, reader, writer, chunk_rows or (CHUNK_ROWS if use_copy else ORM_CHUNK_ROWS))
            finally:
                writer.close()
    except (FileError, DomainError) as error:
        return _batch_fail(batch, str(error.message))
    except Exception as error:
        _batch_fail(batch, f"{type(error).__name__}: {error}")
        raise
    return _batch_finish(batch, recompute=recompute)


# Session-level advisory lock keys of import batches: this prefix ("XYDI") in the high 32 bits, the batch id below.
IMPORT_LOCK_BASE = 0x58594449 << 32


@contextmanager
def _batch_claimed(batch_id: int):
    """PostgreSQL: hold an advisory lock on the batch while importing it; yields False when another session holds
    it. The server releases the lock when its holder's connection ends, so a worker killed mid-file (whose task the
    broker redelivers, acks_late) does not block the next attempt for long, while a live one never runs twice."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = IMPORT_LOCK_BASE + batch_id
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
            except DatabaseError:  # the connection is gone, and the lock went with it
                logger.warning("batch %s: could not release its import lock", batch_id, exc_info=True)


def _batch_start(batch_id: int) -> ImportBatch | None:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("source").get(pk=batch_id)
        if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.FAILED):
            return None
        if batch.status == ImportBatch.Status.RUNNING:
            # A redelivered task (the worker was lost mid-file): each chunk committed its rows, its row errors and
            # the batch's counters together, so the batch resumes after `rows_read` with its counts as they are.
            logger.warning("batch %s: resuming after row %s", batch.pk, batch.rows_read)
            return batch
        batch.status = ImportBatch.Status.RUNNING
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "started_at"])
    return batch


def _run(batch: ImportBatch, reader: RecordReader, writer, chunk_rows: int) -> None:
    started = time.perf_counter()
    # Nothing here makes reference cycles, and the collector's passes over a chunk's rows cost a third of the time.
    gc.disable()
    # The reading thread validates in pure Python and would hold the GIL for the default 5 ms slices; the writer
    # thread needs it only briefly between PostgreSQL round trips, so hand it over sooner.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        _rows(batch, reader, writer, chunk_rows)
        writer.close()
    finally:
        sys.setswitchinterval(switch_interval)
        gc.enable()
    timings = writer.timings
    timings["total"] = time.perf_counter() - started
    logger.info("batch %s timings: %s", batch.pk, timings)


def _rows(batch: ImportBatch, reader: RecordReader, writer, chunk_rows: int) -> None:
    validator = RowValidator(source_category=batch.source.category, today=timezone.localdate())
    valid, errors, rows = [], [], 0
    done = batch.rows_read  # rows an earlier attempt committed (a resumed batch): read again only for their ids
    # The ids the file already delivered, as 64-bit hashes (a million ids in ~50 MB rather than ~90 MB of strings,
    # and no round trip to the database): a later row with one of them is a duplicate. Two different ids share a
    # hash with a chance of about 1 in 10^7 for a file of a million rows; that row would be listed as an error,
    # never silently dropped, and a re-import of it alone goes through.
    seen: set[int] = set()
    for row_number, values, problem in reader:
        if done:
            done -= 1
            if problem is None and (row := validator.validate(row_number, values)[0]) is not None:
                seen.add(hash(row.source_record_id))
            continue
        rows += 1
        if problem is not None:
            errors.append((row_number, [(problem[0], problem[1], "")]))
        else:
            row, row_errors = validator.validate(row_number, values)
            if row is None:
                errors.append((row_number, row_errors))
            elif (key := hash(row.source_record_id)) in seen:
                errors.append((row_number, [_duplicate_error(row.source_record_id)]))
            else:
                seen.add(key)
                valid.append(row)
        if rows >= chunk_rows:
            writer.put(valid, errors, rows, reader.bytes_read)
            valid, errors, rows = [], [], 0
    writer.put(valid, errors, rows, batch.bytes_total)


class DirectWriter:
    """Writes each chunk as it comes, on this thread's connection."""

    def __init__(self, batch: ImportBatch, loader):
        self.batch, self.loader = batch, loader
        self.timings = loader.timings
        self.closed = False

    def put(self, valid, errors, rows, bytes_read) -> None:
        _chunk(self.batch, self.loader, valid, errors, rows, bytes_read)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.loader.close()


class ThreadedWriter:
    """Writes chunks on a thread of its own (and its own connection) while this one reads and validates the next:
    PostgreSQL works on one core, Python on the other. At most one chunk waits, so memory stays bounded."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.timings = Timings()
        self.closed = False
        self.thread = threading.Thread(target=self._work, name=f"import-{batch.pk}-writer", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            loader = CopyLoader(self.batch)
            try:
                while (chunk := self.queue.get()) is not None:
                    _chunk(self.batch, loader, *chunk)
            finally:
                loader.close()
                self.timings.update(loader.timings)
        except BaseException as error:  # handed to the reading thread, which raises it
            self.error = error
            while self.queue.get() is not None:  # let the reader finish putting
                pass
        finally:
            connection.close()

    def put(self, valid, errors, rows, bytes_read) -> None:
        if self.error is not None:
            raise self.error
        # Format the COPY text here, on the reading thread, which waits for the writer most of the time: the
        # writer thread then only sends bytes (and releases the GIL while PostgreSQL works).
        with self.timings.add("formatting"):
            valid = PreparedRows.of(valid)
        with self.timings.add("waiting for the writer"):
            self.queue.put((valid, errors, rows, bytes_read))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _chunk(batch: ImportBatch, loader, valid: list[ValidRow], errors: list, rows: int, bytes_read: int) -> None:
    """Write one chunk and the batch's progress in one transaction."""
    with loader.timings.add("write"), transaction.atomic():
        created, updated, unchanged = loader.apply(valid, errors)
        error_rows = [
            ImportRowError(batch=batch, row_number=n, field=field, message=message[:255], value=value[:VALUE_MAX])
            for n, row_errors in sorted(errors)
            for field, message, value in row_errors
        ]
        ImportRowError.objects.bulk_create(error_rows, batch_size=1000)
        batch.rows_read += rows
        batch.bytes_read = bytes_read
        batch.created_count += created
        batch.updated_count += updated
        batch.unchanged_count += unchanged
        batch.error_count += len(errors)
        ImportBatch.objects.filter(pk=batch.pk).update(
            rows_read=batch.rows_read,
            bytes_read=batch.bytes_read,
            created_count=batch.created_count,
            updated_count=batch.updated_count,
            unchanged_count=batch.unchanged_count,
            error_count=batch.error_count,
        )
    logger.info(
        "batch %s: %s rows, %s created, %s updated, %s unchanged, %s errors",
        batch.pk,
        batch.rows_read,
        batch.created_count,
        batch.updated_count,
        batch.unchanged_count,
        batch.error_count,
    )


def _duplicate_error(source_record_id: str) -> tuple[str, str, str]:
    message = _("This source_record_id already appeared in an earlier row of the file; only the first is imported.")
    return ("source_record_id", message, source_record_id)


def _batch_fail(batch: ImportBatch, failure: str) -> ImportBatch:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED, failure=failure, finished_at=timezone.now()
    )
    audit_record(action=Action.CREDIT_IMPORT, obj=batch, data={"stage": "failed", "failure": failure[:500]})
    batch.refresh_from_db()
    logger.warning("batch %s failed: %s", batch.pk, failure)
    return batch


def _batch_finish(batch: ImportBatch, *, recompute: bool) -> ImportBatch:
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportBatch.Status.DONE, bytes_read=batch.bytes_total, finished_at=timezone.now()
        )
        if recompute and (batch.created_count or batch.updated_count):
            _enqueue_recompute(batch.pk)
        counts = {key: getattr(batch, f"{key}_count") for key in ("created", "updated", "unchanged", "error")}
        audit_record(action=Action.CREDIT_IMPORT, obj=batch, data={"stage": "done", **counts})
    batch.refresh_from_db()
    return batch


def _enqueue_recompute(batch_id: int) -> None:
    """Re-evaluate the enterprises whose records this batch created or changed (records carry batch=this)."""
    from creditinfo import tasks

    task = getattr(tasks, "evaluations_recompute", None)
    if task is not None:  # the evaluation task may not be deployed yet
        transaction.on_commit(lambda: task.delay(batch_id=batch_id))


def province_region_id() -> int:
    region_id = Region.objects.filter(code=PROVINCE_CODE).values_list("id", flat=True).first()
    if region_id is None:
        raise DomainError(code="no_reference_data", message=_("Load the reference data first (regions)."))
    return region_id


# The record fields a row carries (besides its source, id and enterprise), as named in the staging table.
CONTENT_COLUMNS = (
    "category",
    "decision_date",
    "severity",
    "title",
    "authority",
    "detail",
    "publish_until",
    "content_hash",
)


class Timings(dict):
    """Seconds spent per step of an import, logged at the end (where the time goes, for the benchmark)."""

    @contextmanager
    def add(self, step: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self[step] = self.get(step, 0.0) + time.perf_counter() - started

    def __str__(self):
        return ", ".join(f"{step} {seconds:.2f} s" for step, seconds in self.items())


class PreparedRows(NamedTuple):
    """A chunk's valid rows as COPY text (CSV), ready for CopyLoader.apply."""

    count: int
    text: str

    @classmethod
    def of(cls, rows: list[ValidRow]) -> "PreparedRows":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return cls(len(rows), buffer.getvalue())


class CopyLoader:
    """PostgreSQL: COPY the chunk into an unindexed temporary table, then set-based SQL."""

    STAGE_COLUMNS = ValidRow._fields

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.stage = f"xyd_import_stage_{batch.pk}"
        self.province_id = province_region_id()
        self.timings = Timings()
        with connection.cursor() as cursor:
            cursor.execute(
                f"""CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} (
                    row_number integer, source_record_id text, uscc text, enterprise_name text, category text,
                    decision_date date, severity text, title text, authority text, detail text,
                    publish_until date, content_hash text)"""
            )
            cursor.execute(f"TRUNCATE {self.stage}")

    def close(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.stage}")

    def apply(self, rows: "list[ValidRow] | PreparedRows", errors: list) -> tuple[int, int, int]:
        prepared = rows if isinstance(rows, PreparedRows) else PreparedRows.of(rows)
        count = prepared.count
        if not count:
            return 0, 0, 0
        timed = self.timings.add
        with connection.cursor() as cursor:
            with timed("copy"):
                cursor.execute("SET LOCAL synchronous_commit TO OFF")  # see the module docstring
                cursor.execute(f"TRUNCATE {self.stage}")
                with cursor.copy(self._copy_sql()) as copy:
                    copy.write(prepared.text)
                del prepared
            with timed("analyze"):
                # Temporary tables get no statistics otherwise; a small sample is enough to pick the joins.
                cursor.execute("SET LOCAL default_statistics_target = 10")
                cursor.execute(f"ANALYZE {self.stage}")
            # Resolve USCCs by probing the enterprise table's unique index row by row: with statistics saying the
            # chunk is small, the planner still prefers to hash the whole enterprise table (a million rows) for
            # every chunk, which measured 954 ms a 25,000-row upsert at province scale against 544 ms probing.
            cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")
            with timed("skeletons"):
                cursor.execute(self._skeleton_sql(), {"province": self.province_id, "now": timezone.now()})
            params = {
                "source": self.batch.source_id,
                "batch": self.batch.pk,
                "now": timezone.now(),
                "today": timezone.localdate(),
            }
            with timed("upsert"):
                cursor.execute(self._upsert_sql(), params)
                created, updated = cursor.fetchone()
        unchanged = count - created - updated
        return created, updated, unchanged

    def _skeleton_sql(self) -> str:
        # Region as creditinfo.forms.region_for_uscc finds it: the county of the code's division, else its city.
        return f"""
            INSERT INTO creditinfo_enterprise (uscc, name, legal_representative, region_id, industry_id, employees,
                revenue, assets, size_class, size_standard_version, address, contact_phone, is_skeleton, created_at)
            SELECT DISTINCT ON (s.uscc) s.uscc, COALESCE(NULLIF(s.enterprise_name, ''), s.uscc), '',
                COALESCE(county.id, city.id, %(province)s), NULL, 0, 0, 0, '', '', '', '', true, %(now)s
            FROM {self.stage} s
            LEFT JOIN xinyidai_region county
                ON county.code = substr(s.uscc, 3, 6) AND county.level IN ('city', 'county')
            LEFT JOIN xinyidai_region city
                ON city.code = substr(s.uscc, 3, 4) || '00' AND city.level IN ('city', 'county')
            WHERE NOT EXISTS (SELECT 1 FROM creditinfo_enterprise e WHERE e.uscc = s.uscc)
            ORDER BY s.uscc, s.row_number
            ON CONFLICT (uscc) DO NOTHING"""  # noqa: S608 - only our table name; values are bound parameters  # nosec B608

    def _copy_sql(self) -> str:
        # CSV COPY formats in C (csv.writer); FORCE_NOT_NULL keeps empty text as '' (only the dates may be NULL).
        texts = ", ".join(c for c in self.STAGE_COLUMNS if c not in ("row_number", "decision_date", "publish_until"))
        return (
            f"COPY {self.stage} ({', '.join(self.STAGE_COLUMNS)}) FROM STDIN "
            f"WITH (FORMAT csv, FORCE_NOT_NULL ({texts}))"
        )

    def _upsert_sql(self) -> str:
        # One statement: new ids are inserted, changed content updated (the platform's statuses stay, see the module
        # docstring), unchanged rows not written at all. (An UPDATE of the changed plus an INSERT ... WHERE NOT
        # EXISTS of the new ones measured a quarter slower: two probes of the unique index per row instead of one.)
        sets = ", ".join(f"{column} = EXCLUDED.{column}" for column in ("enterprise_id", *CONTENT_COLUMNS))
        columns = ", ".join(CONTENT_COLUMNS)
        values = ", ".join(f"s.{column}" for column in CONTENT_COLUMNS)
        return f"""
            WITH upserted AS (
                INSERT INTO creditinfo_creditrecord AS r (source_id, source_record_id, enterprise_id, {columns},
                    status, batch_id, created_at, updated_at)
                SELECT %(source)s, s.source_record_id, e.id, {values}, 'active', %(batch)s, %(now)s, %(now)s
                FROM {self.stage} s JOIN creditinfo_enterprise e ON e.uscc = s.uscc
                ON CONFLICT (source_id, source_record_id) DO UPDATE
                SET {sets}, batch_id = EXCLUDED.batch_id, updated_at = EXCLUDED.updated_at,
                    status = CASE WHEN r.status = 'expired'
                                   AND (EXCLUDED.publish_until IS NULL OR EXCLUDED.publish_until >= %(today)s)
                                  THEN 'active' ELSE r.status END
                WHERE r.content_hash IS DISTINCT FROM EXCLUDED.content_hash
                RETURNING (r.xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
        """  # noqa: S608 - only our table name; values are bound parameters  # nosec B608


class OrmLoader:
    """Any database (SQLite for `make run`): the same results through ORM bulk operations."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.province_id = province_region_id()
        self.timings = Timings()

    def close(self) -> None:
        pass

    def apply(self, rows: list[ValidRow], errors: list) -> tuple[int, int, int]:
        fresh = rows  # duplicates within the file were refused while reading
        if not fresh:
            return 0, 0, 0
        enterprise_ids = self._enterprise_ids(fresh)
        existing = {
            r.source_record_id: r
            for r in CreditRecord.objects.filter(
                source_id=self.batch.source_id, source_record_id__in=[row.source_record_id for row in fresh]
            ).only("id", "source_record_id", "content_hash", "status")
        }
        now, today = timezone.now(), timezone.localdate()
        new, changed = [], []
        for row in fresh:
            record = existing.get(row.source_record_id)
            if record is None:
                record = CreditRecord(
                    source_id=self.batch.source_id,
                    source_record_id=row.source_record_id,
                    created_at=now,
                    status=CreditRecord.Status.ACTIVE,
                )
                new.append(record)
            elif record.content_hash == row.content_hash:
                continue
            else:
                changed.append(record)
                window_open = not row.publish_until or row.publish_until >= today
                if record.status == CreditRecord.Status.EXPIRED and window_open:
                    record.status = CreditRecord.Status.ACTIVE
            self._fill(record, row, enterprise_ids[row.uscc], now)
        CreditRecord.objects.bulk_create(new, batch_size=500)
        CreditRecord.objects.bulk_update(changed, fields=[*self.CONTENT, "status"], batch_size=500)
        return len(new), len(changed), len(fresh) - len(new) - len(changed)

    CONTENT = (
        "enterprise_id",
        "category",
        "decision_date",
        "severity",
        "title",
        "authority",
        "detail",
        "publish_until",
        "content_hash",
        "batch_id",
        "updated_at",
    )

    def _fill(self, record: CreditRecord, row: ValidRow, enterprise_id: int, now) -> None:
        record.enterprise_id = enterprise_id
        for field in (
            "category",
            "decision_date",
            "severity",
            "title",
            "authority",
            "detail",
            "publish_until",
            "content_hash",
        ):
            setattr(record, field, getattr(row, field))
        record.batch_id = self.batch.pk
        record.updated_at = now

    def _enterprise_ids(self, rows: list[ValidRow]) -> dict[str, int]:
        usccs = {row.uscc for row in rows}
        found = dict(Enterprise.objects.filter(uscc__in=usccs).values_list("uscc", "id"))
        missing = {}
        for row in rows:  # the first row naming an unknown code names its skeleton
            if row.uscc not in found and row.uscc not in missing:
                region = region_for_uscc(row.uscc)
                missing[row.uscc] = Enterprise(
                    uscc=row.uscc,
                    name=row.enterprise_name or row.uscc,
                    is_skeleton=True,
                    industry=None,
                    region_id=region.pk if region else self.province_id,
                    created_at=timezone.now(),
                )
        if missing:
            Enterprise.objects.bulk_create(missing.values(), ignore_conflicts=True, batch_size=500)
            found.update(Enterprise.objects.filter(uscc__in=missing).values_list("uscc", "id"))
        return found
