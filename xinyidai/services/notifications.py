"""Writes on notifications: email sending and marking read."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from xinyidai.models import Notification
from xinyidai.notifications import render


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Email each not-yet-emailed notification to its user's address, in Chinese (the platform's language).

    Each row is locked and stamped in its own transaction, so a retried task never sends one twice.
    """
    sent = 0
    for pk in notification_ids:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if row is None or not row.user.email:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                title, body = render(row.kind, row.params)
            link = f"{settings.PUBLIC_BASE_URL}{row.url}" if row.url else ""
            send_mail(title, "\n\n".join(p for p in (body, link) if p), None, [row.user.email])
            row.emailed_at = timezone.now()
            row.save(update_fields=["emailed_at"])
            sent += 1
    return sent


def notification_mark_read(*, notification_id: int, user) -> Notification:
    """Mark one of the user's own notifications read (once: the first reading time is kept); others' are 404."""
    from django.http import Http404

    row = Notification.objects.filter(pk=notification_id, user=user).first()
    if row is None:
        raise Http404("No such notification")
    if row.read_at is None:
        row.read_at = timezone.now()
        Notification.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=row.read_at)
    return row


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
