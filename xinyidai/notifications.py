"""Notifications: the one way any service tells a user something (in-app centre, and email).

    notify(users=[...], kind="application_submitted", params={"number": "..."}, url="/applications/1/")

A notification is a `kind` code from KINDS with its `params`; its title and text are rendered in the reader's
language when shown. Services call `notify` inside their transaction: the rows commit with the change they
report, and the email goes out from Celery after the commit (xinyidai.tasks.notification_email_send).
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _  # noqa: F401 (the KINDS entries use it)


@dataclass(frozen=True)
class Kind:
    """A notification kind: title and body with %(name)s placeholders filled from the params."""

    title: Promise
    body: Promise
    email: bool = True  # also sent by email (when the user has an address)


KINDS: dict[str, Kind] = {
    # --- applications and demands (lending.services.applications / demands) ---
    # --- matching: recommendations and demand pushes (lending.services.matching) ---
    # --- matchmaking events, intents and outreach (lending.services.events / outreach) ---
    # --- credit information (creditinfo services) ---
}


def notify(*, users, kind: str, params: dict | None = None, url: str = "") -> list:
    """Notify each of `users` (users or ids, duplicates once); returns the created Notification rows.

    Call it inside the transaction of the change it reports. Emails are sent after the commit, by Celery.
    """
    from xinyidai.models import Notification

    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    user_ids = list(dict.fromkeys(getattr(u, "pk", u) for u in users))
    if not user_ids:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, params=params or {}, url=url) for uid in user_ids]
    )
    if KINDS[kind].email:
        ids = [row.pk for row in rows]
        transaction.on_commit(lambda: _send_email_later(ids))
    return rows


def _send_email_later(ids: list[int]) -> None:
    from xinyidai.tasks import notification_email_send

    notification_email_send.delay(notification_ids=ids)


def render(kind: str, params: dict) -> tuple[str, str]:
    """(title, body) of a notification in the active language; an unknown kind shows its code."""
    spec = KINDS.get(kind)
    if spec is None:
        return kind, ""
    try:
        return str(spec.title) % params, str(spec.body) % params
    except (KeyError, TypeError, ValueError):
        return str(spec.title), ""
