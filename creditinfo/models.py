"""Enterprises, their members and tags, and the authorizations that let institutions see their credit."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.querysets import AuthorizationQuerySet, EnterpriseQuerySet
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
    industry = models.ForeignKey(
        Industry, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("industry")
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
        indexes = [models.Index(fields=["region", "size_class"]), models.Index(fields=["industry"])]

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
