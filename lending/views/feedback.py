"""Bank feedback pages: a loan's repayments and balances with the officer's feedback forms, and CSV uploads."""

from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from creditinfo.ingest import FileError
from lending import selectors
from lending.services import feedback as services
from lending.services.feedback_import import feedback_batch_import, feedback_batch_list, feedback_file_check
from xinyidai.errors import DomainError
from xinyidai.forms import form_add_domain_error
from xinyidai.ratelimits import IMPORT_LIMITS, limited_page
from xinyidai.validators import PlainTextFormMixin
from xinyidai.views import error_message, is_input_error, paginate, role_required, row_errors_csv

# Files are applied in the request (row by row through the services); larger feeds belong on the API.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def max_upload_bytes() -> int:
    """The page's file limit: settings.FEEDBACK_MAX_UPLOAD_BYTES (env XINYIDAI_FEEDBACK_MAX_UPLOAD_BYTES)."""
    return getattr(settings, "FEEDBACK_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES)


ROWS_PER_PAGE = 20
ERRORS_PER_PAGE = 50
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 18, "decimal_places": 2}


class RepaymentForm(PlainTextFormMixin, forms.Form):
    paid_on = forms.DateField(label=_("Repayment date"), widget=DATE_WIDGET)
    principal_amount = forms.DecimalField(label=_("Principal repaid (yuan)"), min_value=0.01, **MONEY)
    interest = forms.DecimalField(label=_("Interest (yuan)"), min_value=0, initial=0, required=False, **MONEY)
    reference = forms.CharField(label=_("Bank reference"), max_length=64)


class BalanceForm(PlainTextFormMixin, forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    balance = forms.DecimalField(label=_("Outstanding balance at month end (yuan)"), min_value=0, **MONEY)


class LoanDateForm(PlainTextFormMixin, forms.Form):
    on_date = forms.DateField(label=_("Date"), widget=DATE_WIDGET)


FORMS = {
    "repayment": RepaymentForm,
    "balance": BalanceForm,
    "write_off": LoanDateForm,
    "close": LoanDateForm,
}


def _forms(data=None, bound: str | None = None) -> dict:
    today = timezone.localdate()
    initial = {"paid_on": today, "on_date": today, "month": today.replace(day=1), "interest": 0}
    return {
        name: form_class(data if name == bound else None, prefix=name, initial=initial)
        for name, form_class in FORMS.items()
    }


def _feedback_context(request, loan, feedback_forms=None) -> dict:
    repayments = loan.repayments.order_by("-paid_on", "-id")
    balances = loan.balance_snapshots.order_by("-month", "-id")
    can_report = request.user.is_officer and loan.status == loan.Status.LIVE
    return {
        "loan": loan,
        "repayments": Paginator(repayments, ROWS_PER_PAGE).get_page(request.GET.get("repayments_page")),
        "balances": Paginator(balances, ROWS_PER_PAGE).get_page(request.GET.get("balances_page")),
        "forms": (feedback_forms or _forms()) if can_report else None,
    }


@require_GET
@login_required
def loan_feedback(request, pk: int):
    """A loan's repayments and monthly balances; officers of its institution tree also get the feedback forms.

    htmx (the loan page loads it into its feedback section) gets the section alone."""
    loan = selectors.loan_detail(user=request.user, pk=pk)
    template = "lending/feedback_section.html" if request.htmx else "lending/feedback_loan.html"
    return render(request, template, _feedback_context(request, loan))


def _run(kind: str, loan, user, data: dict):
    if kind == "repayment":
        data["interest"] = data.get("interest") or Decimal("0.00")  # money is a Decimal, never an int
        return services.repayment_record(loan_id=loan.pk, officer=user, **data)
    if kind == "balance":
        return services.balance_report(loan_id=loan.pk, officer=user, **data)
    if kind == "write_off":
        return services.loan_write_off(loan_id=loan.pk, officer=user, **data)
    return services.loan_close(loan_id=loan.pk, officer=user, **data)


SUCCESS = {
    "repayment": _("The repayment is recorded."),
    "balance": _("The monthly balance is recorded."),
    "write_off": _("The loan is written off."),
    "close": _("The loan is closed."),
}


@require_POST
@role_required("officer")
def loan_feedback_post(request, pk: int, kind: str):
    """One feedback form posted: applied through its service; invalid input re-renders the page with 400."""
    if kind not in FORMS:
        raise Http404
    loan = selectors.loan_detail(user=request.user, pk=pk)
    feedback_forms = _forms(request.POST, bound=kind)
    form = feedback_forms[kind]
    if form.is_valid():
        try:
            _run(kind, loan, request.user, dict(form.cleaned_data))
        except DomainError as error:
            if not is_input_error(error):
                error_message(request, error)
                return redirect("lending:loan_feedback", pk=loan.pk)
            form_add_domain_error(form, error)
        else:
            messages.success(request, SUCCESS[kind])
            return redirect("lending:loan_detail", pk=loan.pk)
    loan = selectors.loan_detail(user=request.user, pk=pk)
    return render(request, "lending/feedback_loan.html", _feedback_context(request, loan, feedback_forms), status=400)


# --- CSV uploads ------------------------------------------------------------------------------------------


class FeedbackUploadForm(PlainTextFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Feedback file"),
        help_text=_("CSV (UTF-8, UTF-8 with BOM or GB18030) in the bank feedback format described on this page."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.size:
            raise forms.ValidationError(_("The file is empty."))
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s. Send larger feeds through the API."),
                params={"size": filesizeformat(upload.size), "limit": filesizeformat(max_upload_bytes())},
            )
        try:
            feedback_file_check(upload.file)
        except FileError as error:
            raise forms.ValidationError(error.message) from None
        return upload


@require_http_methods(["GET", "POST"])
@role_required("officer")
@limited_page(*IMPORT_LIMITS)
def feedback_batches(request):
    """Upload a feedback file (applied at once) and the institution tree's earlier batches."""
    form = FeedbackUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            batch = feedback_batch_import(fileobj=upload.file, name=upload.name, officer=request.user)
            messages.success(
                request,
                _("%(applied)d rows applied, %(errors)d refused.")
                % {"applied": batch.applied_count, "errors": batch.error_count},
            )
            return redirect("lending:feedback_batch", pk=batch.pk)
        status = 400
    page_obj = paginate(request, feedback_batch_list(user=request.user))
    return render(request, "lending/feedback_batches.html", {"form": form, "page_obj": page_obj}, status=status)


@require_GET
@role_required("officer")
def feedback_batch(request, pk: int):
    """A batch: its counts and the rows it refused."""
    batch = get_object_or_404(feedback_batch_list(user=request.user), pk=pk)
    errors = paginate(request, batch.row_errors.order_by("row_number", "id"), per_page=ERRORS_PER_PAGE)
    return render(request, "lending/feedback_batch.html", {"batch": batch, "page_obj": errors})


@require_GET
@role_required("officer")
def feedback_batch_errors_csv(request, pk: int):
    """The batch's row errors as CSV (UTF-8 with a BOM, for Excel)."""
    batch = get_object_or_404(feedback_batch_list(user=request.user), pk=pk)
    return row_errors_csv(batch.row_errors.all(), filename=f"feedback-{batch.pk}-errors.csv")
