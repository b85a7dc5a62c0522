"""Credit report pages: request, watch it being generated (htmx polling), download; public verification."""

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from creditinfo.models import Authorization, CreditReport, Enterprise
from creditinfo.services import reports as services
from creditinfo.services.enterprises import enterprise_for_user
from xinyidai.views import paginate, role_required


def _reports(user):
    return CreditReport.objects.visible_to(user).select_related("enterprise", "requested_by")


def _authorized_enterprises(officer):
    """Enterprises with a live authorization for the officer's institution tree: those it may request for."""
    live = Authorization.objects.live().filter(officer.institution.subtree_q("institution"))
    return Enterprise.objects.filter(pk__in=live.values("enterprise_id")).only("name", "uscc").order_by("name", "id")


@role_required("sme", "officer")
@require_GET
def report_list(request):
    """The user's credit reports (SME: its enterprise's; officer: its institution's requests) and a request form."""
    context = {"page_obj": paginate(request, _reports(request.user))}
    if request.user.is_sme:
        context["own_enterprise"] = enterprise_for_user(request.user)
    else:
        context["enterprises"] = _authorized_enterprises(request.user)
    return render(request, "creditinfo/report_list.html", context)


@role_required("sme", "officer")
@require_POST
def report_request(request):
    """Request a report: the SME for its own enterprise, an officer for one that authorized its institution."""
    if request.user.is_sme:
        enterprise = enterprise_for_user(request.user)
        if enterprise is None:
            return redirect("creditinfo:enterprise_register")
        enterprise_id = enterprise.pk
    else:
        raw = request.POST.get("enterprise", "")
        if not raw.isdigit():
            messages.error(request, _("Choose an enterprise that has authorized your institution."))
            return redirect("creditinfo:report_list")
        enterprise_id = int(raw)
    report = services.report_request(
        enterprise_id=enterprise_id, user=request.user, base_url=request.build_absolute_uri("/")
    )
    messages.success(request, _("The report is being generated."))
    return redirect("creditinfo:report_detail", pk=report.pk)


@role_required("sme", "officer")
@require_GET
def report_detail(request, pk: int):
    """The report's status page; while it is being generated the status part polls every 2 seconds."""
    report = get_object_or_404(_reports(request.user), pk=pk)
    return render(request, "creditinfo/report_detail.html", {"report": report})


@role_required("sme", "officer")
@require_GET
def report_status(request, pk: int):
    """htmx: the status part alone (it stops polling once the report is ready or failed)."""
    report = get_object_or_404(_reports(request.user), pk=pk)
    return render(request, "creditinfo/report_status.html", {"report": report})


@role_required("sme", "officer")
@require_GET
def report_download(request, pk: int):
    """The PDF; an officer needs a live authorization at this moment, and the download is query-logged."""
    report = services.report_download(report_id=pk, user=request.user)
    response = FileResponse(
        report.file.open("rb"), as_attachment=True, filename=f"{report.number}.pdf", content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def verify_lookup(request):
    """Public: the form where a person types the code printed on a report."""
    code = request.GET.get("code", "")
    if code.strip():
        return redirect("creditinfo:verify", code=services.verification_code_clean(code))
    return render(request, "creditinfo/verify.html", {"lookup": True})


@require_GET
def verify(request, code: str):
    """Public, no login: a ready report's number, enterprise name, issue date and hash. Never its records."""
    clean = services.verification_code_clean(code)
    report = (
        CreditReport.objects.select_related("enterprise")
        .only("number", "issued_at", "content_hash", "verification_code", "status", "enterprise__name")
        .filter(verification_code=clean, status=CreditReport.Status.READY)
        .first()
    )
    if report is None:
        return render(request, "creditinfo/verify.html", {"code": code, "report": None}, status=404)
    return render(request, "creditinfo/verify.html", {"code": code, "report": report})
