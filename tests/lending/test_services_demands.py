"""Financing demands and claims (抢单): publish, claim in one's regions, exclusive working-day deadline, release,
close, conversion into an application.

Time is frozen around the 2026 National Day week (holidays 1-7 October, make-up working Saturday 10 October)
so that a deadline counted in calendar days would differ from the one counted in official working days.
"""

import datetime
from decimal import Decimal

import pytest

from creditinfo.models import Authorization, EnterpriseMembership
from lending.models import Application, DemandClaim, FinancingDemand
from lending.services.applications import application_submit
from lending.services.demands import (
    demand_claim,
    demand_claim_release,
    demand_claims_release_expired,
    demand_close,
    demand_publish,
)
from tests.factories import EnterpriseFactory, UserFactory
from tests.lending.conftest import SHANGHAI
from xinyidai.errors import DomainError

D = FinancingDemand.Status
C = DemandClaim.Status

# Claimed on Monday 28 September 2026 at 10:00; three working days are 29, 30 September and 8 October.
CLAIMED_AT = (2026, 9, 28, 10, 0)
DEADLINE = datetime.datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _three_working_days(settings):
    settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS = 3


def publish(world, sme=None, **kwargs):
    fields = {"amount": Decimal("300000"), "term_months": 6, "purpose": "备货", "guarantee_modes": ["04"]}
    return demand_publish(user=sme or world.sme1, **{**fields, **kwargs})


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def in_pool(demand, officer, at=None) -> bool:
    return FinancingDemand.objects.pool_for(officer, at=at).filter(pk=demand.pk).exists()


# -- publish ---------------------------------------------------------------------------------------------


def test_publish_puts_the_demand_in_the_pool_of_its_region(world):
    demand = publish(world, guarantee_modes=["04", "01", "04"])
    assert (demand.enterprise, demand.region, demand.status) == (world.e1, world.jinshui, D.OPEN)
    assert demand.guarantee_modes == ["01", "04"]
    assert demand.created_by == world.sme1
    assert in_pool(demand, world.officer(world.a_zz))  # Zhengzhou branch: 金水区 is below it
    assert in_pool(demand, world.officer(world.bank_b))  # a province head office
    assert in_pool(demand, world.officer(world.a_zz_js))  # the 金水 sub-branch itself
    assert not in_pool(demand, world.officer(world.a_ly))  # Luoyang
    assert not in_pool(demand, world.sme1)


@pytest.mark.parametrize("modes", [[], ["05"], ["04", "99"], ["credit"]])
def test_publish_needs_at_least_one_valid_guarantee_mode(world, modes):
    with pytest.raises(DomainError) as excinfo:
        publish(world, guarantee_modes=modes)
    assert excinfo.value.status == 400
    assert set(excinfo.value.detail) == {"guarantee_modes"}
    assert not FinancingDemand.objects.exists()


@pytest.mark.parametrize(
    ("amount", "term", "fields"),
    [
        (Decimal("0"), 6, {"amount"}),
        (Decimal("-1"), 6, {"amount"}),
        (Decimal("300000"), 0, {"term_months"}),
        (Decimal("300000"), 361, {"term_months"}),
    ],
)
def test_publish_refuses_a_non_positive_amount_or_an_impossible_term(world, amount, term, fields):
    with pytest.raises(DomainError) as excinfo:
        publish(world, amount=amount, term_months=term)
    assert excinfo.value.status == 400
    assert set(excinfo.value.detail) == fields
    assert not FinancingDemand.objects.exists()


@pytest.mark.parametrize("who", ["no_enterprise", "officer"])
def test_publish_needs_an_enterprise(world, who):
    user = UserFactory() if who == "no_enterprise" else world.officer(world.a_zz)
    with pytest.raises(DomainError) as excinfo:
        publish(world, sme=user)
    assert excinfo.value.code == "no_enterprise"
    assert not FinancingDemand.objects.exists()


# -- claim: regions and exclusivity ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("institution", "enterprise", "allowed"),
    [
        ("a_zz", "e1", True),  # Zhengzhou branch, demand in 金水区 (Zhengzhou)
        ("a_zz", "e2", False),  # Zhengzhou branch, demand in 老城区 (Luoyang): another city
        ("a_ly", "e2", True),
        ("a_ly", "e1", False),
        ("bank_a", "e1", True),  # province head office: all of Henan
        ("bank_a", "e2", True),
        ("a_zz_js", "e1", True),  # 金水 sub-branch, demand in 金水区
        ("b_zz", "e2", False),
    ],
)
def test_claim_only_in_the_institutions_region_subtree(world, institution, enterprise, allowed):
    sme = world.sme1 if enterprise == "e1" else world.sme2
    demand = publish(world, sme=sme)
    officer = world.officer(getattr(world, institution))
    if not allowed:
        with pytest.raises(DomainError) as excinfo:
            demand_claim(demand_id=demand.pk, officer=officer)
        assert excinfo.value.code == "not_claimable"
        assert refreshed(demand).status == D.OPEN and not DemandClaim.objects.exists()
        return
    claim = demand_claim(demand_id=demand.pk, officer=officer)
    assert (claim.institution, claim.officer, claim.status) == (officer.institution, officer, C.ACTIVE)
    assert refreshed(demand).status == D.CLAIMED


def test_a_county_sub_branch_cannot_claim_in_a_neighbouring_county(world):
    sme = UserFactory()
    EnterpriseMembership.objects.create(user=sme, enterprise=EnterpriseFactory(region=world.zhongyuan))
    demand = publish(world, sme=sme)
    with pytest.raises(DomainError):
        demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz_js))
    assert demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz)).institution == world.a_zz


@pytest.mark.parametrize("second", ["b_zz", "bank_a", "a_zz", "a_zz_js"])
def test_a_claim_is_exclusive_while_active(world, second, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    first = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    other_officer = world.officer(getattr(world, second))
    with pytest.raises(DomainError) as excinfo:
        demand_claim(demand_id=demand.pk, officer=other_officer)
    assert excinfo.value.code == "not_claimable"
    assert list(DemandClaim.objects.all()) == [first]
    assert refreshed(first).status == C.ACTIVE
    assert not in_pool(demand, other_officer)


@pytest.mark.parametrize("state", [D.CLOSED, D.APPLIED])
def test_closed_or_applied_demands_cannot_be_claimed(world, state):
    demand = publish(world)
    FinancingDemand.objects.filter(pk=demand.pk).update(status=state)
    with pytest.raises(DomainError):
        demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    assert not DemandClaim.objects.exists()


@pytest.mark.parametrize("who", ["sme", "staff"])
def test_only_officers_claim(world, who):
    demand = publish(world)
    user = world.sme1 if who == "sme" else world.staff(world.henan)
    with pytest.raises(DomainError):
        demand_claim(demand_id=demand.pk, officer=user)
    assert not DemandClaim.objects.exists()


# -- the working-day deadline ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "last_day"),
    [
        (1, datetime.date(2026, 9, 29)),
        (2, datetime.date(2026, 9, 30)),
        (3, datetime.date(2026, 10, 8)),  # 1-7 October are the National Day holidays
        (4, datetime.date(2026, 10, 9)),
        (5, datetime.date(2026, 10, 10)),  # a Saturday, but an official make-up working day
        (6, datetime.date(2026, 10, 12)),
    ],
)
def test_claim_deadline_counts_official_working_days(world, clock, settings, days, last_day):
    settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS = days
    now = clock.local(*CLAIMED_AT)
    claim = demand_claim(demand_id=publish(world).pk, officer=world.officer(world.a_zz))
    assert claim.claimed_at == now
    assert claim.deadline == datetime.datetime.combine(last_day, datetime.time(23, 59, 59), tzinfo=SHANGHAI)


def test_claim_late_in_the_evening_counts_from_the_local_day(world, clock):
    """23:30 on Tuesday 29 September in Zhengzhou is 15:30 UTC: still the 29th locally."""
    clock.local(2026, 9, 29, 23, 30)
    claim = demand_claim(demand_id=publish(world).pk, officer=world.officer(world.a_zz))
    assert claim.deadline == datetime.datetime(2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_the_claim_holds_through_the_holiday_week(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    rival = world.officer(world.b_zz)
    # Counted in calendar days the claim would have lapsed on 1 October; it must not.
    for day in range(1, 8):
        clock.local(2026, 10, day, 12, 0)
        assert not in_pool(demand, rival)
        with pytest.raises(DomainError):
            demand_claim(demand_id=demand.pk, officer=rival)
    clock.set(DEADLINE - datetime.timedelta(seconds=1))
    assert not in_pool(demand, rival)
    assert DemandClaim.objects.count() == 1


def test_after_the_deadline_the_demand_is_back_in_the_pool_before_any_cleanup(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    first = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    rival = world.officer(world.b_zz)

    clock.set(DEADLINE)
    # Nothing has tidied the rows yet: the claim still says active and the demand claimed...
    assert (refreshed(first).status, refreshed(demand).status) == (C.ACTIVE, D.CLAIMED)
    # ...but the pool already offers the demand, to the former claimer and to everyone else.
    assert in_pool(demand, rival)
    assert in_pool(demand, world.officer(world.a_zz))
    assert not DemandClaim.objects.active().exists()
    assert FinancingDemand.objects.unclaimed().filter(pk=demand.pk).exists()

    second = demand_claim(demand_id=demand.pk, officer=rival)
    assert (second.institution, second.status) == (world.b_zz, C.ACTIVE)
    assert (refreshed(first).status, first.closed_at) == (C.EXPIRED, DEADLINE)
    assert refreshed(demand).status == D.CLAIMED
    assert not in_pool(demand, world.officer(world.a_zz))


def test_pool_for_takes_an_explicit_time(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    rival = world.officer(world.b_zz)
    assert not in_pool(demand, rival, at=DEADLINE - datetime.timedelta(seconds=1))
    assert in_pool(demand, rival, at=DEADLINE + datetime.timedelta(seconds=1))


# -- the cleanup task ------------------------------------------------------------------------------------


def test_release_expired_sets_claims_expired_and_demands_open_idempotently(world, clock):
    clock.local(*CLAIMED_AT)
    lapsing = publish(world)
    lapsing_claim = demand_claim(demand_id=lapsing.pk, officer=world.officer(world.a_zz))
    clock.local(2026, 10, 8, 9, 0)
    fresh = publish(world)
    fresh_claim = demand_claim(demand_id=fresh.pk, officer=world.officer(world.a_zz))
    released_by_hand = publish(world)
    by_hand = demand_claim(demand_id=released_by_hand.pk, officer=world.officer(world.a_zz))
    demand_claim_release(claim_id=by_hand.pk, officer=world.officer(world.a_zz))

    later = DEADLINE + datetime.timedelta(minutes=15)
    assert demand_claims_release_expired(now=later) == 1
    assert (refreshed(lapsing_claim).status, lapsing_claim.closed_at) == (C.EXPIRED, later)
    assert refreshed(lapsing).status == D.OPEN
    assert refreshed(fresh_claim).status == C.ACTIVE and refreshed(fresh).status == D.CLAIMED
    assert refreshed(by_hand).status == C.RELEASED

    # A second run finds nothing and changes nothing.
    assert demand_claims_release_expired(now=later + datetime.timedelta(minutes=15)) == 0
    assert (refreshed(lapsing_claim).status, lapsing_claim.closed_at) == (C.EXPIRED, later)
    assert refreshed(lapsing).status == D.OPEN
    assert refreshed(fresh_claim).status == C.ACTIVE


def test_release_expired_defaults_to_now(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    clock.local(2026, 10, 8, 23, 0)
    assert demand_claims_release_expired() == 0
    assert refreshed(claim).status == C.ACTIVE
    clock.local(2026, 10, 9, 0, 0)
    assert demand_claims_release_expired() == 1
    assert (refreshed(claim).status, refreshed(demand).status) == (C.EXPIRED, D.OPEN)


# -- release and close -----------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["a_zz", "bank_a"])
def test_the_claimer_or_its_head_office_releases(world, by):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    released = demand_claim_release(claim_id=claim.pk, officer=world.officer(getattr(world, by)))
    assert released.status == C.RELEASED and released.closed_at is not None
    assert refreshed(demand).status == D.OPEN
    assert in_pool(demand, world.officer(world.b_zz))
    with pytest.raises(DomainError) as excinfo:
        demand_claim_release(claim_id=claim.pk, officer=world.officer(world.a_zz))
    assert excinfo.value.code == "invalid_transition"


@pytest.mark.parametrize("by", ["b_zz", "a_ly", "a_zz_js", "sme1", "staff"])
def test_others_cannot_release(world, by):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    user = {"sme1": world.sme1, "staff": world.staff(world.henan)}.get(by) or world.officer(getattr(world, by))
    with pytest.raises(DomainError) as excinfo:
        demand_claim_release(claim_id=claim.pk, officer=user)
    assert (excinfo.value.code, excinfo.value.status) == ("forbidden", 403)
    assert refreshed(claim).status == C.ACTIVE and refreshed(demand).status == D.CLAIMED


@pytest.mark.parametrize("claimed", [False, True])
def test_the_enterprise_closes_its_demand(world, claimed):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz)) if claimed else None
    demand_close(demand_id=demand.pk, user=world.sme1)
    assert refreshed(demand).status == D.CLOSED
    if claim:
        assert refreshed(claim).status == C.RELEASED and claim.closed_at is not None
    assert not in_pool(demand, world.officer(world.b_zz))
    with pytest.raises(DomainError) as excinfo:
        demand_close(demand_id=demand.pk, user=world.sme1)
    assert excinfo.value.code == "invalid_transition"


@pytest.mark.parametrize("by", ["sme2", "officer"])
def test_only_the_enterprise_closes(world, by):
    demand = publish(world)
    user = world.sme2 if by == "sme2" else world.officer(world.a_zz)
    with pytest.raises(DomainError) as excinfo:
        demand_close(demand_id=demand.pk, user=user)
    assert (excinfo.value.code, excinfo.value.status) == ("forbidden", 403)
    assert refreshed(demand).status == D.OPEN


# -- applying to a claim ---------------------------------------------------------------------------------


def apply_to(world, claim, *, sme=None, consent=True):
    return application_submit(
        user=sme or world.sme1,
        claim_id=claim.pk,
        amount=Decimal("300000"),
        term_months=6,
        purpose="备货",
        consent=consent,
    )


def test_applying_to_a_claim_converts_it(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    now = clock.local(2026, 10, 8, 23, 59)
    application = apply_to(world, claim)
    assert (application.institution, application.product, application.demand_claim) == (world.a_zz, None, claim)
    assert application.authorization.institution == world.a_zz
    assert (refreshed(claim).status, claim.closed_at) == (C.CONVERTED, now)
    assert refreshed(demand).status == D.APPLIED
    assert not in_pool(demand, world.officer(world.b_zz), at=DEADLINE + datetime.timedelta(days=30))
    # A converted claim neither lapses nor can be released.
    assert demand_claims_release_expired(now=DEADLINE + datetime.timedelta(days=1)) == 0
    with pytest.raises(DomainError):
        demand_claim_release(claim_id=claim.pk, officer=world.officer(world.a_zz))
    with pytest.raises(DomainError):
        demand_close(demand_id=demand.pk, user=world.sme1)


def _nothing_applied(claim, demand, claim_status, demand_status):
    return (
        not Application.objects.exists()
        and not Authorization.objects.exists()
        and refreshed(claim).status == claim_status
        and refreshed(demand).status == demand_status
    )


def test_applying_to_an_expired_claim_is_refused(world, clock):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    clock.set(DEADLINE)  # the periodic task has not run: the row still says active
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim)
    assert excinfo.value.code == "claim_expired"
    assert _nothing_applied(claim, demand, C.ACTIVE, D.CLAIMED)
    demand_claims_release_expired()
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim)
    assert excinfo.value.code == "claim_expired"
    assert _nothing_applied(claim, demand, C.EXPIRED, D.OPEN)


def test_applying_to_a_released_claim_is_refused(world):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    demand_claim_release(claim_id=claim.pk, officer=world.officer(world.a_zz))
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim)
    assert excinfo.value.code == "claim_expired"
    assert _nothing_applied(claim, demand, C.RELEASED, D.OPEN)


def test_applying_to_another_enterprises_claim_is_not_found(world):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim, sme=world.sme2)
    assert (excinfo.value.code, excinfo.value.status) == ("not_found", 404)
    assert _nothing_applied(claim, demand, C.ACTIVE, D.CLAIMED)


def test_applying_to_a_claim_without_consent_leaves_the_claim_active(world):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim, consent=False)
    assert excinfo.value.code == "consent_required"
    assert _nothing_applied(claim, demand, C.ACTIVE, D.CLAIMED)


def test_a_claim_can_only_be_applied_to_once(world):
    demand = publish(world)
    claim = demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    apply_to(world, claim)
    with pytest.raises(DomainError) as excinfo:
        apply_to(world, claim)
    assert excinfo.value.code == "claim_expired"
    assert Application.objects.count() == 1
