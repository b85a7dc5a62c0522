"""Matchmaking: government-bank-enterprise events, their participants and intents, demand pushes, first-loan leads.

An event (政银企对接会, 金融会客厅, an online session) is organised by government staff for a region. Institutions
and enterprises are invited (or enterprises of the region register themselves when the event is open); staff mark
attendance and record intents (enterprise x institution x amount). Each intent is followed until it is applied for
(linked to the application), disbursed (linked to the loan) or dropped with a reason. Intents feed the dashboard's
rollups (lending.rollups): recorded by the month they were recorded, converted by the month of the loan.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Enterprise
from lending.querysets import EventParticipantQuerySet, IntentQuerySet, MatchmakingEventQuerySet
from xinyidai.models import Industry, Institution, Region

__all__ = [
    "DemandPush",
    "EventParticipant",
    "Intent",
    "IntentDropReason",
    "MatchmakingEvent",
    "OutreachLead",
]

MONEY = {"max_digits": 18, "decimal_places": 2}


class MatchmakingEvent(models.Model):
    """A matchmaking event staff organise for a region, with theme industries."""

    class Kind(models.TextChoices):
        ROADSHOW = "roadshow", _("Government-bank-enterprise roadshow")
        SALON = "salon", _("Finance salon (金融会客厅)")
        ONLINE = "online", _("Online session")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True, help_text=_("Address, or the meeting link."))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    theme_industries = models.ManyToManyField(
        Industry, blank=True, related_name="+", verbose_name=_("theme industry sections")
    )
    open_registration = models.BooleanField(
        _("open registration"),
        default=True,
        help_text=_("Enterprises of the region may register without an invitation."),
    )
    capacity = models.PositiveIntegerField(_("capacity (enterprises)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = MatchmakingEventQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("matchmaking event")
        verbose_name_plural = _("matchmaking events")
        indexes = [models.Index(fields=["region", "-starts_at"]), models.Index(fields=["-starts_at", "-id"])]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after")]

    def __str__(self):
        return self.title


class EventParticipant(models.Model):
    """An institution or an enterprise at an event: invited, registered, attended (or declined / absent)."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        REGISTERED = "registered", _("Registered")
        DECLINED = "declined", _("Declined")
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Did not attend")

    event = models.ForeignKey(MatchmakingEvent, on_delete=models.CASCADE, related_name="participants")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    invited = models.BooleanField(_("invited"), default=False)
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    attended_at = models.DateTimeField(_("attendance recorded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EventParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["event", "id"]
        verbose_name = _("event participant")
        verbose_name_plural = _("event participants")
        indexes = [models.Index(fields=["event", "status"]), models.Index(fields=["enterprise", "event"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=False, institution__isnull=True)
                | Q(enterprise__isnull=True, institution__isnull=False),
                name="participant_one_party",
            ),
            models.UniqueConstraint(
                fields=["event", "enterprise"], condition=Q(enterprise__isnull=False), name="participant_enterprise"
            ),
            models.UniqueConstraint(
                fields=["event", "institution"], condition=Q(institution__isnull=False), name="participant_institution"
            ),
        ]

    def __str__(self):
        return f"{self.event_id} {self.enterprise_id or self.institution_id} {self.status}"


class IntentDropReason(models.TextChoices):
    """Why an intent went no further."""

    NO_NEED = "no_need", _("The enterprise no longer needs the loan")
    NOT_ELIGIBLE = "not_eligible", _("The enterprise does not meet the bank's criteria")
    TERMS = "terms", _("No agreement on amount, rate or term")
    OTHER_FUNDING = "other_funding", _("Financed elsewhere")
    NO_CONTACT = "no_contact", _("The enterprise could not be reached")
    OTHER = "other", _("Other")


class Intent(models.Model):
    """A financing intent recorded at an event (enterprise x institution x amount), followed to its outcome."""

    class Status(models.TextChoices):
        RECORDED = "recorded", _("Recorded")
        CONTACTED = "contacted", _("Contacted")
        APPLIED = "applied", _("Applied")
        DISBURSED = "disbursed", _("Disbursed")
        DROPPED = "dropped", _("Dropped")

    event = models.ForeignKey(MatchmakingEvent, on_delete=models.PROTECT, related_name="intents")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="intents")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="intents")
    product = models.ForeignKey("lending.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(_("intended amount (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECORDED)
    application = models.OneToOneField(
        "lending.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="intent"
    )
    loan = models.OneToOneField("lending.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="intent")
    drop_reason = models.CharField(_("reason dropped"), max_length=16, choices=IntentDropReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    disbursed_at = models.DateTimeField(_("disbursed at"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = IntentQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("intent")
        verbose_name_plural = _("intents")
        indexes = [
            models.Index(fields=["event", "status"]),
            models.Index(fields=["institution", "status", "-recorded_at"]),
            models.Index(fields=["updated_at"], name="intent_updated_at"),  # the rollups' change scan
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="intent_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["applied", "disbursed"]) | Q(application__isnull=False),
                name="intent_applied_has_application",
            ),
            models.CheckConstraint(
                condition=~Q(status="disbursed") | Q(loan__isnull=False), name="intent_disbursed_has_loan"
            ),
            models.CheckConstraint(
                condition=~Q(status="dropped") | Q(drop_reason__gt=""), name="intent_dropped_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.enterprise_id} -> {self.institution_id} {self.amount}"


class DemandPush(models.Model):
    """A demand put in front of one institution: when published, or again when a claim lapsed or was released.

    The institutions are the best-ranked ones whose listed products fit the demand (lending.matching); the pushed
    demand is flagged in their pool and their officers are notified.
    """

    class Reason(models.TextChoices):
        PUBLISHED = "published", _("New demand")
        CLAIM_EXPIRED = "claim_expired", _("Returned to the pool: the claim expired")
        CLAIM_RELEASED = "claim_released", _("Returned to the pool: the claim was released")
        OUTREACH = "outreach", _("First-loan outreach")

    demand = models.ForeignKey("lending.FinancingDemand", on_delete=models.CASCADE, related_name="pushes")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.PositiveSmallIntegerField(_("match score"))
    created_at = models.DateTimeField(_("pushed at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "rank"]
        verbose_name = _("demand push")
        verbose_name_plural = _("demand pushes")
        indexes = [models.Index(fields=["institution", "-created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["demand", "institution", "reason"], name="demand_push_once_per_reason")
        ]

    def __str__(self):
        return f"{self.demand_id} -> {self.institution_id} ({self.reason})"


class OutreachLead(models.Model):
    """A first-loan candidate (no loan on the platform, none attested before) pushed to the banks of its region."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONTACTED = "contacted", _("Contacted")
        CLOSED = "closed", _("Closed")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="outreach_leads")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    pushed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pushed_at = models.DateTimeField(_("pushed at"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    contacted_by = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("contacted by")
    )
    contacted_at = models.DateTimeField(_("contacted at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-pushed_at", "-id"]
        verbose_name = _("first-loan outreach lead")
        verbose_name_plural = _("first-loan outreach leads")
        indexes = [models.Index(fields=["region", "status", "-pushed_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(status__in=["open", "contacted"]), name="outreach_one_open_lead"
            )
        ]

    def __str__(self):
        return f"{self.enterprise_id} ({self.status})"
