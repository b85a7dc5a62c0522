"""Matchmaking event pages for staff (organise, invite, attendance, intents, the funnel, CSV), SMEs (register,
decline) and officers (their events and intents); 404 outside one's scope; constant query counts.

The web fixtures: `branch` is a Zhengzhou branch (410100) of a provincial bank, `officer` works there; `enterprise`
is registered in 金水区 (410105) and `sme` acts for it; `staff` are Zhengzhou's.
"""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from lending.models import EventParticipant, Intent, MatchmakingEvent
from lending.services.events import event_invite
from tests.factories import (
    ApplicationFactory,
    CityFactory,
    CountyFactory,
    EnterpriseFactory,
    EventParticipantFactory,
    IntentFactory,
    LoanFactory,
    MatchmakingEventFactory,
    SectionFactory,
    StaffFactory,
)
from tests.web.test_query_counts import assert_constant
from tests.web.utils import logged_in, messages_of
from xinyidai.models import Notification

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def luoyang():
    return CityFactory(code="410300", name="洛阳市")


@pytest.fixture
def event(staff):
    """A Zhengzhou event next week organised by `staff`."""
    return MatchmakingEventFactory(region=staff.region, organizer=staff)


@pytest.fixture
def past_event(staff):
    start = timezone.now() - 2 * HOUR
    return MatchmakingEventFactory(region=staff.region, organizer=staff, starts_at=start, ends_at=start + HOUR)


@pytest.fixture
def bank_at(event, branch):
    """The officer's branch takes part in `event`."""
    return EventParticipantFactory(event=event, enterprise=None, institution=branch)


# --- staff ---------------------------------------------------------------------------------------------------------


def test_staff_list_their_region_events_with_filters(staff_client, event):
    other = MatchmakingEventFactory(region=luoyang(), title="洛阳对接会")
    salon = MatchmakingEventFactory(region=event.region, kind="salon", title="金融会客厅第9期")
    response = staff_client.get(reverse("lending:event_list"))
    assert response.status_code == 200
    shown = list(response.context["page_obj"])
    assert set(shown) == {event, salon} and other not in shown
    response = staff_client.get(reverse("lending:event_list"), {"kind": "salon", "when": "upcoming"})
    assert list(response.context["page_obj"]) == [salon]
    assert "Matchmaking events" in response.content.decode()  # the navigation link


def test_staff_create_an_event(staff_client, staff):
    section = SectionFactory()
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "title": "金水区首贷对接会",
        "kind": "roadshow",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + HOUR).strftime("%Y-%m-%dT%H:%M"),
        "region": CountyFactory().pk,
        "theme_industries": [section.pk],
        "open_registration": "on",
        "capacity": "20",
    }
    response = staff_client.post(reverse("lending:event_create"), data)
    event = MatchmakingEvent.objects.get()
    assert response.status_code == 302 and response.url == reverse("lending:event_detail", args=[event.pk])
    assert (event.organizer, event.capacity, event.region.code) == (staff, 20, "410105")
    assert list(event.theme_industries.all()) == [section]


def test_create_refuses_a_region_outside_and_an_end_before_the_start(staff_client):
    start = timezone.localtime() + datetime.timedelta(days=3)
    data = {
        "title": "x",
        "kind": "online",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start - HOUR).strftime("%Y-%m-%dT%H:%M"),
        "region": luoyang().pk,
    }
    response = staff_client.post(reverse("lending:event_create"), data)
    assert response.status_code == 400
    assert "region" in response.context["form"].errors
    data["region"] = CityFactory().pk
    response = staff_client.post(reverse("lending:event_create"), data)
    assert response.status_code == 400 and "ends_at" in response.context["form"].errors
    assert not MatchmakingEvent.objects.exists()


def test_event_page_shows_the_funnel_participants_and_intents(staff_client, event, enterprise, bank_at):
    EventParticipantFactory(event=event, enterprise=enterprise, status="registered")
    IntentFactory(event=event, enterprise=enterprise, institution=bank_at.institution, amount=Decimal("3000000"))
    response = staff_client.get(reverse("lending:event_detail", args=[event.pk]))
    assert response.status_code == 200
    funnel = response.context["funnel"]
    assert (funnel.invited, funnel.registered, funnel.intents) == (1, 1, 1)
    html = response.content.decode()
    chart = json.loads(re.search(r'id="event-funnel-data"[^>]*>(.*?)</script>', html).group(1))
    assert [stage["value"] for stage in chart["stages"]] == [1, 1, 0, 1, 0, 0, 0]
    assert "vendor/echarts/echarts.min.js" in html and "js/event_funnel.js" in html
    assert enterprise.uscc in html and bank_at.institution.name in html
    assert "300.00 10k yuan" in html  # the intent's amount in 万元


def test_event_outside_the_staff_region_is_404(staff_client):
    event = MatchmakingEventFactory(region=luoyang())
    for name in ("event_detail", "event_edit", "event_invite", "event_participants_csv", "event_intents_csv"):
        assert staff_client.get(reverse(f"lending:{name}", args=[event.pk])).status_code == 404, name
    assert staff_client.post(reverse("lending:event_cancel", args=[event.pk])).status_code == 404
    assert MatchmakingEvent.objects.get().status == "scheduled"


def test_staff_invite_by_uscc_and_institution(staff_client, event, enterprise, branch, officer, sme):
    url = reverse("lending:event_invite", args=[event.pk])
    assert staff_client.get(url).status_code == 200
    data = {"form": "list", "usccs": f"{enterprise.uscc}\n", "institutions": [branch.pk]}
    response = staff_client.post(url, data, follow=True)
    assert "2 newly invited." in messages_of(response)
    assert EventParticipant.objects.filter(event=event, invited=True).count() == 2
    assert Notification.objects.filter(user__in=[sme, officer], kind="event_invited").count() == 2


def test_invite_refuses_unknown_or_invalid_codes(staff_client, event):
    url = reverse("lending:event_invite", args=[event.pk])
    response = staff_client.post(url, {"form": "list", "usccs": "91410105MA0000000X"})
    assert response.status_code == 400 and "usccs" in response.context["by_hand"].errors
    unknown = EnterpriseFactory.build().uscc
    response = staff_client.post(url, {"form": "list", "usccs": unknown})
    assert response.status_code == 400 and "No enterprise is registered" in str(response.context["by_hand"].errors)
    outside = EnterpriseFactory(region=CountyFactory(code="410302", name="老城区", parent=luoyang()))
    response = staff_client.post(url, {"form": "list", "usccs": outside.uscc})
    error = response.context["by_hand"].errors["usccs"][0]
    assert response.status_code == 400 and error == f"Enterprises outside the event's region: {outside.uscc}"
    assert not EventParticipant.objects.exists()


def test_staff_invite_the_no_loan_list_by_criteria(staff_client, event, enterprise):
    borrower = LoanFactory(application__enterprise=EnterpriseFactory()).enterprise
    url = reverse("lending:event_invite", args=[event.pk])
    data = {"form": "criteria", "region": event.region_id, "no_loan_only": "on", "limit": "100"}
    response = staff_client.post(url, data, follow=True)
    invited = set(EventParticipant.objects.filter(event=event).values_list("enterprise_id", flat=True))
    assert enterprise.pk in invited and borrower.pk not in invited
    assert f"{len(invited)} enterprises newly invited." in messages_of(response)


def test_staff_mark_attendance(staff_client, past_event, enterprise):
    row = EventParticipantFactory(event=past_event, enterprise=enterprise)
    url = reverse("lending:event_attendance", args=[past_event.pk])
    response = staff_client.post(url, {"participant": [row.pk], "attended": "1"}, follow=True)
    assert "Attendance recorded for 1 participants." in messages_of(response)
    row.refresh_from_db()
    assert row.status == "attended"
    staff_client.post(url, {"participant": [row.pk], "attended": "0"})
    row.refresh_from_db()
    assert row.status == "absent"


def test_staff_cancel_and_mark_held(staff_client, event, past_event):
    staff_client.post(reverse("lending:event_cancel", args=[event.pk]))
    staff_client.post(reverse("lending:event_held", args=[past_event.pk]))
    event.refresh_from_db(), past_event.refresh_from_db()
    assert (event.status, past_event.status) == ("cancelled", "held")
    response = staff_client.post(reverse("lending:event_cancel", args=[event.pk]), follow=True)
    assert "Only a scheduled event can be cancelled." in messages_of(response)


def test_staff_edit_an_event(staff_client, event):
    url = reverse("lending:event_edit", args=[event.pk])
    form = staff_client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and name != "theme_industries"}
    data.update(
        title="改期后的对接会",
        starts_at=timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
        ends_at=timezone.localtime(event.ends_at).strftime("%Y-%m-%dT%H:%M"),
        region=event.region_id,
        open_registration="",
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    event.refresh_from_db()
    assert (event.title, event.open_registration) == ("改期后的对接会", False)


def test_staff_record_an_intent_by_uscc(staff_client, event, enterprise, bank_at):
    EventParticipantFactory(event=event, enterprise=enterprise)
    url = reverse("lending:event_intent_add", args=[event.pk])
    assert enterprise.uscc in staff_client.get(url, {"uscc": enterprise.uscc}).content.decode()
    data = {"enterprise_uscc": enterprise.uscc, "institution": bank_at.institution_id, "amount": "150", "note": "现场"}
    response = staff_client.post(url, data)
    assert response.status_code == 302
    intent = Intent.objects.get()
    assert (intent.amount, intent.institution, intent.note) == (Decimal("1500000.00"), bank_at.institution, "现场")
    stranger = EnterpriseFactory()
    response = staff_client.post(url, {**data, "enterprise_uscc": stranger.uscc})
    assert response.status_code == 400 and "enterprise_uscc" in response.context["form"].errors
    assert Intent.objects.count() == 1


def test_csv_exports(staff_client, event, enterprise, bank_at):
    EventParticipantFactory(event=event, enterprise=enterprise)
    IntentFactory(event=event, enterprise=enterprise, institution=bank_at.institution)
    response = staff_client.get(reverse("lending:event_participants_csv", args=[event.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Type"].startswith("text/csv") and body.startswith("\ufeffUSCC,")
    assert enterprise.uscc in body and bank_at.institution.name in body and "Invited" in body
    response = staff_client.get(reverse("lending:event_intents_csv", args=[event.pk]))
    body = b"".join(response.streaming_content).decode("utf-8")
    assert enterprise.uscc in body and "2000000.00" in body and "Recorded" in body


# --- SMEs --------------------------------------------------------------------------------------------------------


def test_sme_sees_open_events_and_registers_then_declines(sme_client, event, sme):
    closed = MatchmakingEventFactory(region=event.region, open_registration=False)
    response = sme_client.get(reverse("lending:event_list"))
    assert list(response.context["page_obj"]) == [event]
    assert sme_client.get(reverse("lending:event_detail", args=[closed.pk])).status_code == 404
    page = sme_client.get(reverse("lending:event_detail", args=[event.pk]))
    assert page.context["can_register"] and "funnel" not in page.context
    response = sme_client.post(reverse("lending:event_register", args=[event.pk]), follow=True)
    assert "Your enterprise is registered for the event." in messages_of(response)
    assert response.context["participant"].status == "registered" and response.context["can_decline"]
    response = sme_client.post(reverse("lending:event_decline", args=[event.pk]), follow=True)
    assert response.context["participant"].status == "declined"


def test_sme_invited_sees_its_status_in_the_list(sme_client, event, enterprise):
    EventParticipantFactory(event=event, enterprise=enterprise)
    response = sme_client.get(reverse("lending:event_list"))
    assert "Invited" in response.content.decode()


def test_sme_cannot_reach_staff_pages(sme_client, event):
    assert sme_client.get(reverse("lending:event_create")).status_code == 403
    assert sme_client.get(reverse("lending:event_invite", args=[event.pk])).status_code == 403
    assert sme_client.get(reverse("lending:event_participants_csv", args=[event.pk])).status_code == 403


def test_sme_sees_only_its_own_intents(sme_client, event, enterprise, bank_at):
    own = IntentFactory(event=event, enterprise=enterprise, institution=bank_at.institution)
    IntentFactory(event=event, institution=bank_at.institution)
    response = sme_client.get(reverse("lending:intent_list"))
    assert list(response.context["page_obj"]) == [own]
    assert sme_client.post(reverse("lending:intent_action", args=[own.pk, "contacted"])).status_code == 403


# --- officers ----------------------------------------------------------------------------------------------------


def test_officer_sees_the_events_its_institution_takes_part_in(officer_client, event, bank_at):
    MatchmakingEventFactory(region=event.region)  # not invited
    response = officer_client.get(reverse("lending:event_list"))
    assert list(response.context["page_obj"]) == [event]
    page = officer_client.get(reverse("lending:event_detail", args=[event.pk]))
    assert page.status_code == 200 and "funnel" not in page.context and page.context["can_record"]


def test_officer_event_not_invited_is_404(officer_client):
    event = MatchmakingEventFactory()
    assert officer_client.get(reverse("lending:event_detail", args=[event.pk])).status_code == 404


def test_officer_follows_an_intent_up(officer_client, event, enterprise, bank_at):
    intent = IntentFactory(event=event, enterprise=enterprise, institution=bank_at.institution)
    back = reverse("lending:intent_list")
    response = officer_client.post(reverse("lending:intent_action", args=[intent.pk, "contacted"]))
    assert response.status_code == 302 and response.url == back
    application = ApplicationFactory(enterprise=enterprise, product__institution=bank_at.institution)
    url = reverse("lending:intent_action", args=[intent.pk, "applied"])
    response = officer_client.post(url, {"application_number": application.number.lower(), "next": "event"})
    assert response.url == reverse("lending:event_detail", args=[event.pk])
    intent.refresh_from_db()
    assert (intent.status, intent.application) == ("applied", application)
    response = officer_client.post(reverse("lending:intent_action", args=[intent.pk, "disbursed"]), follow=True)
    assert "The linked application has no loan yet." in messages_of(response)
    loan = LoanFactory(application=application)
    officer_client.post(reverse("lending:intent_action", args=[intent.pk, "disbursed"]))
    intent.refresh_from_db()
    assert (intent.status, intent.loan) == ("disbursed", loan)


def test_officer_drops_an_intent_with_a_reason(officer_client, event, bank_at):
    intent = IntentFactory(event=event, institution=bank_at.institution)
    url = reverse("lending:intent_action", args=[intent.pk, "drop"])
    response = officer_client.post(url, {"reason": ""}, follow=True)
    assert "Choose why the intent went no further." in messages_of(response)
    officer_client.post(url, {"reason": "no_contact", "note": "电话未接通"})
    intent.refresh_from_db()
    assert (intent.status, intent.drop_reason, intent.note) == ("dropped", "no_contact", "电话未接通")
    assert officer_client.post(reverse("lending:intent_action", args=[intent.pk, "bogus"])).status_code == 404


def test_another_bank_gets_404_on_an_intent(event, bank_at):
    from tests.factories import OfficerFactory

    intent = IntentFactory(event=event, institution=bank_at.institution)
    stranger = logged_in(OfficerFactory())
    assert stranger.post(reverse("lending:intent_action", args=[intent.pk, "contacted"])).status_code == 404
    assert Intent.objects.get().status == "recorded"


# --- query counts ------------------------------------------------------------------------------------------------


def test_event_list_query_count_staff(staff_client, staff):
    def add(n):
        for _ in range(n):
            event = MatchmakingEventFactory(region=staff.region, organizer=staff)
            EventParticipantFactory(event=event)
            IntentFactory(event=event)

    assert_constant(staff_client, reverse("lending:event_list"), add)


def test_event_list_query_count_sme(sme_client, enterprise):
    def add(n):
        for _ in range(n):
            EventParticipantFactory(enterprise=enterprise)

    assert_constant(sme_client, reverse("lending:event_list"), add)


def test_event_list_query_count_officer(officer_client, branch):
    def add(n):
        for _ in range(n):
            EventParticipantFactory(enterprise=None, institution=branch)

    assert_constant(officer_client, reverse("lending:event_list"), add)


def test_event_page_query_count_for_its_participants_and_intents(staff_client, event, bank_at):
    def add(n):
        for _ in range(n):
            row = EventParticipantFactory(event=event, enterprise=EnterpriseFactory(region=CountyFactory()))
            IntentFactory(event=event, enterprise=row.enterprise, institution=bank_at.institution)

    assert_constant(staff_client, reverse("lending:event_detail", args=[event.pk]), add)


def test_officer_event_page_query_count(officer_client, event, bank_at):
    def add(n):
        for _ in range(n):
            row = EventParticipantFactory(event=event)
            IntentFactory(event=event, enterprise=row.enterprise, institution=bank_at.institution)

    assert_constant(officer_client, reverse("lending:event_detail", args=[event.pk]), add)


def test_intent_list_query_count_officer(officer_client, event, bank_at):
    def add(n):
        for i in range(n):
            intent = IntentFactory(event=event, institution=bank_at.institution)
            if i % 2:
                application = ApplicationFactory(enterprise=intent.enterprise)
                Intent.objects.filter(pk=intent.pk).update(status="applied", application=application)

    assert_constant(officer_client, reverse("lending:intent_list"), add)


def test_intent_list_query_count_staff(staff_client, event):
    def add(n):
        IntentFactory.create_batch(n, event=event)

    assert_constant(staff_client, reverse("lending:intent_list"), add)


def test_intent_list_query_count_sme(sme_client, enterprise):
    def add(n):
        IntentFactory.create_batch(n, enterprise=enterprise)

    assert_constant(sme_client, reverse("lending:intent_list"), add)


def test_staff_of_the_province_see_a_city_event(event):
    province_staff = logged_in(StaffFactory(region=event.region.parent))
    assert province_staff.get(reverse("lending:event_detail", args=[event.pk])).status_code == 200


def test_invite_helper_is_the_common_interface(event, enterprise, sme):
    """H4's outreach page calls event_invite(event_id=, user=, enterprise_ids=) and shows the count."""
    assert event_invite(event_id=event.pk, user=event.organizer, enterprise_ids=[enterprise.pk]) == 1
    assert Notification.objects.get(user=sme).kind == "event_invited"
