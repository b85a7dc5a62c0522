"""Overdue lists for government staff (their region and below): applications not answered in time, per bank,
and demand claims that lapsed; the applications also as CSV."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lending.selectors_overdue import overdue_applications, overdue_by_bank, overdue_claims
from xinyidai.exports import ExportColumn, csv_response
from xinyidai.views import PAGE_SIZE, paginate, role_required


def _bank_id(request) -> int | None:
    value = request.GET.get("bank", "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@role_required("staff", "admin")
@require_safe
def overdue_list(request):
    """Per bank: how many applications are overdue and since when; then the applications (one bank's with
    `?bank=<id>`), oldest deadline first; then the lapsed demand claims."""
    now = timezone.now()
    bank_id = _bank_id(request)
    banks = overdue_by_bank(user=request.user, now=now)
    context = {
        "banks": banks,
        "bank": next((bank for bank in banks if bank["bank_id"] == bank_id), None),
        "total": sum(bank["count"] for bank in banks),
        "page_obj": paginate(request, overdue_applications(user=request.user, bank_id=bank_id, now=now)),
        # Its own page parameter: the two tables page independently.
        "claims_page": Paginator(overdue_claims(user=request.user, now=now), PAGE_SIZE).get_page(
            request.GET.get("cpage")
        ),
        "now": now,
    }
    return render(request, "lending/overdue.html", context)


@role_required("staff", "admin")
@require_safe
def overdue_export(request):
    """The overdue applications (one bank's with `?bank=<id>`) as CSV, oldest deadline first."""
    now = timezone.now()
    rows = overdue_applications(user=request.user, bank_id=_bank_id(request), now=now)
    columns = [
        ExportColumn(_("Bank")),
        ExportColumn(_("Institution")),
        ExportColumn(_("Application number")),
        ExportColumn(_("Enterprise")),
        ExportColumn(_("Unified social credit code")),
        ExportColumn(_("Amount requested (yuan)"), "money"),
        ExportColumn(_("Status")),
        ExportColumn(_("Submitted")),
        ExportColumn(_("Respond by")),
        ExportColumn(_("Days overdue"), "int"),
    ]

    def lines():
        for application in rows.iterator(chunk_size=2000):
            yield [
                application.bank_name,
                application.institution.name,
                application.number,
                application.enterprise.name,
                application.enterprise.uscc,
                application.amount,
                application.get_status_display(),
                timezone.localtime(application.submitted_at).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(application.respond_by).strftime("%Y-%m-%d %H:%M"),
                (now - application.respond_by).days,
            ]

    return csv_response(filename=f"overdue-{timezone.localdate(now):%Y%m%d}.csv", columns=columns, rows=lines())
