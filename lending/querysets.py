"""Query vocabulary for lending models. `visible_to(user)` is the one visibility rule per model,
used by pages and API alike; anything outside it answers 404."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


def _officer_tree(user, prefix: str = "institution") -> Q:
    return user.institution.subtree_q(prefix)


def _staff_region(user, prefix: str) -> Q:
    return user.region.subtree_q(prefix)


class ProductQuerySet(models.QuerySet):
    def listed(self):
        return self.filter(status=self.model.Status.LISTED)

    def visible_to(self, user):
        """Listed products are public; officers also see their tree's drafts and unlisted ones."""
        if user.is_authenticated and user.is_platform_admin:
            return self
        if user.is_authenticated and user.is_officer:
            return self.filter(Q(status=self.model.Status.LISTED) | _officer_tree(user))
        return self.listed()

    def editable_by(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_officer:
            return self.filter(_officer_tree(user))
        return self.none()


class FinancingDemandQuerySet(models.QuerySet):
    def pool_for(self, user):
        """Open, unclaimed demands in the officer's institution's region and below."""
        if not (user.is_authenticated and user.is_officer):
            return self.none()
        return self.filter(status=self.model.Status.OPEN).filter(user.institution.region.subtree_q("region"))

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            claimed = _officer_tree(user, "claims__institution")
            pool = Q(status=self.model.Status.OPEN) & user.institution.region.subtree_q("region")
            return self.filter(pk__in=self.model.objects.filter(pool | claimed).values("pk"))
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "region"))
        return self.none()


class DemandClaimQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(status=self.model.Status.ACTIVE, deadline__gt=at)

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(demand__enterprise__members__user=user)
        if user.is_officer:
            return self.filter(_officer_tree(user))
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "demand__region"))
        return self.none()


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """SMEs see their enterprise's, officers their institution tree's, staff their region's."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            return self.filter(_officer_tree(user))
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "enterprise__region"))
        return self.none()

    def overdue(self, at=None):
        at = at or timezone.now()
        open_states = [self.model.Status.SUBMITTED, self.model.Status.ACCEPTED]
        return self.filter(status__in=open_states, respond_by__lt=at)


class LoanQuerySet(models.QuerySet):
    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            return self.filter(_officer_tree(user))
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "enterprise__region"))
        return self.none()

    def live(self):
        return self.filter(status=self.model.Status.LIVE)
