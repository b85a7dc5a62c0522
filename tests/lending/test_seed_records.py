"""seed_demo's public credit records: a believable mix for every enterprise from one pure generator
(lending.seeding.records), on the demo scale through the ORM and on the bulk scales through COPY."""

import datetime
import io
import random
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone

from creditinfo.ingest.validation import content_hash as ingest_hash
from creditinfo.models import (
    NEGATIVE_CATEGORIES,
    Authorization,
    CreditRecord,
    DataSource,
    Enterprise,
    RecordCategory,
    Severity,
    TaxGrade,
)
from creditinfo.publication import publication_end, repair_earliest
from creditinfo.sources import STANDARD_SOURCES
from lending.seeding import generators as gen
from lending.seeding import province as pv
from lending.seeding import records as rec
from lending.seeding import vocab
from lending.seeding.demo import DEFAULT_SEED, DEMO_SME, planned_enterprises
from lending.seeding.scales import SCALES
from xinyidai.models import Region, User

PASSWORD = "Seed#Records-2026"
AS_OF = datetime.date(2026, 11, 27)
ID_NUMBER = re.compile(r"\d{17}[\dX]")
MOBILE = re.compile(r"1[3-9]\d{9}")


def seed_demo(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", scale="demo", password=PASSWORD, stdout=out, **options)
    return out.getvalue()


def record_rows() -> list[tuple]:
    return list(
        CreditRecord.objects.order_by("source__code", "source_record_id").values_list(
            "source__code", "source_record_id", "enterprise__uscc", "category", "decision_date", "severity", "title",
            "authority", "detail", "publish_until", "status", "content_hash",
        )
    )  # fmt: skip


def refs_by_code() -> dict[str, gen.RegionRef]:
    return {r.code: r for r in gen.region_refs_from_refdata()}


def synthetic_firms(count: int, seed: int = 1) -> list[rec.Firm]:
    """Firms drawn like the bulk scale's (places, industries, sizes, tags), for mix statistics without a database."""
    rng = random.Random(seed)  # noqa: S311
    picker = pv.PlacePicker(gen.region_refs_from_refdata())
    industries = pv.WeightedPicker(vocab.INDUSTRY_WEIGHTS)
    firms = []
    for index in range(1, count + 1):
        p = picker.pick(rng)
        code = industries.pick(rng)
        employees, _revenue, _assets = pv.size_figures(rng, code, gen.section_of(code))
        tags = gen.pick_tags(rng, code, employees, False)
        firms.append(
            rec.Firm(
                index=index, uscc=f"91410100MA{index:07d}X", county=picker.places[p], city=picker.city_of_place[p],
                registrar=picker.places[p], industry_code=code, tags=tags if rng.random() < 0.3 else (),
                employees=employees, legacy=rng.random() < 0.25, joined=AS_OF - rng.randint(90, 1400) * rec.D,
            )
        )  # fmt: skip
    return firms


def demo_firm(as_of: datetime.date) -> rec.Firm:
    refs = refs_by_code()
    county = refs[DEMO_SME.region_code]
    return rec.Firm(
        index=0, uscc=DEMO_SME.uscc, county=county, city=refs[county.parent], registrar=county,
        industry_code=DEMO_SME.industry_code, tags=DEMO_SME.tags, employees=DEMO_SME.employees, legacy=False,
        joined=as_of - 400 * rec.D, demo=True,
    )  # fmt: skip


# --- the demo scale -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_seed_gives_every_enterprise_a_consistent_record_mix(reference_data):
    output = seed_demo()
    today = timezone.localdate()

    assert "credit records" in output and "data sources" in output
    sources = {s.code: s for s in DataSource.objects.all()}
    assert set(sources) >= {code for code, *_rest in STANDARD_SOURCES}
    records = list(CreditRecord.objects.select_related("source", "enterprise"))
    assert set(Counter(r.category for r in records)) == set(RecordCategory.values)
    enterprises = Enterprise.objects.count()
    assert len(records) > 5 * enterprises
    # Every enterprise has its registration, by the market-regulation bureau of the place it registered in.
    registrations = [r for r in records if r.category == RecordCategory.REGISTRATION and r.title == "设立登记"]
    assert len(registrations) == enterprises == len({r.enterprise_id for r in registrations})
    region_names = dict(Region.objects.values_list("code", "name"))
    for record in registrations:
        assert record.authority.endswith("市场监督管理局")
        assert region_names[record.enterprise.uscc[2:8]] in record.authority, (record.authority, record.enterprise)

    for r in records:
        # The source feeds the record's category; its id is the source's own key.
        assert r.source.category == r.category and r.source_record_id
        # publish_until is the effective end: applying the rules to it again changes nothing.
        end = publication_end(category=r.category, severity=r.severity, decision_date=r.decision_date,
                              publish_until=r.publish_until)  # fmt: skip
        assert end == r.publish_until, r
        if r.category in NEGATIVE_CATEGORIES:
            assert r.publish_until is not None
        if r.category == RecordCategory.PENALTY:
            assert r.severity in Severity.values
        if r.category == RecordCategory.TAX_GRADE:
            assert r.title in TaxGrade.values
        # Statuses agree with the dates: expired only after the window, repaired only after the minimum period.
        if r.status == CreditRecord.Status.EXPIRED:
            assert r.publish_until < today
        elif r.status == CreditRecord.Status.REPAIRED:
            assert repair_earliest(severity=r.severity, decision_date=r.decision_date) <= timezone.localdate(
                r.updated_at
            )
        else:
            assert r.status == CreditRecord.Status.ACTIVE
            assert r.publish_until is None or r.publish_until >= today
        assert r.decision_date <= today and r.created_at <= timezone.now()
        until = r.publish_until.isoformat() if r.publish_until else ""
        fields = (r.enterprise.uscc, r.category, r.decision_date.isoformat(), r.severity, r.title, r.authority)
        assert r.content_hash == ingest_hash((*fields, r.detail, until))
    statuses = Counter(r.status for r in records)
    assert statuses["active"] > 0.8 * len(records) and statuses["expired"] and statuses["repaired"]
    negatives = [r for r in records if r.category in NEGATIVE_CATEGORIES]
    assert any(r.status == "expired" for r in negatives)
    assert any(ID_NUMBER.search(r.detail) for r in records) and any(MOBILE.search(r.detail) for r in records)
    grades = Counter(r.title for r in records if r.category == RecordCategory.TAX_GRADE)
    assert grades["A"] + grades["B"] > 0.75 * sum(grades.values())


@pytest.mark.django_db
def test_demo_sme_has_a_repairable_penalty_and_demo_officer_can_open_its_profile(reference_data):
    seed_demo()
    today = timezone.localdate()
    enterprise = Enterprise.objects.get(uscc=DEMO_SME.uscc)
    mine = CreditRecord.objects.filter(enterprise=enterprise)

    repairable = [
        r
        for r in mine.published().filter(category=RecordCategory.PENALTY, severity=Severity.GENERAL)
        if repair_earliest(severity=r.severity, decision_date=r.decision_date) <= today
    ]
    assert repairable and repairable[0].decision_date < today - datetime.timedelta(days=92)
    assert ID_NUMBER.search(repairable[0].detail) and "市场监督管理局" in repairable[0].authority
    grades = list(mine.filter(category=RecordCategory.TAX_GRADE).order_by("decision_date"))
    assert len(grades) == 5 and {g.title for g in grades} <= {"A", "B"}
    assert len({g.decision_date.year for g in grades}) == 5
    shown = set(mine.published().values_list("category", flat=True))
    assert shown >= {"registration", "licence", "penalty", "tax_grade", "social_insurance", "honour", "commitment",
                     "intellectual_property"}  # fmt: skip
    assert mine.filter(category=RecordCategory.PENALTY, status=CreditRecord.Status.EXPIRED).exists()

    officer = User.objects.get(username="demo_officer")
    live = Authorization.objects.live().filter(enterprise=enterprise, institution=officer.institution)
    assert live.exists()
    assert CreditRecord.objects.visible_to(officer).filter(enterprise=enterprise).count() == mine.count()


@pytest.mark.django_db
def test_demo_records_are_the_generators_output_and_seeding_is_idempotent(reference_data):
    seed_demo()
    first = record_rows()

    # Exactly the pure generator's records for the seed: a fresh database gets the same ids and titles.
    refs = gen.region_refs_from_refdata()
    picker = gen.RegionPicker(refs)
    by_code = {r.code: r for r in refs}
    ctx = rec.RecordContext(seed=DEFAULT_SEED, as_of=timezone.localdate())
    created = dict(Enterprise.objects.values_list("uscc", "created_at"))
    expected = []
    for index, spec in enumerate(planned_enterprises(DEFAULT_SEED, SCALES["demo"].enterprises, refs)):
        county = by_code[spec.region_code]
        firm = rec.Firm(
            index=index, uscc=spec.uscc, county=county, city=picker.city_of(county),
            registrar=by_code.get(spec.uscc[2:8], county), industry_code=spec.industry_code,
            tags=tuple(sorted(spec.tags)), employees=spec.employees, legacy=spec.uscc[8:10] != "MA",
            joined=timezone.localdate(created[spec.uscc]), demo=index == 0,
        )  # fmt: skip
        expected += [(r.source, r.source_record_id, spec.uscc, r.title) for r in rec.firm_records(ctx, firm)]
    assert sorted(expected) == sorted((s, i, u, t) for s, i, u, _c, _d, _v, t, *_rest in first)

    output = seed_demo()
    assert "nothing changed" in output and record_rows() == first

    # A demo database seeded before credit records existed gets them, the same ones, on the next run.
    CreditRecord.objects.all().delete()
    Authorization.objects.filter(institution__code="ZYB-410100", enterprise__uscc=DEMO_SME.uscc).update(
        valid_until=timezone.now() - datetime.timedelta(days=1), valid_from=timezone.now() - datetime.timedelta(days=2)
    )
    output = seed_demo()
    assert "nothing changed" not in output
    assert record_rows() == first
    assert (
        Authorization.objects.live().filter(institution__code="ZYB-410100", enterprise__uscc=DEMO_SME.uscc).count() == 1
    )
    assert "nothing changed" in seed_demo()


# --- the pure generator ---------------------------------------------------------------------------------


def test_generator_is_deterministic_per_seed_and_firm():
    firms = synthetic_firms(300)
    first = [rec.firm_records(rec.RecordContext(seed=7, as_of=AS_OF), f) for f in firms]
    again = [rec.firm_records(rec.RecordContext(seed=7, as_of=AS_OF), f) for f in firms]
    other = [rec.firm_records(rec.RecordContext(seed=8, as_of=AS_OF), f) for f in firms]
    assert first == again
    assert first != other
    # A firm's records do not depend on the others generated before it.
    ctx = rec.RecordContext(seed=7, as_of=AS_OF)
    assert rec.firm_records(ctx, firms[150]) == first[150]
    ids = [(r.source, r.source_record_id) for records in first for r in records]
    assert len(ids) == len(set(ids))
    demo = rec.firm_records(rec.RecordContext(seed=7, as_of=AS_OF), demo_firm(AS_OF))
    assert demo == rec.firm_records(rec.RecordContext(seed=7, as_of=AS_OF), demo_firm(AS_OF))


def test_generator_mix_is_believable():
    firms = synthetic_firms(20_000)
    ctx = rec.RecordContext(seed=3, as_of=AS_OF)
    per_firm = [rec.firm_records(ctx, f) for f in firms]
    records = [r for rs in per_firm for r in rs]
    share = {c: sum(1 for rs in per_firm if any(r.category == c for r in rs)) / len(firms) for c in RecordCategory}

    assert 8.5 < len(records) / len(firms) < 10  # under ten: the bulk loader tops up to an exact total
    assert share["registration"] == 1 and share["tax_grade"] > 0.95 and share["social_insurance"] > 0.95
    assert 0.01 < share["utility"] < 0.06 and 0.015 < share["abnormal_operation"] < 0.06
    assert 0.05 < share["penalty"] < 0.2
    assert 0 < share["serious_dishonesty"] < 0.005 and 0 < share["judgment_debtor"] < 0.005
    tagged = [rs for f, rs in zip(firms, per_firm, strict=True) if {"zjtx", "gxjs"} & set(f.tags)]
    assert tagged and all(any(r.category == "honour" for r in rs) for rs in tagged)
    assert all(any(r.category == "intellectual_property" for r in rs) for rs in tagged)
    grades = Counter(r.title for r in records if r.category == "tax_grade")
    assert set(grades) == set(TaxGrade.values)
    assert grades["A"] + grades["B"] > 0.8 * sum(grades.values()) and grades["D"] < grades["C"] < grades["M"]
    payments = Counter(r.title for r in records if r.category == "social_insurance")
    arrears = payments["欠缴社会保险费"] + payments["欠缴住房公积金"]
    assert 0 < arrears < 0.05 * sum(payments.values())
    penalties = [r for r in records if r.category == "penalty"]
    assert set(Counter(r.severity for r in penalties)) == set(Severity.values)
    assert {"expired", "repaired", "active"} <= {r.status for r in penalties}
    commitments = Counter("未履约" in r.detail for r in records if r.category == "commitment")
    assert commitments[False] > 10 * commitments[True] > 0
    # Decisions spread over six years; some negative records already left publication.
    negative = [r for r in records if r.category in NEGATIVE_CATEGORIES]
    oldest = min(r.decision_date for r in negative)
    assert AS_OF - oldest > datetime.timedelta(days=5 * 365)
    assert all(r.decision_date <= AS_OF for r in records)
    for r in records:
        assert publication_end(category=r.category, severity=r.severity, decision_date=r.decision_date,
                               publish_until=r.publish_until) == r.publish_until  # fmt: skip
        assert "\t" not in r.detail + r.title + r.authority and "\n" not in r.detail and "\\" not in r.detail


def test_extra_payments_add_older_statements_only():
    ctx = rec.RecordContext(seed=5, as_of=AS_OF)
    old = next(f for f in synthetic_firms(50) if f.legacy)
    natural = list(rec.firm_records(ctx, old))
    topped = rec.extra_payments(ctx, 3)
    assert topped[: len(natural)] == natural and len(topped) == len(natural) + 3
    added = topped[len(natural) :]
    assert all(r.category == "social_insurance" for r in added)
    assert max(r.decision_date for r in added) < min(
        r.decision_date for r in natural if r.category == "social_insurance"
    )
    assert len({r.source_record_id for r in topped}) == len(topped)


def test_id_numbers_are_well_formed():
    rng = random.Random(1)  # noqa: S311
    for _ in range(200):
        number = rec.id_number(rng, "410105")
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        total = sum(int(ch) * w for ch, w in zip(number[:17], weights, strict=True))
        assert number[:6] == "410105" and number[17] == "10X98765432"[total % 11]
        datetime.date.fromisoformat(f"{number[6:10]}-{number[10:12]}-{number[12:14]}")


# --- the bulk scales -------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_tiny_bulk_seed_loads_the_generators_records(reference_data):
    tiny = SCALES["tiny"]
    call_command("seed_demo", scale="tiny", seed=7, password=PASSWORD, as_of=AS_OF, stdout=io.StringIO())

    assert CreditRecord.objects.count() == tiny.records
    assert set(CreditRecord.objects.values_list("category", flat=True)) == set(RecordCategory.values)
    assert not CreditRecord.objects.exclude(source__category=F("category")).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'creditinfo_creditrecord'")
        assert cursor.fetchone()[0] > 0  # analyzed after the load

    # Rebuild a sample of firms from the database: their records are the generator's, in order (the last
    # firms may carry extra older statements to reach the exact total).
    refs = refs_by_code()
    ctx = rec.RecordContext(seed=7, as_of=AS_OF)
    midnight = timezone.make_aware(datetime.datetime.combine(AS_OF, datetime.time()))
    enterprises = list(Enterprise.objects.select_related("region", "industry").prefetch_related("tags").order_by("id"))
    base = enterprises[0].id
    for enterprise in enterprises[:40] + enterprises[-5:]:
        county = refs[enterprise.region.code]
        index = enterprise.id - base
        firm = rec.Firm(
            index=index, uscc=enterprise.uscc, county=county,
            city=county if county.level == "city" else refs[county.parent],
            registrar=county, industry_code=enterprise.industry.code,
            tags=tuple(sorted(t.code for t in enterprise.tags.all())), employees=enterprise.employees,
            legacy=enterprise.uscc[8:10] != "MA",
            joined=AS_OF - int((midnight - enterprise.created_at).total_seconds()) // 86400 * rec.D, demo=index == 0,
        )  # fmt: skip
        expected = [(r.source_record_id, r.title, r.decision_date, r.publish_until, r.status)
                    for r in rec.firm_records(ctx, firm)]  # fmt: skip
        stored = list(
            CreditRecord.objects.filter(enterprise=enterprise)
            .order_by("id")
            .values_list("source_record_id", "title", "decision_date", "publish_until", "status")
        )
        assert stored[: len(expected)] == expected, enterprise
        extra = stored[len(expected) :]
        assert all(title == "社会保险费按时足额缴纳" for _i, title, *_rest in extra)

    demo = Enterprise.objects.get(uscc=DEMO_SME.uscc)
    penalty = CreditRecord.objects.get(enterprise=demo, category="penalty", severity="general")
    assert penalty.decision_date == AS_OF - rec.DEMO_PENALTY_DAYS_AGO * rec.D
    officer = User.objects.get(username="demo_officer")
    assert Authorization.objects.filter(enterprise=demo, institution=officer.institution).exists()
