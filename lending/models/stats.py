"""Statistics rollups: the dashboard's figures by month, refreshed incrementally (lending/rollups.py).

Two tables. `StatsCell` is the leaf: one row per month, *firm cell* (the enterprise's region, industry section
and size class: every enterprise is in exactly one) and breakdown (`dim`, `key`: all loans, or one bank, one
branch, one product type, one guarantee mode). Because firm cells partition the enterprises, distinct-firm
counts add up exactly over regions, sections and size classes, which is what lets the refresh recompute only
the cells feedback touched. `StatsRollup` is what the dashboard reads: the leaf summed for every region at
every level (county, city, province), with the breakdowns by bank, branch, product type, guarantee mode,
industry section and size class; a dashboard query reads a few dozen rows by primary-key order.

Stocks (`balance`, `credit_loan_balance`, `live_loans`, `borrowers`) stand at the month's end (the current
month: now). Everything else is a flow of that month; cumulative figures are sums over months. Matchmaking
intents count in the month they were recorded; an intent converts in the month its loan was disbursed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from xinyidai.models import Region

__all__ = ["StatsCell", "StatsDay", "StatsDim", "StatsRefresh", "StatsRollup"]

MONEY = {"max_digits": 20, "decimal_places": 2, "default": 0}


class StatsDim(models.TextChoices):
    """What a rollup row is broken down by; `key` is the bank's or branch's id, or the code of the rest."""

    TOTAL = "", _("All")
    BANK = "bank", _("Bank")
    BRANCH = "branch", _("Branch")
    PRODUCT_TYPE = "product_type", _("Product type")
    GUARANTEE_MODE = "guarantee_mode", _("Guarantee mode")
    INDUSTRY = "industry", _("Industry section")
    SIZE_CLASS = "size_class", _("Size class")


class StatsFigures(models.Model):
    """The figures of one row (see the module docstring for stocks vs flows)."""

    balance = models.DecimalField(_("loan balance (yuan)"), **MONEY)
    credit_loan_balance = models.DecimalField(_("credit-loan balance (yuan)"), **MONEY)
    live_loans = models.IntegerField(_("loans outstanding"), default=0)
    borrowers = models.IntegerField(_("enterprises with loans outstanding"), default=0)
    disbursed_amount = models.DecimalField(_("amount disbursed (yuan)"), **MONEY)
    disbursed_count = models.IntegerField(_("loans disbursed"), default=0)
    disbursed_firms = models.IntegerField(_("enterprises disbursed to"), default=0)
    first_loan_customers = models.IntegerField(_("new first-loan customers"), default=0)
    granted_amount = models.DecimalField(_("credit granted (yuan)"), **MONEY)
    granted_count = models.IntegerField(_("credit approvals"), default=0)
    decided_count = models.IntegerField(_("applications decided"), default=0)
    approval_working_days = models.IntegerField(_("working days to decision (sum)"), default=0)
    enterprises_registered = models.IntegerField(_("enterprises registered"), default=0)
    demands_published = models.IntegerField(_("demands published"), default=0)
    demands_picked_up = models.IntegerField(_("demands picked up"), default=0)
    intents_recorded = models.IntegerField(_("matchmaking intents recorded"), default=0)
    intent_amount = models.DecimalField(_("intended amount (yuan)"), **MONEY)
    intents_converted = models.IntegerField(_("matchmaking intents converted to loans"), default=0)
    converted_amount = models.DecimalField(_("loans from matchmaking intents (yuan)"), **MONEY)

    class Meta:
        abstract = True


FIGURES = [f.name for f in StatsFigures._meta.local_fields]


class StatsCell(StatsFigures):
    """One month of one firm cell, for all its loans or one breakdown key (the rollups' leaf)."""

    month = models.DateField(_("month"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    section = models.CharField(_("industry section"), max_length=1)
    size_class = models.CharField(_("size class"), max_length=8)
    dim = models.CharField(_("breakdown"), max_length=16, choices=StatsDim.choices, blank=True)
    key = models.CharField(_("key"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("statistics cell")
        verbose_name_plural = _("statistics cells")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region", "section", "size_class", "dim", "key"], name="stats_cell_unique"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_id}/{self.section}/{self.size_class} {self.dim}={self.key}"


class StatsRollup(StatsFigures):
    """One month of one region (its whole subtree), for all loans or one breakdown key."""

    month = models.DateField(_("month"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    dim = models.CharField(_("breakdown"), max_length=16, choices=StatsDim.choices, blank=True)
    key = models.CharField(_("key"), max_length=24, blank=True)

    class Meta:
        verbose_name = _("statistics rollup")
        verbose_name_plural = _("statistics rollups")
        constraints = [
            # Also the dashboard's index: (region, dim) equality, then a month range.
            models.UniqueConstraint(fields=["region", "dim", "month", "key"], name="stats_rollup_unique")
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.region_id} {self.dim}={self.key}"


class StatsDay(models.Model):
    """A calendar day and its working-day ordinal (official holidays and adjusted working days included).

    Working days from a submission to its decision = ordinal(decision day) - ordinal(submission day).
    Filled by lending.rollups.calendar_fill() from xinyidai.workdays (the chinesecalendar package).
    """

    day = models.DateField(primary_key=True)
    is_working_day = models.BooleanField()
    ordinal = models.IntegerField()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self):
        return f"{self.day} {self.ordinal}"


class StatsRefresh(models.Model):
    """One run of the rollup refresh: what it covered and how long it took (the last one is the watermark)."""

    class Kind(models.TextChoices):
        FULL = "full", _("Full rebuild")
        INCREMENTAL = "incremental", _("Incremental")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    started_at = models.DateTimeField(_("started at"))
    changes_since = models.DateTimeField(_("changes since"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    cells = models.IntegerField(_("firm cells recomputed"), default=0)
    months = models.IntegerField(_("months recomputed"), default=0)
    seconds = models.DecimalField(_("duration (s)"), max_digits=10, decimal_places=3, default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("statistics refresh")
        verbose_name_plural = _("statistics refreshes")
        indexes = [models.Index(fields=["-finished_at"], name="stats_refresh_finished")]

    def __str__(self):
        return f"{self.kind} {self.started_at:%Y-%m-%d %H:%M:%S}"
