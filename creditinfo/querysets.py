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
