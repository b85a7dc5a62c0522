"""Objection and repair pages: the SME disputes a record or asks to repair it and follows its requests;
platform staff work through the queue (oldest deadline first, overdue ones flagged) and answer."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from creditinfo.models import CreditRecord, Objection, RepairRequest, Severity
from creditinfo.services.objections import objection_raise, objection_resolve
from creditinfo.services.repairs import (
    is_repairable,
    repair_request_approve,
    repair_request_reject,
    repair_request_submit,
)
from xinyidai.errors import DomainError
from xinyidai.forms import form_add_domain_error
from xinyidai.validators import PlainTextFormMixin
from xinyidai.views import PAGE_SIZE, error_message, paginate, role_required

EVIDENCE_HELP = _("Optional. PDF, JPG or PNG, at most 10 MB.")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ObjectionForm(PlainTextFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the record wrong?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = forms.FileField(label=_("Evidence"), required=False, help_text=EVIDENCE_HELP)


class RepairForm(PlainTextFormMixin, forms.Form):
    obligation_fulfilled_on = forms.DateField(label=_("Obligation fulfilled on"), widget=DATE_INPUT)
    statement = forms.CharField(
        label=_("How was the obligation fulfilled?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = forms.FileField(label=_("Evidence"), required=False, help_text=EVIDENCE_HELP)


class ResolveForm(PlainTextFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        widget=forms.RadioSelect,
        choices=[(s.value, s.label) for s in Objection.Status if s != Objection.Status.OPEN],
    )
    response = forms.CharField(
        label=_("The platform's statement"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    title = forms.CharField(label=_("Corrected title"), max_length=200, required=False)
    detail = forms.CharField(label=_("Corrected detail"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    decision_date = forms.DateField(label=_("Corrected decision date"), required=False, widget=DATE_INPUT)
    severity = forms.ChoiceField(
        label=_("Corrected severity"), required=False, choices=[("", _("No severity")), *Severity.choices]
    )

    def corrections(self) -> dict:
        """The correction fields as the service takes them (blank title or date: unchanged)."""
        data = self.cleaned_data
        fixes = {"detail": data["detail"], "severity": data["severity"]}
        if data["title"].strip():
            fixes["title"] = data["title"]
        if data["decision_date"]:
            fixes["decision_date"] = data["decision_date"]
        return fixes


class DecideForm(PlainTextFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("approve", pgettext_lazy("repair decision", "Approve")),
            ("reject", pgettext_lazy("repair decision", "Reject")),
        ],
    )
    note = forms.CharField(
        label=_("Note to the enterprise"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when rejecting."),
    )


def _own_record(request, pk: int) -> CreditRecord:
    return get_object_or_404(CreditRecord.objects.visible_to(request.user).select_related("source"), pk=pk)


def _submit_page(request, *, record, form_class, service, template, done, extra=None):
    """GET shows the form; POST calls the service. Bad input re-renders with 400; a refused request, 409."""
    form = form_class(request.POST or None, request.FILES or None)
    context = {"form": form, "record": record, **(extra or {})}
    if request.method != "POST":
        return render(request, template, context)
    if form.is_valid():
        try:
            service(user=request.user, record_id=record.pk, **form.cleaned_data)
        except DomainError as error:
            if error.status == 404:
                raise Http404 from error
            form_add_domain_error(form, error)
            return render(request, template, context, status=error.status)
        messages.success(request, done)
        return redirect("creditinfo:enterprise_objections")
    return render(request, template, context, status=400)


@role_required("sme")
@require_http_methods(["GET", "POST"])
def record_dispute(request, pk: int):
    """The SME disputes one of its records (异议), with a reason and optional evidence."""
    return _submit_page(
        request,
        record=_own_record(request, pk),
        form_class=ObjectionForm,
        service=objection_raise,
        template="creditinfo/objection_form.html",
        done=_("Your objection is recorded. The platform answers within 20 days; the record shows as disputed."),
    )


@role_required("sme")
@require_http_methods(["GET", "POST"])
def record_repair(request, pk: int):
    """The SME asks for credit repair (信用修复) of a negative record."""
    record = _own_record(request, pk)
    if not is_repairable(record):
        raise Http404
    return _submit_page(
        request,
        record=record,
        form_class=RepairForm,
        service=repair_request_submit,
        template="creditinfo/repair_form.html",
        done=_("Your repair request is submitted for review."),
    )


@role_required("sme")
def enterprise_objections(request):
    """The SME's objections and repair requests with their status and answers."""
    objections = Objection.objects.visible_to(request.user).select_related("record")
    repairs = RepairRequest.objects.visible_to(request.user).select_related("record")
    context = {
        "page_obj": paginate(request, objections),
        # Its own page parameter: the two tables page independently.
        "repairs_page": Paginator(repairs, PAGE_SIZE).get_page(request.GET.get("rpage")),
        "today": timezone.localdate(),
    }
    return render(request, "creditinfo/objection_list.html", context)


# --- staff -------------------------------------------------------------------------------------------------

QUEUE_VIEWS = {
    "open": (pgettext_lazy("objection queue", "Open"), lambda qs: qs.open()),
    "overdue": (_("Overdue"), lambda qs: qs.overdue()),
    "answered": (_("Answered"), lambda qs: qs.exclude(status=Objection.Status.OPEN).order_by("-resolved_at", "-id")),
}


@role_required("staff", "admin")
def objection_queue(request):
    """Open objections in the staff member's region, the nearest deadline first; `?show=overdue` or `answered`."""
    show = request.GET.get("show") if request.GET.get("show") in QUEUE_VIEWS else "open"
    visible = Objection.objects.visible_to(request.user).select_related("record", "enterprise")
    objections = QUEUE_VIEWS[show][1](visible.order_by("due_on", "id"))
    context = {
        "page_obj": paginate(request, objections),
        "show": show,
        "tabs": [(key, label) for key, (label, _filter) in QUEUE_VIEWS.items()],
        "today": timezone.localdate(),
        "pending_repairs": RepairRequest.objects.visible_to(request.user).pending().count(),
    }
    return render(request, "creditinfo/objection_queue.html", context)


def _objection(request, pk: int) -> Objection:
    related = ("record__source", "enterprise", "raised_by", "resolved_by")
    return get_object_or_404(Objection.objects.visible_to(request.user).select_related(*related), pk=pk)


def _objection_page(request, objection, form=None, status=200):
    if form is None and objection.status == Objection.Status.OPEN and not request.user.is_sme:
        record = objection.record
        initial = {
            "title": record.title,
            "detail": record.detail,
            "decision_date": record.decision_date,
            "severity": record.severity,
        }
        form = ResolveForm(initial=initial)
    context = {"objection": objection, "record": objection.record, "form": form, "today": timezone.localdate()}
    return render(request, "creditinfo/objection_detail.html", context, status=status)


@role_required("sme", "staff", "admin")
def objection_detail(request, pk: int):
    """One objection: the record, the enterprise's reason and evidence, and the answer (or staff's resolve form)."""
    return _objection_page(request, _objection(request, pk))


@role_required("staff", "admin")
@require_POST
def objection_resolve_view(request, pk: int):
    objection = _objection(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _objection_page(request, objection, form, status=400)
    data = form.cleaned_data
    try:
        objection_resolve(
            objection_id=objection.pk,
            user=request.user,
            outcome=data["outcome"],
            response=data["response"],
            corrections=form.corrections(),
        )
    except DomainError as error:
        if error.status == 400:
            form_add_domain_error(form, error)
            return _objection_page(request, objection, form, status=400)
        error_message(request, error)
    else:
        messages.success(request, _("The objection is answered."))
    return redirect("creditinfo:objection_detail", pk=objection.pk)


@role_required("staff", "admin")
def repair_queue(request):
    """Repair requests in the staff member's region: pending ones first, the oldest first."""
    show = "decided" if request.GET.get("show") == "decided" else "pending"
    visible = RepairRequest.objects.visible_to(request.user).select_related("record", "enterprise")
    if show == "pending":
        repairs = visible.pending().order_by("created_at", "id")
    else:
        repairs = visible.exclude(status=RepairRequest.Status.PENDING).order_by("-decided_at", "-id")
    context = {"page_obj": paginate(request, repairs), "show": show}
    return render(request, "creditinfo/repair_queue.html", context)


def _repair(request, pk: int) -> RepairRequest:
    related = ("record__source", "enterprise", "requested_by", "decided_by")
    return get_object_or_404(RepairRequest.objects.visible_to(request.user).select_related(*related), pk=pk)


def _repair_page(request, repair, form=None, status=200):
    if form is None and repair.status == RepairRequest.Status.PENDING and not request.user.is_sme:
        form = DecideForm()
    context = {"repair": repair, "record": repair.record, "form": form}
    return render(request, "creditinfo/repair_detail.html", context, status=status)


@role_required("sme", "staff", "admin")
def repair_detail(request, pk: int):
    return _repair_page(request, _repair(request, pk))


@role_required("staff", "admin")
@require_POST
def repair_decide(request, pk: int):
    repair = _repair(request, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        return _repair_page(request, repair, form, status=400)
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
    try:
        if decision == "approve":
            repair_request_approve(repair_id=repair.pk, user=request.user, note=note)
        else:
            repair_request_reject(repair_id=repair.pk, user=request.user, note=note)
    except DomainError as error:
        if error.status == 400:
            form_add_domain_error(form, error)
            return _repair_page(request, repair, form, status=400)
        error_message(request, error)
    else:
        messages.success(request, _("The repair request is decided."))
    return redirect("creditinfo:repair_detail", pk=repair.pk)


def _evidence(file_field):
    if not file_field:
        raise Http404
    return FileResponse(file_field.open("rb"), as_attachment=True, filename=file_field.name.rsplit("/", 1)[-1])


@role_required("sme", "staff", "admin")
def objection_evidence(request, pk: int):
    """The evidence file, to those who may see the objection only (media files are not served publicly)."""
    return _evidence(_objection(request, pk).evidence)


@role_required("sme", "staff", "admin")
def repair_evidence(request, pk: int):
    return _evidence(_repair(request, pk).evidence)
