"""Bank feedback on loans: repayments, monthly balances, write-offs and closures; CSV batches; API idempotency.

The loan's `outstanding_balance` stays the one current stock (DOMAIN.md §4); these rows are the feedback it is
derived from: the latest monthly snapshot less the repayments dated after that month (services/feedback.py).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinyidai.models import Institution

MONEY = {"max_digits": 18, "decimal_places": 2}

__all__ = ["BalanceSnapshot", "FeedbackBatch", "FeedbackRowError", "IdempotencyRecord", "LoanEvent", "Repayment"]


class FeedbackBatch(models.Model):
    """One CSV file of bank feedback uploaded by an officer: its counts and row errors."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="feedback_batches", verbose_name=_("institution")
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DONE)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    applied_count = models.PositiveIntegerField(_("applied"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("feedback batch")
        verbose_name_plural = _("feedback batches")
        indexes = [models.Index(fields=["institution", "-created_at", "-id"], name="feedback_batch_inst_recent")]

    def __str__(self):
        return f"#{self.pk} {self.original_name}"


class FeedbackRowError(models.Model):
    """A row of a feedback file that was refused: which row, which field, why. The row changed nothing."""

    batch = models.ForeignKey(FeedbackBatch, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=32, blank=True)
    message = models.CharField(_("message"), max_length=255)
    value = models.CharField(_("value"), max_length=255, blank=True)

    class Meta:
        ordering = ["batch", "row_number", "id"]
        verbose_name = _("feedback row error")
        verbose_name_plural = _("feedback row errors")

    def __str__(self):
        return f"{self.row_number}: {self.message}"


class Repayment(models.Model):
    """A principal repayment (with its interest) the bank reports; its reference is unique per loan."""

    loan = models.ForeignKey("lending.Loan", on_delete=models.PROTECT, related_name="repayments")
    paid_on = models.DateField(_("repayment date"))
    principal_amount = models.DecimalField(_("principal repaid (yuan)"), **MONEY)
    interest = models.DecimalField(_("interest (yuan)"), default=0, **MONEY)
    reference = models.CharField(_("bank reference"), max_length=64)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        FeedbackBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="repayments"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        indexes = [models.Index(fields=["loan", "-paid_on", "-id"], name="repayment_loan_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(principal_amount__gt=0), name="repayment_principal_positive"),
            models.CheckConstraint(condition=Q(interest__gte=0), name="repayment_interest_not_negative"),
            models.UniqueConstraint(fields=["loan", "reference"], name="repayment_reference_unique_per_loan"),
        ]

    def __str__(self):
        return f"{self.loan_id} {self.paid_on} {self.principal_amount}"


class BalanceSnapshot(models.Model):
    """The loan's outstanding balance at the end of a month, as the bank reports it (one per loan and month)."""

    loan = models.ForeignKey("lending.Loan", on_delete=models.PROTECT, related_name="balance_snapshots")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    balance = models.DecimalField(_("outstanding balance (yuan)"), **MONEY)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        FeedbackBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="balance_snapshots"
    )
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["-month", "-id"]
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        constraints = [
            # The upper bound (the loan's principal) lives in another table; the service checks it under the lock.
            models.CheckConstraint(condition=Q(balance__gte=0), name="snapshot_balance_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="snapshot_month_first_day"),
            models.UniqueConstraint(fields=["loan", "month"], name="snapshot_unique_per_loan_month"),
        ]

    def __str__(self):
        return f"{self.loan_id} {self.month:%Y-%m} {self.balance}"


class LoanEvent(models.Model):
    """One piece of feedback applied to a loan, with the balance it left; append-only audit trail."""

    class Kind(models.TextChoices):
        REPAYMENT = "repayment", _("Repayment")
        BALANCE = "balance", _("Monthly balance")
        WRITE_OFF = "write_off", _("Write-off")
        CLOSURE = "closure", _("Closure")

    loan = models.ForeignKey("lending.Loan", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    amount = models.DecimalField(_("amount (yuan)"), null=True, blank=True, **MONEY)
    on_date = models.DateField(_("date"))
    balance_after = models.DecimalField(_("balance after (yuan)"), **MONEY)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(FeedbackBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("loan event")
        verbose_name_plural = _("loan events")
        indexes = [models.Index(fields=["created_at"], name="loan_event_created_at")]  # the rollups' change scan

    def __str__(self):
        return f"{self.loan_id} {self.kind}"


class IdempotencyRecord(models.Model):
    """An API write under an `Idempotency-Key`: claimed in flight first, then its stored response is replayed."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("In flight")
        DONE = "done", _("Done")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request body SHA-256"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self):
        return f"{self.user_id} {self.key} {self.state}"
