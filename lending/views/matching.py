"""Recommendations: products ranked for an SME, and an officer's product ranked against the pool (matches)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _

from creditinfo.services.enterprises import enterprise_for_user
from lending.models import Product
from lending.selectors_matching import (
    attach_products,
    demands_for_product,
    enterprises_for_product,
    rank_products_for,
)
from lending.views.demands import with_mode_labels
from xinyidai.views import paginate, role_required

MATCHES_PER_PAGE = 25
MAX_PAGE = 400  # deep enough for any officer; bounds the OFFSET a crafted URL can ask for
TABS = ("demands", "enterprises")


@role_required("sme")
def recommendations(request):
    """Listed products ranked for the SME's enterprise (and its latest open demand), each with its reasons."""
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        messages.info(request, _("Register your enterprise to see the products recommended for it."))
        return redirect("creditinfo:enterprise_register")
    matches = rank_products_for(enterprise)  # every listed product, ranked; the page gets its Product rows
    page_obj = paginate(request, matches)
    page_obj.object_list = attach_products(page_obj.object_list)
    demand = matches[0].demand if matches else None
    eligible = sum(1 for m in matches if m.eligible)
    context = {"page_obj": page_obj, "enterprise": enterprise, "demand": demand, "eligible_count": eligible}
    return render(request, "lending/recommendations.html", context)


def _page_number(request) -> int:
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    return min(max(number, 1), MAX_PAGE)


@role_required("officer")
def product_matches(request, pk: int):
    """One of the institution's products against the officer's pool: ranked open demands, or ranked
    enterprises (pool demands and first-loan outreach leads), with the reasons and the advisory grade."""
    product = get_object_or_404(Product.objects.editable_by(request.user).select_related("institution"), pk=pk)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else TABS[0]
    number = _page_number(request)
    offset = (number - 1) * MATCHES_PER_PAGE
    select = demands_for_product if tab == "demands" else enterprises_for_product
    rows = select(product, officer=request.user, limit=MATCHES_PER_PAGE + 1, offset=offset)
    has_next, rows = len(rows) > MATCHES_PER_PAGE, rows[:MATCHES_PER_PAGE]
    if tab == "demands":
        with_mode_labels([row.demand for row in rows])  # labels the demands in place
    context = {
        "product": product,
        "tab": tab,
        "rows": rows,
        "number": number,
        "has_previous": number > 1,
        "has_next": has_next,
        "first_rank": offset + 1,
    }
    return render(request, "lending/product_matches.html", context)
