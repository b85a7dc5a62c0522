"""Audit-trail receivers for what no service of ours performs: Django's logins, logouts and failed logins,
django-axes lockouts, and changes made in the admin (connected in XinyidaiConfig.ready()).

They only record; no workflow runs here.
"""

import functools

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from xinyidai.services.audit import Action, audit_record

ADMIN_FLAGS = {ADDITION: "add", CHANGE: "change", DELETION: "delete"}


def on_logged_in(sender, request, user, **kwargs):
    audit_record(action=Action.LOGIN, actor=user, request=request, obj=user, data={"via": "session"})


def on_logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit_record(action=Action.LOGOUT, actor=user, request=request, obj=user)


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in `credentials`; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    audit_record(action=Action.LOGIN_FAILED, request=request, data={"username": username})


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(action=Action.LOCKOUT, request=request, data={"username": str(username or "")[:150]})


def admin_entries_record(entries) -> None:
    """One admin_change event per admin log entry (add, change or delete of one object)."""
    users = {}
    for entry in entries:
        if entry.user_id not in users:
            users[entry.user_id] = entry.user
        audit_record(
            action=Action.ADMIN_CHANGE,
            actor=users[entry.user_id],
            obj=(f"{entry.content_type.app_label}.{entry.content_type.model}", entry.object_id or ""),
            data={
                "change": ADMIN_FLAGS.get(entry.action_flag, str(entry.action_flag)),
                "object_repr": entry.object_repr,
                "message": entry.change_message,  # the JSON Django keeps, not its text in one language
                "log_entry_id": entry.pk,
            },
        )


def _audit_log_actions(log_actions):
    """LogEntry.objects.log_actions, recording every entry the admin logs: it saves one entry (post_save would see
    it) but bulk-creates several (the "delete selected" action), which no signal reports."""

    @functools.wraps(log_actions)
    def wrapper(user_id, queryset, action_flag, change_message="", *, single_object=False):
        result = log_actions(user_id, queryset, action_flag, change_message, single_object=single_object)
        admin_entries_record([result] if single_object else list(result))
        return result

    wrapper.audited = True
    return wrapper


def connect() -> None:
    from django.contrib.admin.models import LogEntry

    user_logged_in.connect(on_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")
    # The admin logs through LogEntry.objects.log_actions(). Wrapped on the manager instance, not by a subclass:
    # the manager's class is part of the migration state.
    manager = LogEntry.objects
    if not getattr(manager.log_actions, "audited", False):
        manager.log_actions = _audit_log_actions(manager.log_actions)
