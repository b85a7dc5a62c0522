"""Thin Celery wrappers around lending services."""

from celery import shared_task

from lending.services.demands import demand_claims_release_expired as _release


@shared_task(acks_late=True)
def demand_claims_release_expired() -> int:
    """Return demands whose claim deadline passed to the pool (Celery beat, every 15 minutes)."""
    return _release()
