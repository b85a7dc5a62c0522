"""Thin Celery wrappers around lending services."""

import datetime
import logging

from celery import shared_task
from django.db import transaction

from lending import rollups
from lending.models.stats import StatsRefresh
from lending.services import matching
from lending.services.demands import demand_claims_release_expired as _release

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def demand_claims_release_expired() -> int:
    """Return demands whose claim deadline passed to the pool, tell their enterprises and push them to other
    institutions (Celery beat, every 15 minutes)."""
    return _release()


@shared_task(acks_late=True)
def demand_push(demand_id: int, reason: str, excluded=()) -> int:
    """Push a just published or released demand to its best-ranked institutions (lending.services.matching); sent
    after the commit by lending.services.demands. Idempotent per (demand, institution, reason)."""
    with transaction.atomic():
        pushes = matching.demand_push(demand_id=demand_id, reason=reason, exclude_institution_ids=excluded)
    return len(pushes)


@shared_task(acks_late=True)
def applications_flag_overdue() -> int:
    """Tell institutions, once each, about applications past their response deadline (Celery beat, every 15
    minutes)."""
    from lending.services.deadlines import applications_flag_overdue as flag

    return flag()


def _report(result) -> dict:
    return {"kind": result.kind, "cells": result.cells, "months": result.months, "seconds": round(result.seconds, 3)}


@shared_task(acks_late=True)
def stats_refresh(requested_at: str | None = None) -> dict:
    """Incremental rollup refresh (Celery beat every 5 minutes, and after feedback posts and batches).

    `requested_at` (ISO 8601, sent when the feedback committed; the task runs XINYIDAI_STATS_REFRESH_DELAY_SECONDS
    later) debounces the per-feedback requests: when a refresh that started at or after that moment has already
    finished, it saw the feedback, so this one only returns a note. Posts within one window thus cost one
    refresh, not one each."""
    if requested_at:
        since = datetime.datetime.fromisoformat(requested_at)
        done = StatsRefresh.objects.filter(finished_at__isnull=False, started_at__gte=since).order_by("started_at")
        covering = done.values_list("started_at", flat=True).first()
        if covering is not None:
            return {"skipped": f"a refresh started at {covering.isoformat()} already covers {requested_at}"}
    return _report(rollups.stats_refresh())


@shared_task(acks_late=True)
def stats_rebuild() -> dict:
    """Recompute every rollup from the raw tables (Celery beat, nightly at 02:30): picks up what the
    incremental refresh leaves to it, such as an enterprise that moved to another region or size class."""
    return _report(rollups.stats_rebuild())
