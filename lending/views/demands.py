"""Financing demands (融资需求): SMEs publish and close them; officers claim (抢单) from the pool and release."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from creditinfo.services.enterprises import enterprise_for_user
from lending import selectors
from lending.filters import DemandFilter
from lending.forms import DemandForm
from lending.models import DemandClaim, FinancingDemand, GuaranteeMode
from lending.selectors_matching import pushed_flag
from lending.services import demands as services
from lending.views.applications import alternatives_for, apply_page
from xinyidai.errors import DomainError
from xinyidai.forms import filter_form, form_add_domain_error
from xinyidai.views import error_message, paginate, paginate_keyset, role_required

CLAIMS_SHOWN = 10  # the soonest deadlines; the claims page lists them all


def with_mode_labels(demands) -> list:
    """Attach the acceptable guarantee modes' labels (the JSON list holds codes such as "04")."""
    demands = list(demands)
    for demand in demands:
        demand.mode_labels = [
            GuaranteeMode(code).label for code in demand.guarantee_modes if code in GuaranteeMode.values
        ]
    return demands


@login_required
def demand_list(request):
    """SMEs: their enterprise's demands (staff: their region's; officers: what they may see)."""
    filterset = DemandFilter(request.GET, queryset=selectors.demand_list(user=request.user))
    filter_form(filterset)
    page_obj = paginate_keyset(request, filterset.qs, key="created_at")
    return render(request, "lending/demand_list.html", {"filter": filterset, "page_obj": page_obj})


@role_required("sme")
@require_http_methods(["GET", "POST"])
def demand_create(request):
    if enterprise_for_user(request.user) is None:
        messages.info(request, _("Register your enterprise before publishing a demand."))
        return redirect("creditinfo:enterprise_register")
    form = DemandForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                demand = services.demand_publish(user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("Your demand is published to the banks serving your region."))
                return redirect("lending:demand_detail", demand.pk)
        return render(request, "lending/demand_form.html", {"form": form}, status=400)
    return render(request, "lending/demand_form.html", {"form": form})


@login_required
def demand_detail(request, pk: int):
    demand = with_mode_labels([selectors.demand_detail(user=request.user, pk=pk)])[0]
    user = request.user
    # Officers see only their own institution's claims on a demand, never a competitor's.
    visible_claims = set(DemandClaim.objects.visible_to(user).filter(demand=demand).values_list("pk", flat=True))
    claims = [claim for claim in demand.claims.all() if claim.pk in visible_claims]
    now = timezone.now()
    for claim in claims:
        claim.is_live = claim.status == DemandClaim.Status.ACTIVE and claim.deadline > now
    is_member = user.is_sme and demand.enterprise.members.filter(user=user).exists()
    context = {
        "demand": demand,
        "claims": claims,
        "is_member": is_member,
        "can_close": is_member and demand.status in (FinancingDemand.Status.OPEN, FinancingDemand.Status.CLAIMED),
        "can_claim": user.is_officer and FinancingDemand.objects.pool_for(user).filter(pk=demand.pk).exists(),
    }
    # A demand back in the pool (a claim lapsed or was released): the SME is offered alternatives meanwhile.
    returned = (DemandClaim.Status.EXPIRED, DemandClaim.Status.RELEASED)
    if is_member and demand.status == FinancingDemand.Status.OPEN and any(c.status in returned for c in claims):
        context["alternatives"] = alternatives_for(demand.enterprise, demand=demand)
    return render(request, "lending/demand_detail.html", context)


@role_required("sme")
@require_POST
def demand_close(request, pk: int):
    demand = get_object_or_404(FinancingDemand.objects.visible_to(request.user), pk=pk)
    try:
        services.demand_close(demand_id=demand.pk, user=request.user)
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, _("The demand is closed."))
    return redirect("lending:demand_detail", demand.pk)


@role_required("officer")
def demand_pool(request):
    """Open demands in the officer's regions (filterable), and the institution's active claims."""
    # `pushed`: recommended to the officer's institution (lending.services.matching), flagged on the row.
    pool = selectors.demand_pool(officer=request.user).annotate(pushed=pushed_flag(request.user))
    filterset = DemandFilter(request.GET, queryset=pool)
    filter_form(filterset)
    page_obj = paginate_keyset(request, filterset.qs, key="created_at")
    page_obj.object_list = with_mode_labels(page_obj.object_list)
    claims = selectors.claims_for_officer(officer=request.user)
    shown = _with_liveness(claims[:CLAIMS_SHOWN])  # joins the claiming branch
    context = {"filter": filterset, "page_obj": page_obj, "claims": shown, "claims_total": claims.count()}
    return render(request, "lending/demand_pool.html", context)


def _with_liveness(claims) -> list:
    now = timezone.now()
    claims = list(claims)
    for claim in claims:
        claim.is_live = claim.deadline > now
    return claims


@role_required("officer")
def claim_list(request):
    """All of the institution's active claims, soonest deadline first."""
    page_obj = paginate(request, selectors.claims_for_officer(officer=request.user))
    page_obj.object_list = _with_liveness(page_obj.object_list)
    return render(request, "lending/claim_list.html", {"page_obj": page_obj, "claims": page_obj.object_list})


@role_required("officer")
@require_POST
def demand_claim(request, pk: int):
    demand = get_object_or_404(FinancingDemand.objects.visible_to(request.user), pk=pk)
    try:
        claim = services.demand_claim(demand_id=demand.pk, officer=request.user)
    except DomainError as error:
        error_message(request, error)
    else:
        deadline = timezone.localtime(claim.deadline).strftime("%Y-%m-%d %H:%M")
        messages.success(request, _("Claimed. Contact the enterprise before %(deadline)s.") % {"deadline": deadline})
    return redirect("lending:demand_pool")


@role_required("officer")
@require_POST
def claim_release(request, pk: int):
    claim = get_object_or_404(DemandClaim.objects.visible_to(request.user), pk=pk)
    try:
        services.demand_claim_release(claim_id=claim.pk, officer=request.user)
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, _("The demand is back in the pool."))
    return redirect("lending:demand_pool")


@role_required("sme")
@require_http_methods(["GET", "POST"])
def claim_apply(request, pk: int):
    """Apply to the institution that claimed the SME's demand, with the same consent step as a product."""
    claim = get_object_or_404(
        DemandClaim.objects.visible_to(request.user).select_related("demand", "institution"), pk=pk
    )
    if claim.status != DemandClaim.Status.ACTIVE or claim.deadline <= timezone.now():
        messages.error(request, _("This claim is no longer active."))
        return redirect("lending:demand_detail", claim.demand_id)
    demand = claim.demand
    return apply_page(
        request,
        institution=claim.institution,
        target={"claim_id": claim.pk},
        back=("lending:demand_detail", demand.pk),
        initial={"amount": demand.amount, "term_months": demand.term_months, "purpose": demand.purpose},
        context={"claim": claim, "demand": demand},
    )
