"""Query vocabulary for lending models. `visible_to(user)` is the one visibility rule per model,
used by pages and API alike; anything outside it answers 404."""

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


def _officer_tree(user, prefix: str = "institution") -> Q:
    return user.institution.subtree_literal_q(prefix)


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
    def unclaimed(self, at=None):
        """Open demands, and claimed ones whose claim has passed its deadline (back in the pool at once,
        even before the periodic task tidies the claim's status)."""
        at = at or timezone.now()
        claim_model = self.model._meta.get_field("claims").related_model
        live_claim = claim_model.objects.filter(
            demand_id=OuterRef("pk"), status=claim_model.Status.ACTIVE, deadline__gt=at
        )
        statuses = [self.model.Status.OPEN, self.model.Status.CLAIMED]
        return self.filter(status__in=statuses).filter(~Exists(live_claim))

    def pool_for(self, user, at=None):
        """Unclaimed demands in the region the officer's institution serves, and below."""
        if not (user.is_authenticated and user.is_officer):
            return self.none()
        return self.unclaimed(at).filter(user.institution.region.subtree_q("region"))

    def visible_to(self, user):
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_sme:
            return self.filter(enterprise__members__user=user)
        if user.is_officer:
            claimed = _officer_tree(user, "claims__institution")
            pool = self.model.objects.pool_for(user).values("pk")
            mine = self.model.objects.filter(claimed).values("pk")
            return self.filter(Q(pk__in=pool) | Q(pk__in=mine))
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
