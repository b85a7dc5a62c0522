"""Reads of the core app for a named use (the notification centre)."""

from django.db.models import QuerySet

from xinyidai.models import Notification
from xinyidai.notifications import render

BADGE_CAP = 100  # the navbar shows "99+" from here: counting further would only cost time


def notification_list(*, user, unread: bool = False) -> QuerySet:
    """The user's own notifications, newest first (the (user, -created_at, -id) index); `unread` only those."""
    rows = Notification.objects.filter(user=user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def notifications_with_text(rows) -> list:
    """The rows with `title` and `body` rendered in the active language (no query)."""
    rows = list(rows)
    for row in rows:
        row.title, row.body = render(row.kind, row.params)
    return rows


def unread_notification_count(*, user) -> int:
    """Unread notifications of the user, counted up to BADGE_CAP: one query on the partial index of unread rows."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True)[:BADGE_CAP].count()
