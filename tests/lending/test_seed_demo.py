"""seed_demo --scale demo: the demo logins, valid and varied data written through the services, the dashboard's
rollups, idempotence, and determinism of the generators."""

import datetime
import io
from collections import Counter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from creditinfo.models import Enterprise, EnterpriseMembership
from lending.models import Application, CreditDecision, DemandClaim, FinancingDemand, Loan, Product
from lending.models.stats import StatsRefresh, StatsRollup
from lending.seeding import generators as gen
from lending.seeding.demo import DEFAULT_SEED, DEMO_SME, DEMO_USERS, planned_enterprises
from lending.seeding.scales import SCALES
from xinyidai.models import Region, SizeStandard, User

PASSWORD = "Seed#Demo-2026"
DEMO_USERNAMES = [u.username for u in DEMO_USERS]


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale="demo", password=PASSWORD, stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every table of every installed model (many-to-many tables included)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        counts[model._meta.label] = model._base_manager.count()
    return counts


@pytest.mark.django_db
def test_demo_logins_have_their_roles_and_can_authenticate(reference_data):
    output = seed()

    users = User.objects.select_related("institution__parent", "institution__region", "region").in_bulk(
        DEMO_USERNAMES, field_name="username"
    )
    assert sorted(users) == sorted(DEMO_USERNAMES)
    for username, user in users.items():
        assert authenticate(username=username, password=PASSWORD) == user, username
        assert authenticate(username=username, password="wrong-password") is None
        assert username in output
    assert PASSWORD in output

    sme = users["demo_sme"]
    enterprise = EnterpriseMembership.objects.get(user=sme).enterprise
    assert sme.role == User.Role.SME
    assert enterprise.name == "郑州星河智能科技有限公司" and enterprise.uscc == DEMO_SME.uscc
    assert enterprise.region.code == "410105" and enterprise.industry.code == "65"
    assert {t.name for t in enterprise.tags.all()} >= {"专精特新", "科技型中小企业"}

    officer = users["demo_officer"]
    assert officer.role == User.Role.OFFICER
    assert officer.institution.name == "中原银行郑州分行"
    assert officer.institution.parent.name == "中原银行" and officer.institution.parent.region.code == "410000"
    assert officer.institution.region.code == "410100"
    head = users["demo_head_office"]  # the same bank's head office: its figures across the province
    assert head.role == User.Role.OFFICER and head.institution == officer.institution.parent
    assert head.institution.parent is None and head.full_name

    assert users["demo_province"].role == User.Role.STAFF and users["demo_province"].region.code == "410000"
    assert users["demo_city"].role == User.Role.STAFF and users["demo_city"].region.code == "410100"
    admin = users["demo_admin"]
    assert admin.role == User.Role.ADMIN and admin.is_staff and admin.is_superuser

    # Only the demo logins can log in; everyone else seeded is data.
    others = User.objects.exclude(username__in=DEMO_USERNAMES)
    assert others.exists() and not any(u.has_usable_password() for u in others)


@pytest.mark.django_db
def test_demo_sme_and_officer_have_work_to_show(reference_data):
    seed()
    sme, officer = User.objects.get(username="demo_sme"), User.objects.get(username="demo_officer")

    mine = Application.objects.visible_to(sme)
    statuses = Counter(mine.values_list("status", flat=True))
    assert {"submitted", "accepted", "approved", "disbursed", "rejected", "withdrawn"} <= set(statuses)
    approved = mine.get(status=Application.Status.APPROVED)
    assert approved.decision.outcome == CreditDecision.Outcome.APPROVED
    assert not Loan.objects.filter(application=approved).exists()
    waiting = mine.get(status=Application.Status.SUBMITTED)
    assert waiting.institution == officer.institution
    assert Loan.objects.visible_to(sme).filter(first_loan_attested=True, status=Loan.Status.LIVE).exists()

    inbox = Application.objects.visible_to(officer)
    assert inbox.filter(status=Application.Status.SUBMITTED).exclude(enterprise__members__user=sme).exists()
    assert inbox.filter(status=Application.Status.ACCEPTED, handled_by=officer).exists()
    assert inbox.filter(pk=waiting.pk).exists()
    pool = FinancingDemand.objects.pool_for(officer)
    assert pool.filter(enterprise__members__user=sme).exists()
    assert pool.count() >= 5
    assert DemandClaim.objects.active().filter(officer=officer).exists()


@pytest.mark.django_db
def test_seeded_data_is_valid_and_covers_every_state(reference_data):
    seed()
    now = timezone.now()

    # Every USCC is valid and registered where the firm is: its county, or its city's bureau.
    enterprises = list(Enterprise.objects.select_related("region", "region__parent"))
    assert 190 <= len(enterprises) <= 210
    current = SizeStandard.objects.get(is_current=True).version
    for enterprise in enterprises:
        assert stdnum_uscc.is_valid(enterprise.uscc), enterprise.uscc
        region = enterprise.region
        allowed = {region.code} | ({region.parent.code} if region.level == Region.Level.COUNTY else set())
        assert enterprise.uscc[2:8] in allowed, (enterprise.uscc, region.code)
        assert enterprise.size_class and enterprise.size_standard_version == current
    sizes = Counter(e.size_class for e in enterprises)
    assert {"micro", "small", "medium"} <= set(sizes) and sizes["large"] < len(enterprises) * 0.1
    cities = Counter(e.region.parent.code if e.region.parent.level == "city" else e.region.code for e in enterprises)
    assert cities.most_common(1)[0][0] == "410100" and len(cities) >= 12

    # The enterprises are exactly the pure generator's output for the seed.
    refs = [gen.RegionRef(r.code, r.name, r.level, r.parent.code if r.parent else None) for r in Region.objects.all()]
    planned = planned_enterprises(DEFAULT_SEED, SCALES["demo"].enterprises, refs)
    assert sorted(e.name for e in enterprises) == sorted(s.name for s in planned)

    # Applications in every state, each with a consistent history.
    applications = list(Application.objects.select_related("authorization", "decision").prefetch_related("events"))
    assert set(Counter(a.status for a in applications)) == set(Application.Status.values)
    decided = {"approved", "rejected", "disbursed", "declined"}
    for application in applications:
        events = list(application.events.all())
        assert events[0].kind == "submitted" and events[0].created_at == application.submitted_at
        assert events[-1].to_status == application.status
        assert [e.created_at for e in events] == sorted(e.created_at for e in events) and events[-1].created_at <= now
        assert now - application.submitted_at < datetime.timedelta(days=560)
        assert application.number.startswith(f"XYD{timezone.localdate(application.submitted_at):%Y%m%d}")
        assert application.authorization.institution_id == application.institution_id
        assert hasattr(application, "decision") == (application.status in decided)
        has_loan = Loan.objects.filter(application=application).exists()
        assert has_loan == (application.status == Application.Status.DISBURSED)
    for loan in Loan.objects.select_related("application__decision"):
        assert loan.principal <= loan.application.decision.amount
        # Balances follow the seeded bank feedback (tests/lending/test_seed_feedback.py checks the exact rule).
        assert 0 <= loan.outstanding_balance <= loan.principal
        assert loan.status == Loan.Status.LIVE or loan.outstanding_balance == 0
        assert loan.disbursed_on <= timezone.localdate()
    assert Loan.objects.filter(first_loan_attested=True).exists()

    assert {"open", "claimed", "applied", "closed"} <= set(FinancingDemand.objects.values_list("status", flat=True))
    assert set(DemandClaim.Status.values) == set(DemandClaim.objects.values_list("status", flat=True))
    products = Counter(Product.objects.values_list("status", flat=True))
    assert products["listed"] >= 30 and products["unlisted"] >= 1
    credit = Product.objects.filter(guarantee_mode="04").count()
    assert credit > Product.objects.count() / 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_dashboard_rollups_are_built_from_the_seeded_loans(reference_data):
    seed()
    assert StatsRefresh.objects.get().kind == StatsRefresh.Kind.FULL
    province, month = Region.objects.get(code="410000"), timezone.localdate().replace(day=1)
    rollups = StatsRollup.objects.filter(region=province, month__lte=month)
    total = rollups.filter(dim="", key="")
    live = Loan.objects.filter(status=Loan.Status.LIVE)
    # Today's balance is the loans' own outstanding balances; disbursed to date, every loan's principal.
    assert total.get(month=month).balance == live.aggregate(s=Sum("outstanding_balance"))["s"] > 0
    assert total.aggregate(s=Sum("disbursed_amount"))["s"] == Loan.objects.aggregate(s=Sum("principal"))["s"]
    head = User.objects.get(username="demo_head_office").institution
    mine = live.filter(institution__in=head.subtree_ids())
    bank_row = rollups.get(dim="bank", key=str(head.pk), month=month)
    assert bank_row.balance == mine.aggregate(s=Sum("outstanding_balance"))["s"] > 0


@pytest.mark.django_db
def test_second_run_changes_nothing(reference_data):
    seed()
    before = row_counts()
    numbers = list(Application.objects.order_by("pk").values_list("number", "status", "updated_at"))
    assert before["lending.Application"] >= 100

    output = seed()

    assert "nothing changed" in output
    assert row_counts() == before
    assert list(Application.objects.order_by("pk").values_list("number", "status", "updated_at")) == numbers


def test_enterprise_generator_is_pure_and_deterministic():
    refs = gen.region_refs_from_refdata()
    first = planned_enterprises(DEFAULT_SEED, 200, refs)
    again = planned_enterprises(DEFAULT_SEED, 200, refs)
    other = planned_enterprises(DEFAULT_SEED + 1, 200, refs)

    assert [s.name for s in first] == [s.name for s in again]
    assert first == again
    assert [s.name for s in first[1:]] != [s.name for s in other[1:]]
    assert len({s.name for s in first}) == len({s.uscc for s in first}) == 200
    by_code = {r.code: r for r in refs}
    for spec in first:
        assert stdnum_uscc.is_valid(spec.uscc)
        region = by_code[spec.region_code]
        assert spec.uscc[2:8] in ({region.code, region.parent} if region.level == "county" else {region.code})
        assert spec.name.endswith(("有限公司", "有限责任公司", "专业合作社"))


def test_quota_gives_exact_counts_with_every_label():
    import random

    labels = gen.quota(random.Random(1), {"a": 0.7, "b": 0.2, "c": 0.01}, 50)  # noqa: S311
    assert len(labels) == 50 and Counter(labels)["c"] == 1 and Counter(labels)["a"] >= 34


@pytest.mark.django_db
def test_matchmaking_events_with_intents_at_every_stage_and_outreach_leads(reference_data):
    from lending.models import EventParticipant, Intent, MatchmakingEvent, OutreachLead
    from tests.lending.seed_events_checks import assert_events_consistent

    output = seed()

    assert "matchmaking events" in output and "intents" in output
    assert_events_consistent()
    events = MatchmakingEvent.objects.all()
    assert 6 <= events.count() <= 8
    now = timezone.now()
    for status in ("held", "scheduled"):
        assert set(events.filter(status=status).values_list("kind", flat=True)) == set(MatchmakingEvent.Kind.values)
    cities = set(events.values_list("region__code", flat=True))
    assert "410000" in cities and len(cities) >= 3

    # Province staff see every event; the demo SME is invited to an upcoming one and signed intents.
    province, sme = User.objects.get(username="demo_province"), User.objects.get(username="demo_sme")
    assert MatchmakingEvent.objects.visible_to(province).count() == events.count()
    enterprise = EnterpriseMembership.objects.get(user=sme).enterprise
    assert EventParticipant.objects.filter(
        enterprise=enterprise, status="invited", event__status="scheduled", event__starts_at__gt=now
    ).exists()
    mine = Intent.objects.filter(enterprise=enterprise)
    assert mine.filter(status="disbursed", loan__first_loan_attested=True).exists()  # its first loan came from a salon
    assert mine.filter(status="applied").exists()

    # A few open first-loan leads, pushed by the city staff; demo_officer's bank contacted one.
    leads = OutreachLead.objects.all()
    assert leads.filter(status="open").count() >= 3
    officer = User.objects.get(username="demo_officer")
    assert leads.filter(status="contacted", contacted_by=officer.institution).exists()
    assert officer.notifications.filter(kind="outreach_leads_pushed").exists()
