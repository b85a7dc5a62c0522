"""Financing demands: SMEs publish; officers claim exclusively for N working days, else it returns to the pool."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.services.enterprises import enterprise_for_user
from lending.models import DemandClaim, DemandPush, FinancingDemand, GuaranteeMode
from lending.services import notices
from lending.services.terms import raise_invalid, term_errors
from xinyidai.errors import DomainError
from xinyidai.notifications import notify
from xinyidai.workdays import deadline_after_working_days


@transaction.atomic
def demand_publish(*, user, amount, term_months: int, purpose: str, guarantee_modes: list[str]) -> FinancingDemand:
    """An SME publishes a financing demand to the pool of the institutions serving its region."""
    enterprise = enterprise_for_user(user)
    if enterprise is None:
        raise DomainError(code="no_enterprise", message=_("Register your enterprise before publishing a demand."))
    modes = sorted(set(guarantee_modes))
    errors = term_errors(amount=amount, term_months=term_months)
    if not modes or any(m not in GuaranteeMode.values for m in modes):
        errors["guarantee_modes"] = [str(_("Choose at least one acceptable guarantee mode."))]
    only_modes = list(errors) == ["guarantee_modes"]
    raise_invalid(errors, _("Choose at least one acceptable guarantee mode.") if only_modes else None)
    demand = FinancingDemand.objects.create(
        enterprise=enterprise,
        region=enterprise.region,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        guarantee_modes=modes,
        created_by=user,
    )
    _push_after_commit(demand, reason=DemandPush.Reason.PUBLISHED)
    return demand


def _push(demand: FinancingDemand, *, reason: str, exclude_institution_ids=()) -> None:
    """Put the demand in front of the best-ranked institutions whose products fit it (lending.services.matching)."""
    from lending.services.matching import demand_push

    demand_push(demand_id=demand.pk, reason=reason, exclude_institution_ids=tuple(exclude_institution_ids))


def _push_after_commit(demand: FinancingDemand, *, reason: str, exclude_institution_ids=()) -> None:
    """The push of a demand published or released in a request: ranking the institutions takes ~90 ms at province
    scale, so a Celery task does it once the transaction commits (inline under `make run`). The push is idempotent
    per reason, so a redelivered task pushes nothing twice; a lost one is the beat's claim sweep's to miss."""
    from lending import tasks  # late: tasks imports services

    demand_id, excluded = demand.pk, list(exclude_institution_ids)

    def send():
        tasks.demand_push.delay(demand_id=demand_id, reason=reason, excluded=excluded)

    transaction.on_commit(send, robust=True)


def _tell_back_in_pool(demand: FinancingDemand, claim: DemandClaim, kind: str) -> None:
    """The enterprise is told its demand is back in the pool, and offered alternatives (the link)."""
    notify(
        users=notices.member_ids(demand.enterprise_id),
        kind=kind,
        url=notices.alternatives_url(),
        params=notices.demand_params(demand, institution=claim.institution.name, claim_id=claim.pk),
    )


def _expire_claims(demand: FinancingDemand, now) -> list[DemandClaim]:
    """Mark the (locked) demand's claims past their deadline expired and reopen it; the enterprise and the
    claiming officer are told. Returns the claims expired now (none when another run got there first)."""
    lapsed = list(
        demand.claims.filter(status=DemandClaim.Status.ACTIVE, deadline__lte=now).select_related("institution")
    )
    if not lapsed:
        return []
    DemandClaim.objects.filter(pk__in=[claim.pk for claim in lapsed]).update(
        status=DemandClaim.Status.EXPIRED, closed_at=now
    )
    if demand.status == demand.Status.CLAIMED:
        demand.status = FinancingDemand.Status.OPEN
        demand.save(update_fields=["status"])
    for claim in lapsed:
        _tell_back_in_pool(demand, claim, "demand_claim_expired")
        notify(
            users=[claim.officer_id],
            kind="claim_lapsed",
            url=notices.demand_url(demand),
            params=notices.demand_params(demand, deadline_at=claim.deadline.isoformat()),
        )
    return lapsed


@transaction.atomic
def demand_claim(*, demand_id: int, officer) -> DemandClaim:
    """Claim (抢单) an open demand in the officer's regions; exclusive until the working-day deadline."""
    now = timezone.now()
    demand = FinancingDemand.objects.select_for_update().get(pk=demand_id)
    _expire_claims(demand, now)
    if not FinancingDemand.objects.pool_for(officer).filter(pk=demand.pk).exists():
        raise DomainError(code="not_claimable", message=_("This demand is no longer open for claiming."))
    claim = DemandClaim.objects.create(
        demand=demand,
        institution=officer.institution,
        officer=officer,
        claimed_at=now,
        deadline=deadline_after_working_days(now, settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS),
    )
    demand.status = FinancingDemand.Status.CLAIMED
    demand.save(update_fields=["status"])
    notify(
        users=notices.member_ids(demand.enterprise_id),
        kind="demand_claimed",
        url=notices.demand_url(demand),
        params=notices.demand_params(
            demand, institution=officer.institution.name, claim_id=claim.pk, deadline_at=claim.deadline.isoformat()
        ),
    )
    return claim


@transaction.atomic
def demand_claim_release(*, claim_id: int, officer) -> DemandClaim:
    """The claiming institution gives the demand back to the pool."""
    claim = DemandClaim.objects.select_for_update().select_related("demand").get(pk=claim_id)
    if not DemandClaim.objects.visible_to(officer).filter(pk=claim.pk).exists() or not officer.is_officer:
        raise DomainError(code="forbidden", message=_("This claim is not your institution's."), status=403)
    if claim.status != DemandClaim.Status.ACTIVE:
        raise DomainError(code="invalid_transition", message=_("Only an active claim can be released."))
    now = timezone.now()
    claim.status, claim.closed_at = DemandClaim.Status.RELEASED, now
    claim.save(update_fields=["status", "closed_at"])
    reopened = FinancingDemand.objects.filter(pk=claim.demand_id, status=FinancingDemand.Status.CLAIMED).update(
        status=FinancingDemand.Status.OPEN
    )
    if reopened:
        _tell_back_in_pool(claim.demand, claim, "demand_claim_released")
        _push_after_commit(
            claim.demand, reason=DemandPush.Reason.CLAIM_RELEASED, exclude_institution_ids=(claim.institution_id,)
        )
    return claim


@transaction.atomic
def demand_close(*, demand_id: int, user) -> FinancingDemand:
    """The SME withdraws its demand from the pool."""
    demand = FinancingDemand.objects.select_for_update().get(pk=demand_id)
    if not demand.enterprise.members.filter(user=user).exists():
        raise DomainError(code="forbidden", message=_("Only the enterprise can close its demand."), status=403)
    if demand.status not in (FinancingDemand.Status.OPEN, FinancingDemand.Status.CLAIMED):
        raise DomainError(code="invalid_transition", message=_("This demand can no longer be closed."))
    active = demand.claims.filter(status=DemandClaim.Status.ACTIVE)
    officer_ids = list(active.values_list("officer_id", flat=True))
    active.update(status=DemandClaim.Status.RELEASED, closed_at=timezone.now())
    demand.status = FinancingDemand.Status.CLOSED
    demand.save(update_fields=["status"])
    notify(
        users=officer_ids, kind="demand_closed", url=notices.demand_url(demand), params=notices.demand_params(demand)
    )
    return demand


def demand_claims_release_expired(*, now=None) -> int:
    """Return every demand whose claim passed its deadline to the pool, tell its enterprise (with alternatives)
    and the claiming officer, and push it to the next-best institutions, the lapsed one excluded.

    Idempotent, run by Celery beat: each demand in its own transaction under its row lock, and a claim already
    expired is not expired (nor told, nor pushed) again. Returns how many claims expired in this run.
    """
    now = now or timezone.now()
    released = 0
    expired_ids = list(
        DemandClaim.objects.filter(status=DemandClaim.Status.ACTIVE, deadline__lte=now).values_list(
            "demand_id", flat=True
        )
    )
    for demand_id in expired_ids:
        with transaction.atomic():
            demand = FinancingDemand.objects.select_for_update().get(pk=demand_id)
            lapsed = _expire_claims(demand, now)
            if lapsed and demand.status == FinancingDemand.Status.OPEN:
                lapsed_ids = {claim.institution_id for claim in lapsed}
                _push(demand, reason=DemandPush.Reason.CLAIM_EXPIRED, exclude_institution_ids=sorted(lapsed_ids))
            released += len(lapsed)
    return released
