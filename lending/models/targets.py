"""Targets the province and its cities set for the platform's figures (DOMAIN.md §4: data, never constants)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinyidai.models import Region

__all__ = ["Target", "TargetMetric"]

TARGET_VALUE = {"max_digits": 18, "decimal_places": 2}  # yuan for amounts, a whole number for counts


class TargetMetric(models.TextChoices):
    """Figures a target can be set on; each is a key of lending.selectors_stats.summary()."""

    BALANCE = "balance", _("Loan balance (yuan)")
    CREDIT_LOAN_BALANCE = "credit_loan_balance", _("Credit-loan balance (yuan)")
    GRANTED_AMOUNT = "granted_amount", _("Credit granted (yuan)")
    DISBURSED_AMOUNT = "disbursed_amount", _("Amount disbursed (yuan)")
    NEW_FIRST_LOAN_CUSTOMERS = "new_first_loan_customers", _("New first-loan customers (enterprises)")
    REGISTERED_ENTERPRISES = "registered_enterprises", _("Registered enterprises")


COUNT_METRICS = frozenset({TargetMetric.NEW_FIRST_LOAN_CUSTOMERS, TargetMetric.REGISTERED_ENTERPRISES})


class TargetQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see the targets of their region and below; platform admins all; others none."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_gov_staff:
            return self.filter(user.region.subtree_q("region"))
        return self.none()


class Target(models.Model):
    """A value a region's figure should reach by a deadline.

    Stocks (balances, registered enterprises) are compared as they stand on the day; flows (granted,
    disbursed, new first-loan customers) count from the platform's start up to the day.
    """

    metric = models.CharField(_("metric"), max_length=32, choices=TargetMetric.choices)
    value = models.DecimalField(_("target value"), **TARGET_VALUE)
    deadline = models.DateField(_("deadline"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
        help_text=_("Empty for targets seeded from the provincial plan."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = TargetQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "metric", "id"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        indexes = [models.Index(fields=["region", "deadline"], name="target_region_deadline")]
        constraints = [models.CheckConstraint(condition=Q(value__gt=0), name="target_value_positive")]

    def __str__(self):
        return f"{self.get_metric_display()} {self.value} ({self.deadline:%Y-%m-%d})"

    @property
    def is_count(self) -> bool:
        return self.metric in COUNT_METRICS
