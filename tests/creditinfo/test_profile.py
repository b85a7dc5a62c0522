"""The standardized credit profile: consent-gated for officers (404 otherwise, every view logged), the SME's own."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from creditinfo.models import CreditRecord, QueryLog, RecordCategory, Severity
from creditinfo.selectors import PROFILE_ORDER, credit_profile
from creditinfo.services.authorizations import authorization_revoke
from tests.factories import (
    AdminFactory,
    ApplicationFactory,
    AuthorizationFactory,
    BranchFactory,
    CreditRecordFactory,
    DataSourceFactory,
    EnterpriseFactory,
    EvaluationFactory,
    InstitutionFactory,
    OfficerFactory,
    SmeUserFactory,
    StaffFactory,
    UserFactory,
)
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


@pytest.fixture
def branch():
    return BranchFactory()


@pytest.fixture
def officer(branch):
    return OfficerFactory(institution=branch, full_name="李审贷")


@pytest.fixture
def enterprise():
    return EnterpriseFactory(legal_representative="欧阳娜娜")


@pytest.fixture
def sme(enterprise):
    return SmeUserFactory(enterprise=enterprise)


@pytest.fixture
def authorization(enterprise, branch, sme):
    return AuthorizationFactory(enterprise=enterprise, institution=branch, granted_by=sme)


def url(enterprise) -> str:
    return reverse("creditinfo:profile", args=[enterprise.pk])


# --- consent -------------------------------------------------------------------------------------------------


def test_officer_with_a_live_authorization_sees_the_profile_and_the_view_is_logged(officer, enterprise, authorization):
    response = logged_in(officer).get(url(enterprise))

    assert response.status_code == 200
    assert enterprise.name in response.content.decode()
    [entry] = QueryLog.objects.all()
    assert (entry.enterprise, entry.user, entry.institution) == (enterprise, officer, officer.institution)
    assert (entry.authorization, entry.purpose, entry.what) == (authorization, authorization.purpose, "profile")
    assert response.context["authorization"] == authorization


def test_every_view_writes_exactly_one_log_row(officer, enterprise, authorization):
    client = logged_in(officer)
    for expected in (1, 2, 3):
        assert client.get(url(enterprise)).status_code == 200
        assert QueryLog.objects.count() == expected


def test_without_an_authorization_the_profile_does_not_exist(officer, enterprise):
    assert logged_in(officer).get(url(enterprise)).status_code == 404
    assert logged_in(officer).get(reverse("creditinfo:profile", args=[999_999])).status_code == 404
    assert not QueryLog.objects.exists()


def test_an_authorization_that_ended_a_second_ago_gives_404(officer, enterprise, branch):
    now = timezone.now()
    AuthorizationFactory(
        enterprise=enterprise,
        institution=branch,
        valid_from=now - datetime.timedelta(days=30),
        valid_until=now - datetime.timedelta(seconds=1),
    )
    assert logged_in(officer).get(url(enterprise)).status_code == 404
    assert not QueryLog.objects.exists()


def test_revocation_takes_effect_at_once(officer, enterprise, authorization, sme):
    client = logged_in(officer)
    assert client.get(url(enterprise)).status_code == 200

    authorization_revoke(authorization_id=authorization.pk, user=sme)

    assert client.get(url(enterprise)).status_code == 404
    assert QueryLog.objects.count() == 1


def test_revoking_on_the_page_then_the_officer_gets_404(officer, enterprise, authorization, sme):
    logged_in(sme).post(reverse("creditinfo:authorization_revoke", args=[authorization.pk]))
    assert logged_in(officer).get(url(enterprise)).status_code == 404


def test_a_branchs_authorization_serves_its_head_office_but_not_the_other_way_round(enterprise, branch):
    head_officer = OfficerFactory(institution=branch.parent)
    AuthorizationFactory(enterprise=enterprise, institution=branch)
    assert logged_in(head_officer).get(url(enterprise)).status_code == 200
    assert QueryLog.objects.get().institution == branch.parent

    other = EnterpriseFactory()
    AuthorizationFactory(enterprise=other, institution=branch.parent)
    branch_officer = OfficerFactory(institution=branch)
    assert logged_in(branch_officer).get(url(other)).status_code == 404


def test_another_banks_officer_gets_404(enterprise, authorization):
    other_bank = OfficerFactory(institution=BranchFactory(parent=InstitutionFactory()))
    assert logged_in(other_bank).get(url(enterprise)).status_code == 404
    assert not QueryLog.objects.exists()


@pytest.mark.parametrize("make_user", [StaffFactory, AdminFactory, SmeUserFactory], ids=["staff", "admin", "other-sme"])
def test_staff_admins_and_other_smes_get_404(make_user, enterprise, authorization):
    assert logged_in(make_user()).get(url(enterprise)).status_code == 404


def test_the_sme_itself_gets_404_on_the_officer_url_and_uses_its_own(sme, enterprise, authorization):
    assert logged_in(sme).get(url(enterprise)).status_code == 404


@pytest.mark.parametrize("make_user", [StaffFactory, AdminFactory, OfficerFactory], ids=["staff", "admin", "officer"])
def test_only_smes_have_an_own_profile(make_user):
    assert logged_in(make_user()).get(reverse("creditinfo:my_profile")).status_code == 404


def test_anonymous_users_go_to_the_login_page(enterprise):
    response = Client().get(url(enterprise))
    assert response.status_code == 302 and "login" in response["Location"]


# --- the SME's own profile ------------------------------------------------------------------------------------


def test_the_sme_sees_its_own_profile_with_record_actions_and_nothing_is_logged(sme, enterprise):
    record = CreditRecordFactory(enterprise=enterprise)
    response = logged_in(sme).get(reverse("creditinfo:my_profile"))

    assert response.status_code == 200
    assert response.context["show_record_actions"] is True
    assert reverse("creditinfo:record_dispute", args=[record.pk]) in response.content.decode()
    assert not QueryLog.objects.exists()


def test_officers_see_no_record_actions(officer, enterprise, authorization):
    record = CreditRecordFactory(enterprise=enterprise)
    response = logged_in(officer).get(url(enterprise))
    assert response.context["show_record_actions"] is False
    assert reverse("creditinfo:record_dispute", args=[record.pk]) not in response.content.decode()


def test_an_sme_without_an_enterprise_is_sent_to_register():
    response = logged_in(UserFactory()).get(reverse("creditinfo:my_profile"))
    assert response.status_code == 302 and response["Location"] == reverse("creditinfo:enterprise_register")


# --- content ------------------------------------------------------------------------------------------------


def test_records_outside_their_publication_window_are_hidden(sme, enterprise):
    shown = CreditRecordFactory(enterprise=enterprise, title="公示中的处罚")
    CreditRecordFactory(enterprise=enterprise, title="已过公示期", publish_until=TODAY() - DAY)
    CreditRecordFactory(enterprise=enterprise, title="已修复", status=CreditRecord.Status.REPAIRED)
    CreditRecordFactory(enterprise=enterprise, title="已到期", status=CreditRecord.Status.EXPIRED)
    CreditRecordFactory(enterprise=enterprise, title="异议后删除", status=CreditRecord.Status.REMOVED)
    CreditRecordFactory(enterprise=enterprise, title="尚未生效", decision_date=TODAY() + DAY)
    CreditRecordFactory(title="别家企业的处罚")

    page = logged_in(sme).get(reverse("creditinfo:my_profile")).content.decode()

    assert shown.title in page
    for hidden in ("已过公示期", "已修复", "已到期", "异议后删除", "尚未生效", "别家企业的处罚"):
        assert hidden not in page


def test_personal_data_is_masked_on_the_page(officer, enterprise, authorization):
    CreditRecordFactory(
        enterprise=enterprise,
        category=RecordCategory.JUDGMENT_DEBTOR,
        title="失信被执行人（联系人13812345678）",
        detail="被执行人身份证410105198003071234，执行款请汇入6222021234567890",
    )
    page = logged_in(officer).get(url(enterprise)).content.decode()

    assert "欧阳**" in page and "欧阳娜娜" not in page
    assert "138****5678" in page and "13812345678" not in page
    assert "410***********1234" in page and "410105198003071234" not in page
    assert "6222********7890" in page and "6222021234567890" not in page
    assert enterprise.uscc in page  # the enterprise's own code is not personal data


def test_sections_come_in_the_fixed_order_and_tax_grades_newest_first(enterprise):
    source = DataSourceFactory(code="tax", name="税务", department="国家税务总局河南省税务局", category="tax_grade")
    for year, grade in ((2022, "B"), (2024, "A"), (2023, "M")):
        CreditRecordFactory(
            enterprise=enterprise,
            source=source,
            category=RecordCategory.TAX_GRADE,
            severity="",
            title=f"{year}年度纳税信用等级{grade}",
            decision_date=datetime.date(year + 1, 4, 1),
            publish_until=None,
        )
    CreditRecordFactory(enterprise=enterprise, category=RecordCategory.REGISTRATION, severity="", publish_until=None)

    profile = credit_profile(enterprise_id=enterprise.pk)

    assert [section.category for section in profile.sections] == list(PROFILE_ORDER)
    assert len(PROFILE_ORDER) == 12
    tax = next(s for s in profile.sections if s.category == RecordCategory.TAX_GRADE)
    assert [row.title[:4] for row in tax.rows] == ["2024", "2023", "2022"]
    assert tax.rows[0].source.department == "国家税务总局河南省税务局"
    assert profile.record_count == 4
    assert profile.as_of == TODAY()


def test_rows_show_source_as_of_date_and_disputed_flag(officer, enterprise, authorization):
    updated = timezone.now() - datetime.timedelta(days=3)
    record = CreditRecordFactory(enterprise=enterprise, status=CreditRecord.Status.DISPUTED, updated_at=updated)
    response = logged_in(officer).get(url(enterprise))
    page = response.content.decode()

    [row] = next(s for s in response.context["profile"].sections if s.category == "penalty").rows
    assert row.is_disputed and row.as_of == timezone.localdate(updated)
    assert record.source.department in page and record.source.name in page
    assert timezone.localdate(updated).isoformat() in page
    assert "Disputed" in page


def test_the_profile_on_a_past_day(enterprise):
    CreditRecordFactory(enterprise=enterprise, decision_date=TODAY() - 400 * DAY, publish_until=TODAY() - 10 * DAY)
    assert credit_profile(enterprise_id=enterprise.pk).record_count == 0
    assert credit_profile(enterprise_id=enterprise.pk, on=TODAY() - 20 * DAY).record_count == 1


def test_the_evaluation_is_explained_and_called_advisory(officer, enterprise, authorization):
    EvaluationFactory(
        enterprise=enterprise,
        score=512,
        grade="C",
        factors=[{"code": "penalties", "points": -40, "params": {"minor": 0, "general": 1, "serious": 0}}],
        improvements=[
            {
                "code": "repair_record",
                "params": {"title": "处罚（联系13812345678）", "earliest": "2027-01-01", "available_now": False},
            }
        ],
    )
    response = logged_in(officer).get(url(enterprise))
    page = response.content.decode()

    assert 'id="evaluation-grade">C<' in page and "512" in page
    assert "Administrative penalties published: 0 minor, 1 general, 0 serious" in page
    assert "after 2027-01-01" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "advisory: it never decides an application by itself" in page


def test_without_an_evaluation_the_page_says_so(sme):
    page = logged_in(sme).get(reverse("creditinfo:my_profile")).content.decode()
    assert "No evaluation has been computed for this enterprise yet." in page


def test_the_authorization_in_use_is_shown(officer, enterprise, authorization):
    page = logged_in(officer).get(url(enterprise)).content.decode()
    assert authorization.institution.name in page
    assert timezone.localtime(authorization.valid_until).strftime("%Y-%m-%d %H:%M") in page
    assert "Loan review" in page


def test_the_application_page_links_officers_to_the_profile(officer, enterprise, authorization, branch):
    application = ApplicationFactory(enterprise=enterprise, authorization=authorization, product__institution=branch)
    page = logged_in(officer).get(reverse("lending:application_detail", args=[application.pk])).content.decode()
    assert url(enterprise) in page


# --- query counts -------------------------------------------------------------------------------------------


def _add_records(enterprise, n: int) -> None:
    sources = [
        DataSourceFactory(code=f"src-{category}", name=f"{category} feed", department="省直部门", category=category)
        for category in RecordCategory.values
    ]
    for i in range(n):
        source = sources[i % len(sources)]
        CreditRecordFactory(
            enterprise=enterprise,
            source=source,
            category=source.category,
            severity=Severity.GENERAL,
            status=CreditRecord.Status.DISPUTED if i % 4 == 0 else CreditRecord.Status.ACTIVE,
        )


def test_the_selector_runs_two_queries_whatever_the_record_count(enterprise, django_assert_num_queries):
    EvaluationFactory(enterprise=enterprise)
    _add_records(enterprise, 30)
    # 1: enterprise with region and industry chains and the evaluation; 2: all published records with sources.
    with django_assert_num_queries(2):
        profile = credit_profile(enterprise_id=enterprise.pk)
    assert profile.record_count == 30 and profile.evaluation is not None


def _page_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("viewer", ["officer", "sme"])
def test_the_page_runs_as_many_queries_for_3_records_as_for_30(viewer, officer, sme, enterprise, authorization):
    EvaluationFactory(enterprise=enterprise)
    client = logged_in(officer if viewer == "officer" else sme)
    path = url(enterprise) if viewer == "officer" else reverse("creditinfo:my_profile")
    _add_records(enterprise, 3)
    client.get(path)  # warm per-process caches
    few = _page_queries(client, path)
    _add_records(enterprise, 27)
    many = _page_queries(client, path)
    assert few == many, f"{few} queries for 3 records, {many} for 30"
    assert len(response_rows(client, path)) == 30


def response_rows(client, path: str) -> list:
    profile = client.get(path).context["profile"]
    return [row for section in profile.sections for row in section.rows]


def test_the_pages_render_in_chinese_too(officer, sme, enterprise, authorization):
    CreditRecordFactory(enterprise=enterprise, status=CreditRecord.Status.DISPUTED)
    EvaluationFactory(enterprise=enterprise, factors=[{"code": "penalties", "points": -40, "params": {"general": 1}}])
    for client, path in ((Client(), url(enterprise)), (Client(), reverse("creditinfo:my_profile"))):
        client.force_login(officer if path == url(enterprise) else sme)
        response = client.get(path)
        assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()


def test_the_profile_offers_the_pdf_report_to_both_viewers(officer, sme, enterprise, authorization):
    """The officer's button names the enterprise (the request is consent-checked again); the SME's needs no id."""
    officer_page = logged_in(officer).get(url(enterprise)).content.decode()
    assert reverse("creditinfo:report_request") in officer_page
    assert f'name="enterprise" value="{enterprise.pk}"' in officer_page

    own_page = logged_in(sme).get(reverse("creditinfo:my_profile")).content.decode()
    assert reverse("creditinfo:report_request") in own_page
    assert 'name="enterprise"' not in own_page
    assert reverse("creditinfo:enterprise_objections") in own_page
