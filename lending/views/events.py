"""Matchmaking event pages: staff organise events (invite, attendance, intents, the funnel); SMEs see the events
open to them and register or decline; officers see the events their institution takes part in and follow up
their intents. Every object comes through its visibility rule (outside it: 404); the services check the rest."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from creditinfo.models import Enterprise
from lending import selectors_events as selectors
from lending.filters_events import EventFilter, ParticipantFilter
from lending.forms_events import CriteriaInviteForm, EventForm, InviteForm
from lending.models import EventParticipant, IntentDropReason, MatchmakingEvent
from lending.services import events as services
from xinyidai.errors import DomainError
from xinyidai.forms import filter_form, form_add_domain_error
from xinyidai.views import error_message, is_input_error, paginate, role_required

E = MatchmakingEvent.Status
P = EventParticipant.Status
INTENTS_SHOWN = 50  # on the event page; the intent list has them all


def _manages(user, event: MatchmakingEvent) -> bool:
    """Staff who see an event manage it (both are their region and below)."""
    return user.is_gov_staff


def _managed_event(request, pk: int) -> MatchmakingEvent:
    event = selectors.event_detail(user=request.user, pk=pk)
    if not _manages(request.user, event):
        raise PermissionDenied
    return event


# --- lists and the event page -------------------------------------------------------------------------------


@login_required
@require_safe
def event_list(request):
    """Staff: their region's events; SMEs: events open to them or they take part in; officers: events their
    institution tree takes part in. Filters: when (upcoming / past), kind, status, region."""
    filterset = EventFilter(request.GET, queryset=selectors.event_list(user=request.user))
    filter_form(filterset)
    page_obj = paginate(request, filterset.qs)
    labels = dict(P.choices)
    page_obj.object_list = list(page_obj.object_list)
    for event in page_obj.object_list:
        event.my_status_label = labels.get(getattr(event, "my_status", None), "")
    return render(request, "lending/event_list.html", {"filter": filterset, "page_obj": page_obj})


@login_required
@require_safe
def event_detail(request, pk: int):
    event = selectors.event_detail(user=request.user, pk=pk)
    user = request.user
    context = {"event": event, "manages": _manages(user, event), "now": timezone.now()}
    if user.is_gov_staff or user.is_platform_admin:
        funnel = selectors.event_funnel(event)
        context.update(funnel=funnel, funnel_chart={"stages": funnel.stages()})
    if user.is_sme:
        context.update(_sme_context(event, user))
    else:
        participants = selectors.event_participants(user=user, event=event)
        filterset = ParticipantFilter(request.GET, queryset=participants.filter(enterprise__isnull=False))
        filter_form(filterset)
        context.update(
            institutions=list(participants.filter(institution__isnull=False)),
            participant_filter=filterset,
            page_obj=paginate(request, filterset.qs),
            seats_taken=services.seats_taken(event),
        )
    intents = selectors.intent_list(user=user).filter(event=event)
    context.update(intents=list(intents[:INTENTS_SHOWN]), intents_total=intents.count())
    context["can_follow"] = user.is_gov_staff or user.is_officer
    context["drop_reasons"] = IntentDropReason.choices
    context["can_record"] = event.status != E.CANCELLED and (user.is_gov_staff or user.is_officer)
    return render(request, "lending/event_detail.html", context)


def _sme_context(event: MatchmakingEvent, user) -> dict:
    participant = selectors.participant_for(event=event, user=user)
    status = participant.status if participant else None
    open_ = event.status == E.SCHEDULED and event.starts_at > timezone.now()
    seats_left = None
    if event.capacity is not None:
        seats_left = max(event.capacity - services.seats_taken(event), 0)
    return {
        "participant": participant,
        "seats_left": seats_left,
        "can_register": open_ and status not in (P.REGISTERED, P.ATTENDED) and seats_left != 0,
        "can_decline": open_ and status in (P.INVITED, P.REGISTERED),
        "institutions": list(selectors.event_participants(user=user, event=event).filter(institution__isnull=False)),
    }


# --- staff: create, edit, cancel, held --------------------------------------------------------------------------


@role_required("staff")
@require_http_methods(["GET", "POST"])
def event_create(request):
    form = EventForm(request.POST or None, staff=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                event = services.event_create(user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The event is created. Now invite institutions and enterprises."))
                return redirect("lending:event_detail", event.pk)
        return render(request, "lending/event_form.html", {"form": form}, status=400)
    return render(request, "lending/event_form.html", {"form": form})


@role_required("staff")
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    event = _managed_event(request, pk)
    form = EventForm(request.POST or None, staff=request.user, initial=EventForm.initial_for(event))
    if request.method == "POST":
        if form.is_valid():
            try:
                services.event_update(event_id=event.pk, user=request.user, **form.cleaned_data)
            except DomainError as error:
                if not is_input_error(error):
                    error_message(request, error)
                    return redirect("lending:event_detail", event.pk)
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The event is updated."))
                return redirect("lending:event_detail", event.pk)
        return render(request, "lending/event_form.html", {"form": form, "event": event}, status=400)
    return render(request, "lending/event_form.html", {"form": form, "event": event})


def _event_action(request, pk: int, call, done, *, lookup=None):
    """Run one event service for the request's user on the event found by `lookup` (staff: the events they
    manage), then back to the event page with its message."""
    event = (lookup or _managed_event)(request, pk)
    try:
        call(event_id=event.pk, user=request.user)
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, done)
    return redirect("lending:event_detail", event.pk)


@role_required("staff")
@require_POST
def event_cancel(request, pk: int):
    return _event_action(request, pk, services.event_cancel, _("The event is cancelled; participants are told."))


@role_required("staff")
@require_POST
def event_held(request, pk: int):
    return _event_action(request, pk, services.event_mark_held, _("The event is recorded as held."))


# --- staff: invitations and attendance ----------------------------------------------------------------------------


@role_required("staff")
@require_http_methods(["GET", "POST"])
def event_invite(request, pk: int):
    """Two forms: by hand (USCCs, institutions) and by criteria (region, industry, size, tags, grade, no loan)."""
    event = _managed_event(request, pk)
    which = request.POST.get("form") if request.method == "POST" else None
    institutions = services.invitable_institutions(event)
    by_hand = InviteForm(request.POST if which == "list" else None, institutions=institutions)
    by_criteria = CriteriaInviteForm(request.POST if which == "criteria" else None, event=event)
    if which == "list" and by_hand.is_valid():
        done = _invite_listed(request, event, by_hand)
        if done:
            return redirect("lending:event_detail", event.pk)
    elif which == "criteria" and by_criteria.is_valid():
        try:
            count = services.event_invite_by_criteria(
                event_id=event.pk, user=request.user, **by_criteria.service_kwargs()
            )
        except DomainError as error:
            if not is_input_error(error):
                error_message(request, error)
                return redirect("lending:event_detail", event.pk)
            form_add_domain_error(by_criteria, error, field_map={"region": "region", "tag_ids": "tags"})
        else:
            messages.success(request, _("%(count)d enterprises newly invited.") % {"count": count})
            return redirect("lending:event_detail", event.pk)
    context = {"event": event, "by_hand": by_hand, "by_criteria": by_criteria}
    return render(request, "lending/event_invite.html", context, status=400 if which else 200)


def _invite_listed(request, event, form) -> bool:
    codes = form.cleaned_data["usccs"]
    found = dict(Enterprise.objects.filter(uscc__in=codes).values_list("uscc", "pk"))
    unknown = [code for code in codes if code not in found]
    if unknown:
        form.add_error("usccs", _("No enterprise is registered with: %(codes)s") % {"codes": ", ".join(unknown[:10])})
        return False
    try:
        count = services.event_invite(
            event_id=event.pk,
            user=request.user,
            enterprise_ids=list(found.values()),
            institution_ids=[institution.pk for institution in form.cleaned_data["institutions"]],
        )
    except DomainError as error:
        if not is_input_error(error):
            error_message(request, error)
            return True
        form_add_domain_error(form, error, field_map={"enterprise_ids": "usccs", "institution_ids": "institutions"})
        return False
    messages.success(request, _("%(count)d newly invited.") % {"count": count})
    return True


@role_required("staff")
@require_POST
def event_attendance(request, pk: int):
    """Mark the ticked participants as attended (or absent, with the other button)."""
    event = _managed_event(request, pk)
    ids = [value for value in request.POST.getlist("participant") if value.isdigit()]
    attended = request.POST.get("attended") != "0"
    try:
        count = services.event_attendance_mark(
            event_id=event.pk, user=request.user, participant_ids=ids, attended=attended
        )
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, _("Attendance recorded for %(count)d participants.") % {"count": count})
    return redirect("lending:event_detail", event.pk)


# --- SME: register, decline --------------------------------------------------------------------------------------


def _sme_action(request, pk: int, call, done):
    return _event_action(request, pk, call, done, lookup=lambda r, k: selectors.event_detail(user=r.user, pk=k))


@role_required("sme")
@require_POST
def event_register(request, pk: int):
    return _sme_action(request, pk, services.event_register, _("Your enterprise is registered for the event."))


@role_required("sme")
@require_POST
def event_decline(request, pk: int):
    return _sme_action(request, pk, services.event_decline, _("You declined the event."))
