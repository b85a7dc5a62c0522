"""Each step of an application tells whoever must act on it or would want to know (xinyidai.notifications)."""

import datetime

import pytest

from lending.models import Application
from lending.services import notices
from tests.factories import OfficerFactory, SmeUserFactory
from tests.lending.conftest import APPROVED_AMOUNT, APPROVED_RATE
from xinyidai.models import Notification, User
from xinyidai.notifications import render

S = Application.Status


def told(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).order_by("user_id"))


def test_a_submission_tells_the_receiving_institutions_officers(world):
    officer = world.officer(world.a_zz)
    colleague = OfficerFactory(institution=world.a_zz)
    OfficerFactory(institution=world.b_zz)  # another bank hears nothing
    application = world.application(S.SUBMITTED)
    notes = told("application_submitted")
    assert {n.user_id for n in notes} == {officer.pk, colleague.pk}
    note = notes[0]
    assert note.url == f"/applications/{application.pk}/"
    assert note.params["number"] == application.number and note.params["amount_yuan"] == "1000000.00"
    assert datetime.datetime.fromisoformat(note.params["respond_by_at"]) == application.respond_by
    # The consent given with the application is not announced separately.
    assert told("authorization_granted") == []


def test_a_branch_without_officers_escalates_to_its_head_office(world):
    parents = {world.officer(world.a_zz).pk, OfficerFactory(institution=world.a_zz).pk}
    product = world.product(world.a_zz_js)  # creates the sub-branch's officer...
    User.objects.filter(institution=world.a_zz_js).update(is_active=False)  # ...who has left
    world.application(S.SUBMITTED, product=product)
    assert {n.user_id for n in told("application_submitted")} == parents


@pytest.mark.parametrize(
    ("state", "kind"),
    [
        (S.ACCEPTED, "application_accepted"),
        (S.APPROVED, "application_approved"),
        (S.REJECTED, "application_rejected"),
        (S.DISBURSED, "application_disbursed"),
    ],
)
def test_the_banks_steps_tell_every_member_of_the_enterprise(world, state, kind):
    partner = SmeUserFactory(enterprise=world.e1)
    world.application(state)
    assert {n.user_id for n in told(kind)} == {world.sme1.pk, partner.pk}
    assert len(told(kind)) == 2


def test_what_each_step_says(world):
    approved = world.application(S.APPROVED)
    [note] = told("application_approved")
    assert note.params["amount_yuan"] == str(APPROVED_AMOUNT) and note.params["annual_rate"] == str(APPROVED_RATE)
    assert note.url == f"/applications/{approved.pk}/"

    world.application(S.REJECTED)
    [rejected] = told("application_rejected")
    assert rejected.params["reason"] == "credit_record"
    assert rejected.url == notices.alternatives_url()  # told, and offered alternatives

    disbursed = world.application(S.DISBURSED)
    [loan_note] = told("application_disbursed")
    assert loan_note.url == f"/loans/{disbursed.loan.pk}/" and loan_note.params["principal_yuan"] == "800000.00"


def test_a_withdrawal_tells_the_institutions_officers(world):
    officer = world.officer(world.a_zz)
    world.application(S.WITHDRAWN)
    assert [n.user_id for n in told("application_withdrawn")] == [officer.pk]


def test_a_declined_offer_tells_the_handling_officer_only(world):
    handler = world.officer(world.a_zz)
    OfficerFactory(institution=world.a_zz)
    world.application(S.DECLINED)
    assert [n.user_id for n in told("application_declined")] == [handler.pk]


def test_no_one_is_told_of_their_own_step(world):
    world.application(S.DISBURSED)
    officer = world.officer(world.a_zz)
    sme_kinds = {"application_accepted", "application_approved", "application_disbursed"}
    assert not Notification.objects.filter(user=officer, kind__in=sme_kinds).exists()
    assert not Notification.objects.filter(user=world.sme1, kind="application_submitted").exists()


def test_the_texts_read_well_in_english(world):
    from django.utils import translation

    world.application(S.REJECTED)
    [note] = told("application_rejected")
    with translation.override("en"):
        title, body = render(note.kind, note.params)
    assert title == f"Application {note.params['number']} was not approved"
    assert "Adverse credit record" in body and world.a_zz.name in body
