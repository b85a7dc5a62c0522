"""The government dashboard: the page, its tables as CSV/XLSX, and the whole of it as a PDF.

Government staff see their region and below; a bank's head-office officers see their own institution
(lending.dashboard.dashboard_scope). The query string is the same everywhere: `region` (a GB/T 2260 code at or
below the user's region), `from` and `to` (YYYY-MM; default the last 12 months ending this month).
"""

import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from lending.dashboard import (
    DEFAULT_MONTHS,
    MAX_MONTHS,
    DashboardScope,
    Period,
    add_months,
    build_tables,
    dashboard_context,
    dashboard_scope,
    may_view_dashboard,
)
from lending.rollups import month_start
from xinyidai.exports import ExportColumn, ascii_filename, csv_response, xlsx_response

TEMPLATE = "lending/dashboard.html"
PDF_TEMPLATE = "lending/dashboard_pdf.html"
EXPORT_KINDS = {"money": "money", "count": "int", "share": "ratio"}


class MonthField(forms.DateField):
    """A month as YYYY-MM (the browser's <input type="month">), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}


class DashboardFilterForm(forms.Form):
    """Shape of the query string; the region's scope is checked by dashboard_scope (404 outside)."""

    region = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        validators=[RegexValidator(r"^\d{6}$", _("A region is a 6-digit GB/T 2260 code."))],
    )

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = MonthField(label=_("From month"), required=False)
        self.fields["to"] = MonthField(label=_("To month"), required=False)
        self.order_fields(["from", "to", "region"])

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if self.errors:
            return data
        current = month_start(self.today)
        end = end or current
        start = start or add_months(end, 1 - DEFAULT_MONTHS)
        if end > current:
            self.add_error("to", _("The month cannot be in the future."))
        elif start > end:
            self.add_error("from", _("The first month cannot be after the last."))
        elif Period(start=start, end=end).months > MAX_MONTHS:
            self.add_error("from", _("Choose at most %(months)d months.") % {"months": MAX_MONTHS})
        else:
            self.period = Period(start=start, end=end)
        return data


def _parse(request) -> tuple[DashboardScope, DashboardFilterForm, Period | None]:
    """The user's scope (403/404) and the period; the period is None when the query string is invalid."""
    if not may_view_dashboard(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET, today=today)
    if not form.is_valid():
        # The page of the region asked for (if its code is well formed), with the form's errors.
        return dashboard_scope(user=request.user, region_code=form.cleaned_data.get("region") or None), form, None
    region_code = form.cleaned_data["region"] or None
    dscope = dashboard_scope(user=request.user, region_code=region_code)
    period = form.period
    shown = DashboardFilterForm(
        initial={"from": period.start, "to": period.end, "region": region_code or ""}, today=today
    )
    return dscope, shown, period


def _invalid(request, dscope, form) -> HttpResponse:
    return render(request, TEMPLATE, {"dscope": dscope, "form": form, "invalid": True}, status=400)


def _query_string(dscope: DashboardScope, period: Period) -> str:
    """The query string of the links that keep the view: exports, the PDF."""
    return urlencode({"region": dscope.region.code, **period.query})


@login_required
@require_safe
def dashboard(request):
    """KPI cards, targets, the monthly trend and the breakdown tables of the user's scope."""
    dscope, form, period = _parse(request)
    if period is None:
        return _invalid(request, dscope, form)
    context = dashboard_context(dscope=dscope, period=period, today=timezone.localdate())
    context |= {"form": form, "query_string": _query_string(dscope, period)}
    return render(request, TEMPLATE, context)


def _filename(dscope: DashboardScope, period: Period, name: str, extension: str) -> str:
    bank = f"-bank{dscope.bank.pk}" if dscope.bank is not None else ""
    return ascii_filename(
        f"dashboard-{dscope.region.code}{bank}-{name}-{period.start:%Y%m}-{period.end:%Y%m}.{extension}"
    )


@login_required
@require_safe
def dashboard_export(request, table: str, fmt: str):
    """One breakdown table as CSV or XLSX: the page's rows, money in yuan, headers in the user's language."""
    dscope, form, period = _parse(request)
    if period is None:
        return _invalid(request, dscope, form)
    if table not in dscope.table_names:
        raise Http404
    [data] = build_tables(dscope, period, names=[table])
    columns = [ExportColumn(str(data.key_label))]
    if data.code_label is not None:
        columns.append(ExportColumn(str(data.code_label)))
    columns += [ExportColumn(str(c.export_label), EXPORT_KINDS[c.kind]) for c in data.columns]
    filename = _filename(dscope, period, table, fmt)
    if fmt == "csv":
        return csv_response(filename=filename, columns=columns, rows=data.export_rows())
    title = f"{data.title} {period.start:%Y-%m}~{period.end:%Y-%m}"
    return xlsx_response(filename=filename, columns=columns, rows=data.export_rows(), sheet_title=title)


@login_required
@require_safe
def dashboard_pdf(request):
    """The whole dashboard printed with WeasyPrint (charts as tables)."""
    from creditinfo.pdf import render_pdf  # WeasyPrint loads lazily there

    dscope, form, period = _parse(request)
    if period is None:
        return _invalid(request, dscope, form)
    context = dashboard_context(dscope=dscope, period=period, today=timezone.localdate())
    context |= {"LANGUAGE_CODE": request.LANGUAGE_CODE, "printed_at": timezone.localtime(), "user": request.user}
    pdf = render_pdf(PDF_TEMPLATE, context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(dscope, period, "all", "pdf")}"'
    return response
