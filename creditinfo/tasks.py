"""Thin Celery wrappers around credit-information services; each takes ids, never model instances."""

from celery import shared_task
from django.db import OperationalError

IMPORT_BUSY_RETRIES = 180  # a minute apart: three hours for the attempt that holds the batch to finish


@shared_task(acks_late=True)
def credit_records_expire() -> int:
    """Expire records past their publication window (Celery beat, nightly); returns how many."""
    from creditinfo.services.expiry import credit_records_expire as expire

    return expire()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def credit_report_generate(report_id: int, base_url: str = "") -> str:
    """Render and store a requested credit report's PDF; returns its status. Retried only when the database
    connection drops (a rendering error marks the report failed instead)."""
    from creditinfo.services.reports import report_generate

    return report_generate(report_id=report_id, base_url=base_url).status


@shared_task(acks_late=True)
def evaluations_recompute(batch_id=None, enterprise_ids=None) -> int:
    """Recompute the advisory evaluations of a batch's enterprises, of the given ids, or of all (both None)."""
    from creditinfo.services.evaluations import evaluations_recompute as _recompute

    return _recompute(batch_id=batch_id, enterprise_ids=enterprise_ids)


@shared_task(bind=True, acks_late=True, max_retries=IMPORT_BUSY_RETRIES)
def credit_records_import(self, batch_id: int, recompute: bool = True, chunk_rows: int | None = None) -> dict:
    """Import one departmental file (creditinfo.services.imports); returns the batch's counts. Redelivered after a
    lost worker (acks_late), it resumes after the last committed chunk (`chunk_rows` rows each; default the
    service's); while another worker still holds the batch, it tries again a minute later."""
    from creditinfo.services.imports import ImportBusy
    from creditinfo.services.imports import credit_records_import as _import

    try:
        batch = _import(batch_id=batch_id, recompute=recompute, chunk_rows=chunk_rows)
    except ImportBusy as busy:
        raise self.retry(exc=busy, countdown=60) from busy
    return {
        "status": batch.status,
        "created": batch.created_count,
        "updated": batch.updated_count,
        "unchanged": batch.unchanged_count,
        "errors": batch.error_count,
    }
