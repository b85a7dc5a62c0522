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


# --- matchmaking events (lending.models.events) -------------------------------------------------------------


def _enterprise_of(user):
    """The SME user's enterprise id as a subquery (one membership per user)."""
    from creditinfo.models import EnterpriseMembership

    return EnterpriseMembership.objects.filter(user=user).values("enterprise_id")


class MatchmakingEventQuerySet(models.QuerySet):
    def open_to_enterprise_q(self, enterprise_subquery) -> Q:
        """Scheduled events with open registration held in the enterprise's region or above it (a province-wide
        event is open to every enterprise of the province). `enterprise_subquery` yields one enterprise id."""
        from creditinfo.models import Enterprise
        from xinyidai.models import Region

        region = Enterprise.objects.filter(pk__in=enterprise_subquery).values("region_id")
        # The tree is three levels deep: the enterprise's region, its parent and its grandparent.
        ancestors = Region.objects.filter(
            Q(pk__in=region) | Q(children__in=region) | Q(children__children__in=region)
        ).values("pk")
        return Q(status=self.model.Status.SCHEDULED, open_registration=True, region__in=ancestors)

    def visible_to(self, user):
        """Staff: events of their region and below; officers: events their institution tree takes part in;
        SMEs: events their enterprise is invited to or registered for, and open scheduled events of its region
        or above; platform admins: all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "region"))
        from lending.models.events import EventParticipant

        if user.is_officer:
            invited = EventParticipant.objects.filter(event_id=OuterRef("pk")).filter(
                user.institution.subtree_q("institution")
            )
            return self.filter(Exists(invited))
        if user.is_sme:
            enterprise = _enterprise_of(user)
            taking_part = EventParticipant.objects.filter(event_id=OuterRef("pk"), enterprise_id__in=enterprise)
            return self.filter(Q(Exists(taking_part)) | self.open_to_enterprise_q(enterprise))
        return self.none()

    def managed_by(self, user):
        """Events a government staff member organises or may act on: those of their region and below."""
        if not (user.is_authenticated and user.is_gov_staff):
            return self.none()
        return self.filter(_staff_region(user, "region"))


class EventParticipantQuerySet(models.QuerySet):
    def enterprises(self):
        return self.filter(enterprise__isnull=False)

    def institutions(self):
        return self.filter(institution__isnull=False)

    def visible_to(self, user):
        """Staff: every participant of their region's events; officers: every participant of the events their
        institution tree takes part in (the banks prepare for the firms they will meet); SMEs: their own rows
        and the institutions taking part in events visible to them; platform admins: all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "event__region"))
        from lending.models.events import MatchmakingEvent

        if user.is_officer:
            return self.filter(event__in=MatchmakingEvent.objects.visible_to(user).values("pk"))
        if user.is_sme:
            own = Q(enterprise_id__in=_enterprise_of(user))
            banks = Q(institution__isnull=False, event__in=MatchmakingEvent.objects.visible_to(user).values("pk"))
            return self.filter(own | banks)
        return self.none()


class IntentQuerySet(models.QuerySet):
    OPEN_STATUSES = ("recorded", "contacted", "applied")

    def open(self):
        return self.filter(status__in=self.OPEN_STATUSES)

    def visible_to(self, user):
        """Staff: intents of their region's events; officers: intents with their institution tree; SMEs: their
        enterprise's intents; platform admins: all."""
        if not user.is_authenticated:
            return self.none()
        if user.is_platform_admin:
            return self
        if user.is_gov_staff:
            return self.filter(_staff_region(user, "event__region"))
        if user.is_officer:
            return self.filter(user.institution.subtree_q("institution"))
        if user.is_sme:
            return self.filter(enterprise_id__in=_enterprise_of(user))
        return self.none()
