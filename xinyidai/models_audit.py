"""The tamper-evident audit trail: an append-only, hash-chained log of security-relevant actions.

Each event stores a snapshot of who acted (id, username, role, institution, region: deleting or changing the
user later changes nothing here), what was done to which object, and the SHA-256 of a canonical serialisation
of all that plus the previous event's hash. Editing, inserting or deleting a row anywhere but at the head breaks
the chain, which `manage.py verify_audit_chain` walks. On PostgreSQL a trigger also refuses UPDATE and DELETE
(migration 0003): it stops accidents and ordinary code; someone with the database superuser can switch it off,
and the chain catches that. Cutting events off the head leaves a valid shorter chain: compare the head hash the
command prints with one recorded elsewhere (e.g. in the daily report) to catch that too.
"""

import datetime
import hashlib
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The whole trail for platform admins and province-level government staff; nothing for anyone else."""
        if audit_viewer(user):
            return self
        return self.none()


def audit_viewer(user) -> bool:
    """Who may browse the trail: platform admins and the province's own staff (not city or county staff, whose
    actors' events would need a region filter the trail cannot apply to anonymous and system events)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_platform_admin:
        return True
    return user.is_gov_staff and user.region_id is not None and user.region.parent_id is None


class AuditEvent(models.Model):
    """One security-relevant action; `hash` chains it to the event before it (append-only)."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logged out")
        LOCKOUT = "lockout", _("Locked out")
        PROFILE_VIEW = "profile_view", _("Credit information viewed")
        AUTHORIZATION_GRANTED = "authorization_granted", _("Authorization granted")
        AUTHORIZATION_REVOKED = "authorization_revoked", _("Authorization revoked")
        APPLICATION_TRANSITION = "application_transition", _("Application status changed")
        CREDIT_IMPORT = "credit_import", _("Credit record import")
        FEEDBACK = "feedback", _("Loan feedback")
        FEEDBACK_BATCH = "feedback_batch", _("Loan feedback file")
        OBJECTION_RESOLVED = "objection_resolved", _("Objection resolved")
        REPAIR_DECIDED = "repair_decided", _("Credit repair decided")
        ADMIN_CHANGE = "admin_change", _("Administration change")

    seq = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    # No database constraint and no cascade: deleting a user must neither fail on nor rewrite its events.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_role = models.CharField(_("role"), max_length=16, blank=True)
    actor_institution_id = models.BigIntegerField(_("institution"), null=True, blank=True)
    actor_region_id = models.BigIntegerField(_("region"), null=True, blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["action", "-seq"], name="audit_action_seq"),
            models.Index(fields=["actor_username", "-seq"], name="audit_actor_seq"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["occurred_at"], name="audit_occurred_at"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action}"

    @property
    def actor_role_label(self) -> str:
        from xinyidai.models import User

        return User.Role(self.actor_role).label if self.actor_role in User.Role.values else self.actor_role

    @property
    def data_text(self) -> str:
        return canonical_json(self.data)

    def compute_hash(self) -> str:
        return event_hash(self.chained_fields())

    def chained_fields(self) -> dict:
        """Every stored field but the row id and the hash itself: what the hash covers."""
        return {name: getattr(self, name) for name in CHAINED_FIELDS}


CHAINED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_username",
    "actor_role",
    "actor_institution_id",
    "actor_region_id",
    "ip",
    "action",
    "object_type",
    "object_id",
    "data",
    "prev_hash",
)


def canonical_json(value) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 kept, Decimal/date/UUID as DjangoJSONEncoder writes."""
    return json.dumps(value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def normalise_data(data) -> dict:
    """`data` as it reads back from the JSON column (Decimals, dates and floats as strings: a float may come back
    from jsonb's numeric in another form), so that the hash computed at append time equals the one recomputed
    from the stored row."""
    return json.loads(canonical_json(_no_floats(data or {})))


def _no_floats(value):
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return {str(key): _no_floats(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_no_floats(item) for item in value]
    return value


def event_hash(fields: dict) -> str:
    """SHA-256 (hex) of the canonical serialisation of an event's chained fields."""
    occurred_at = fields["occurred_at"]
    values = {**fields, "occurred_at": occurred_at.astimezone(datetime.UTC).isoformat(timespec="microseconds")}
    return hashlib.sha256(canonical_json(values).encode("utf-8")).hexdigest()
