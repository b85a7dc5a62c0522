"""Financing intents on the pages: staff of the event, or officers for their institution tree, record them at an
event; officers (and staff) follow them up: contacted, the application linked by its number, the loan, or dropped
with a reason. SMEs see their own. Every intent comes through its visibility rule (outside it: 404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from creditinfo.models import Enterprise
from lending import selectors_events as selectors
from lending.filters_events import IntentFilter
from lending.forms_events import ApplicationLinkForm, DropForm, IntentForm, NoteForm
from lending.models import Application, Intent, IntentDropReason, Loan
from lending.services import events as services
from xinyidai.errors import DomainError
from xinyidai.forms import filter_form, form_add_domain_error
from xinyidai.views import error_message, is_input_error, paginate, role_required


@role_required("staff", "officer")
@require_http_methods(["GET", "POST"])
def intent_add(request, pk: int):
    """Record an intent at the event (staff of the event, or an officer for its own institution tree)."""
    event = selectors.event_detail(user=request.user, pk=pk)
    initial = {"enterprise_uscc": request.GET.get("uscc", "")[:20]}
    form = IntentForm(request.POST or None, event=event, user=request.user, initial=initial)
    if request.method == "POST":
        if form.is_valid() and _record_intent(request, event, form):
            return redirect("lending:event_detail", event.pk)
        return render(request, "lending/event_intent_form.html", {"event": event, "form": form}, status=400)
    return render(request, "lending/event_intent_form.html", {"event": event, "form": form})


def _record_intent(request, event, form) -> bool:
    data = form.cleaned_data
    enterprise = Enterprise.objects.filter(uscc=data["enterprise_uscc"]).first()
    if enterprise is None:
        form.add_error("enterprise_uscc", _("No enterprise is registered with this code."))
        return False
    try:
        services.intent_record(
            event_id=event.pk,
            user=request.user,
            enterprise_id=enterprise.pk,
            institution_id=data["institution"].pk,
            amount=data["amount"],
            note=data["note"],
        )
    except DomainError as error:
        if not is_input_error(error):
            error_message(request, error)
            return True
        form_add_domain_error(form, error, field_map={"enterprise": "enterprise_uscc"})
        return False
    messages.success(request, _("The intent is recorded."))
    return True


@role_required("staff", "officer", "sme")
@require_safe
def intent_list(request):
    """Officers: their institution tree's intents to follow up; staff: their region's; SMEs: their own."""
    filterset = IntentFilter(request.GET, queryset=selectors.intent_list(user=request.user))
    filter_form(filterset)
    page_obj = paginate(request, filterset.qs)
    context = {
        "filter": filterset,
        "page_obj": page_obj,
        "can_follow": not request.user.is_sme,
        "drop_reasons": IntentDropReason.choices,
    }
    return render(request, "lending/intent_list.html", context)


def _back(request, intent: Intent):
    target = request.POST.get("next", "")
    if target == "event":
        return redirect("lending:event_detail", intent.event_id)
    return redirect("lending:intent_list")


@role_required("staff", "officer")
@require_POST
def intent_action(request, pk: int, action: str):
    """contacted, applied (by application number), disbursed (the application's loan), drop (with a reason)."""
    intent = get_object_or_404(Intent.objects.visible_to(request.user), pk=pk)
    handler = INTENT_ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        done = handler(request, intent)
    except DomainError as error:
        error_message(request, error)
    else:
        if done:
            messages.success(request, done)
    return _back(request, intent)


def _contacted(request, intent):
    form = NoteForm(request.POST)
    if not form.is_valid():  # a refused note refuses the step: nothing is recorded without what was typed
        messages.error(request, " ".join(form.errors.get("note", [])) or _("Check the note."))
        return None
    services.intent_contacted(intent_id=intent.pk, user=request.user, note=form.cleaned_data["note"])
    return _("Marked as contacted.")


def _applied(request, intent):
    form = ApplicationLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the application number."))
        return None
    application = Application.objects.filter(number=form.cleaned_data["application_number"]).first()
    if application is None:
        messages.error(request, _("No application has this number."))
        return None
    services.intent_applied(intent_id=intent.pk, user=request.user, application_id=application.pk)
    return _("The application is linked.")


def _disbursed(request, intent):
    loan = Loan.objects.filter(application_id=intent.application_id).first() if intent.application_id else None
    if loan is None:
        messages.error(request, _("The linked application has no loan yet."))
        return None
    services.intent_disbursed(intent_id=intent.pk, user=request.user, loan_id=loan.pk)
    return _("The loan is linked.")


def _drop(request, intent):
    form = DropForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the intent went no further."))
        return None
    services.intent_drop(intent_id=intent.pk, user=request.user, **form.cleaned_data)
    return _("The intent is dropped.")


INTENT_ACTIONS = {"contacted": _contacted, "applied": _applied, "disbursed": _disbursed, "drop": _drop}
