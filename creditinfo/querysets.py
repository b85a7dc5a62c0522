"""Query vocabulary for credit-information models; visibility lives here, one method per model."""

from django.db import models
from django.utils import timezone


class EnterpriseQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Enterprises a user may see the registration record of.

        SME users see their own; officers see enterprises that have authorized their institution tree
        (every application carries one); staff see enterprises registered in their region and below;
        admins see all. Detailed credit records have their own, stricter gate: a *live* authorization.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(members__user=user)
        if user.is_officer:
            from creditinfo.models import Authorization

            granted = Authorization.objects.filter(user.institution.subtree_q("institution")).values("enterprise_id")
            return self.filter(pk__in=granted)
        if user.is_gov_staff:
            return self.filter(user.region.subtree_q("region"))
        return self.none()


class AuthorizationQuerySet(models.QuerySet):
    def live(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            return self.filter(user.institution.subtree_q("institution"))
        return self.none()


class CreditRecordQuerySet(models.QuerySet):
    def published(self, on=None):
        """Records inside their publication window on a day (default today): what a profile shows.

        `publish_until` holds the effective end (creditinfo.publication.publication_end, applied on import),
        so the window is one indexed comparison. Disputed records stay published, marked as disputed.
        """
        on = on or timezone.localdate()
        return self.filter(
            models.Q(publish_until__isnull=True) | models.Q(publish_until__gte=on),
            status__in=("active", "disputed"),
            decision_date__lte=on,
        )

    def visible_to(self, user):
        """Detailed records: the SME its own; an officer only those of enterprises with a live authorization for
        its institution tree; platform admins all; government staff none (they see aggregates)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            from creditinfo.models import Authorization

            live = Authorization.objects.live().filter(user.institution.subtree_q("institution"))
            return self.filter(enterprise_id__in=live.values("enterprise_id"))
        return self.none()


def _handled_in_scope(queryset, user):
    """Objections and repair requests: the SME its own enterprise's; government staff those of enterprises in
    their region and below (they answer them); platform admins all; officers none."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_platform_admin:
        return queryset
    if user.is_sme:
        return queryset.filter(enterprise__members__user=user)
    if user.is_gov_staff and user.region_id:
        return queryset.filter(user.region.subtree_q("enterprise__region"))
    return queryset.none()


class ObjectionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status="open")

    def overdue(self, today=None):
        """Still open after the 20-day answer deadline."""
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def visible_to(self, user):
        return _handled_in_scope(self, user)


class RepairRequestQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status="pending")

    def visible_to(self, user):
        return _handled_in_scope(self, user)


class CreditReportQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Credit reports: the SME those of its own enterprise; an officer those its institution tree requested
        (downloading one still needs a live authorization); platform admins all; nobody else any."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer and user.institution_id:
            return self.filter(user.institution.subtree_q("requested_by__institution"))
        return self.none()
