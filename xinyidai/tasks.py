"""Thin Celery wrappers around core services."""

from celery import shared_task


@shared_task(acks_late=True)
def notification_email_send(*, notification_ids: list[int]) -> int:
    """Email the given notifications to their users (each at most once); returns how many were sent."""
    from xinyidai.services.notifications import notification_emails_send

    return notification_emails_send(notification_ids=notification_ids)
