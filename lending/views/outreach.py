"""First-loan outreach pages: staff's candidate list (filters, export, invite to an event, push to banks) and
officers' outreach leads (mark contacted).

The query string of the list is its filter, everywhere: the page, the exports and the two actions (which post the
selection and carry the filter in their URL, so "all matching the filter" means what the page shows).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from creditinfo.models import EnterpriseTag, SizeClass
from lending.models import MatchmakingEvent, OutreachLead
from lending.selectors_outreach import (
    GRADES,
    CandidateCriteria,
    candidate_page,
    first_loan_candidates,
    lead_list,
    may_do_outreach,
    outreach_region,
    region_choices,
)
from lending.services.outreach import NOTE_MAX, outreach_invite, outreach_lead_contacted, outreach_push
from xinyidai.errors import DomainError
from xinyidai.exports import ExportColumn, ascii_filename, csv_stream_response, xlsx_response
from xinyidai.models import Industry, Region
from xinyidai.validators import PlainTextFormMixin
from xinyidai.views import error_message, paginate_keyset, role_required

XLSX_MAX_ROWS = 10_000  # a workbook is built in memory: larger lists go out as CSV, which streams


def _upcoming_events(user):
    """Scheduled events of the staff's region and below that have not started: what candidates can be invited to."""
    events = MatchmakingEvent.objects.filter(status=MatchmakingEvent.Status.SCHEDULED, starts_at__gt=timezone.now())
    if user.is_gov_staff:
        events = events.filter(user.region.subtree_q("region"))
    return events.select_related("region").order_by("starts_at", "id")


class CandidateFilterForm(forms.Form):
    """The candidate list's filters, from the query string; the region is checked against the user's scope by
    the selector (a region outside it answers 404)."""

    region = forms.CharField(label=_("Region"), required=False, widget=forms.Select(attrs={"class": "form-select"}))
    section = forms.MultipleChoiceField(
        label=_("Industry sections"),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 6}),
    )
    size = forms.MultipleChoiceField(
        label=_("Size classes"), required=False, choices=SizeClass.choices, widget=forms.CheckboxSelectMultiple
    )
    tag = forms.MultipleChoiceField(label=_("Tags"), required=False, widget=forms.CheckboxSelectMultiple)
    min_grade = forms.ChoiceField(
        label=_("Minimum grade"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    open_demand = forms.NullBooleanField(
        label=_("Has an open demand"),
        required=False,
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))], attrs={"class": "form-select"}
        ),
    )
    not_invited = forms.TypedChoiceField(
        label=_("Not yet invited to"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("newest", _("Registered, newest first")), ("oldest", _("Registered, oldest first"))],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, data, *, user, events):
        super().__init__(data)
        self.user = user
        self.fields["region"].widget.choices = [("", _("All of my region"))] + [
            (code, label) for code, label in region_choices_by_code(user)
        ]
        sections = Industry.objects.filter(level=Industry.Level.SECTION).order_by("code")
        self.fields["section"].choices = [(s.code, f"{s.code} {s.name}") for s in sections]
        tags = list(EnterpriseTag.objects.order_by("code"))
        self.fields["tag"].choices = [(t.code, t.name) for t in tags]
        self.tag_ids = {t.code: t.pk for t in tags}
        grades = [(g, _("%(grade)s or better") % {"grade": g}) for g in GRADES]
        self.fields["min_grade"].choices = [("", _("Any grade")), *grades]
        self.fields["not_invited"].choices = [("", _("No event filter"))] + [
            (e.pk, f"{timezone.localtime(e.starts_at):%Y-%m-%d} {e.title}") for e in events
        ]

    def criteria(self) -> tuple[CandidateCriteria, str]:
        data = self.cleaned_data
        region_id = None
        if data["region"]:
            region_id = Region.objects.filter(code=data["region"]).values_list("pk", flat=True).first()
            if region_id is None:
                raise Http404
        criteria = CandidateCriteria(
            region_id=region_id,
            section_codes=tuple(data["section"]),
            size_classes=tuple(data["size"]),
            tag_ids=tuple(self.tag_ids[code] for code in data["tag"]),
            min_grade=data["min_grade"] or "",
            has_open_demand=data["open_demand"],
            not_invited_to_event=data["not_invited"],
        )
        return criteria, data["order"] or "newest"


def region_choices_by_code(user) -> list[tuple[str, str]]:
    codes = dict(Region.objects.values_list("pk", "code"))
    return [(codes[pk], label) for pk, label in region_choices(user)]


def _parse(request, data=None):
    """(form, criteria, order, region shown) from the query string; criteria is None when the form is invalid."""
    if not may_do_outreach(request.user):
        raise PermissionDenied
    events = list(_upcoming_events(request.user))
    form = CandidateFilterForm(data if data is not None else request.GET, user=request.user, events=events)
    if not form.is_valid():
        return form, None, "newest", outreach_region(request.user), events
    criteria, order = form.criteria()
    return form, criteria, order, outreach_region(request.user, criteria.region_id), events


def _filter_query(request) -> str:
    """The filter part of the query string (no cursor): what exports and actions carry."""
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


@require_safe
@role_required("staff", "admin")
def outreach_list(request):
    """First-loan candidates of the staff's region, filtered, with the invite and push actions."""
    form, criteria, order, region, events = _parse(request)
    context = {"form": form, "region": region, "events": events, "query": _filter_query(request)}
    if criteria is None:
        return render(request, "lending/outreach_list.html", {**context, "invalid": True}, status=400)
    candidates = first_loan_candidates(request.user, **criteria.as_kwargs(), order=order)
    page_obj = candidate_page(candidates, cursor=request.GET.get("cursor"), order=order)
    return render(request, "lending/outreach_list.html", {**context, "page_obj": page_obj})


# --- actions ----------------------------------------------------------------------------------------------


def _selection(request) -> tuple[list[int] | None, bool]:
    """(enterprise ids, all_matching) from the posted form; ids are None when "all matching" is ticked."""
    if request.POST.get("all_matching") == "1":
        return None, True
    ids = []
    for value in request.POST.getlist("enterprise"):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids, False


def _back(request):
    query = _filter_query(request)
    return redirect(reverse("lending:outreach_list") + (f"?{query}" if query else ""))


@require_POST
@role_required("staff", "admin")
def outreach_push_view(request):
    """Push the selected candidates (or all matching the filter) to the banks serving their region."""
    form, criteria, _order, _region, _events = _parse(request)
    if criteria is None:
        messages.error(request, _("The filter is not valid; correct it and try again."))
        return _back(request)
    ids, all_matching = _selection(request)
    if not all_matching and not ids:
        messages.error(request, _("Tick the enterprises to push, or all enterprises matching the filter."))
        return _back(request)
    try:
        if all_matching:
            count = outreach_push(user=request.user, criteria=criteria.as_kwargs())
        else:
            count = outreach_push(user=request.user, enterprise_ids=ids)
    except DomainError as error:
        error_message(request, error)
        return _back(request)
    if count:
        messages.success(
            request,
            _("%(count)d enterprises were pushed to the banks serving their region; their officers are notified.")
            % {"count": count},
        )
    else:
        messages.info(request, _("Nothing new to push: the chosen enterprises are already on the banks' lists."))
    return _back(request)


@require_POST
@role_required("staff", "admin")
def outreach_invite_view(request):
    """Invite the selected candidates (or all matching the filter) to an upcoming event of the staff's region."""
    form, criteria, _order, _region, events = _parse(request)
    if criteria is None:
        messages.error(request, _("The filter is not valid; correct it and try again."))
        return _back(request)
    event = next((e for e in events if str(e.pk) == request.POST.get("event", "")), None)
    if event is None:
        messages.error(request, _("Choose an upcoming event of your region."))
        return _back(request)
    ids, all_matching = _selection(request)
    if not all_matching and not ids:
        messages.error(request, _("Tick the enterprises to invite, or all enterprises matching the filter."))
        return _back(request)
    try:
        if all_matching:
            invited, outside = outreach_invite(user=request.user, event_id=event.pk, criteria=criteria.as_kwargs())
        else:
            invited, outside = outreach_invite(user=request.user, event_id=event.pk, enterprise_ids=ids)
    except DomainError as error:
        error_message(request, error)
        return _back(request)
    messages.success(
        request,
        _("%(count)d enterprises were newly invited to %(event)s.") % {"count": invited, "event": event.title},
    )
    if outside:
        messages.warning(
            request,
            _("%(count)d chosen enterprises are outside the event's region (%(region)s) and were not invited.")
            % {"count": outside, "region": event.region.name},
        )
    return _back(request)


# --- exports ---------------------------------------------------------------------------------------------


def _columns() -> list[ExportColumn]:
    return [
        ExportColumn(str(_("Enterprise"))),
        ExportColumn(str(_("USCC"))),
        ExportColumn(str(_("City"))),
        ExportColumn(str(_("County"))),
        ExportColumn(str(_("Industry section"))),
        ExportColumn(str(_("Industry"))),
        ExportColumn(str(_("Size class"))),
        ExportColumn(str(_("Tags"))),
        ExportColumn(str(_("Grade (advisory)"))),
        ExportColumn(str(_("Registered on"))),
        ExportColumn(str(_("Open demand"))),
        ExportColumn(str(_("Pushed to banks"))),
    ]


def candidate_row(enterprise) -> list:
    """One candidate as plain export values (the same facts the page shows)."""
    region = enterprise.region
    city, county = (
        (region.parent.name, region.name) if region.parent_id and region.level == "county" else (region.name, "")
    )
    industry = enterprise.industry
    evaluation = getattr(enterprise, "evaluation", None)
    yes, no = str(_("Yes")), str(_("No"))
    return [
        enterprise.name,
        enterprise.uscc,
        city,
        county,
        industry.section_code if industry else "",
        industry.name if industry else "",
        enterprise.get_size_class_display(),
        "、".join(t.name for t in enterprise.tags.all()),
        evaluation.grade if evaluation else "",
        f"{timezone.localtime(enterprise.created_at):%Y-%m-%d}",
        yes if enterprise.has_open_demand else no,
        yes if enterprise.pushed else no,
    ]


def _export_name(region: Region | None, fmt: str) -> str:
    code = region.code if region is not None else "all"
    return ascii_filename(f"first-loan-candidates-{code}-{timezone.localdate():%Y%m%d}.{fmt}")


@require_safe
@role_required("staff", "admin")
def outreach_export(request, fmt: str):
    """The filtered candidate list as CSV (streamed, every row) or XLSX (the first XLSX_MAX_ROWS rows)."""
    form, criteria, order, region, _events = _parse(request)
    if criteria is None:
        raise Http404
    candidates = first_loan_candidates(request.user, **criteria.as_kwargs(), order=order)
    columns = _columns()
    if fmt == "xlsx":
        rows = [candidate_row(e) for e in candidates[: XLSX_MAX_ROWS + 1]]
        if len(rows) > XLSX_MAX_ROWS:
            note = _("Only the first %(count)s rows: download the CSV for the whole list.") % {
                "count": f"{XLSX_MAX_ROWS:,}"
            }
            rows = [*rows[:XLSX_MAX_ROWS], [note] + [""] * (len(columns) - 1)]
        return xlsx_response(
            filename=_export_name(region, "xlsx"),
            columns=columns,
            rows=rows,
            sheet_title=str(_("First-loan candidates")),
        )
    return _csv_stream(_export_name(region, "csv"), columns, candidates)


def _csv_stream(filename: str, columns: list[ExportColumn], candidates):
    """Written as the rows are read: constant memory whatever the list's length."""
    rows = (candidate_row(enterprise) for enterprise in candidates.iterator(chunk_size=2000))
    return csv_stream_response(filename=filename, columns=columns, rows=rows)


# --- officers: outreach leads -------------------------------------------------------------------------------

LEAD_TABS = {"open": OutreachLead.Status.OPEN, "contacted": OutreachLead.Status.CONTACTED}


@require_safe
@role_required("officer")
def outreach_leads(request):
    """Open first-loan leads in the region the officer's institution serves, and those it has contacted."""
    tab = request.GET.get("status", "open")
    if tab not in LEAD_TABS:
        tab = "open"
    page_obj = paginate_keyset(request, lead_list(user=request.user, status=LEAD_TABS[tab]), key="pushed_at")
    context = {"page_obj": page_obj, "tab": tab, "note_max": OutreachLead._meta.get_field("note").max_length}
    return render(request, "lending/outreach_leads.html", context)


class LeadContactedForm(PlainTextFormMixin, forms.Form):
    note = forms.CharField(max_length=NOTE_MAX, required=False)


@require_POST
@role_required("officer")
def outreach_lead_contacted_view(request, pk: int):
    """Record that the officer's institution contacted the lead's enterprise."""
    back = redirect(reverse("lending:outreach_leads") + "?" + urlencode({"status": "open"}))
    form = LeadContactedForm(request.POST)
    if not form.is_valid():  # the same plain-text rule as every form: refused, nothing recorded
        messages.error(request, " ".join(form.errors.get("note", [])))
        return back
    try:
        lead = outreach_lead_contacted(lead_id=pk, officer=request.user, note=form.cleaned_data["note"])
    except DomainError as error:
        if error.status == 404:
            raise Http404 from error
        error_message(request, error)
    else:
        messages.success(request, _("Contact with %(enterprise)s recorded.") % {"enterprise": lead.enterprise.name})
    return redirect(reverse("lending:outreach_leads") + "?" + urlencode({"status": "open"}))
