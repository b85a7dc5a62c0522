"""Demand pushes: an unclaimed demand is put in front of the best-ranked institutions whose products fit it.

Called by lending.services.demands when a demand is published, and again (the lapsed or releasing institution
excluded) when a claim expires or is released. Each pushed institution's officers are notified ("demand_pushed")
and the demand is flagged "recommended to you" in their pool.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lending.models import DemandClaim, DemandPush, FinancingDemand
from lending.selectors_matching import institutions_for_demand
from lending.services import notices
from xinyidai.errors import DomainError
from xinyidai.notifications import notify, officers_of

PUSH_INSTITUTIONS = 3  # how many institutions one push reaches


@transaction.atomic
def demand_push(*, demand_id: int, reason: str, exclude_institution_ids=()) -> list[DemandPush]:
    """Push the demand to the PUSH_INSTITUTIONS best-ranked institutions, and notify their officers.

    Only an unclaimed demand (open, or back in the pool) is pushed. Institutions in `exclude_institution_ids` and
    those that held a claim on the demand before (they had their turn) are skipped. Idempotent per (demand,
    institution, reason): pushing again for the same reason creates and notifies nothing new. Returns the pushes
    created now, best first.
    """
    if reason not in DemandPush.Reason.values:
        raise DomainError(code="invalid", message=_("Unknown push reason."), status=400)
    demand = (
        FinancingDemand.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk=demand_id)
        .first()
    )
    if demand is None or not FinancingDemand.objects.unclaimed().filter(pk=demand.pk).exists():
        return []
    excluded = set(exclude_institution_ids)
    excluded |= set(DemandClaim.objects.filter(demand=demand).values_list("institution_id", flat=True))
    ranked = institutions_for_demand(demand, exclude_institution_ids=sorted(excluded), limit=PUSH_INSTITUTIONS)
    already = set(DemandPush.objects.filter(demand=demand, reason=reason).values_list("institution_id", flat=True))
    pushes = DemandPush.objects.bulk_create(
        [
            DemandPush(demand=demand, institution=institution, reason=reason, rank=position, score=score)
            for position, (institution, score) in enumerate(ranked, start=1)
            if institution.pk not in already
        ]
    )
    for push in pushes:
        notify(
            users=officers_of(push.institution),
            kind="demand_pushed",
            url=notices.demand_url(demand),
            params=notices.demand_params(demand, term_months=demand.term_months, score=push.score, reason=reason),
        )
    return pushes
