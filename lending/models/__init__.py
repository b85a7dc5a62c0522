"""Products, financing demands and claims, applications with their events, decisions and loans."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditinfo.models import Authorization, Enterprise, EnterpriseTag, Evaluation
from lending.querysets import (
    ApplicationQuerySet,
    DemandClaimQuerySet,
    FinancingDemandQuerySet,
    LoanQuerySet,
    ProductQuerySet,
)
from xinyidai.models import Industry, Institution, Region

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 3}  # annual rate in percent, e.g. 3.450


class GuaranteeMode(models.TextChoices):
    """Guarantee mode codes (DOMAIN.md §4); 04 credit is the credit loan."""

    PLEDGE = "01", _("Pledge")
    MORTGAGE = "02", _("Mortgage")
    GUARANTEE = "03", _("Guarantee")
    CREDIT = "04", _("Credit")
    OTHER = "00", _("Other")


class ProductType(models.TextChoices):
    WORKING_CAPITAL = "working_capital", _("Working capital loan")
    FIXED_ASSET = "fixed_asset", _("Fixed asset loan")
    TRADE_FINANCE = "trade_finance", _("Trade finance")
    SUPPLY_CHAIN = "supply_chain", _("Supply chain finance")
    BILL_DISCOUNT = "bill_discount", _("Bill discounting")
    IP_PLEDGE = "ip_pledge", _("Intellectual property pledge loan")
    AGRICULTURE = "agriculture", _("Agricultural loan")
    OTHER = "other", _("Other")


class Product(models.Model):
    """A loan product an institution lists in the product supermarket, with its eligibility rules."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LISTED = "listed", _("Listed")
        UNLISTED = "unlisted", _("Unlisted")

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("product name"), max_length=100)
    product_type = models.CharField(_("product type"), max_length=24, choices=ProductType.choices)
    guarantee_mode = models.CharField(_("guarantee mode"), max_length=2, choices=GuaranteeMode.choices)
    description = models.TextField(_("description"), blank=True)
    amount_min = models.DecimalField(_("minimum amount (yuan)"), validators=[MinValueValidator(Decimal("0"))], **MONEY)
    amount_max = models.DecimalField(_("maximum amount (yuan)"), **MONEY)
    term_min_months = models.PositiveSmallIntegerField(_("minimum term (months)"))
    term_max_months = models.PositiveSmallIntegerField(_("maximum term (months)"))
    rate_min = models.DecimalField(_("minimum annual rate (%)"), **RATE)
    rate_max = models.DecimalField(_("maximum annual rate (%)"), **RATE)
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="+",
        verbose_name=_("eligible regions"),
        help_text=_("Empty means every region the institution serves."),
    )
    industries = models.ManyToManyField(
        Industry,
        blank=True,
        related_name="+",
        verbose_name=_("eligible industry sections"),
        help_text=_("Empty means every industry."),
    )
    # Comma-separated SizeClass values ("small,micro"); empty means every size. A plain string keeps the
    # eligibility filter a portable LIKE on SQLite and PostgreSQL alike (no code is a substring of another).
    size_classes = models.CharField(_("eligible size classes"), max_length=40, blank=True)
    tags = models.ManyToManyField(
        EnterpriseTag,
        blank=True,
        related_name="+",
        verbose_name=_("required tags (any of)"),
    )
    min_grade = models.CharField(
        _("minimum credit grade"),
        max_length=1,
        choices=Evaluation.Grade.choices,
        blank=True,
        help_text=_("The enterprise's platform evaluation must be this grade or better (A is best); empty for any."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.LISTED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        indexes = [
            models.Index(fields=["status", "product_type", "guarantee_mode"]),
            models.Index(fields=["institution", "status"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_max__gte=F("amount_min")), name="product_amount_range"),
            models.CheckConstraint(condition=Q(term_max_months__gte=F("term_min_months")), name="product_term_range"),
            models.CheckConstraint(condition=Q(rate_max__gte=F("rate_min")), name="product_rate_range"),
            models.CheckConstraint(condition=Q(rate_min__gte=0), name="product_rate_nonneg"),
        ]

    def __str__(self):
        return self.name

    @property
    def size_class_list(self) -> list[str]:
        return [code for code in self.size_classes.split(",") if code]


class FinancingDemand(models.Model):
    """A financing need an SME publishes to the pool for institutions to claim (抢单)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        APPLIED = "applied", _("Applied")
        CLOSED = "closed", _("Closed")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="demands")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount (yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **MONEY)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    purpose = models.CharField(_("purpose"), max_length=200)
    guarantee_modes = models.JSONField(_("acceptable guarantee modes"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = FinancingDemandQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("financing demand")
        verbose_name_plural = _("financing demands")
        indexes = [
            models.Index(fields=["status", "region", "-created_at"]),
            # The pool, newest first: walked in order and stopped after one page, whatever the table's size.
            models.Index(
                fields=["-created_at", "-id"],
                name="demand_unclaimed_recent",
                condition=Q(status__in=["open", "claimed"]),
            ),
            models.Index(fields=["created_at"], name="demand_created_at"),  # the rollups' change scan
            # Ranking the pool for a product (lending.selectors_matching): the open demands of one term, walked
            # outward from the middle of the product's amount range and stopped after a few rows.
            models.Index(
                fields=["term_months", "amount"],
                name="demand_pool_term_amount",
                condition=Q(status__in=["open", "claimed"]),
            ),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="demand_amount_positive")]

    def __str__(self):
        return f"{self.enterprise} {self.amount}"


class DemandClaim(models.Model):
    """An institution's exclusive claim on a demand, valid until its working-day deadline."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CONVERTED = "converted", _("Converted to application")
        EXPIRED = "expired", _("Expired")
        RELEASED = "released", _("Released")

    demand = models.ForeignKey(FinancingDemand, on_delete=models.CASCADE, related_name="claims")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="demand_claims")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    deadline = models.DateTimeField(_("act by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = DemandClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-claimed_at", "-id"]
        verbose_name = _("demand claim")
        verbose_name_plural = _("demand claims")
        indexes = [
            models.Index(fields=["status", "deadline"]),
            # An institution's active claims, soonest deadline first (the pool page and the claims page).
            models.Index(
                fields=["institution", "deadline"], condition=Q(status="active"), name="claim_active_deadline"
            ),
            models.Index(fields=["claimed_at"], name="claim_claimed_at"),  # the rollups' change scan
        ]
        constraints = [
            models.UniqueConstraint(fields=["demand"], condition=Q(status="active"), name="one_active_claim_per_demand")
        ]

    def __str__(self):
        return f"{self.institution} / {self.demand_id}"


class Application(models.Model):
    """A loan application to one institution, from a product or a claimed demand (DESIGN.md §3)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DISBURSED = "disbursed", _("Disbursed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DECLINED = "declined", _("Declined by enterprise")

    number = models.CharField(_("application number"), max_length=24, unique=True)
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="applications")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="applications")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="applications")
    demand_claim = models.OneToOneField(
        DemandClaim, null=True, blank=True, on_delete=models.PROTECT, related_name="application"
    )
    authorization = models.ForeignKey(Authorization, on_delete=models.PROTECT, related_name="applications")
    amount = models.DecimalField(_("amount requested (yuan)"), **MONEY)
    term_months = models.PositiveSmallIntegerField(_("term requested (months)"))
    purpose = models.CharField(_("purpose"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    respond_by = models.DateTimeField(_("respond by"))
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handling officer"),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # When the institution was told the application is overdue (lending.services.deadlines): at most once.
    overdue_notified_at = models.DateTimeField(_("overdue notice sent at"), null=True, blank=True, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [
            models.Index(fields=["institution", "status", "-submitted_at"]),
            models.Index(fields=["enterprise", "-submitted_at"]),
            # Regional (staff) lists: newest first across the province, stopped after one page.
            models.Index(fields=["-submitted_at", "-id"], name="application_recent"),
            # Overdue lists (staff per bank, officers' inboxes): only the open applications, by deadline.
            models.Index(
                fields=["respond_by"],
                name="application_open_respond_by",
                condition=Q(status__in=["submitted", "accepted"]),
            ),
            # The overdue sweep (every 15 minutes): open applications whose institution has not been told yet.
            models.Index(
                fields=["respond_by"],
                name="application_overdue_unflagged",
                condition=Q(status__in=["submitted", "accepted"], overdue_notified_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="application_amount_positive"),
            # The lifecycle's statuses and the 1-360 month term (lending.services.terms), whatever writes the row.
            models.CheckConstraint(
                condition=Q(
                    status__in=["submitted", "accepted", "approved", "rejected", "disbursed", "withdrawn", "declined"]
                ),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=1, term_months__lte=360), name="application_term_range"
            ),
            models.CheckConstraint(
                condition=Q(product__isnull=False) | Q(demand_claim__isnull=False), name="application_has_origin"
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_overdue(self) -> bool:
        open_states = {self.Status.SUBMITTED, self.Status.ACCEPTED}
        return self.status in open_states and timezone.now() > self.respond_by

    def evaluation_for(self, user):
        """The applicant's advisory evaluation as `user` may see it, or None.

        A grade is credit information: the enterprise sees its own; an officer only while the consent given with
        this application is live (like the profile); government staff never (they see aggregates). Needs
        `enterprise__evaluation` and `authorization` joined to cost no query.
        """
        evaluation = getattr(self.enterprise, "evaluation", None)
        if evaluation is None or not user.is_authenticated:
            return None
        if user.is_sme or (user.is_officer and self.authorization.is_live()):
            return evaluation
        return None


class ApplicationEvent(models.Model):
    """One step in an application's history; append-only."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DISBURSED = "disbursed", _("Disbursed")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DECLINED = "declined", _("Declined by enterprise")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("application event")
        verbose_name_plural = _("application events")

    def __str__(self):
        return f"{self.application_id} {self.kind}"


class RejectReason(models.TextChoices):
    """Reason codes a bank gives when it declines credit."""

    CREDIT_RECORD = "credit_record", _("Adverse credit record")
    INSUFFICIENT_REPAYMENT = "repayment_capacity", _("Insufficient repayment capacity")
    INCOMPLETE_MATERIALS = "incomplete", _("Incomplete materials")
    OUT_OF_POLICY = "policy", _("Outside credit policy")
    NO_CONTACT = "no_contact", _("Enterprise could not be reached")
    OTHER = "other", _("Other")


class CreditDecision(models.Model):
    """The bank's one credit decision on an application: approval terms or a reject reason."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    amount = models.DecimalField(_("approved amount (yuan)"), null=True, blank=True, **MONEY)
    annual_rate = models.DecimalField(_("annual rate (%)"), null=True, blank=True, **RATE)
    term_months = models.PositiveSmallIntegerField(_("term (months)"), null=True, blank=True)
    guarantee_mode = models.CharField(_("guarantee mode"), max_length=2, choices=GuaranteeMode.choices, blank=True)
    reason_code = models.CharField(_("reason"), max_length=20, choices=RejectReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit decision")
        verbose_name_plural = _("credit decisions")
        indexes = [models.Index(fields=["decided_at"], name="decision_decided_at")]  # the rollups' month scan
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="rejected", reason_code__gt="")
                | Q(outcome="approved", amount__gt=0, annual_rate__gte=0, term_months__gt=0),
                name="decision_complete",
            ),
            models.CheckConstraint(
                condition=Q(term_months__isnull=True) | Q(term_months__gte=1, term_months__lte=360),
                name="decision_term_range",
            ),
        ]

    def __str__(self):
        return f"{self.application_id} {self.outcome}"


class Loan(models.Model):
    """A disbursed loan; its balance is a stock kept within [0, principal]."""

    class Status(models.TextChoices):
        LIVE = "live", _("Outstanding")
        CLOSED = "closed", pgettext_lazy("loan status", "Closed")
        WRITTEN_OFF = "written_off", _("Written off")

    contract_number = models.CharField(_("contract number"), max_length=40)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="loans")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="loans")
    principal = models.DecimalField(_("principal (yuan)"), **MONEY)
    annual_rate = models.DecimalField(_("annual rate (%)"), **RATE)
    term_months = models.PositiveSmallIntegerField(_("term (months)"))
    disbursed_on = models.DateField(_("disbursement date"))
    maturity_on = models.DateField(_("maturity date"))
    guarantee_mode = models.CharField(_("guarantee mode"), max_length=2, choices=GuaranteeMode.choices)
    first_loan_attested = models.BooleanField(
        _("first loan (bank-attested)"),
        default=False,
        help_text=_("The lending bank attests the enterprise had no prior loan in the central bank's credit system."),
    )
    outstanding_balance = models.DecimalField(_("outstanding balance (yuan)"), **MONEY)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.LIVE)
    closed_on = models.DateField(
        _("closed on"),
        null=True,
        blank=True,
        help_text=_("The day the loan was repaid in full and closed, or written off."),
    )
    disbursed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = LoanQuerySet.as_manager()

    class Meta:
        ordering = ["-disbursed_on", "-id"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            models.Index(fields=["institution", "-disbursed_on", "-id"], name="loan_institution_recent"),
            models.Index(fields=["enterprise", "-disbursed_on"]),
            models.Index(fields=["-disbursed_on", "-id"], name="loan_recent"),
            models.Index(fields=["created_at"], name="loan_created_at"),  # the rollups' change scan
        ]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="loan_principal_positive"),
            models.CheckConstraint(condition=Q(status__in=["live", "closed", "written_off"]), name="loan_status_valid"),
            models.CheckConstraint(condition=Q(term_months__gte=1, term_months__lte=360), name="loan_term_range"),
            models.CheckConstraint(
                condition=Q(outstanding_balance__gte=0) & Q(outstanding_balance__lte=F("principal")),
                name="loan_balance_within_principal",
            ),
            models.CheckConstraint(
                condition=Q(maturity_on__gt=F("disbursed_on")), name="loan_maturity_after_disbursal"
            ),
            models.UniqueConstraint(
                fields=["institution", "contract_number"], name="loan_contract_unique_per_institution"
            ),
            models.CheckConstraint(
                condition=Q(status="live", closed_on__isnull=True) | (~Q(status="live") & Q(closed_on__isnull=False)),
                name="loan_closed_on_iff_ended",
            ),
        ]

    def __str__(self):
        return self.contract_number

    @property
    def is_credit_loan(self) -> bool:
        return self.guarantee_mode == GuaranteeMode.CREDIT


from lending.models.events import *  # noqa: E402,F401,F403
from lending.models.feedback import *  # noqa: E402,F401,F403
from lending.models.stats import *  # noqa: E402,F401,F403
from lending.models.targets import Target, TargetMetric  # noqa: E402,F401
