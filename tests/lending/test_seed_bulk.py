"""seed_demo's bulk scales (medium, province) through the hidden `--scale tiny`: the same COPY code path at
2,000 enterprises. Deterministic, idempotent, valid rows, sequences usable afterwards."""

import datetime
import io
import random
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from stdnum.cn import uscc as stdnum_uscc

from creditinfo.models import Enterprise, EnterpriseMembership
from creditinfo.uscc import uscc_build
from lending.models import Application, ApplicationEvent, FinancingDemand, Loan
from lending.seeding import generators as gen
from lending.seeding import province as pv
from lending.seeding.bulk import marker_username
from lending.seeding.demo import DEMO_SME, DEMO_USERS
from lending.seeding.scales import SCALES
from xinyidai.models import Institution, Region, User

AS_OF = datetime.date(2026, 11, 27)
PASSWORD = "Seed#Bulk-2026"
TINY = SCALES["tiny"]

# Everything the bulk seed writes, and the columns that must come out identical for the same seed
# (users without the password: its hash is salted afresh on every run).
CHECKSUMS = {
    "xinyidai_institution": "t.*",
    "xinyidai_user": "t.id, t.username, t.role, t.full_name, t.phone, t.date_joined, t.institution_id, t.region_id, "
    "t.is_active, t.is_staff, t.is_superuser",
    "lending_product": "t.*",
    "lending_product_regions": "t.*",
    "lending_product_industries": "t.*",
    "lending_product_tags": "t.*",
    "creditinfo_enterprise": "t.*",
    "creditinfo_enterprise_tags": "t.*",
    "creditinfo_enterprisemembership": "t.*",
    "lending_financingdemand": "t.*",
    "lending_demandclaim": "t.*",
    "creditinfo_authorization": "t.*",
    "lending_application": "t.*",
    "lending_applicationevent": "t.*",
    "lending_creditdecision": "t.*",
    "lending_loan": "t.*",
    "creditinfo_creditrecord": "t.*",
    "lending_matchmakingevent": "t.*",
    "lending_matchmakingevent_theme_industries": "t.*",
    "lending_eventparticipant": "t.*",
    "lending_intent": "t.*",
    "lending_outreachlead": "t.*",
}


def seed_tiny(seed: int = 7) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale="tiny", seed=seed, password=PASSWORD, as_of=AS_OF, stdout=out)
    return out.getvalue()


def checksums() -> dict[str, str]:
    result = {}
    with connection.cursor() as cursor:
        for table, columns in CHECKSUMS.items():
            cursor.execute(
                f"SELECT count(*), md5(string_agg(row({columns})::text, '|' ORDER BY t.id)) FROM {table} t"  # noqa: S608
            )
            count, digest = cursor.fetchone()
            result[table] = f"{count}:{digest}"
    return result


def wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(CHECKSUMS)} RESTART IDENTITY CASCADE")


def scalar(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tiny_bulk_seed_writes_valid_consistent_rows(reference_data):
    output = seed_tiny()
    assert "Done in" in output and "applications" in output

    assert Enterprise.objects.count() == TINY.enterprises
    assert Application.objects.count() == TINY.applications
    assert Loan.objects.count() == TINY.loans
    assert FinancingDemand.objects.count() == TINY.demands

    # Every USCC is valid and registered in the enterprise's own county (Jiyuan: the city itself).
    regions = dict(Region.objects.values_list("id", "code"))
    rows = list(Enterprise.objects.values_list("uscc", "region_id", "size_class", "size_standard_version"))
    assert len({u for u, *_ in rows}) == len(rows)
    for uscc, region_id, size_class, version in rows:
        assert stdnum_uscc.is_valid(uscc), uscc
        assert uscc[2:8] == regions[region_id], (uscc, regions[region_id])
        assert size_class and version
    sizes = Counter(size for _u, _r, size, _v in rows)
    assert sizes["micro"] > sizes["small"] > sizes["medium"] and sizes["micro"] + sizes["small"] > 0.85 * len(rows)
    county_level = set(Region.objects.filter(level="county").values_list("id", flat=True))
    assert all(region_id in county_level or regions[region_id] == "419001" for _u, region_id, *_ in rows)

    # Every state, each with a consistent history.
    statuses = Counter(Application.objects.values_list("status", flat=True))
    assert set(statuses) == set(Application.Status.values)
    assert statuses["disbursed"] == TINY.loans
    bad_histories = scalar("""
        WITH ordered AS (
            SELECT e.application_id, e.kind, e.from_status, e.to_status, e.created_at,
                   row_number() OVER w AS n, count(*) OVER (PARTITION BY e.application_id) AS total,
                   lag(e.to_status) OVER w AS previous, lag(e.created_at) OVER w AS previous_at
            FROM lending_applicationevent e
            WINDOW w AS (PARTITION BY e.application_id ORDER BY e.created_at, e.id)
        )
        SELECT count(*) FROM ordered o JOIN lending_application a ON a.id = o.application_id
        WHERE (o.n = 1 AND (o.kind <> 'submitted' OR o.from_status <> '' OR o.created_at <> a.submitted_at))
           OR (o.n > 1 AND (o.from_status <> o.previous OR o.created_at < o.previous_at))
           OR (o.n = o.total AND (o.to_status <> a.status OR o.created_at <> a.updated_at))
    """)  # fmt: skip
    assert bad_histories == 0
    assert ApplicationEvent.objects.values("application_id").distinct().count() == TINY.applications

    # Consent for the applying institution from submission; decisions when decided; loans when disbursed.
    assert not scalar("""
        SELECT count(*) FROM lending_application a JOIN creditinfo_authorization z ON z.id = a.authorization_id
        WHERE z.institution_id <> a.institution_id OR z.enterprise_id <> a.enterprise_id
           OR z.valid_from <> a.submitted_at OR z.valid_until <= z.valid_from
    """)  # fmt: skip
    decided = ("approved", "rejected", "disbursed", "declined")
    assert not scalar(
        "SELECT count(*) FROM lending_application a LEFT JOIN lending_creditdecision d ON d.application_id = a.id "
        "WHERE (d.id IS NOT NULL) <> (a.status = ANY(%s))",
        [list(decided)],
    )
    assert not scalar(
        "SELECT count(*) FROM lending_loan l JOIN lending_application a ON a.id = l.application_id "
        "JOIN lending_creditdecision d ON d.application_id = a.id "
        "WHERE a.status <> 'disbursed' OR l.outstanding_balance < 0 OR l.outstanding_balance > l.principal "
        "OR l.principal > d.amount OR l.enterprise_id <> a.enterprise_id OR l.institution_id <> a.institution_id"
    )
    loan_status = Counter(Loan.objects.values_list("status", flat=True))
    assert loan_status["live"] and loan_status["closed"]
    assert not Loan.objects.filter(status="closed").exclude(outstanding_balance=0).exists()
    assert Loan.objects.filter(first_loan_attested=True).exists()
    # Only an enterprise's first disbursement on the platform can carry the bank's first-loan attestation.
    assert not scalar("""
        SELECT count(*) FROM lending_loan l WHERE l.first_loan_attested AND EXISTS (
            SELECT 1 FROM lending_loan o WHERE o.enterprise_id = l.enterprise_id AND o.id <> l.id
            AND o.created_at < l.created_at)
    """)  # fmt: skip
    assert Application.objects.filter(demand_claim__isnull=False).exists()
    assert not scalar(
        "SELECT count(*) FROM lending_application a JOIN lending_demandclaim c ON c.id = a.demand_claim_id "
        "JOIN lending_financingdemand d ON d.id = c.demand_id WHERE c.status <> 'converted' OR d.status <> 'applied' "
        "OR d.enterprise_id <> a.enterprise_id OR c.institution_id <> a.institution_id "
        "OR c.claimed_at >= a.submitted_at"
    )
    assert set(FinancingDemand.objects.values_list("status", flat=True)) == set(FinancingDemand.Status.values)

    # Every enterprise with an application or a demand has an SME user who can act for it.
    assert not scalar("""
        SELECT count(*) FROM creditinfo_enterprise e
        WHERE (EXISTS (SELECT 1 FROM lending_application a WHERE a.enterprise_id = e.id)
               OR EXISTS (SELECT 1 FROM lending_financingdemand d WHERE d.enterprise_id = e.id))
          AND NOT EXISTS (SELECT 1 FROM creditinfo_enterprisemembership m WHERE m.enterprise_id = e.id)
    """)  # fmt: skip
    assert not scalar(
        "SELECT count(*) FROM lending_application a JOIN creditinfo_enterprisemembership m ON m.user_id = "
        "a.submitted_by_id WHERE m.enterprise_id <> a.enterprise_id"
    )

    # The five demo logins log in; every other seeded user cannot.
    for demo in DEMO_USERS:
        assert authenticate(username=demo.username, password=PASSWORD) is not None, demo.username
    others = User.objects.exclude(username__in=[u.username for u in DEMO_USERS])
    assert others.exists() and not any(u.has_usable_password() for u in others.iterator())
    sme = User.objects.get(username="demo_sme")
    assert EnterpriseMembership.objects.get(user=sme).enterprise.uscc == DEMO_SME.uscc
    assert Application.objects.visible_to(sme).count() >= 5
    officer = User.objects.get(username="demo_officer")
    assert officer.institution.code == "ZYB-410100"
    inbox = Application.objects.visible_to(officer)
    assert inbox.count() >= 20 and inbox.filter(status="submitted").exists()

    # Sequences were moved past the assigned ids: the ORM can create rows afterwards.
    user = User.objects.create(username="after_seed", role=User.Role.SME)
    assert user.pk > scalar("SELECT max(id) FROM xinyidai_user WHERE username <> 'after_seed'")
    enterprise = Enterprise.objects.create(
        uscc=uscc_build(division="410105", serial=31**8 - 1),
        name="后来注册有限公司",
        region=Region.objects.get(code="410105"),
        industry=Enterprise.objects.first().industry,
    )
    assert enterprise.pk > scalar("SELECT max(id) FROM creditinfo_enterprise WHERE id <> %s", [enterprise.pk])
    institution = Institution.objects.create(code="NEW", name="新机构", region=Region.objects.get(code="410000"))
    assert institution.pk > 1

    # Matchmaking events over the province with intents at every stage, linked consistently; the demo SME signed
    # one at a Zhengzhou salon and is invited to the next.
    from lending.models import EventParticipant, Intent, MatchmakingEvent
    from tests.lending.seed_events_checks import assert_events_consistent

    assert_events_consistent()
    assert MatchmakingEvent.objects.count() == 12
    demo_enterprise = EnterpriseMembership.objects.get(user=sme).enterprise
    assert Intent.objects.filter(enterprise=demo_enterprise, status="disbursed").exists()
    assert EventParticipant.objects.filter(enterprise=demo_enterprise, event__status="scheduled").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_same_seed_same_rows_and_a_second_run_changes_nothing(reference_data):
    seed_tiny(seed=7)
    first = checksums()
    assert all(not value.startswith("0:") for value in first.values()), first

    output = seed_tiny(seed=7)
    assert "nothing changed" in output
    assert checksums() == first

    # A database seeded before matchmaking events existed gets the same ones on the next run.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE lending_intent, lending_eventparticipant, lending_matchmakingevent_theme_industries, "
                       "lending_matchmakingevent, lending_outreachlead")  # fmt: skip
    output = seed_tiny(seed=7)
    assert "events, intents and leads added" in output
    assert checksums() == first

    wipe()
    seed_tiny(seed=7)
    assert checksums() == first

    wipe()
    seed_tiny(seed=8)
    other = checksums()
    assert other["creditinfo_enterprise"] != first["creditinfo_enterprise"]
    assert other["lending_application"] != first["lending_application"]
    assert other["creditinfo_creditrecord"] != first["creditinfo_creditrecord"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_refuses_a_database_with_other_seeded_data(reference_data):
    User.objects.create(username="demo_admin", role=User.Role.ADMIN)
    with pytest.raises(CommandError, match="demo logins"):
        seed_tiny()
    assert not Enterprise.objects.exists()

    User.objects.filter(username="demo_admin").delete()
    User.objects.create(username=marker_username("medium"), is_active=False)
    with pytest.raises(CommandError, match="already holds --scale medium"):
        seed_tiny()


@pytest.mark.django_db
def test_bulk_scales_need_postgresql(on_postgres):
    if on_postgres:
        pytest.skip("checks the refusal on SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_demo", scale="medium", stdout=io.StringIO())


def test_unknown_scale_is_refused_and_tiny_stays_hidden():
    with pytest.raises(CommandError, match="demo, medium, province"):
        call_command("seed_demo", scale="huge", stdout=io.StringIO())


# --- pure generators -------------------------------------------------------------------------------------


def test_uscc_serials_never_collide_and_stay_valid():
    codes = set()
    for index in range(1, 30_001):
        legacy = index % 4 == 0
        code = pv.enterprise_uscc(index, division="410105", cooperative=False, legacy=legacy, avoid=DEMO_SME.uscc)
        assert stdnum_uscc.is_valid(code)
        assert code[2:8] == "410105"
        assert code[8:10] == "MA" if not legacy else code[8].isdigit()
        codes.add(code)
    assert len(codes) == 30_000 and DEMO_SME.uscc not in codes
    # The serial maps are bijections: no two indexes share a serial, whichever code space.
    assert len({pv.organization_serial(i, False) for i in range(50_000)}) == 50_000
    assert len({pv.organization_serial(i, True) for i in range(50_000)}) == 50_000


def test_province_network_has_thirty_banks_in_every_city():
    banks = pv.PROVINCE_BANKS
    branches = [(b.code, city) for b in banks for city in b.branch_cities]
    assert len(banks) == 30 and len({b.code for b in banks}) == 30
    assert 280 <= len(branches) <= 320 and len(set(branches)) == len(branches)
    assert {city for _b, city in branches} == set(pv.CITY_ENTERPRISES_WAN)
    refs = gen.region_refs_from_refdata()
    names = {r.code: r.name for r in refs}
    labels = [b.branch_name(city, gen.short_place(names[city])) for b in banks for city in b.branch_cities]
    assert len(set(labels)) == len(labels)


def test_places_follow_henan_weights():
    picker = pv.PlacePicker(gen.region_refs_from_refdata())
    rng = random.Random(3)
    cities = Counter(picker.city_of_place[picker.pick(rng)].code for _ in range(50_000))
    ranked = [code for code, _n in cities.most_common()]
    assert ranked[0] == "410100" and set(ranked[1:5]) == {"411300", "411600", "411400", "410300"}
    counties = {p.code for p in picker.places}
    assert len(counties) == 157  # 156 counties and districts, and Jiyuan


def test_exact_mix_and_spread_give_exact_totals():
    rng = random.Random(1)
    mix = pv.ExactMix({"a": 5, "b": 3, "c": 0})
    drawn = Counter(mix.draw(rng) for _ in range(8))
    assert drawn == Counter({"a": 5, "b": 3}) and len(mix) == 0
    remaining, holders, given = 1000, 400, []
    for slot in range(holders):
        count = pv.spread(rng, remaining, holders - slot)
        given.append(count)
        remaining -= count
    assert sum(given) == 1000 and remaining == 0 and max(given) > 5
    assert pv.exact_counts({"x": 0.5, "y": 0.49, "z": 0.01}, 10) == {"x": 5, "y": 4, "z": 1}
