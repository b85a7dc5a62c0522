"""First-loan outreach: who is a candidate, staff scoping, pushing leads to banks (idempotent, one notification per
officer per push) and officers recording the contact (only for the regions their institution serves).

The small Henan of tests/lending/conftest.py: e1 in 金水区 (Zhengzhou), e2 in 老城区 (Luoyang); bank A's head office
(province), A-ZZ (Zhengzhou), A-ZZ-JS (金水区), A-LY (Luoyang); bank B's head office and B-ZZ (Zhengzhou).
"""

import datetime

import pytest
from django.http import Http404

from lending import selectors_outreach
from lending.models import EventParticipant, MatchmakingEvent, OutreachLead
from lending.selectors_outreach import (
    candidate_page,
    capped_count,
    first_loan_candidates,
    lead_list,
    leads_visible_to,
)
from lending.services import outreach as outreach_services
from lending.services.outreach import outreach_lead_contacted, outreach_push
from tests.factories import (
    DemandFactory,
    EnterpriseFactory,
    EvaluationFactory,
    LoanFactory,
    OfficerFactory,
    SmeUserFactory,
    StaffFactory,
)
from xinyidai.errors import DomainError
from xinyidai.models import Notification

pytestmark = pytest.mark.django_db


def names(queryset) -> set[str]:
    return set(queryset.values_list("name", flat=True))


def candidate(world, region=None, **fields):
    """A registered (claimed) enterprise with no loan."""
    enterprise = EnterpriseFactory(region=region or world.jinshui, industry=world.electronics, **fields)
    SmeUserFactory(enterprise=enterprise)
    return enterprise


# --- who is a candidate ---------------------------------------------------------------------------------------


def test_the_rule_no_loan_at_all_and_not_a_skeleton(world):
    province = world.staff(world.henan)
    with_live_loan = candidate(world, name="有贷款企业")
    LoanFactory(application__enterprise=with_live_loan)
    first_loan = candidate(world, name="首贷已放款企业")
    LoanFactory(application__enterprise=first_loan, first_loan_attested=True)
    closed = candidate(world, name="贷款已结清企业")
    LoanFactory(application__enterprise=closed, status="closed", outstanding_balance=0, closed_on=datetime.date.today())
    skeleton = EnterpriseFactory(region=world.jinshui, is_skeleton=True, name="数据归集未认领企业")
    applied = candidate(world, name="只申请过的企业")
    world.application("rejected", sme=SmeUserFactory(enterprise=applied))

    found = names(first_loan_candidates(province))

    assert {world.e1.name, world.e2.name, applied.name} <= found
    # Any loan disqualifies: live, closed, or one the bank attested as the firm's first (it has borrowed now).
    assert not found & {with_live_loan.name, first_loan.name, closed.name, skeleton.name}


def test_staff_see_their_region_and_below_and_nothing_outside(world):
    zhengzhou, luoyang = world.staff(world.zhengzhou), world.staff(world.luoyang)
    province = world.staff(world.henan)

    assert names(first_loan_candidates(zhengzhou)) == {world.e1.name}
    assert names(first_loan_candidates(luoyang)) == {world.e2.name}
    assert names(first_loan_candidates(province)) == {world.e1.name, world.e2.name}
    assert names(first_loan_candidates(province, region_id=world.laocheng.pk)) == {world.e2.name}
    with pytest.raises(Http404):
        first_loan_candidates(zhengzhou, region_id=world.luoyang.pk)
    with pytest.raises(Http404):
        first_loan_candidates(zhengzhou, region_id=world.henan.pk)  # above their region
    # Officers and SMEs have no candidate list.
    assert not first_loan_candidates(world.officer(world.a_zz)).exists()
    assert not first_loan_candidates(world.sme1).exists()


def test_filters(world):
    province = world.staff(world.henan)
    e1, e2 = world.e1, world.e2
    e1.tags.set([world.zjtx])
    EvaluationFactory(enterprise=e1, grade="A", score=850)
    EvaluationFactory(enterprise=e2, grade="C", score=520)
    DemandFactory(enterprise=e2, status="open")
    event = MatchmakingEvent.objects.create(
        title="金融会客厅", kind="salon", starts_at=datetime.datetime(2030, 1, 8, 9, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2030, 1, 8, 12, tzinfo=datetime.UTC), region=world.henan, organizer=province,
    )  # fmt: skip
    EventParticipant.objects.create(event=event, enterprise=e1, invited=True)

    def found(**criteria):
        return names(first_loan_candidates(province, **criteria))

    assert found(section_codes=("C",)) == {e1.name}  # electronics is a division of section C
    assert found(section_codes=("I", "A")) == {e2.name}
    assert found(size_classes=("micro",)) == {e2.name}
    assert found(tag_ids=(world.zjtx.pk, world.gxjs.pk)) == {e1.name}
    assert found(min_grade="B") == {e1.name}
    assert found(min_grade="D") == {e1.name, e2.name}
    assert found(has_open_demand=True) == {e2.name}
    assert found(has_open_demand=False) == {e1.name}
    assert found(not_invited_to_event=event.pk) == {e2.name}
    rows = {e.name: e for e in first_loan_candidates(province)}
    assert rows[e2.name].has_open_demand and not rows[e1.name].has_open_demand
    assert rows[e1.name].evaluation.grade == "A"


@pytest.mark.parametrize("cap", [1000, 7])
def test_pages_walk_the_whole_list_in_both_orders_and_count_up_to_the_cap(world, monkeypatch, cap):
    """Fewer matches than the cap: the page is cut from all the keys; more: the created_at index is walked."""
    monkeypatch.setattr(selectors_outreach, "COUNT_CAP", cap)
    province = world.staff(world.henan)
    for _i in range(23):
        candidate(world)
    expected = list(first_loan_candidates(province).values_list("pk", flat=True))
    for order in ("newest", "oldest"):
        seen, cursor = [], None
        while True:
            page = candidate_page(first_loan_candidates(province, order=order), cursor=cursor, order=order, per_page=10)
            seen += [e.pk for e in page]
            assert (page.total, page.total_capped) == ((25, False) if cap > 25 else (cap, True))
            if not page.has_next:
                break
            cursor = page.next_cursor
        assert seen == (expected if order == "newest" else expected[::-1])
    assert capped_count(first_loan_candidates(province), cap=10) == (10, True)
    assert capped_count(first_loan_candidates(province), cap=25) == (25, False)


# --- pushing leads --------------------------------------------------------------------------------------------


def test_push_is_idempotent_and_skips_what_is_not_a_candidate(world):
    province = world.staff(world.henan)
    borrower = candidate(world)
    LoanFactory(application__enterprise=borrower)

    assert outreach_push(user=province, enterprise_ids=[world.e1.pk, world.e2.pk, borrower.pk]) == 2
    assert outreach_push(user=province, enterprise_ids=[world.e1.pk, world.e2.pk]) == 0
    assert outreach_push(user=province, criteria={}) == 0

    leads = OutreachLead.objects.order_by("enterprise_id")
    assert [(lead.enterprise_id, lead.region_id, lead.status, lead.pushed_by_id) for lead in leads] == [
        (world.e1.pk, world.jinshui.pk, "open", province.pk),
        (world.e2.pk, world.laocheng.pk, "open", province.pk),
    ]
    assert all(e.pushed for e in first_loan_candidates(province))


def test_push_by_criteria_and_scoping(world):
    zhengzhou = world.staff(world.zhengzhou)
    another = candidate(world, region=world.zhongyuan)

    # Zhengzhou staff cannot push a Luoyang firm: it is skipped as outside their scope.
    assert outreach_push(user=zhengzhou, enterprise_ids=[world.e2.pk]) == 0
    assert outreach_push(user=zhengzhou, criteria={"region_id": world.zhongyuan.pk}) == 1
    assert set(OutreachLead.objects.values_list("enterprise_id", flat=True)) == {another.pk}
    with pytest.raises(Http404):
        outreach_push(user=zhengzhou, criteria={"region_id": world.luoyang.pk})


def test_push_refusals(world, monkeypatch):
    province = world.staff(world.henan)
    with pytest.raises(DomainError) as refused:
        outreach_push(user=world.officer(world.a_zz), enterprise_ids=[world.e1.pk])
    assert refused.value.status == 403
    for kwargs in ({}, {"enterprise_ids": [world.e1.pk], "criteria": {}}, {"enterprise_ids": []}):
        with pytest.raises(DomainError) as refused:
            outreach_push(user=province, **kwargs)
        assert refused.value.status == 400
    monkeypatch.setattr(outreach_services, "PUSH_CAP", 1)
    with pytest.raises(DomainError) as refused:
        outreach_push(user=province, criteria={})
    assert refused.value.code == "too_many"
    assert not OutreachLead.objects.exists()


def test_one_notification_per_officer_per_push_with_the_count_of_its_area(world):
    province = world.staff(world.henan)
    more = [candidate(world, region=world.zhongyuan) for _i in range(3)]
    officers = {inst.code: world.officer(inst) for inst in (world.bank_a, world.a_zz, world.a_zz_js, world.a_ly)}
    second_zz = OfficerFactory(institution=world.a_zz)
    b_zz = world.officer(world.b_zz)

    outreach_push(user=province, enterprise_ids=[world.e1.pk, world.e2.pk, *(e.pk for e in more)])

    def received(user):
        return list(Notification.objects.filter(user=user, kind="outreach_leads_pushed").values_list("params", "url"))

    url = "/outreach/leads/"
    assert received(officers["A"]) == [({"count": 5}, url)]  # the head office serves the whole province
    assert received(officers["A-ZZ"]) == [({"count": 4}, url)]  # Zhengzhou: e1 and the three in 中原区
    assert received(second_zz) == [({"count": 4}, url)]
    assert received(b_zz) == [({"count": 4}, url)]
    assert received(officers["A-ZZ-JS"]) == [({"count": 1}, url)]  # 金水区: e1 only
    assert received(officers["A-LY"]) == [({"count": 1}, url)]  # Luoyang: e2
    assert not Notification.objects.filter(user=province).exists()

    # Nothing new: nobody is notified again.
    before = Notification.objects.count()
    outreach_push(user=province, criteria={})
    assert Notification.objects.count() == before


# --- officers and leads ---------------------------------------------------------------------------------------


def test_an_officer_of_a_serving_institution_records_the_contact(world):
    province = world.staff(world.henan)
    outreach_push(user=province, criteria={})
    lead_e1 = OutreachLead.objects.get(enterprise=world.e1)
    lead_e2 = OutreachLead.objects.get(enterprise=world.e2)
    jinshui_officer, luoyang_officer = world.officer(world.a_zz_js), world.officer(world.a_ly)

    assert set(lead_list(user=jinshui_officer).values_list("pk", flat=True)) == {lead_e1.pk}
    assert set(lead_list(user=world.officer(world.bank_b)).values_list("pk", flat=True)) == {lead_e1.pk, lead_e2.pk}

    # Outside the region its institution serves: 404, and the lead is unchanged.
    with pytest.raises(DomainError) as refused:
        outreach_lead_contacted(lead_id=lead_e1.pk, officer=luoyang_officer)
    assert refused.value.status == 404
    with pytest.raises(DomainError) as refused:
        outreach_lead_contacted(lead_id=lead_e1.pk, officer=province)
    assert refused.value.status == 403
    with pytest.raises(DomainError) as refused:
        outreach_lead_contacted(lead_id=10**9, officer=jinshui_officer)
    assert refused.value.status == 404

    lead = outreach_lead_contacted(lead_id=lead_e1.pk, officer=jinshui_officer, note="  已电话联系，下周走访  ")
    assert (lead.status, lead.contacted_by, lead.note) == ("contacted", world.a_zz_js, "已电话联系，下周走访")
    assert lead.contacted_at is not None
    # Once contacted, it leaves every bank's open list, shows in the contacting tree's history, and is not pushed
    # again (the one-open-lead constraint covers contacted leads).
    assert not lead_list(user=world.officer(world.bank_b)).filter(pk=lead.pk).exists()
    assert lead_list(user=world.officer(world.bank_a), status="contacted").filter(pk=lead.pk).exists()
    assert not lead_list(user=world.officer(world.bank_b), status="contacted").exists()
    with pytest.raises(DomainError) as refused:
        outreach_lead_contacted(lead_id=lead_e1.pk, officer=world.officer(world.a_zz))
    assert (refused.value.status, refused.value.code) == (409, "invalid_transition")
    assert outreach_push(user=province, enterprise_ids=[world.e1.pk]) == 0

    with pytest.raises(DomainError) as refused:
        outreach_lead_contacted(lead_id=lead_e2.pk, officer=luoyang_officer, note="x" * 301)
    assert refused.value.status == 400
    OutreachLead.objects.get(pk=lead_e2.pk, status="open")


def test_lead_visibility(world):
    province = world.staff(world.henan)
    outreach_push(user=province, criteria={})
    assert leads_visible_to(world.staff(world.zhengzhou)).get().enterprise == world.e1
    assert leads_visible_to(world.officer(world.a_ly)).get().enterprise == world.e2
    assert not leads_visible_to(world.sme1).exists()
    assert leads_visible_to(StaffFactory(region=world.henan)).count() == 2
