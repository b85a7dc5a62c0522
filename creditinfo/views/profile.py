"""The standardized credit profile (officers under consent, the SME its own) and the SME's query log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from creditinfo.models import QueryLog
from creditinfo.selectors import credit_profile, query_log_for_enterprise
from creditinfo.services.enterprises import enterprise_for_user
from creditinfo.services.objections import record_action_flags
from creditinfo.services.queries import credit_query_open
from xinyidai.views import paginate_keyset, role_required


@login_required
@require_safe
def profile(request, pk: int):
    """An officer's view of an enterprise's profile: only under a live authorization, and logged (else 404).

    Staff, admins and SMEs get 404 as well: staff see aggregates, admins the Django admin, an SME its own
    profile at creditinfo:my_profile.
    """
    if not request.user.is_officer:
        raise Http404
    enterprise, entry = credit_query_open(user=request.user, enterprise_id=pk, what=QueryLog.What.PROFILE)
    context = {
        "profile": credit_profile(enterprise_id=enterprise.pk),
        "authorization": entry.authorization,
        "own": False,
        "show_record_actions": False,
    }
    return render(request, "creditinfo/profile.html", context)


@login_required
@require_safe
def my_profile(request):
    """The SME's own profile, as banks see it; not a query (the enterprise looks at itself), so not logged."""
    if not request.user.is_sme:
        raise Http404
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        messages.info(request, _("Register the enterprise you act for first."))
        return redirect("creditinfo:enterprise_register")
    profile = credit_profile(enterprise_id=enterprise.pk)
    context = {
        "profile": profile,
        "authorization": None,
        "own": True,
        # The dispute / repair buttons (creditinfo/_record_actions.html) are the enterprise's own actions.
        "show_record_actions": True,
        **record_action_flags(row.pk for section in profile.sections for row in section.rows),
    }
    return render(request, "creditinfo/profile.html", context)


@role_required("sme")
@require_safe
def query_log(request):
    """Who looked at the SME's credit information: officer, institution, purpose, what, when (newest first)."""
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        return redirect("creditinfo:enterprise_register")
    page_obj = paginate_keyset(request, query_log_for_enterprise(enterprise_id=enterprise.pk), key="created_at")
    return render(request, "creditinfo/query_log.html", {"page_obj": page_obj, "enterprise": enterprise})
