"""Targets: the seeded provincial plan, the value > 0 constraint, the service's scope rule, the staff pages."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from django.urls import reverse

from lending.models.targets import Target
from lending.services.targets import target_create
from tests.factories import CityFactory, CountyFactory, OfficerFactory, ProvinceFactory, StaffFactory
from tests.web.utils import english_client, logged_in
from xinyidai.errors import DomainError
from xinyidai.models import Region

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2027, 12, 31)


@pytest.fixture
def regions():
    county = CountyFactory()  # 金水区 410105 under 郑州市 410100 under 河南省 410000
    luoyang = Region.objects.create(code="410300", name="洛阳市", level="city", parent=ProvinceFactory())
    return {"province": county.parent.parent, "zhengzhou": county.parent, "jinshui": county, "luoyang": luoyang}


def test_the_provincial_plan_is_seeded_as_data():
    target = Target.objects.get(region__code="410000", metric="balance", deadline=datetime.date(2025, 12, 31))
    assert target.value == Decimal("2000000000000.00") and target.created_by is None


def test_value_must_be_positive_in_the_database(regions):
    for value in (Decimal("0"), Decimal("-1")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Target.objects.create(metric="balance", value=value, deadline=DEADLINE, region=regions["zhengzhou"])


def test_staff_add_targets_for_their_region_and_below(regions):
    staff = StaffFactory(region=regions["zhengzhou"])
    for region in (regions["zhengzhou"], regions["jinshui"]):
        target = target_create(
            user=staff, metric="disbursed_amount", value=Decimal("5e8"), deadline=DEADLINE, region=region
        )
        assert target.created_by == staff and target.region == region


@pytest.mark.parametrize("where", ["province", "luoyang"])
def test_staff_cannot_add_targets_above_or_beside_their_region(regions, where):
    staff = StaffFactory(region=regions["zhengzhou"])
    with pytest.raises(DomainError) as raised:
        target_create(user=staff, metric="balance", value=Decimal("1"), deadline=DEADLINE, region=regions[where])
    assert raised.value.status == 400 and "region" in raised.value.detail
    assert not Target.objects.filter(region=regions[where], created_by=staff).exists()


def test_value_and_role_rules(regions):
    staff = StaffFactory(region=regions["zhengzhou"])
    with pytest.raises(DomainError) as raised:
        target_create(user=staff, metric="balance", value=Decimal("0"), deadline=DEADLINE, region=regions["jinshui"])
    assert "value" in raised.value.detail
    with pytest.raises(DomainError) as raised:
        target_create(
            user=OfficerFactory(), metric="balance", value=Decimal("1"), deadline=DEADLINE, region=regions["jinshui"]
        )
    assert raised.value.status == 403


def test_list_page_shows_the_subtree_only(regions):
    Target.objects.create(
        metric="balance", value=Decimal("7e9"), deadline=DEADLINE, region=regions["jinshui"], note="JS"
    )
    Target.objects.create(
        metric="balance", value=Decimal("8e9"), deadline=DEADLINE, region=regions["luoyang"], note="LY"
    )
    response = logged_in(StaffFactory(region=regions["zhengzhou"])).get(reverse("lending:target_list"))
    assert response.status_code == 200
    notes = {t.note for t in response.context["page_obj"]}
    assert notes == {"JS"}  # not 洛阳's, not the province's plan


def test_add_page_creates_a_target(regions):
    staff = StaffFactory(region=regions["zhengzhou"])
    client = logged_in(staff)
    assert client.get(reverse("lending:target_add")).status_code == 200
    data = {"metric": "new_first_loan_customers", "value": "1200", "deadline": "2027-06-30",
            "region": regions["jinshui"].pk, "note": "first loans"}  # fmt: skip
    response = client.post(reverse("lending:target_add"), data)
    assert response.status_code == 302 and response.url == reverse("lending:target_list")
    target = Target.objects.get(created_by=staff)
    assert (target.metric, target.value, target.deadline) == (
        "new_first_loan_customers",
        Decimal("1200"),
        datetime.date(2027, 6, 30),
    )


@pytest.mark.parametrize(
    "change,field",
    [
        ({"region": "luoyang"}, "region"),
        ({"value": "0"}, "value"),
        ({"value": "-5"}, "value"),
        ({"deadline": "soon"}, "deadline"),
    ],
)
def test_add_page_rejects_bad_input(regions, change, field):
    staff = StaffFactory(region=regions["zhengzhou"])
    data = {"metric": "balance", "value": "100", "deadline": "2027-06-30", "region": regions["jinshui"].pk}
    data |= {k: (regions[v].pk if k == "region" else v) for k, v in change.items()}
    response = logged_in(staff).post(reverse("lending:target_add"), data)
    assert response.status_code == 400 and field in response.context["form"].errors
    assert not Target.objects.filter(created_by=staff).exists()


def test_pages_are_for_staff_only(regions):
    assert logged_in(OfficerFactory()).get(reverse("lending:target_list")).status_code == 403
    assert logged_in(OfficerFactory()).post(reverse("lending:target_add"), {}).status_code == 403
    assert english_client().get(reverse("lending:target_list")).status_code == 302  # to the login page


def test_target_is_in_the_admin():
    assert Target in admin.site._registry


def test_city_factory_region_is_the_seeded_province_child():
    # The seed creates the province row by its code; factories and the loader find it rather than duplicate it.
    assert CityFactory().parent.code == "410000" and Region.objects.filter(code="410000").count() == 1
