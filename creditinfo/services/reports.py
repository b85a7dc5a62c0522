"""Credit reports: request one (numbered, with a verification code), generate its PDF in Celery, download it.

Who may: the SME for its own enterprise; a bank officer only under a live authorization for its institution
tree, through the consent gate (credit_query_open), which writes the query log at request and at download.
Anyone else gets 404, as if the enterprise did not exist.

The QR code on the report encodes the absolute /verify/<code>/ URL. Its base is the PUBLIC_BASE_URL setting
when the deployment defines one (e.g. "https://xyd.henan.gov.cn"), else the host the report was requested
from (the view passes request.build_absolute_uri("/")), else a relative URL.
"""

import base64
import hashlib
import logging
import secrets
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from creditinfo.models import CreditReport, Enterprise, EnterpriseMembership, QueryLog
from creditinfo.pdf import qr_data_uri, render_pdf
from creditinfo.selectors import credit_profile
from creditinfo.services.queries import credit_query_open
from xinyidai.notifications import notify

logger = logging.getLogger(__name__)

REPORT_TEMPLATE = "creditinfo/report_pdf.html"
CODE_BYTES = 10  # 80 random bits -> 16 base32 characters
MISREAD = str.maketrans({"0": "O", "1": "I", "8": "B"})


def report_number(*, report_id: int, on) -> str:
    """XYD-<year>-<month>-<8-digit id>: unique because the id is, so concurrent requests never collide."""
    return f"XYD-{on:%Y}-{on:%m}-{report_id:08d}"


def verification_code_new() -> str:
    """16 characters of base32 (A-Z, 2-7; 80 random bits): unguessable, case-free, easy to read out."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode("ascii")


def verification_code_clean(code: str) -> str:
    """What a person typed (any case, spaces or dashes between groups) as the stored code. The alphabet has no
    0, 1 or 8, so those are read as the letters they get mistaken for."""
    return "".join(code.split()).replace("-", "").upper().translate(MISREAD)


def verification_code_display(code: str) -> str:
    """The code in groups of four, as printed: ABCD-EFGH-JKLM-NPQR."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_url(*, code: str, base_url: str = "") -> str:
    """The absolute URL anyone can open to check a report (see the module docstring for the base)."""
    base = getattr(settings, "PUBLIC_BASE_URL", "") or base_url
    path = reverse("creditinfo:verify", kwargs={"code": code})
    return base.rstrip("/") + path if base else path


def _open_for(*, user, enterprise_id: int) -> Enterprise:
    """The enterprise, when `user` may have its report: its own (SME) or consented and logged (officer)."""
    if user.is_authenticated and user.is_sme:
        enterprise = Enterprise.objects.filter(pk=enterprise_id, members__user=user).first()
        if enterprise is None:
            raise Http404("Not your enterprise")
        return enterprise
    if user.is_authenticated and user.is_officer:
        enterprise, _entry = credit_query_open(user=user, enterprise_id=enterprise_id, what=QueryLog.What.REPORT)
        return enterprise
    raise Http404("No report for this user")


@transaction.atomic
def report_request(*, enterprise_id: int, user, base_url: str = "") -> CreditReport:
    """Create a pending report for the enterprise and have Celery generate it once the row is committed."""
    enterprise = _open_for(user=user, enterprise_id=enterprise_id)
    # The number derives from the id, which exists only after the insert: a unique placeholder first.
    report = CreditReport.objects.create(
        enterprise=enterprise,
        requested_by=user,
        number=f"PENDING-{uuid.uuid4().hex[:24]}",
        verification_code=verification_code_new(),
    )
    report.number = report_number(report_id=report.pk, on=timezone.localdate(report.created_at))
    report.save(update_fields=["number"])
    from creditinfo.tasks import credit_report_generate

    transaction.on_commit(lambda: credit_report_generate.delay(report.pk, base_url=base_url))
    return report


def report_context(*, report: CreditReport, issued_at, base_url: str = "") -> dict:
    """Everything the print template shows: the standardized profile, the evaluation explained, the QR code."""
    as_of = timezone.localdate(issued_at)
    profile = credit_profile(enterprise_id=report.enterprise_id, on=as_of)
    url = verify_url(code=report.verification_code, base_url=base_url)
    return {
        "report": report,
        "enterprise": profile.enterprise,
        "profile": profile,
        "as_of": as_of,
        "evaluation": profile.evaluation,
        # Each with `text` from creditinfo.scoring.factor_text / improvement_text, in the active language.
        "factors": profile.explained_factors(),
        "improvements": profile.explained_improvements(),
        "issued_at": timezone.localtime(issued_at),
        "code_display": verification_code_display(report.verification_code),
        "verify_url": url,
        "qr": qr_data_uri(url),
    }


def report_render(*, report: CreditReport, issued_at, base_url: str = "") -> bytes:
    """The report's PDF, in the platform's language (an official document reads the same for every reader)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_pdf(REPORT_TEMPLATE, report_context(report=report, issued_at=issued_at, base_url=base_url))


def report_generate(*, report_id: int, base_url: str = "") -> CreditReport:
    """Render and store a pending report's PDF (SHA-256 of its bytes kept); on error mark it failed."""
    report = CreditReport.objects.select_related("enterprise").get(pk=report_id)
    if report.status != CreditReport.Status.PENDING:
        return report  # a redelivered task (acks_late) finds the work done
    issued_at = timezone.now()
    try:
        pdf = report_render(report=report, issued_at=issued_at, base_url=base_url)
    except OperationalError:
        raise  # the database went away: the task retries, the report is still pending
    except Exception as error:  # any rendering failure ends as a visible status, not a report stuck pending
        logger.exception("Credit report %s failed to render", report.pk)
        CreditReport.objects.filter(pk=report.pk, status=CreditReport.Status.PENDING).update(
            status=CreditReport.Status.FAILED, failure=f"{type(error).__name__}: {error}"[:2000]
        )
        report.refresh_from_db()
        return report
    with transaction.atomic():
        report = CreditReport.objects.select_for_update().get(pk=report_id)
        if report.status != CreditReport.Status.PENDING:
            return report
        report.file.save(f"{report.number}.pdf", ContentFile(pdf), save=False)
        report.content_hash = hashlib.sha256(pdf).hexdigest()
        report.issued_at = issued_at
        report.status = CreditReport.Status.READY
        report.save(update_fields=["file", "content_hash", "issued_at", "status"])
        _tell_ready(report)
    return report


def _tell_ready(report: CreditReport) -> None:
    """The enterprise's members when the SME asked for the report; the officer who asked for it otherwise."""
    if report.requested_by.is_sme:
        members = EnterpriseMembership.objects.filter(enterprise_id=report.enterprise_id)
        users = list(members.values_list("user_id", flat=True))
    else:
        users = [report.requested_by_id]
    notify(
        users=users,
        kind="credit_report_ready",
        url=reverse("creditinfo:report_detail", args=[report.pk]),
        params={"report_id": report.pk, "number": report.number, "enterprise": report.enterprise.name},
    )


def report_download(*, report_id: int, user) -> CreditReport:
    """A ready report the user may download; an officer passes the consent gate again, which logs it."""
    report = CreditReport.objects.visible_to(user).filter(pk=report_id).first()
    if report is None or report.status != CreditReport.Status.READY:
        raise Http404("No such report")
    if user.is_officer:
        credit_query_open(user=user, enterprise_id=report.enterprise_id, what=QueryLog.What.REPORT)
    return report
