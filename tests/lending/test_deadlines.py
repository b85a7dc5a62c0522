"""Deadlines: a lapsed demand claim returns the demand to the pool, tells the enterprise (with alternatives) and
the claiming officer, and pushes the demand to the next-best institutions, once; an application not answered in
time is flagged overdue to its institution, once; staff see the overdue lists of their region, per bank.

Time is frozen around the 2026 National Day week (holidays 1-7 October, make-up working Saturday 10 October),
so that a deadline counted in calendar days would differ from one counted in official working days.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lending import tasks
from lending.models import Application, DemandClaim, DemandPush, FinancingDemand
from lending.services import notices
from lending.services.applications import application_accept
from lending.services.deadlines import applications_flag_overdue
from lending.services.demands import demand_claim, demand_claim_release, demand_claims_release_expired, demand_publish
from tests.factories import (
    ApplicationFactory,
    BranchFactory,
    DemandClaimFactory,
    DemandFactory,
    EnterpriseFactory,
    OfficerFactory,
    ProductFactory,
    SmeUserFactory,
    StaffFactory,
)
from tests.lending.conftest import SHANGHAI
from tests.web.utils import logged_in
from xinyidai.models import Notification

S = Application.Status
C = DemandClaim.Status
R = DemandPush.Reason

# Claimed on Wednesday 30 September 2026 at 10:00: three working days are 8, 9 and (the make-up Saturday)
# 10 October, so the claim holds until Saturday 10 October 23:59:59 - not 3 October, as calendar days would say.
CLAIMED_AT = (2026, 9, 30, 10, 0)
CLAIM_DEADLINE = datetime.datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)
# Submitted at the same moment, five working days to respond: 8, 9, 10, 12 and 13 October.
RESPOND_BY = datetime.datetime(2026, 10, 13, 23, 59, 59, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _deadlines(settings):
    settings.XINYIDAI_DEMAND_CLAIM_WORKING_DAYS = 3
    settings.XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS = 5


@pytest.fixture
def pushes(monkeypatch):
    """Every demand_push call the demand services make (the real push still runs)."""
    from lending.services import matching

    calls, real = [], matching.demand_push

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(matching, "demand_push", spy)
    return calls


def publish(world, **kwargs):
    fields = {"amount": Decimal("300000"), "term_months": 6, "purpose": "备货", "guarantee_modes": ["04"]}
    return demand_publish(user=world.sme1, **{**fields, **kwargs})


def notes(kind: str, **filters):
    return list(Notification.objects.filter(kind=kind, **filters).order_by("user_id"))


@pytest.fixture
def fitting_products(world):
    """Listed credit-loan products that fit the demands below, at Bank A's and Bank B's Zhengzhou branches."""
    return world.product(world.a_zz), world.product(world.b_zz)


# -- demand claims ---------------------------------------------------------------------------------------


def test_publishing_pushes_the_demand_after_the_commit(
    world, fitting_products, pushes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        demand = publish(world)
    assert pushes == [] and not DemandPush.objects.exists()  # not in the request's transaction: a task after it
    for callback in callbacks:
        callback()  # the task (inline without a broker)
    assert pushes == [{"demand_id": demand.pk, "reason": R.PUBLISHED, "exclude_institution_ids": []}]
    pushed = set(DemandPush.objects.filter(demand=demand, reason=R.PUBLISHED).values_list("institution_id", flat=True))
    assert pushed == {world.a_zz.pk, world.b_zz.pk}


def test_the_claim_deadline_counts_official_working_days(world, clock):
    clock.local(*CLAIMED_AT)
    claim = demand_claim(demand_id=publish(world).pk, officer=world.officer(world.a_zz))
    assert claim.deadline == CLAIM_DEADLINE
    assert demand_claims_release_expired(now=datetime.datetime(2026, 10, 10, 23, 0, tzinfo=SHANGHAI)) == 0
    assert demand_claims_release_expired(now=datetime.datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)) == 1


def test_a_lapsed_claim_tells_and_pushes_once(world, clock, fitting_products, pushes):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    officer = world.officer(world.a_zz)
    claim = demand_claim(demand_id=demand.pk, officer=officer)
    [claimed] = notes("demand_claimed")
    assert claimed.user == world.sme1 and claimed.url == f"/demands/{demand.pk}/"
    assert claimed.params["institution"] == world.a_zz.name and claimed.params["amount_yuan"] == "300000.00"
    pushes.clear()

    later = CLAIM_DEADLINE + datetime.timedelta(minutes=15)
    assert demand_claims_release_expired(now=later) == 1
    claim.refresh_from_db()
    demand.refresh_from_db()
    assert (claim.status, claim.closed_at, demand.status) == (C.EXPIRED, later, FinancingDemand.Status.OPEN)

    # The enterprise: back in the pool, with a link to the alternatives.
    [told] = notes("demand_claim_expired")
    assert told.user == world.sme1 and told.url == notices.alternatives_url()
    assert told.params["institution"] == world.a_zz.name
    # The claiming officer.
    [lapsed] = notes("claim_lapsed")
    assert lapsed.user == officer and lapsed.url == f"/demands/{demand.pk}/"
    # Pushed again, the lapsed institution left out.
    assert pushes == [{"demand_id": demand.pk, "reason": R.CLAIM_EXPIRED, "exclude_institution_ids": (world.a_zz.pk,)}]
    again = set(DemandPush.objects.filter(demand=demand, reason=R.CLAIM_EXPIRED).values_list("institution", flat=True))
    assert again == {world.b_zz.pk}
    assert notes("demand_pushed", user=world.officer(world.b_zz))

    # A second run (beat every 15 minutes) tells and pushes nothing more.
    before = Notification.objects.count(), DemandPush.objects.count()
    assert demand_claims_release_expired(now=later + datetime.timedelta(minutes=15)) == 0
    assert (Notification.objects.count(), DemandPush.objects.count()) == before
    assert len(pushes) == 1


def test_the_celery_task_runs_the_sweep(world, clock, fitting_products):
    clock.local(*CLAIMED_AT)
    demand_claim(demand_id=publish(world).pk, officer=world.officer(world.a_zz))
    clock.local(2026, 10, 11, 9, 0)
    assert tasks.demand_claims_release_expired.delay().get() == 1
    assert tasks.demand_claims_release_expired.delay().get() == 0
    assert len(notes("demand_claim_expired")) == 1


def test_a_released_claim_tells_the_enterprise_and_pushes(
    world, fitting_products, pushes, django_capture_on_commit_callbacks
):
    demand = publish(world)
    officer = world.officer(world.a_zz)
    claim = demand_claim(demand_id=demand.pk, officer=officer)
    pushes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        demand_claim_release(claim_id=claim.pk, officer=officer)
    [told] = notes("demand_claim_released")
    assert told.user == world.sme1 and told.url == notices.alternatives_url()
    assert pushes == [{"demand_id": demand.pk, "reason": R.CLAIM_RELEASED, "exclude_institution_ids": [world.a_zz.pk]}]
    assert set(DemandPush.objects.filter(reason=R.CLAIM_RELEASED).values_list("institution", flat=True)) == {
        world.b_zz.pk
    }


def test_a_claim_lapsing_as_another_bank_claims_is_told_but_not_pushed(world, clock, fitting_products, pushes):
    clock.local(*CLAIMED_AT)
    demand = publish(world)
    demand_claim(demand_id=demand.pk, officer=world.officer(world.a_zz))
    clock.local(2026, 10, 11, 9, 0)
    pushes.clear()
    demand_claim(demand_id=demand.pk, officer=world.officer(world.b_zz))  # before the sweep ran
    assert len(notes("demand_claim_expired")) == 1 and len(notes("demand_claimed")) == 2
    assert pushes == []  # claimed again at once: nobody to push it to
    assert demand_claims_release_expired() == 0


def test_the_alternatives_link_falls_back_to_the_supermarket(world, monkeypatch):
    from django.urls import NoReverseMatch, reverse

    def without_recommendations(name, *args, **kwargs):
        if name == "lending:recommendations":
            raise NoReverseMatch(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(notices, "reverse", without_recommendations)
    assert notices.alternatives_url() == "/products/"


# -- overdue applications --------------------------------------------------------------------------------


def test_overdue_applications_are_flagged_to_the_institution_once(world, clock):
    clock.local(*CLAIMED_AT)
    colleague = OfficerFactory(institution=world.a_zz)
    officer = world.officer(world.a_zz)
    submitted = world.application(S.SUBMITTED)
    accepted = world.application(S.ACCEPTED)
    world.application(S.APPROVED)  # answered in time
    assert submitted.respond_by == RESPOND_BY

    clock.set(RESPOND_BY - datetime.timedelta(hours=1))
    assert applications_flag_overdue() == 0
    clock.set(RESPOND_BY + datetime.timedelta(seconds=1))
    assert applications_flag_overdue() == 2

    flagged = Notification.objects.filter(kind="application_overdue")
    by_application = {}
    for note in flagged:
        by_application.setdefault(note.params["application_id"], set()).add(note.user_id)
    assert by_application == {submitted.pk: {officer.pk, colleague.pk}, accepted.pk: {officer.pk, colleague.pk}}
    note = flagged.filter(params__application_id=submitted.pk).first()
    assert note.url == f"/applications/{submitted.pk}/" and note.params["number"] == submitted.number
    submitted.refresh_from_db()
    assert submitted.overdue_notified_at == timezone.now()

    # Every later run: nothing new.
    clock.set(RESPOND_BY + datetime.timedelta(minutes=15))
    assert applications_flag_overdue() == 0
    assert tasks.applications_flag_overdue.delay().get() == 0
    assert flagged.count() == 4


def test_accepting_late_still_leaves_one_notice(world, clock):
    clock.local(*CLAIMED_AT)
    application = world.application(S.SUBMITTED)
    clock.set(RESPOND_BY + datetime.timedelta(minutes=1))
    assert applications_flag_overdue() == 1
    application_accept(application_id=application.pk, officer=world.officer(world.a_zz))  # accepted: still open
    assert applications_flag_overdue() == 0


def test_the_overdue_sweep_is_scheduled_every_15_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["flag-overdue-applications"]
    assert entry == {"task": "lending.tasks.applications_flag_overdue", "schedule": 15 * 60}
    assert tasks.applications_flag_overdue.name == entry["task"]


# -- the staff overdue page ------------------------------------------------------------------------------


def _overdue(world, product, *, days: int, sme=None):
    application = world.application(S.SUBMITTED, product=product, sme=sme)
    Application.objects.filter(pk=application.pk).update(respond_by=timezone.now() - datetime.timedelta(days=days))
    return application


def test_staff_see_their_regions_overdue_per_bank_oldest_first(world):
    a_product, b_product = world.product(world.a_zz), world.product(world.b_zz)
    luoyang_product = world.product(world.a_ly)
    a_old = _overdue(world, a_product, days=9)
    _overdue(world, a_product, days=1)
    b_app = _overdue(world, b_product, days=4)
    luoyang = _overdue(world, luoyang_product, days=20, sme=world.sme2)  # 老城区: not Zhengzhou's
    world.application(S.SUBMITTED, product=b_product)  # not overdue

    response = logged_in(world.staff(world.zhengzhou)).get("/overdue/")
    assert response.status_code == 200
    banks = [(row["bank_name"], row["count"]) for row in response.context["banks"]]
    assert banks == [(world.bank_a.name, 2), (world.bank_b.name, 1)]  # the bank with the oldest overdue first
    rows = list(response.context["page_obj"])
    assert [a.pk for a in rows] == [a_old.pk, b_app.pk, rows[2].pk] and luoyang.pk not in [a.pk for a in rows]
    html = response.content.decode()
    assert a_old.number in html and luoyang.number not in html

    one_bank = logged_in(world.staff(world.zhengzhou)).get("/overdue/", {"bank": world.bank_b.pk})
    assert [a.pk for a in one_bank.context["page_obj"]] == [b_app.pk]

    province = logged_in(world.staff(world.henan)).get("/overdue/")
    assert sum(row["count"] for row in province.context["banks"]) == 4


def test_the_overdue_list_as_csv(world):
    application = _overdue(world, world.product(world.b_zz), days=3)
    response = logged_in(world.staff(world.zhengzhou)).get("/overdue/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    [header, row] = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[0] == "Bank" and header[-1] == "Days overdue"
    assert row[0] == world.bank_b.name and row[2] == application.number and row[5] == "1000000.00" and row[-1] == "3"


def test_staff_see_lapsed_claims_of_their_region(world):
    now = timezone.now()
    active_lapsed = DemandClaimFactory(
        demand=DemandFactory(enterprise=world.e1), institution=world.a_zz, deadline=now - datetime.timedelta(hours=2)
    )
    recently = DemandClaimFactory(
        demand=DemandFactory(enterprise=world.e1, status=FinancingDemand.Status.OPEN),
        institution=world.b_zz,
        status=C.EXPIRED,
        deadline=now - datetime.timedelta(days=5),
    )
    DemandClaimFactory(  # expired long ago
        demand=DemandFactory(enterprise=world.e1, status=FinancingDemand.Status.OPEN),
        institution=world.b_zz,
        status=C.EXPIRED,
        deadline=now - datetime.timedelta(days=60),
    )
    DemandClaimFactory(demand=DemandFactory(enterprise=world.e1), institution=world.a_zz)  # still running
    DemandClaimFactory(  # Luoyang's
        demand=DemandFactory(enterprise=world.e2), institution=world.a_ly, deadline=now - datetime.timedelta(hours=2)
    )
    response = logged_in(world.staff(world.zhengzhou)).get("/overdue/")
    claims = list(response.context["claims_page"])
    assert [c.pk for c in claims] == [recently.pk, active_lapsed.pk]
    assert [c.bank_name for c in claims] == [world.bank_b.name, world.bank_a.name]


@pytest.mark.parametrize("who", ["sme", "officer"])
def test_only_staff_see_the_overdue_page(world, who):
    user = world.sme1 if who == "sme" else world.officer(world.a_zz)
    assert logged_in(user).get("/overdue/").status_code == 403
    assert logged_in(user).get("/overdue/export.csv").status_code == 403


def test_the_staff_navigation_links_the_overdue_page(world):
    assert 'href="/overdue/"' in logged_in(world.staff(world.zhengzhou)).get("/").content.decode()
    assert 'href="/overdue/"' not in logged_in(world.sme1).get("/").content.decode()


@pytest.mark.django_db
def test_the_overdue_page_query_count_holds_for_3_and_30():
    staff = StaffFactory()  # 郑州市: the factories' enterprises are in 金水区 below it
    branches = [BranchFactory(), BranchFactory()]
    past = timezone.now() - datetime.timedelta(days=2)

    def add(n):
        for i in range(n):
            product = ProductFactory(institution=branches[i % 2])
            ApplicationFactory(product=product, enterprise=EnterpriseFactory(), respond_by=past)
            DemandClaimFactory(institution=branches[i % 2], deadline=past)

    client = logged_in(staff)
    counts = []
    for n in (3, 27):
        add(n)
        client.get("/overdue/")
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/overdue/")
        assert len(response.context["page_obj"]) == min(3 + 27 * (n == 27), 20)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_an_sme_member_is_told_of_a_claim_on_its_demand():
    """Every member of the enterprise hears, not only the one who published."""
    enterprise = EnterpriseFactory()
    first, second = SmeUserFactory(enterprise=enterprise), SmeUserFactory(enterprise=enterprise)
    demand = DemandFactory(enterprise=enterprise, created_by=first)
    demand_claim(demand_id=demand.pk, officer=OfficerFactory())
    assert {n.user_id for n in notes("demand_claimed")} == {first.pk, second.pk}
