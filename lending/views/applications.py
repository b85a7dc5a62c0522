"""Applications: applying with consent, the lists, the detail page and its lifecycle actions."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from creditinfo.models import Authorization
from creditinfo.services.authorizations import consent_text
from creditinfo.services.enterprises import enterprise_for_user
from lending import selectors
from lending.filters import ApplicationFilter
from lending.forms import ApplyForm, ApproveForm, DisburseForm, NoteForm, RejectForm
from lending.models import Application
from lending.services import applications as services
from xinyidai.errors import DomainError
from xinyidai.forms import filter_form, form_add_domain_error
from xinyidai.views import error_message, is_input_error, paginate_keyset, role_required

S = Application.Status
ALTERNATIVES = 3  # products offered to an SME whose application was rejected or whose demand came back


def alternatives_for(enterprise, *, demand=None, exclude_product_id: int | None = None) -> list:
    """The best-ranked eligible products for the enterprise (lending.selectors_matching), the one just refused
    left out: the "Alternatives" box of an SME whose application was rejected or whose demand came back."""
    from lending.selectors_matching import products_for_enterprise

    ranked = products_for_enterprise(enterprise, limit=ALTERNATIVES + 1, demand=demand)
    return [m for m in ranked if m.eligible and m.product.pk != exclude_product_id][:ALTERNATIVES]


def apply_page(request, *, institution, target: dict, back: tuple, initial: dict, context: dict):
    """GET shows the application form and the consent text; POST submits through application_submit.

    `target` is {"product_id": ...} or {"claim_id": ...}; a refused application goes back to `back`.
    """
    if enterprise_for_user(request.user) is None:
        messages.info(request, _("Register your enterprise before applying."))
        return redirect("creditinfo:enterprise_register")
    form = ApplyForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                application = services.application_submit(user=request.user, **target, **form.cleaned_data)
            except DomainError as error:
                if not is_input_error(error):
                    error_message(request, error)
                    return redirect(*back)
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("Your application is submitted."))
                return redirect("lending:application_detail", application.pk)
        status = 400
    until = timezone.now() + datetime.timedelta(days=settings.XINYIDAI_CONSENT_DAYS)
    context = {
        **context,
        "form": form,
        "institution": institution,
        "consent_text": consent_text(institution=institution, purpose=Authorization.Purpose.LOAN_REVIEW, until=until),
        "consent_days": settings.XINYIDAI_CONSENT_DAYS,
        "back": back,
    }
    return render(request, "lending/apply_form.html", context, status=status)


@login_required
def application_list(request):
    """SMEs: their enterprise's applications; staff: their region's; officers: their institution tree's."""
    filterset = ApplicationFilter(request.GET, queryset=selectors.application_list(user=request.user))
    filter_form(filterset)
    page_obj = paginate_keyset(request, filterset.qs, key="submitted_at")
    return render(request, "lending/application_list.html", {"filter": filterset, "page_obj": page_obj})


@role_required("officer")
def officer_inbox(request):
    """The officer's institution tree's applications, with status tabs and the overdue flag."""
    applications = selectors.application_list(user=request.user)
    filterset = ApplicationFilter(request.GET, queryset=applications)
    filter_form(filterset)
    page_obj = paginate_keyset(request, filterset.qs, key="submitted_at")
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "overdue_count": applications.overdue().count(),
        "status_tabs": [
            (S.SUBMITTED, S.SUBMITTED.label),
            (S.ACCEPTED, S.ACCEPTED.label),
            (S.APPROVED, S.APPROVED.label),
        ],
        "current_status": request.GET.getlist("status"),
    }
    return render(request, "lending/officer_inbox.html", context)


@dataclass(frozen=True)
class Action:
    """A lifecycle action on the detail page: who may do it, from which state, its form and its service."""

    role: str  # "officer" or "sme"
    from_status: str
    form_class: type | None
    service: object
    done: str

    def actor_kwargs(self, user) -> dict:
        return {"officer": user} if self.role == "officer" else {"user": user}


ACTIONS = {
    "accept": Action("officer", S.SUBMITTED, None, services.application_accept, _("The application is accepted.")),
    "approve": Action("officer", S.ACCEPTED, ApproveForm, services.application_approve, _("Credit is approved.")),
    "reject": Action("officer", S.ACCEPTED, RejectForm, services.application_reject, _("The application is rejected.")),
    "disburse": Action("officer", S.APPROVED, DisburseForm, services.application_disburse, _("The loan is recorded.")),
    "withdraw": Action("sme", S.SUBMITTED, NoteForm, services.application_withdraw, _("The application is withdrawn.")),
    "decline": Action("sme", S.APPROVED, NoteForm, services.application_decline, _("You declined the offer.")),
}


def allowed_actions(application: Application, user) -> list[str]:
    """Actions to offer this user on this application now (the services still check everything)."""
    role = "officer" if user.is_officer else "sme" if user.is_sme else None
    return [name for name, a in ACTIONS.items() if a.role == role and a.from_status == application.status]


def _blank_form(name: str, application: Application):
    form_class = ACTIONS[name].form_class
    if form_class is ApproveForm:
        mode = application.product.guarantee_mode if application.product_id else ""
        initial = {"amount": application.amount, "term_months": application.term_months, "guarantee_mode": mode}
        return ApproveForm(initial=initial, prefix=name)
    return form_class(prefix=name) if form_class else None


def _render_detail(request, application: Application, *, bound: tuple | None = None, status: int = 200):
    action_forms = {}
    for name in allowed_actions(application, request.user):
        action_forms[name] = bound[1] if bound and bound[0] == name else _blank_form(name, application)
    try:
        decision = application.decision
    except ObjectDoesNotExist:
        decision = None
    context = {
        "application": application,
        "decision": decision,
        "loan": application.loan_or_none,
        "events": application.events.all(),
        "actions": action_forms,
    }
    if application.status == S.REJECTED and request.user.is_sme:
        context["alternatives"] = alternatives_for(application.enterprise, exclude_product_id=application.product_id)
    return render(request, "lending/application_detail.html", context, status=status)


@login_required
def application_detail(request, pk: int):
    return _render_detail(request, selectors.application_detail(user=request.user, pk=pk))


def _act(request, pk: int, name: str):
    """Run one lifecycle action. Invalid input re-renders the page (400); a refused action redirects back."""
    action = ACTIONS[name]
    application = selectors.application_detail(user=request.user, pk=pk)
    form = action.form_class(request.POST, prefix=name) if action.form_class else None
    if form is not None and not form.is_valid():
        return _render_detail(request, application, bound=(name, form), status=400)
    try:
        result = action.service(
            application_id=application.pk, **action.actor_kwargs(request.user), **(form.cleaned_data if form else {})
        )
    except DomainError as error:
        if form is not None and is_input_error(error):
            form_add_domain_error(form, error)
            return _render_detail(request, application, bound=(name, form), status=400)
        error_message(request, error)
        return redirect("lending:application_detail", application.pk)
    messages.success(request, action.done)
    if name == "disburse":
        return redirect("lending:loan_detail", result.pk)
    return redirect("lending:application_detail", application.pk)


@role_required("officer")
@require_POST
def application_accept(request, pk: int):
    return _act(request, pk, "accept")


@role_required("officer")
@require_POST
def application_approve(request, pk: int):
    return _act(request, pk, "approve")


@role_required("officer")
@require_POST
def application_reject(request, pk: int):
    return _act(request, pk, "reject")


@role_required("officer")
@require_POST
def application_disburse(request, pk: int):
    return _act(request, pk, "disburse")


@role_required("sme")
@require_POST
def application_withdraw(request, pk: int):
    return _act(request, pk, "withdraw")


@role_required("sme")
@require_POST
def application_decline(request, pk: int):
    return _act(request, pk, "decline")
