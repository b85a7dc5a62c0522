"""Issue 4's "done when" in a real browser: a platform admin imports the README's sample file and watches it load;
the SME authorizes a bank; the officer opens the profile; the query shows in the SME's log; the SME disputes a
record, downloads its PDF report and the report verifies logged out. Debian's chromium through Playwright."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from creditinfo.forms import region_for_uscc
from creditinfo.models import Authorization, CreditRecord, CreditReport, DataSource, Enterprise, QueryLog
from creditinfo.sources import AGGREGATED_SOURCE
from creditinfo.uscc import validate_uscc
from tests.factories import AdminFactory, EnterpriseFactory, OfficerFactory, SmeUserFactory
from xinyidai.models import Industry, Institution, Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Passw0rd!xyz"  # the factories' password
SAMPLE = Path(__file__).resolve().parents[2] / "creditinfo" / "samples" / "credit_records_sample.csv"
STAR_USCC = "91410105MA0MX3BP68"  # 郑州星河智能科技有限公司, the demo SME
SKELETON_USCC = "91410305MA0621LX3C"  # the one firm of the sample the platform does not know yet (README)
PENALTY_ID = "HN-SAMR-CF-2026-000118"
PENALTY_TITLE = "未按规定公示年度报告，警告并处罚款"


def _sample_firms() -> dict[str, str]:
    """USCC -> name of every firm the sample names with a valid code (the error row's bad code left out)."""
    firms = {}
    with SAMPLE.open(encoding="utf-8") as sample:
        for row in csv.DictReader(sample):
            try:
                validate_uscc(row["uscc"])
            except ValidationError:
                continue
            firms.setdefault(row["uscc"], row["enterprise_name"])
    return firms


@pytest.fixture
def platform(settings, tmp_path):
    """Reference data, the aggregated source (a transactional test elsewhere may have flushed the migration's rows),
    the sample's firms as the demo seed has them (all but the skeleton), a bank, its officer, the SME and an admin."""
    settings.MEDIA_ROOT = tmp_path / "media"  # uploaded files and PDFs stay out of the repository's media/
    call_command("load_reference_data", verbosity=0)
    code, name, department, category = AGGREGATED_SOURCE
    DataSource.objects.get_or_create(code=code, defaults={"name": name, "department": department, "category": category})
    industry = Industry.objects.get(code="65")
    firms = {}
    for uscc, firm_name in _sample_firms().items():
        if uscc != SKELETON_USCC:
            region = region_for_uscc(uscc) or Region.objects.get(code="410000")
            firms[uscc] = EnterpriseFactory(uscc=uscc, name=firm_name, region=region, industry=industry)
    star = firms[STAR_USCC]
    star.legal_representative = "陈志远"  # personal data: the profile masks it
    star.save(update_fields=["legal_representative"])
    head = Institution.objects.create(code="ZYB", name="中原银行", region=Region.objects.get(code="410000"))
    branch = Institution.objects.create(
        code="ZYB-ZZ", name="中原银行郑州分行", parent=head, region=Region.objects.get(code="410100")
    )
    return {
        "star": star,
        "branch": branch,
        "admin": AdminFactory(username="platform_admin", full_name="平台管理员"),
        "officer": OfficerFactory(username="officer_wang", full_name="王磊", institution=branch),
        "sme": SmeUserFactory(username="star_owner", full_name="李静", enterprise=star),
    }


def _submit(page, form_selector: str) -> None:
    page.locator(f"{form_selector} button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_import_consent_query_log_dispute_and_verified_report(live_server, browser, platform, tmp_path):
    base = live_server.url
    star, branch, officer = platform["star"], platform["branch"], platform["officer"]
    source = DataSource.objects.get(code="credit-henan")

    # 1. The platform admin uploads the README's sample file and watches the batch load.
    admin = browser.new_context(locale="zh-CN").new_page()
    _login(admin, base, platform["admin"].username)
    admin.goto(f"{base}/imports/")
    admin.locator("a[href$='/imports/upload/']").first.click()
    admin.select_option("select[name=source]", str(source.pk))
    admin.set_input_files("input[name=file]", str(SAMPLE))
    _submit(admin, "form[enctype='multipart/form-data']")
    expect(admin).to_have_url(re.compile(r"/imports/\d+/$"))
    progress = admin.locator("#import-progress")
    expect(progress.locator(".xyd-status-done")).to_be_visible(timeout=20_000)  # htmx polls until done
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    counts = progress.locator("#import-counts")
    # 20 rows: 18 new records (one for a firm the platform did not know: a skeleton), 2 refused.
    for name, value in (("created", "18"), ("updated", "0"), ("unchanged", "0"), ("errors", "2")):
        expect(counts.locator(f"[data-count={name}]")).to_have_text(value)
    admin.reload()  # the page lists the row errors on load (the progress part says so once done)
    error_rows = admin.locator("#import-errors tbody tr")
    expect(error_rows.first).to_contain_text("20")
    listed = {
        (int(cells[0].strip()), cells[1].strip())
        for cells in (tr.locator("td").all_inner_texts() for tr in error_rows.all())
    }
    # Row 20: the USCC's check character is wrong; row 21: 2026-02-30 does not exist and the penalty has no severity.
    assert listed == {(20, "uscc"), (21, "decision_date"), (21, "severity")}, listed
    assert Enterprise.objects.get(uscc=SKELETON_USCC).is_skeleton
    assert CreditRecord.objects.filter(enterprise=star).count() == 6

    # 2. The SME grants the officer's branch an authorization; the officer opens the profile.
    sme = browser.new_context(locale="zh-CN").new_page()
    _login(sme, base, platform["sme"].username)
    sme.goto(f"{base}/authorizations/grant/")
    sme.select_option("select[name=institution]", str(branch.pk))
    sme.select_option("select[name=purpose]", Authorization.Purpose.LOAN_REVIEW.value)
    sme.fill("input[name=days]", "30")
    sme.check("input[name=consent]")
    _submit(sme, "form[method=post]:has(input[name=consent])")
    expect(sme).to_have_url(re.compile(r"/authorizations/$"))
    authorization = Authorization.objects.get(enterprise=star)
    assert authorization.institution == branch

    bank = browser.new_context(locale="zh-CN").new_page()
    _login(bank, base, officer.username)
    bank.goto(f"{base}/enterprises/{star.pk}/credit/")
    expect(bank.locator("h1")).to_contain_text(star.name)
    expect(bank.locator("#profile-authorization")).to_contain_text(branch.name)
    expect(bank.locator("#section-penalty")).to_contain_text(PENALTY_TITLE)
    expect(bank.locator("#section-honour")).to_contain_text("河南省专精特新中小企业（2025年度）")
    expect(bank.locator("#legal-representative")).to_have_text("陈**")
    expect(bank.locator("body")).not_to_contain_text("陈志远")
    assert QueryLog.objects.filter(enterprise=star, user=officer, authorization=authorization).count() == 1

    # 3. The SME sees the officer's query in its log.
    sme.goto(f"{base}/enterprise/query-log/")
    entry = sme.locator("#query-log tbody tr").first
    expect(entry).to_contain_text(officer.full_name)
    expect(entry).to_contain_text(branch.name)

    # 4. The SME disputes the penalty from its own profile; the record shows as disputed.
    penalty = CreditRecord.objects.get(source=source, source_record_id=PENALTY_ID)
    sme.goto(f"{base}/enterprise/credit/")
    row = sme.locator(f"#record-{penalty.pk}")
    expect(row).to_contain_text(PENALTY_TITLE)
    expect(row.locator(".xyd-disputed")).to_have_count(0)
    row.locator(f"a[href$='/enterprise/records/{penalty.pk}/dispute/']").click()
    sme.wait_for_load_state("networkidle")
    sme.fill("textarea[name=reason]", "年度报告已于2026年6月10日按时公示，附公示截图。")
    _submit(sme, "form[method=post]:has(textarea[name=reason])")
    expect(sme).to_have_url(re.compile(r"/enterprise/objections/$"))
    sme.goto(f"{base}/enterprise/credit/")
    expect(row.locator(".xyd-disputed")).to_be_visible()
    expect(row).to_have_class(re.compile(r"\btable-warning\b"))
    penalty.refresh_from_db()
    assert penalty.status == CreditRecord.Status.DISPUTED

    # 5. The SME requests its PDF report, waits for it, downloads it; the report verifies logged out.
    sme.locator("#request-report").click()
    sme.wait_for_load_state("networkidle")
    expect(sme).to_have_url(re.compile(r"/reports/\d+/$"))
    download_link = sme.locator("#report-status a[href$='/download/']")
    expect(download_link).to_be_visible(timeout=30_000)  # htmx polls the status until the PDF is ready
    with sme.expect_download() as info:
        download_link.click()
    pdf_path = tmp_path / "report.pdf"
    info.value.save_as(pdf_path)
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf_path.read_bytes())).pages)
    assert star.name in text
    report = CreditReport.objects.get(enterprise=star)
    assert report.status == CreditReport.Status.READY and report.number in text

    verify_href = sme.locator("#report-status a[href*='/verify/']").get_attribute("href")
    assert verify_href.rstrip("/").endswith(report.verification_code)
    stranger = browser.new_context(locale="zh-CN").new_page()  # no session: the page is public
    stranger.goto(base + verify_href)
    verified = stranger.locator("#verified-report")
    expect(verified).to_contain_text(report.number)
    expect(verified).to_contain_text(star.name)
    expect(verified).to_contain_text(report.content_hash)
