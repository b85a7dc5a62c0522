"""Models every app needs: users and roles, the region and industry trees, institutions, notifications."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A GB/T 2260 administrative division: the province, its cities and their counties."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        COUNTY = "county", _("County")

    code = models.CharField(_("GB/T 2260 code"), max_length=6, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    data_version = models.CharField(_("data version"), max_length=64, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name

    def subtree_ids(self):
        """Subquery of this region's id and every id below it (the tree is three levels deep)."""
        tree = Q(id=self.id) | Q(parent_id=self.id) | Q(parent__parent_id=self.id)
        return Region.objects.filter(tree).values("id")

    def subtree_q(self, prefix: str = "") -> Q:
        """Q matching rows whose `prefix` region is this region or below it.

        An IN over a small subquery, not ORs over joins: the big tables keep using their region indexes.
        """
        return Q(**{f"{prefix}__in" if prefix else "id__in": self.subtree_ids()})

    def ancestors_and_self_ids(self) -> list[int]:
        ids, node = [], self
        while node is not None:
            ids.append(node.id)
            node = node.parent
        return ids


class Industry(models.Model):
    """A GB/T 4754-2017 section (letter), division (2 digits) or, where the size standard needs it, group."""

    class Level(models.TextChoices):
        SECTION = "section", _("Section")
        DIVISION = "division", _("Division")
        GROUP = "group", _("Group")

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=128)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    standard = models.CharField(_("standard"), max_length=32, default="GB/T 4754-2017")

    class Meta:
        ordering = ["code"]
        verbose_name = _("industry")
        verbose_name_plural = _("industries")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def section_code(self) -> str:
        node = self
        while node.parent_id is not None and node.level != self.Level.SECTION:
            node = node.parent
        return node.code


class SizeStandard(models.Model):
    """A versioned enterprise size standard (e.g. 工信部联企业〔2011〕300号); its rules are data, not code."""

    version = models.CharField(_("version"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    rules = models.JSONField(_("rules"))
    is_current = models.BooleanField(_("current"), default=False)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("size standard")
        verbose_name_plural = _("size standards")
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="one_current_size_standard"
            )
        ]

    def __str__(self):
        return self.version


class Institution(models.Model):
    """A financial institution node: a head office or one of its branches, serving a region."""

    class Kind(models.TextChoices):
        BANK = "bank", _("Bank")
        GUARANTOR = "guarantor", _("Guarantee company")
        OTHER = "other", _("Other financial institution")

    code = models.CharField(_("institution code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=128)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.BANK)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="branches", verbose_name=_("head office")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="institutions", verbose_name=_("region"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self):
        return self.short_name or self.name

    def subtree_ids(self):
        """Subquery of this institution's id and its branches' (head office -> branch -> sub-branch)."""
        tree = Q(id=self.id) | Q(parent_id=self.id) | Q(parent__parent_id=self.id)
        return Institution.objects.filter(tree).values("id")

    def subtree_q(self, prefix: str = "institution") -> Q:
        """Q matching rows whose `prefix` institution is this one or one of its branches (an IN over a
        small subquery, so the application and loan tables keep using their institution indexes)."""
        return Q(**{f"{prefix}__in" if prefix else "id__in": self.subtree_ids()})

    def subtree_literal_q(self, prefix: str = "institution") -> Q:
        """subtree_q with the ids read first (one small query, then kept on this instance).

        For lists ordered by date with a LIMIT: given a subquery the planner cannot know that a branch holds
        1/300 of the loans, so it walks the global (date, id) index filtering row by row (12 ms and more at
        province scale); given the ids it reads the (institution, date, id) index directly (0.1-1 ms).
        """
        if not hasattr(self, "_subtree_id_list"):
            self._subtree_id_list = list(self.subtree_ids().values_list("id", flat=True))
        return Q(**{f"{prefix}__in" if prefix else "id__in": self._subtree_id_list})

    @property
    def head_office(self) -> "Institution":
        node = self
        while node.parent_id is not None:
            node = node.parent
        return node


class User(AbstractUser):
    """A platform user with one role; officers belong to an institution, staff to a region."""

    class Role(models.TextChoices):
        SME = "sme", _("Enterprise user")
        OFFICER = "officer", _("Bank officer")
        STAFF = "staff", _("Government staff")
        ADMIN = "admin", _("Platform admin")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SME)
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    institution = models.ForeignKey(
        Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="officers"
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="officer") | Q(institution__isnull=False), name="officer_has_institution"
            ),
            models.CheckConstraint(condition=~Q(role="staff") | Q(region__isnull=False), name="staff_has_region"),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def is_sme(self) -> bool:
        return self.role == self.Role.SME

    @property
    def is_officer(self) -> bool:
        return self.role == self.Role.OFFICER

    @property
    def is_gov_staff(self) -> bool:
        return self.role == self.Role.STAFF

    @property
    def is_platform_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser


class Notification(models.Model):
    """Something a user must act on or would want to know, shown in the notification centre (and emailed).

    The message is stored as a `kind` code with its `params` and rendered in the reader's language when shown
    (xinyidai.notifications.KINDS), so a notification written while the sender browsed in English still reads
    in Chinese for a recipient who reads Chinese.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_recent"),
            # The navbar's unread badge: a count over this user's unread rows only.
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}"


from xinyidai.models_audit import AuditEvent  # noqa: E402, F401  (the audit trail lives in its own module)
