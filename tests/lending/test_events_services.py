"""Matchmaking events and intents: visibility, the services' rules, invitations (by hand and by criteria), the
capacity under a row lock, the intent lifecycle and the funnel. The small Henan of tests/lending/conftest.py:

河南省 ── 郑州市 ── 金水区 (e1, C 39, small) / 中原区;  ── 洛阳市 ── 老城区 (e2, I 65, micro)
Bank A (province) ── A-ZZ (Zhengzhou) ── A-ZZ-JS (Jinshui);  └─ A-LY (Luoyang);  Bank B (province) ── B-ZZ
"""

import datetime
import inspect
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from creditinfo.models import Evaluation
from lending.models import EventParticipant, Intent, MatchmakingEvent
from lending.selectors_events import event_funnel, region_event_funnel
from lending.services import events as event_services
from lending.services.applications import (
    application_accept,
    application_approve,
    application_disburse,
    application_submit,
)
from lending.services.events import (
    event_attendance_mark,
    event_cancel,
    event_create,
    event_decline,
    event_invite,
    event_invite_by_criteria,
    event_mark_held,
    event_register,
    event_update,
    intent_applied,
    intent_contacted,
    intent_disbursed,
    intent_drop,
    intent_follow_loan,
    intent_record,
)
from tests.factories import EnterpriseFactory, EvaluationFactory, LoanFactory, SmeUserFactory
from xinyidai.errors import DomainError
from xinyidai.models import Notification

P = EventParticipant.Status
S = Intent.Status
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def refused(call, code: str, status: int | None = None) -> DomainError:
    with pytest.raises(DomainError) as info:
        call()
    assert info.value.code == code, (info.value.code, info.value.message)
    if status is not None:
        assert info.value.status == status
    return info.value


def make_event(world, *, region=None, staff=None, starts_in=7 * DAY, **fields) -> MatchmakingEvent:
    region = region or world.zhengzhou
    staff = staff or world.staff(region)
    starts_at = timezone.now() + starts_in
    fields.setdefault("kind", "roadshow")
    return event_create(
        user=staff, title="金融会客厅", starts_at=starts_at, ends_at=starts_at + 3 * HOUR, region=region, **fields
    )


def organizer(event):
    return event.organizer


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("kind", flat=True))


# --- visibility ------------------------------------------------------------------------------------------------


def test_staff_see_their_region_and_below(world):
    zz = make_event(world)
    js = make_event(world, region=world.jinshui, staff=world.staff(world.zhengzhou))
    ly = make_event(world, region=world.luoyang)
    visible = set(MatchmakingEvent.objects.visible_to(world.staff(world.zhengzhou)))
    assert visible == {zz, js}
    assert set(MatchmakingEvent.objects.visible_to(world.staff(world.henan))) == {zz, js, ly}


def test_smes_see_open_events_of_their_region_or_above_and_their_invitations(world):
    province = make_event(world, region=world.henan)
    zhengzhou = make_event(world)
    luoyang = make_event(world, region=world.luoyang)
    closed = make_event(world, open_registration=False)
    closed_invited = make_event(world, open_registration=False)
    event_invite(event_id=closed_invited.pk, user=organizer(closed_invited), enterprise_ids=[world.e1.pk])
    cancelled = make_event(world)
    event_cancel(event_id=cancelled.pk, user=organizer(cancelled))

    assert set(MatchmakingEvent.objects.visible_to(world.sme1)) == {province, zhengzhou, closed_invited}
    assert set(MatchmakingEvent.objects.visible_to(world.sme2)) == {province, luoyang}
    assert luoyang not in MatchmakingEvent.objects.visible_to(world.sme1)
    assert closed not in MatchmakingEvent.objects.visible_to(world.sme1)


def test_officers_see_events_their_institution_tree_takes_part_in(world):
    event = make_event(world)
    make_event(world)  # nobody of bank A invited
    event_invite(event_id=event.pk, user=organizer(event), institution_ids=[world.a_zz.pk])
    assert list(MatchmakingEvent.objects.visible_to(world.officer(world.a_zz))) == [event]
    assert list(MatchmakingEvent.objects.visible_to(world.officer(world.bank_a))) == [event]  # the head office
    assert not MatchmakingEvent.objects.visible_to(world.officer(world.a_ly)).exists()
    assert not MatchmakingEvent.objects.visible_to(world.officer(world.b_zz)).exists()


def test_smes_see_their_own_participation_and_the_banks_not_other_enterprises(world):
    event = make_event(world)
    other = EnterpriseFactory(region=world.jinshui)
    event_invite(
        event_id=event.pk,
        user=organizer(event),
        enterprise_ids=[world.e1.pk, other.pk],
        institution_ids=[world.a_zz.pk],
    )
    rows = EventParticipant.objects.visible_to(world.sme1)
    assert {(row.enterprise_id, row.institution_id) for row in rows} == {(world.e1.pk, None), (None, world.a_zz.pk)}
    assert EventParticipant.objects.visible_to(world.officer(world.a_zz)).count() == 3
    assert not EventParticipant.objects.visible_to(world.officer(world.b_zz)).exists()


# --- creating and changing events --------------------------------------------------------------------------------


def test_event_create_checks_the_actor_region_times_and_sections(world):
    staff = world.staff(world.zhengzhou)
    start = timezone.now() + DAY
    base = {"title": "对接会", "kind": "salon", "starts_at": start, "ends_at": start + HOUR}
    event = event_create(user=staff, region=world.jinshui, theme_industries=[world.section_c], capacity=10, **base)
    assert event.organizer == staff and event.status == "scheduled"
    assert list(event.theme_industries.all()) == [world.section_c]

    error = refused(lambda: event_create(user=staff, region=world.luoyang, **base), "invalid", 400)
    assert "region" in error.detail
    error = refused(
        lambda: event_create(user=staff, region=world.zhengzhou, **{**base, "ends_at": start - HOUR}), "invalid"
    )
    assert "ends_at" in error.detail
    error = refused(
        lambda: event_create(user=staff, region=world.zhengzhou, theme_industries=[world.electronics], **base),
        "invalid",
    )
    assert "theme_industries" in error.detail
    refused(lambda: event_create(user=world.officer(world.a_zz), region=world.zhengzhou, **base), "forbidden", 403)
    refused(lambda: event_create(user=world.sme1, region=world.zhengzhou, **base), "forbidden", 403)
    assert MatchmakingEvent.objects.count() == 1


def test_event_update_keeps_capacity_above_the_seats_and_region_once_invited(world):
    event = make_event(world, capacity=5)
    staff = organizer(event)
    event_register(event_id=event.pk, user=world.sme1)
    refused(lambda: event_update(event_id=event.pk, user=staff, capacity=0), "invalid")
    error = refused(lambda: event_update(event_id=event.pk, user=staff, region=world.jinshui), "invalid")
    assert "region" in error.detail
    event_update(event_id=event.pk, user=staff, title="新标题", capacity=1)
    event.refresh_from_db()
    assert (event.title, event.capacity, event.region) == ("新标题", 1, world.zhengzhou)
    refused(lambda: event_update(event_id=event.pk, user=world.staff(world.luoyang), title="x"), "forbidden", 403)
    event_cancel(event_id=event.pk, user=staff)
    refused(lambda: event_update(event_id=event.pk, user=staff, title="x"), "invalid_transition", 409)


def test_cancel_tells_the_invited_and_registered_but_not_who_declined(world):
    event = make_event(world)
    declining = EnterpriseFactory(region=world.zhongyuan)
    decliner = SmeUserFactory(enterprise=declining)
    officer = world.officer(world.a_zz)
    event_invite(
        event_id=event.pk,
        user=organizer(event),
        enterprise_ids=[world.e1.pk, declining.pk],
        institution_ids=[world.a_zz.pk],
    )
    event_decline(event_id=event.pk, user=decliner)
    Notification.objects.all().delete()
    event_cancel(event_id=event.pk, user=organizer(event))
    assert kinds(world.sme1) == ["event_cancelled"]
    assert kinds(officer) == ["event_cancelled"]
    assert kinds(decliner) == []
    notification = Notification.objects.get(user=world.sme1)
    assert notification.params["title"] == event.title and notification.url == f"/events/{event.pk}/"
    refused(lambda: event_cancel(event_id=event.pk, user=organizer(event)), "invalid_transition", 409)


def test_an_event_is_held_only_once_started(world):
    event = make_event(world)
    refused(lambda: event_mark_held(event_id=event.pk, user=organizer(event)), "not_started")
    past = make_event(world, starts_in=-2 * HOUR)
    assert event_mark_held(event_id=past.pk, user=organizer(past)).status == "held"
    refused(lambda: event_mark_held(event_id=past.pk, user=organizer(past)), "invalid_transition")


# --- invitations ---------------------------------------------------------------------------------------------------


def test_invite_is_idempotent_and_notifies_each_invitee_once(world):
    event = make_event(world)
    staff = organizer(event)
    officer, head_officer = world.officer(world.a_zz), world.officer(world.bank_a)
    count = event_invite(
        event_id=event.pk,
        user=staff,
        enterprise_ids=[world.e1.pk, world.e1.pk],
        institution_ids=[world.a_zz.pk, world.bank_a.pk],  # a province bank may attend a city's event
    )
    assert count == 3
    assert (
        event_invite(event_id=event.pk, user=staff, enterprise_ids=[world.e1.pk], institution_ids=[world.a_zz.pk]) == 0
    )
    assert EventParticipant.objects.filter(event=event).count() == 3
    assert kinds(world.sme1) == ["event_invited"]
    assert kinds(officer) == ["event_invited"] and kinds(head_officer) == ["event_invited"]


def test_invite_flags_a_self_registered_enterprise(world):
    event = make_event(world)
    event_register(event_id=event.pk, user=world.sme1)
    assert event_invite(event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk]) == 1
    row = EventParticipant.objects.get(event=event)
    assert row.invited and row.invited_at and row.status == P.REGISTERED


def test_invite_refuses_parties_outside_the_event_region_and_invites_nobody(world):
    event = make_event(world)
    staff = organizer(event)
    error = refused(
        lambda: event_invite(event_id=event.pk, user=staff, enterprise_ids=[world.e1.pk, world.e2.pk]), "invalid", 400
    )
    assert world.e2.uscc in error.detail["enterprise_ids"][0] and world.e1.uscc not in error.detail["enterprise_ids"][0]
    error = refused(lambda: event_invite(event_id=event.pk, user=staff, institution_ids=[world.a_ly.pk]), "invalid")
    assert "institution_ids" in error.detail
    assert not EventParticipant.objects.exists()
    assert not Notification.objects.exists()


def test_invite_only_by_the_region_staff_and_only_for_scheduled_events(world):
    event = make_event(world)
    refused(
        lambda: event_invite(event_id=event.pk, user=world.staff(world.luoyang), enterprise_ids=[world.e1.pk]),
        "forbidden",
        403,
    )
    refused(lambda: event_invite(event_id=event.pk, user=world.sme1, enterprise_ids=[world.e1.pk]), "forbidden")
    event_cancel(event_id=event.pk, user=organizer(event))
    refused(
        lambda: event_invite(event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk]),
        "invalid_transition",
        409,
    )


def test_invite_by_criteria_no_loan_list(world):
    """GIVEN three Jinshui enterprises, one of which borrowed on the platform, WHEN staff invite the no-loan list of
    Zhengzhou, THEN the two without a loan (and e1) are invited in one statement and notified; Luoyang's is not."""
    event = make_event(world, region=world.henan, staff=world.staff(world.henan))
    no_loan = [EnterpriseFactory(region=world.jinshui) for _ in range(2)]
    members = [SmeUserFactory(enterprise=enterprise) for enterprise in no_loan]
    borrower = LoanFactory(application__enterprise=EnterpriseFactory(region=world.jinshui)).enterprise
    count = event_invite_by_criteria(
        event_id=event.pk, user=organizer(event), region_id=world.zhengzhou.pk, no_loan_only=True
    )
    invited = set(EventParticipant.objects.filter(event=event).values_list("enterprise_id", flat=True))
    assert count == 3
    assert invited == {world.e1.pk, *(e.pk for e in no_loan)}
    assert borrower.pk not in invited and world.e2.pk not in invited
    for user in [world.sme1, *members]:
        assert kinds(user) == ["event_invited"]
    assert Notification.objects.get(user=members[0]).params["title"] == event.title
    # again: nothing new, nobody notified twice
    assert event_invite_by_criteria(event_id=event.pk, user=organizer(event), region_id=world.zhengzhou.pk) == 1
    assert kinds(world.sme1) == ["event_invited"]


def test_invite_by_criteria_filters_industry_size_tags_grade_and_limit(world):
    event = make_event(world, region=world.henan, staff=world.staff(world.henan))
    staff = organizer(event)
    world.e1.tags.set([world.zjtx])
    EvaluationFactory(enterprise=world.e1, grade=Evaluation.Grade.B)
    EvaluationFactory(enterprise=world.e2, grade=Evaluation.Grade.C)

    def invited_by(**criteria):
        EventParticipant.objects.filter(event=event).delete()
        event_invite_by_criteria(event_id=event.pk, user=staff, **criteria)
        return set(EventParticipant.objects.filter(event=event).values_list("enterprise_id", flat=True))

    assert invited_by(section_codes=["C"]) == {world.e1.pk}
    assert invited_by(section_codes=["I"]) == {world.e2.pk}
    assert invited_by(size_classes=["micro"]) == {world.e2.pk}
    assert invited_by(tag_ids=[world.zjtx.pk]) == {world.e1.pk}
    assert invited_by(min_grade="B") == {world.e1.pk}
    assert invited_by(min_grade="C") == {world.e1.pk, world.e2.pk}
    assert invited_by(region_id=world.luoyang.pk) == {world.e2.pk}
    assert len(invited_by(limit=1)) == 1


def test_invite_by_criteria_refuses_a_region_outside_the_event(world):
    event = make_event(world)
    error = refused(
        lambda: event_invite_by_criteria(event_id=event.pk, user=organizer(event), region_id=world.luoyang.pk),
        "invalid",
        400,
    )
    assert "region" in error.detail
    refused(lambda: event_invite_by_criteria(event_id=event.pk, user=organizer(event), section_codes=["ZZ"]), "invalid")
    refused(lambda: event_invite_by_criteria(event_id=event.pk, user=organizer(event), limit=0), "invalid")
    assert not EventParticipant.objects.exists()


def test_invite_by_criteria_is_one_insert_whatever_the_number_of_enterprises(world):
    event = make_event(world)

    def statements(n):
        EventParticipant.objects.filter(event=event).delete()
        EnterpriseFactory.create_batch(n, region=world.jinshui)
        with CaptureQueriesContext(connection) as ctx:
            event_invite_by_criteria(event_id=event.pk, user=organizer(event))
        return len(ctx.captured_queries)

    assert statements(2) == statements(20)


# --- registration, decline, attendance -----------------------------------------------------------------------------


def test_register_for_an_open_event_of_the_region_or_above(world):
    zhengzhou, province = make_event(world), make_event(world, region=world.henan)
    row = event_register(event_id=zhengzhou.pk, user=world.sme1)
    assert (row.status, row.invited, row.registered_at is not None) == (P.REGISTERED, False, True)
    assert event_register(event_id=zhengzhou.pk, user=world.sme1) == row  # again: nothing changes
    assert event_register(event_id=province.pk, user=world.sme2).status == P.REGISTERED
    refused(lambda: event_register(event_id=zhengzhou.pk, user=world.sme2), "not_open", 403)
    refused(lambda: event_register(event_id=zhengzhou.pk, user=world.officer(world.a_zz)), "forbidden", 403)


def test_an_invitation_only_event_needs_an_invitation(world):
    event = make_event(world, open_registration=False)
    refused(lambda: event_register(event_id=event.pk, user=world.sme1), "not_open")
    event_invite(event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk])
    assert event_register(event_id=event.pk, user=world.sme1).status == P.REGISTERED


def test_capacity_and_closing_of_registration(world):
    event = make_event(world, capacity=1)
    event_register(event_id=event.pk, user=world.sme1)
    neighbour = SmeUserFactory(enterprise=EnterpriseFactory(region=world.jinshui))
    error = refused(lambda: event_register(event_id=event.pk, user=neighbour), "event_full")
    assert error.detail == {"capacity": 1}
    event_decline(event_id=event.pk, user=world.sme1)  # frees the seat
    assert event_register(event_id=event.pk, user=neighbour).status == P.REGISTERED
    started = make_event(world, starts_in=-HOUR)
    refused(lambda: event_register(event_id=started.pk, user=world.sme1), "registration_closed")


def test_decline(world):
    event = make_event(world, starts_in=-HOUR)
    refused(lambda: event_decline(event_id=event.pk, user=world.sme1), "not_invited")
    event_invite(event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk])
    row = EventParticipant.objects.get(event=event)
    event_attendance_mark(event_id=event.pk, user=organizer(event), participant_ids=[row.pk], attended=True)
    refused(lambda: event_decline(event_id=event.pk, user=world.sme1), "invalid_transition", 409)


def test_attendance_once_started_for_the_event_own_participants(world):
    future = make_event(world)
    event_invite(event_id=future.pk, user=organizer(future), enterprise_ids=[world.e1.pk])
    row = EventParticipant.objects.get(event=future)
    refused(
        lambda: event_attendance_mark(
            event_id=future.pk, user=organizer(future), participant_ids=[row.pk], attended=True
        ),
        "not_started",
    )
    event = make_event(world, starts_in=-HOUR)
    staff = organizer(event)
    event_invite(event_id=event.pk, user=staff, enterprise_ids=[world.e1.pk], institution_ids=[world.a_zz.pk])
    ids = list(EventParticipant.objects.filter(event=event).values_list("pk", flat=True))
    error = refused(
        lambda: event_attendance_mark(event_id=event.pk, user=staff, participant_ids=[*ids, row.pk], attended=True),
        "invalid",
        400,
    )
    assert str(row.pk) in error.detail["participant_ids"][0]
    refused(
        lambda: event_attendance_mark(
            event_id=event.pk, user=world.officer(world.a_zz), participant_ids=ids, attended=True
        ),
        "forbidden",
    )
    assert event_attendance_mark(event_id=event.pk, user=staff, participant_ids=ids, attended=True) == 2
    assert set(EventParticipant.objects.filter(event=event).values_list("status", flat=True)) == {P.ATTENDED}
    event_attendance_mark(event_id=event.pk, user=staff, participant_ids=ids[:1], attended=False)
    assert EventParticipant.objects.get(pk=ids[0]).status == P.ABSENT


# --- intents ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def held(world):
    """A Zhengzhou event that started an hour ago: e1 attended, A-ZZ takes part, B-ZZ declined nothing (not invited)."""
    event = make_event(world, starts_in=-HOUR)
    event_invite(
        event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk], institution_ids=[world.a_zz.pk]
    )
    ids = list(EventParticipant.objects.filter(event=event).values_list("pk", flat=True))
    event_attendance_mark(event_id=event.pk, user=organizer(event), participant_ids=ids, attended=True)
    return event


def record(world, event, *, user=None, institution=None, amount="1000000.00", **kwargs) -> Intent:
    return intent_record(
        event_id=event.pk,
        user=user or organizer(event),
        enterprise_id=kwargs.pop("enterprise", world.e1).pk,
        institution_id=(institution or world.a_zz).pk,
        amount=Decimal(amount),
        **kwargs,
    )


def test_staff_record_an_intent_and_the_bank_is_told(world, held):
    officer = world.officer(world.a_zz)
    intent = record(world, held, note="现场签约")
    assert (intent.status, intent.amount, intent.recorded_by) == (S.RECORDED, Decimal("1000000.00"), organizer(held))
    assert kinds(officer) == ["intent_recorded"]
    params = Notification.objects.get(user=officer, kind="intent_recorded").params
    assert params["amount_yuan"] == "1000000.00" and params["enterprise"] == world.e1.name


def test_an_officer_records_for_its_own_tree_and_a_branch_of_a_participant_counts(world, held):
    sub_branch = record(world, held, user=world.officer(world.a_zz), institution=world.a_zz_js)
    assert sub_branch.institution == world.a_zz_js and sub_branch.recorded_by == world.officer(world.a_zz)
    refused(lambda: record(world, held, user=world.officer(world.b_zz)), "forbidden", 403)
    refused(lambda: record(world, held, user=world.sme1), "forbidden", 403)


def test_intent_parties_must_take_part(world, held):
    error = refused(lambda: record(world, held, institution=world.b_zz), "invalid", 400)
    assert "institution" in error.detail
    stranger = EnterpriseFactory(region=world.jinshui)
    error = refused(lambda: record(world, held, enterprise=stranger), "invalid")
    assert "enterprise" in error.detail
    refused(lambda: record(world, held, amount="0"), "invalid")
    other_bank_product = world.product(world.b_zz)
    refused(lambda: record(world, held, product_id=other_bank_product.pk), "invalid")
    assert record(world, held, product_id=world.product(world.a_zz_js).pk).product is not None
    absent = EventParticipant.objects.get(event=held, enterprise=world.e1)
    event_attendance_mark(event_id=held.pk, user=organizer(held), participant_ids=[absent.pk], attended=False)
    refused(lambda: record(world, held), "invalid")


def test_no_intent_for_a_cancelled_event(world):
    event = make_event(world)
    event_invite(
        event_id=event.pk, user=organizer(event), enterprise_ids=[world.e1.pk], institution_ids=[world.a_zz.pk]
    )
    event_cancel(event_id=event.pk, user=organizer(event))
    refused(lambda: record(world, event), "invalid_transition", 409)


def test_intent_followed_to_a_disbursed_loan(world, held, clock):
    officer = world.officer(world.a_zz)
    intent = record(world, held)
    later = clock.set(timezone.now() + 2 * DAY)
    intent = intent_contacted(intent_id=intent.pk, user=officer, note="已电话联系")
    assert (intent.status, intent.contacted_at, intent.updated_at, intent.note) == (
        S.CONTACTED,
        later,
        later,
        "已电话联系",
    )
    application = application_submit(
        user=world.sme1,
        product_id=world.product(world.a_zz_js).pk,  # a sub-branch of the same bank
        amount=Decimal("800000"),
        term_months=12,
        purpose="流动资金",
        consent=True,
    )
    intent = intent_applied(intent_id=intent.pk, user=organizer(held), application_id=application.pk)
    assert (intent.status, intent.application, intent.applied_at) == (S.APPLIED, application, later)
    branch_officer = world.officer(world.a_zz_js)
    application_accept(application_id=application.pk, officer=branch_officer)
    application_approve(
        application_id=application.pk,
        officer=branch_officer,
        amount=Decimal("800000"),
        annual_rate=Decimal("4"),
        term_months=12,
    )
    loan = application_disburse(application_id=application.pk, officer=branch_officer, contract_number="HT-1")
    intent.refresh_from_db()  # the disbursement moved it (intent_follow_loan)
    assert (intent.status, intent.loan, intent.disbursed_at) == (S.DISBURSED, loan, later)
    refused(lambda: intent_disbursed(intent_id=intent.pk, user=officer, loan_id=loan.pk), "invalid_transition", 409)
    refused(lambda: intent_drop(intent_id=intent.pk, user=officer, reason="terms"), "invalid_transition", 409)


def test_transitions_out_of_order_are_refused_with_their_state(world, held):
    officer = world.officer(world.a_zz)
    intent = record(world, held)
    error = refused(
        lambda: intent_applied(intent_id=intent.pk, user=officer, application_id=1), "invalid_transition", 409
    )
    assert error.detail == {"status": "recorded", "allowed_from": ["contacted"]}
    refused(lambda: intent_disbursed(intent_id=intent.pk, user=officer, loan_id=1), "invalid_transition")
    intent_contacted(intent_id=intent.pk, user=officer)
    refused(lambda: intent_contacted(intent_id=intent.pk, user=officer), "invalid_transition")
    refused(lambda: intent_contacted(intent_id=intent.pk, user=world.officer(world.b_zz)), "forbidden", 403)
    refused(lambda: intent_drop(intent_id=intent.pk, user=officer, reason="bored"), "invalid", 400)
    dropped = intent_drop(intent_id=intent.pk, user=officer, reason="other_funding", note="已获他行贷款")
    assert (dropped.status, dropped.drop_reason, dropped.dropped_at is not None) == (S.DROPPED, "other_funding", True)
    refused(lambda: intent_drop(intent_id=intent.pk, user=officer, reason="terms"), "invalid_transition")


def test_the_linked_application_must_fit_the_intent(world, held, clock):
    officer = world.officer(world.a_zz)
    before = world.application("submitted")  # e1 to A-ZZ, submitted before the intent
    clock.set(timezone.now() + 2 * DAY)
    intent = record(world, held)
    intent_contacted(intent_id=intent.pk, user=officer)
    error = refused(lambda: intent_applied(intent_id=intent.pk, user=officer, application_id=before.pk), "invalid", 400)
    assert "application" in error.detail
    other_bank = world.application("submitted", product=world.product(world.b_zz))
    refused(lambda: intent_applied(intent_id=intent.pk, user=officer, application_id=other_bank.pk), "invalid")
    other_enterprise = world.application("submitted", sme=world.sme2, product=world.product(world.bank_a))
    refused(lambda: intent_applied(intent_id=intent.pk, user=officer, application_id=other_enterprise.pk), "invalid")
    good = world.application("submitted")
    second = record(world, held)
    intent_contacted(intent_id=second.pk, user=officer)
    intent_applied(intent_id=second.pk, user=officer, application_id=good.pk)
    refused(lambda: intent_applied(intent_id=intent.pk, user=officer, application_id=good.pk), "already_linked")
    refused(lambda: intent_disbursed(intent_id=second.pk, user=officer, loan_id=LoanFactory().pk), "invalid")


def test_intent_follows_when_its_application_is_disbursed(world, held, clock):
    officer = world.officer(world.a_zz)
    intent = record(world, held)
    intent_contacted(intent_id=intent.pk, user=officer)
    clock.set(timezone.now() + DAY)
    application = world.application("approved")
    intent_applied(intent_id=intent.pk, user=officer, application_id=application.pk)
    assert intent_follow_loan(application_id=application.pk + 1000) is None
    loan = application_disburse(application_id=application.pk, officer=officer, contract_number="HT-9")
    intent.refresh_from_db()  # application_disburse called intent_follow_loan inside its transaction
    assert (intent.status, intent.loan, intent.disbursed_at is not None) == (S.DISBURSED, loan, True)
    assert intent_follow_loan(application_id=application.pk) is None  # already followed


def test_linking_an_already_disbursed_application_links_its_loan(world, held, clock):
    officer = world.officer(world.a_zz)
    intent = record(world, held)
    intent_contacted(intent_id=intent.pk, user=officer)
    clock.set(timezone.now() + DAY)
    application = world.application("disbursed")
    intent = intent_applied(intent_id=intent.pk, user=officer, application_id=application.pk)
    assert intent.status == S.DISBURSED and intent.loan == application.loan


# --- the funnel ----------------------------------------------------------------------------------------------------


def test_event_funnel_counts_every_stage_in_two_queries(world, held, clock):
    officer = world.officer(world.a_zz)
    walk_in = SmeUserFactory(enterprise=EnterpriseFactory(region=world.jinshui))
    invited_only = EnterpriseFactory(region=world.jinshui)
    EventParticipant.objects.create(event=held, enterprise=walk_in.membership.enterprise, status=P.REGISTERED)
    EventParticipant.objects.create(event=held, enterprise=invited_only, invited=True, status=P.INVITED)
    first, second, third = (record(world, held, amount=a) for a in ("1000000", "500000", "300000"))
    for intent in (first, second):
        intent_contacted(intent_id=intent.pk, user=officer)
    clock.set(timezone.now() + DAY)
    application = world.application("disbursed")
    intent_applied(intent_id=first.pk, user=officer, application_id=application.pk)
    intent_drop(intent_id=third.pk, user=officer, reason="no_need")
    with CaptureQueriesContext(connection) as ctx:
        funnel = event_funnel(held)
    assert len(ctx.captured_queries) == 2
    assert (funnel.invited, funnel.registered, funnel.attended) == (2, 2, 1)
    assert (funnel.institutions, funnel.institutions_attended) == (1, 1)
    assert (funnel.intents, funnel.intent_amount) == (3, Decimal("1800000.00"))
    assert (funnel.contacted, funnel.applied, funnel.disbursed, funnel.dropped) == (2, 1, 1, 1)
    assert funnel.disbursed_principal == application.loan.principal
    assert [stage["value"] for stage in funnel.stages()] == [2, 2, 1, 3, 2, 1, 1]


def test_region_funnel_by_month_range(world):
    staff = world.staff(world.henan)
    now = timezone.localtime()
    this_month = now.date().replace(day=1)
    last_month = (this_month - DAY).replace(day=1)
    old = make_event(world, staff=staff, starts_in=-(now - now.replace(day=1)) - 40 * DAY)
    recent = make_event(world, staff=staff, starts_in=-HOUR)
    make_event(world, region=world.luoyang, staff=staff, starts_in=-HOUR)
    for event in (old, recent):
        event_invite(event_id=event.pk, user=staff, enterprise_ids=[world.e1.pk], institution_ids=[world.a_zz.pk])
    funnel = region_event_funnel(region=world.zhengzhou, start=this_month, end=this_month)
    assert (funnel.events, funnel.invited) == (1, 1)
    funnel = region_event_funnel(region=world.zhengzhou, start=last_month - 62 * DAY, end=this_month)
    assert (funnel.events, funnel.invited) == (2, 2)
    assert region_event_funnel(region=world.henan, start=this_month, end=this_month).events == 2


def test_services_module_exposes_the_interface_other_helpers_call():
    parameters = inspect.signature(event_services.event_invite).parameters
    assert list(parameters) == ["event_id", "user", "enterprise_ids", "institution_ids"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert event_services.intent_follow_loan is intent_follow_loan


# --- the capacity under the event's row lock -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_enterprises_racing_for_the_last_seat_one_wins(world, monkeypatch):
    """The first to count the seats pauses after counting: without the event's row lock the second would count the
    same free seat meanwhile and both would register."""
    from tests.lending.test_concurrency import run_at_once, split

    event = make_event(world, capacity=1)
    rival = SmeUserFactory(enterprise=EnterpriseFactory(region=world.jinshui))
    original, first = event_services.seats_taken, threading.Lock()

    def counted_then_paused(event):
        seats = original(event)
        if first.acquire(blocking=False):
            time.sleep(0.5)
        return seats

    monkeypatch.setattr(event_services, "seats_taken", counted_then_paused)
    results = run_at_once(
        lambda: event_register(event_id=event.pk, user=world.sme1),
        lambda: event_register(event_id=event.pk, user=rival),
    )
    wins, losses = split(results)
    assert len(wins) == 1 and len(losses) == 1, results
    assert isinstance(losses[0], DomainError) and losses[0].code == "event_full"
    assert EventParticipant.objects.filter(event=event, status=P.REGISTERED).count() == 1
