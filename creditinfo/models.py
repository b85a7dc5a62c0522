"""Enterprises, their members and tags, and the authorizations that let institutions see their credit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from creditinfo.querysets import (
    AuthorizationQuerySet,
    CreditRecordQuerySet,
    CreditReportQuerySet,
    EnterpriseQuerySet,
    ObjectionQuerySet,
    RepairRequestQuerySet,
)
from xinyidai.models import Industry, Institution, Region


class SizeClass(models.TextChoices):
    """Enterprise size under the size standard (工信部联企业〔2011〕300号)."""

    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class EnterpriseTag(models.Model):
    """A qualification tag such as 专精特新 or 高新技术企业."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32)

    class Meta:
        ordering = ["code"]
        verbose_name = _("enterprise tag")
        verbose_name_plural = _("enterprise tags")

    def __str__(self):
        return self.name


class Enterprise(models.Model):
    """A market entity identified by its USCC (GB 32100-2015)."""

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("enterprise name"), max_length=128)
    legal_representative = models.CharField(_("legal representative"), max_length=64, blank=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("region"))
    # Empty only on skeletons a data feed created (a feed row carries no industry); registration fills it.
    industry = models.ForeignKey(
        Industry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enterprises",
        verbose_name=_("industry"),
    )
    employees = models.PositiveIntegerField(_("employees"), default=0)
    revenue = models.DecimalField(_("operating revenue (yuan)"), max_digits=18, decimal_places=2, default=0)
    assets = models.DecimalField(_("total assets (yuan)"), max_digits=18, decimal_places=2, default=0)
    size_class = models.CharField(_("size class"), max_length=8, choices=SizeClass.choices, blank=True)
    size_standard_version = models.CharField(_("size standard version"), max_length=64, blank=True)
    tags = models.ManyToManyField(EnterpriseTag, blank=True, related_name="enterprises", verbose_name=_("tags"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    is_skeleton = models.BooleanField(
        _("skeleton"), default=False, help_text=_("Created from a data feed, not yet claimed by the enterprise.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [
            models.Index(fields=["region", "size_class"]),
            models.Index(fields=["industry"]),
            models.Index(fields=["created_at"], name="enterprise_created_at"),  # the rollups' change scan
        ]

    def __str__(self):
        return self.name


class EnterpriseMembership(models.Model):
    """Links an SME user to the one enterprise they act for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="members")
    is_owner = models.BooleanField(_("owner"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("enterprise membership")
        verbose_name_plural = _("enterprise memberships")
        indexes = [models.Index(fields=["created_at"], name="membership_created_at")]  # the rollups' change scan

    def __str__(self):
        return f"{self.user} @ {self.enterprise}"


class Authorization(models.Model):
    """An enterprise's consent for one institution to query its credit information, for a purpose and a time."""

    class Purpose(models.TextChoices):
        LOAN_REVIEW = "loan_review", _("Loan review")
        POST_LOAN = "post_loan", _("Post-loan management")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="authorizations")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="authorizations")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    consent_text = models.TextField(_("consent text shown"), blank=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("authorization")
        verbose_name_plural = _("authorizations")
        indexes = [models.Index(fields=["enterprise", "institution", "valid_until"])]
        constraints = [models.CheckConstraint(condition=Q(valid_until__gt=models.F("valid_from")), name="auth_window")]

    def __str__(self):
        return f"{self.enterprise} -> {self.institution} ({self.get_purpose_display()})"

    def is_live(self, at=None) -> bool:
        at = at or timezone.now()
        return self.revoked_at is None and self.valid_from <= at < self.valid_until


# --- Public credit information (DOMAIN.md §3) ---------------------------------------------------------------


class RecordCategory(models.TextChoices):
    """The sections of the standardized profile; the codes are the interchange format's `category` column."""

    REGISTRATION = "registration", _("Registration")
    LICENCE = "licence", _("Administrative licence")
    PENALTY = "penalty", _("Administrative penalty")
    ABNORMAL_OPERATION = "abnormal_operation", _("Abnormal operation list")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Serious illegal and dishonest list")
    JUDGMENT_DEBTOR = "judgment_debtor", _("Dishonest judgment debtor")
    TAX_GRADE = "tax_grade", _("Tax credit grade")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance and housing fund")
    UTILITY = "utility", _("Utility payment")
    HONOUR = "honour", _("Honours and awards")
    COMMITMENT = "commitment", _("Credit commitment")
    INTELLECTUAL_PROPERTY = "intellectual_property", _("Intellectual property")


# Categories whose records count against the enterprise: kept 5 years from the event at most, repairable.
NEGATIVE_CATEGORIES = frozenset(
    {
        RecordCategory.PENALTY,
        RecordCategory.ABNORMAL_OPERATION,
        RecordCategory.SERIOUS_DISHONESTY,
        RecordCategory.JUDGMENT_DEBTOR,
    }
)


class Severity(models.TextChoices):
    """Severity of a dishonesty record; it fixes the publication period (minimum before early repair, maximum)."""

    MINOR = "minor", _("Minor")
    GENERAL = "general", _("General")
    SERIOUS = "serious", _("Serious")


class TaxGrade(models.TextChoices):
    """Tax credit grade (published yearly): A >= 90, B 70-89, M new or no revenue, C 40-69, D < 40."""

    A = "A", "A"
    B = "B", "B"
    M = "M", "M"
    C = "C", "C"
    D = "D", "D"


class DataSource(models.Model):
    """A government department's feed (e.g. 省市场监管局 penalties) that sends credit records."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    department = models.CharField(_("department"), max_length=128)
    category = models.CharField(_("main category"), max_length=24, choices=RecordCategory.choices, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")

    def __str__(self):
        return self.name


class ImportBatch(models.Model):
    """One departmental file being ingested: its counts, progress and row errors."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Loading")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="batches", verbose_name=_("source"))
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    file_format = models.CharField(_("format"), max_length=8, blank=True)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    bytes_total = models.BigIntegerField(_("size (bytes)"), default=0)
    bytes_read = models.BigIntegerField(_("bytes read"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    failure = models.TextField(_("failure"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"{self.source.code} #{self.pk}"


class ImportRowError(models.Model):
    """A row the import refused: which row, which field, why. The row changed nothing."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(_("row"))
    field = models.CharField(_("field"), max_length=32, blank=True)
    message = models.CharField(_("message"), max_length=255)
    value = models.CharField(_("value"), max_length=255, blank=True)

    class Meta:
        ordering = ["batch", "row_number", "id"]
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")

    def __str__(self):
        return f"{self.row_number}: {self.message}"


class CreditRecord(models.Model):
    """One fact about an enterprise from a government source, published inside its window."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("credit record status", "Published")
        DISPUTED = "disputed", _("Disputed")
        REPAIRED = "repaired", _("Repaired")
        EXPIRED = "expired", _("Expired")
        REMOVED = "removed", _("Removed after objection")

    # No single-column indexes on the two foreign keys: the unique (source, source_record_id) and the profile
    # index lead with them, and every index costs a bulk import of millions of rows. The source and the batch
    # have no database constraint either: PostgreSQL checks a foreign key row by row (a locking read of the
    # referenced row each), which was a quarter of an import's time. The importer writes only its own batch's
    # and source's ids; Django still enforces PROTECT and SET_NULL when a source or batch is deleted.
    source = models.ForeignKey(
        DataSource,
        on_delete=models.PROTECT,
        db_index=False,
        db_constraint=False,
        related_name="records",
        verbose_name=_("source"),
    )
    source_record_id = models.CharField(_("source record id"), max_length=64)
    enterprise = models.ForeignKey(
        Enterprise,
        on_delete=models.CASCADE,
        db_index=False,
        related_name="credit_records",
        verbose_name=_("enterprise"),
    )
    category = models.CharField(_("category"), max_length=24, choices=RecordCategory.choices)
    decision_date = models.DateField(_("decision date"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, blank=True)
    title = models.CharField(_("title"), max_length=200)
    authority = models.CharField(_("authority"), max_length=128, blank=True)
    detail = models.TextField(_("detail"), blank=True)
    publish_until = models.DateField(_("published until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    # md5 of the row's content fields as imported: a re-import with the same hash is "unchanged".
    content_hash = models.CharField(max_length=32, blank=True)
    # Provenance: the last import that created or changed the record (re-evaluation reads it once per import).
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = CreditRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decision_date", "-id"]
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        constraints = [
            models.UniqueConstraint(fields=["source", "source_record_id"], name="credit_record_source_id"),
        ]
        indexes = [models.Index(fields=["enterprise", "category", "-decision_date"], name="credit_record_profile")]

    def __str__(self):
        return f"{self.get_category_display()}: {self.title}"

    @property
    def is_negative(self) -> bool:
        return self.category in NEGATIVE_CATEGORIES


class QueryLog(models.Model):
    """Every look at an enterprise's credit information: who, for which institution, why, under which consent."""

    class What(models.TextChoices):
        PROFILE = "profile", _("Credit profile")
        RECORDS = "records", _("Credit records (API)")
        EVALUATION = "evaluation", _("Credit evaluation")
        REPORT = "report", _("Credit report download")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="query_logs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(Authorization, on_delete=models.PROTECT, related_name="query_logs")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Authorization.Purpose.choices)
    what = models.CharField(_("what"), max_length=16, choices=What.choices, default=What.PROFILE)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("query log entry")
        verbose_name_plural = _("query log")
        indexes = [models.Index(fields=["enterprise", "-created_at", "-id"], name="query_log_recent")]

    def __str__(self):
        return f"{self.user} @ {self.institution} -> {self.enterprise}"


class Evaluation(models.Model):
    """The current advisory credit evaluation of an enterprise (creditinfo.scoring), with its explanation."""

    class Grade(models.TextChoices):
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    enterprise = models.OneToOneField(Enterprise, on_delete=models.CASCADE, related_name="evaluation")
    score = models.PositiveSmallIntegerField(_("score"))
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    # [{"code", "points", ...}] - the explanation text is rendered from the code in the reader's language.
    factors = models.JSONField(_("factors"), default=list)
    improvements = models.JSONField(_("how to improve"), default=list)
    model_version = models.CharField(_("model version"), max_length=16)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("credit evaluation")
        verbose_name_plural = _("credit evaluations")
        indexes = [models.Index(fields=["grade"])]

    def __str__(self):
        return f"{self.enterprise}: {self.grade} ({self.score})"


class Objection(models.Model):
    """An enterprise disputes a record (异议); platform staff answer within 20 days."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being verified")
        CORRECTED = "corrected", _("Corrected")
        REMOVED = "removed", pgettext_lazy("objection outcome", "Mark removed")
        UNRESOLVED = "unresolved", _("Unresolved, both statements kept")

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="objections")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="objections")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    evidence = models.FileField(_("evidence"), upload_to="objections/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    due_on = models.DateField(_("answer due"))
    response = models.TextField(_("platform's statement"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)

    objects = ObjectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [models.Index(fields=["status", "due_on"], name="objection_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="open"), name="objection_one_open_per_record"
            ),
        ]

    def __str__(self):
        return f"{self.record} ({self.get_status_display()})"


class RepairRequest(models.Model):
    """A request for credit repair (信用修复): early end of publication once the obligation is met."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Under review")
        APPROVED = "approved", pgettext_lazy("repair request status", "Approved")
        REJECTED = "rejected", pgettext_lazy("repair request status", "Rejected")

    record = models.ForeignKey(CreditRecord, on_delete=models.CASCADE, related_name="repair_requests")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="repair_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    obligation_fulfilled_on = models.DateField(_("obligation fulfilled on"))
    statement = models.TextField(_("statement"))
    evidence = models.FileField(_("evidence"), upload_to="repairs/%Y/%m/", blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    objects = RepairRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("repair request")
        verbose_name_plural = _("repair requests")
        constraints = [
            models.UniqueConstraint(
                fields=["record"], condition=Q(status="pending"), name="repair_one_pending_per_record"
            ),
        ]

    def __str__(self):
        return f"{self.record} ({self.get_status_display()})"


class CreditReport(models.Model):
    """A numbered PDF credit report with a verification code anyone can check at /verify/<code>/."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being generated")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="credit_reports")
    number = models.CharField(_("report number"), max_length=32, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=32, unique=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/", blank=True)
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, blank=True)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)

    objects = CreditReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit report")
        verbose_name_plural = _("credit reports")

    def __str__(self):
        return self.number
