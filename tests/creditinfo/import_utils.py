"""Helpers for the import tests: write a feed file in a given encoding and run it through the service."""

import csv
import datetime
import importlib
import io
import json

from django.utils import timezone

from creditinfo.ingest import COLUMNS
from creditinfo.models import DataSource
from creditinfo.services.imports import credit_records_import, import_batch_create
from creditinfo.uscc import uscc_build

TODAY = timezone.localdate()


def uscc(serial: int, division: str = "410105") -> str:
    return uscc_build(division=division, serial=serial)


def row(**overrides) -> dict:
    """A valid penalty row; override any column."""
    values = {
        "source_record_id": "CF-0001",
        "uscc": uscc(9_000_000),
        "enterprise_name": "郑州测试科技有限公司",
        "category": "penalty",
        "decision_date": (TODAY - datetime.timedelta(days=30)).isoformat(),
        "severity": "general",
        "title": "未按规定公示年度报告",
        "authority": "郑州市金水区市场监督管理局",
        "detail": "警告，罚款人民币五千元",
        "publish_until": "",
    }
    values.update(overrides)
    return values


def csv_bytes(rows, *, encoding: str = "utf-8", header=COLUMNS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow([values.get(column, "") for column in header])
    return buffer.getvalue().encode(encoding)


def jsonl_bytes(rows) -> bytes:
    return "".join(json.dumps(values, ensure_ascii=False) + "\n" for values in rows).encode()


def data_source(code: str) -> DataSource:
    """A source the data migration creates, re-created if a transactional test elsewhere flushed the table."""
    migration = importlib.import_module("creditinfo.migrations.0003_standard_sources")
    for known, name, department, category in [*migration.STANDARD_SOURCES, migration.AGGREGATED_SOURCE]:
        if known == code:
            defaults = {"name": name, "department": department, "category": category}
            return DataSource.objects.get_or_create(code=code, defaults=defaults)[0]
    return DataSource.objects.get(code=code)


def run_import(content: bytes, *, source: str = "credit-henan", name: str = "feed.csv", **options):
    """Create a batch for `content` and import it; returns the finished batch."""
    batch = import_batch_create(source=data_source(source), fileobj=io.BytesIO(content), name=name)
    return credit_records_import(batch_id=batch.pk, **options)


def counts(batch) -> tuple[int, int, int, int]:
    return batch.created_count, batch.updated_count, batch.unchanged_count, batch.error_count


def errors_of(batch) -> list[tuple[int, str]]:
    return list(batch.row_errors.order_by("row_number", "id").values_list("row_number", "field"))
