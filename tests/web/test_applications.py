"""The officer's review through the pages, the SME's withdraw/decline, refused transitions and roles."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.models import Application, CreditDecision, Loan
from tests.factories import ApplicationFactory, ProductFactory, UserFactory
from tests.web.utils import logged_in, messages_of

pytestmark = pytest.mark.django_db
S = Application.Status


@pytest.fixture
def application(sme, enterprise, branch):
    """A submitted application from the SME's enterprise to the officer's branch."""
    return ApplicationFactory(enterprise=enterprise, product=ProductFactory(institution=branch), submitted_by=sme)


def url(name, application):
    return reverse(f"lending:{name}", args=[application.pk])


APPROVE = {
    "approve-amount": "40",
    "approve-annual_rate": "3.65",
    "approve-term_months": "12",
    "approve-guarantee_mode": "04",
    "approve-note": "",
}


def test_officer_journey_inbox_accept_approve_disburse(officer_client, application):
    inbox = officer_client.get(reverse("lending:officer_inbox"))
    assert [a.pk for a in inbox.context["page_obj"]] == [application.pk]

    detail = officer_client.get(url("application_detail", application))
    assert list(detail.context["actions"]) == ["accept"]
    officer_client.post(url("application_accept", application))
    application.refresh_from_db()
    assert application.status == S.ACCEPTED

    detail = officer_client.get(url("application_detail", application))
    assert list(detail.context["actions"]) == ["approve", "reject"]
    assert detail.context["actions"]["approve"]["amount"].value() == Decimal("100")  # 万元, from the request
    response = officer_client.post(url("application_approve", application), APPROVE)
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == S.APPROVED
    assert application.decision.amount == Decimal("400000.00") and application.decision.annual_rate == Decimal("3.65")

    today = timezone.localdate()
    response = officer_client.post(
        url("application_disburse", application),
        {
            "disburse-contract_number": "ZY-2026-001",
            "disburse-principal": "",
            "disburse-disbursed_on": today,
            "disburse-maturity_on": "",
            "disburse-first_loan_attested": "on",
        },
    )
    loan = Loan.objects.get()
    assert response.status_code == 302 and response.url == reverse("lending:loan_detail", args=[loan.pk])
    assert loan.principal == Decimal("400000.00") and loan.first_loan_attested and loan.is_credit_loan
    page = officer_client.get(response.url)
    assert page.status_code == 200 and "ZY-2026-001" in page.content.decode()

    detail = officer_client.get(url("application_detail", application))
    assert detail.context["loan"] == loan and detail.context["actions"] == {}
    kinds = [e.kind for e in detail.context["events"]]
    assert kinds == ["accepted", "approved", "disbursed"]  # the factory row has no submitted event


def test_officer_rejects_with_a_reason(officer_client, application):
    officer_client.post(url("application_accept", application))
    response = officer_client.post(
        url("application_reject", application), {"reject-reason_code": "", "reject-note": ""}
    )
    assert response.status_code == 400 and response.context["actions"]["reject"].errors["reason_code"]

    officer_client.post(
        url("application_reject", application), {"reject-reason_code": "incomplete", "reject-note": "缺报表"}
    )
    application.refresh_from_db()
    assert application.status == S.REJECTED
    assert application.decision.outcome == CreditDecision.Outcome.REJECTED
    assert application.decision.reason_code == "incomplete"
    html = officer_client.get(url("application_detail", application)).content.decode()
    assert "Incomplete materials" in html and "缺报表" in html


def test_invalid_transition_shows_a_message_and_changes_nothing(officer_client, application):
    response = officer_client.post(url("application_approve", application), APPROVE, follow=True)

    assert response.redirect_chain[-1][0] == url("application_detail", application)
    assert any("Only accepted applications can be approved." in m for m in messages_of(response))
    application.refresh_from_db()
    assert application.status == S.SUBMITTED and not CreditDecision.objects.exists()
    assert not application.events.exists()


def test_accepting_twice_is_refused(officer_client, application):
    officer_client.post(url("application_accept", application))
    response = officer_client.post(url("application_accept", application), follow=True)
    assert any("Only submitted applications can be accepted." in m for m in messages_of(response))
    assert application.events.count() == 1


def test_invalid_approval_input_rerenders_with_400_and_changes_nothing(officer_client, application):
    officer_client.post(url("application_accept", application))
    response = officer_client.post(url("application_approve", application), {**APPROVE, "approve-annual_rate": "40"})

    assert response.status_code == 400
    assert "36%" in response.context["actions"]["approve"].errors["annual_rate"][0]
    application.refresh_from_db()
    assert application.status == S.ACCEPTED and not CreditDecision.objects.exists()


def test_disbursement_errors_map_to_fields(officer_client, application):
    officer_client.post(url("application_accept", application))
    officer_client.post(url("application_approve", application), APPROVE)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = officer_client.post(
        url("application_disburse", application),
        {"disburse-contract_number": "HT-1", "disburse-principal": "50", "disburse-disbursed_on": tomorrow},
    )
    assert response.status_code == 400
    errors = response.context["actions"]["disburse"].errors
    assert "principal" in errors and "disbursed_on" in errors
    assert not Loan.objects.exists()
    application.refresh_from_db()
    assert application.status == S.APPROVED


def test_sme_withdraws_a_submitted_application(sme_client, application):
    detail = sme_client.get(url("application_detail", application))
    assert list(detail.context["actions"]) == ["withdraw"]
    sme_client.post(url("application_withdraw", application), {"withdraw-note": "不需要了"})
    application.refresh_from_db()
    assert application.status == S.WITHDRAWN


def test_sme_declines_an_approved_offer(sme_client, officer_client, application):
    officer_client.post(url("application_accept", application))
    officer_client.post(url("application_approve", application), APPROVE)
    assert list(sme_client.get(url("application_detail", application)).context["actions"]) == ["decline"]
    sme_client.post(url("application_decline", application), {"decline-note": ""})
    application.refresh_from_db()
    assert application.status == S.DECLINED


def test_sme_cannot_withdraw_once_accepted(sme_client, officer_client, application):
    officer_client.post(url("application_accept", application))
    response = sme_client.post(url("application_withdraw", application), {}, follow=True)
    assert any("Only submitted applications can be withdrawn." in m for m in messages_of(response))
    application.refresh_from_db()
    assert application.status == S.ACCEPTED


def test_wrong_role_gets_403_on_actions(sme_client, officer_client, staff_client, application):
    for name in ("application_accept", "application_approve", "application_reject", "application_disburse"):
        assert sme_client.post(url(name, application)).status_code == 403
        assert staff_client.post(url(name, application)).status_code == 403
    for name in ("application_withdraw", "application_decline"):
        assert officer_client.post(url(name, application)).status_code == 403
    assert sme_client.get(reverse("lending:officer_inbox")).status_code == 403
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_actions_are_post_only(officer_client, application):
    assert officer_client.get(url("application_accept", application)).status_code == 405


def test_inbox_flags_overdue_and_filters_by_status(officer_client, application, branch):
    late = ApplicationFactory(
        product=ProductFactory(institution=branch), respond_by=timezone.now() - datetime.timedelta(hours=1)
    )
    inbox = officer_client.get(reverse("lending:officer_inbox"))
    assert inbox.context["overdue_count"] == 1 and "xyd-overdue" in inbox.content.decode()
    overdue = officer_client.get(reverse("lending:officer_inbox"), {"overdue": "true"})
    assert [a.pk for a in overdue.context["page_obj"]] == [late.pk]
    officer_client.post(url("application_accept", application))
    accepted = officer_client.get(reverse("lending:officer_inbox"), {"status": "accepted"})
    assert [a.pk for a in accepted.context["page_obj"]] == [application.pk]


def test_application_list_for_sme_and_staff(sme_client, staff_client, application):
    other = ApplicationFactory()  # another enterprise: not the SME's
    mine = sme_client.get(reverse("lending:application_list"))
    assert [a.pk for a in mine.context["page_obj"]] == [application.pk]
    regional = staff_client.get(reverse("lending:application_list"))
    assert {a.pk for a in regional.context["page_obj"]} == {application.pk, other.pk}  # both in Zhengzhou
    assert [a.pk for a in logged_in(UserFactory()).get(reverse("lending:application_list")).context["page_obj"]] == []
