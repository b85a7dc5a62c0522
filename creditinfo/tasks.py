"""Thin Celery wrappers around credit-information services; each takes ids, never model instances."""

from celery import shared_task  # noqa: F401
