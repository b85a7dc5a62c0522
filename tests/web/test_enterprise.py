"""Enterprise registration: USCC validation, the region hint, size class, editing, and the 404 boundary."""

from decimal import Decimal

import pytest
from django.urls import reverse

from creditinfo.models import Enterprise, EnterpriseTag
from creditinfo.uscc import uscc_build
from tests.factories import AuthorizationFactory, EnterpriseFactory, UserFactory
from tests.web.utils import logged_in
from xinyidai.models import Industry, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_sme(reference_data):
    """An SME user who has signed up but not yet registered an enterprise."""
    return UserFactory()


def registration(**changes) -> dict:
    data = {
        "uscc": uscc_build(division="410105", serial=4242),
        "name": "郑州星河软件有限公司",
        "legal_representative": "李四",
        "region": Region.objects.get(code="410105").pk,
        "industry": Industry.objects.get(code="65").pk,
        "employees": "30",
        "revenue": "800",  # 万元
        "assets": "500.5",  # 万元
        "tags": [EnterpriseTag.objects.get(code="zjtx").pk],
        "address": "郑州市金水区花园路1号",
        "contact_phone": "0371-12345678",
    }
    data.update(changes)
    return data


def test_register_with_a_valid_uscc_computes_the_size_class(new_sme):
    client = logged_in(new_sme)
    assert client.get(reverse("creditinfo:enterprise_register")).status_code == 200

    response = client.post(reverse("creditinfo:enterprise_register"), registration())

    assert response.status_code == 302 and response.url == reverse("creditinfo:enterprise_detail")
    enterprise = Enterprise.objects.get(members__user=new_sme)
    assert enterprise.uscc == uscc_build(division="410105", serial=4242)
    assert enterprise.revenue == Decimal("8000000.00") and enterprise.assets == Decimal("5005000.00")
    assert enterprise.size_class == "small" and enterprise.size_standard_version
    assert list(enterprise.tags.values_list("code", flat=True)) == ["zjtx"]

    page = client.get(reverse("creditinfo:enterprise_detail"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Small" in html and enterprise.size_standard_version in html
    assert "800.00" in html  # revenue shown in 万元


def test_lowercase_and_spaced_uscc_is_normalised(new_sme):
    code = uscc_build(division="410105", serial=77)
    response = logged_in(new_sme).post(
        reverse("creditinfo:enterprise_register"), registration(uscc=f" {code[:9]} {code[9:]} ".lower())
    )
    assert response.status_code == 302
    assert Enterprise.objects.filter(uscc=code).exists()


VALID = uscc_build(division="410105", serial=5)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("91410105MA00000", "18 characters"),
        (VALID[:-1] + ("1" if VALID[-1] == "0" else "0"), "check character"),
        ("91410105MA0000000I", "not a valid"),
    ],
)
def test_bad_uscc_gives_a_field_error(new_sme, bad, message):
    response = logged_in(new_sme).post(reverse("creditinfo:enterprise_register"), registration(uscc=bad))

    assert response.status_code == 400
    errors = response.context["form"].errors["uscc"]
    assert any(message in e for e in errors), errors
    assert not Enterprise.objects.exists()


def test_taken_uscc_is_refused_with_a_field_error(new_sme):
    taken = EnterpriseFactory(region=Region.objects.get(code="410105"))
    response = logged_in(new_sme).post(reverse("creditinfo:enterprise_register"), registration(uscc=taken.uscc))

    assert response.status_code == 400
    assert "already registered" in response.context["form"].errors["uscc"][0]
    assert Enterprise.objects.count() == 1
    assert not Enterprise.objects.filter(members__user=new_sme).exists()


def test_industry_select_offers_divisions_and_the_real_estate_groups(new_sme):
    html = logged_in(new_sme).get(reverse("creditinfo:enterprise_register")).content.decode()
    assert "701 房地产开发经营" in html and "702 物业管理" in html
    assert "70 房地产业<" not in html  # the division itself is replaced by its groups
    assert "65 软件和信息技术服务业" in html
    assert "<optgroup" in html


def selected_region(html: str) -> str:
    """The value of the selected option of the region select in an htmx fragment."""
    marker = html.index(" selected")
    start = html.rindex('value="', 0, marker) + len('value="')
    return html[start : html.index('"', start)]


def test_region_hint_preselects_the_county_of_the_code(new_sme):
    client = logged_in(new_sme)
    response = client.get(
        reverse("creditinfo:region_hint"), {"uscc": uscc_build(division="410105", serial=1)}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="region-field"' in html and "<html" not in html
    assert selected_region(html) == str(Region.objects.get(code="410105").pk)


def test_region_hint_falls_back_to_the_city_for_an_unknown_county(new_sme):
    html = (
        logged_in(new_sme)
        .get(reverse("creditinfo:region_hint"), {"uscc": uscc_build(division="410199", serial=1)})
        .content.decode()
    )
    assert selected_region(html) == str(Region.objects.get(code="410100").pk)


def test_region_hint_keeps_the_current_choice_for_a_code_from_outside_henan(new_sme):
    luoyang = Region.objects.get(code="410300")
    html = (
        logged_in(new_sme)
        .get(reverse("creditinfo:region_hint"), {"uscc": "91350100M000100Y43", "region": luoyang.pk})
        .content.decode()
    )
    assert selected_region(html) == str(luoyang.pk)


def test_register_form_wires_the_uscc_to_the_region_hint(new_sme):
    html = logged_in(new_sme).get(reverse("creditinfo:enterprise_register")).content.decode()
    assert f'hx-get="{reverse("creditinfo:region_hint")}"' in html
    assert 'hx-target="#region-field"' in html


def test_edit_recomputes_the_size_class(new_sme):
    client = logged_in(new_sme)
    client.post(reverse("creditinfo:enterprise_register"), registration())
    data = registration(employees="5", revenue="30")
    del data["uscc"]

    form_page = client.get(reverse("creditinfo:enterprise_edit"))
    assert form_page.status_code == 200
    assert form_page.context["form"]["revenue"].value() == Decimal("800")  # shown in 万元
    response = client.post(reverse("creditinfo:enterprise_edit"), data)

    assert response.status_code == 302
    enterprise = Enterprise.objects.get(members__user=new_sme)
    assert enterprise.size_class == "micro" and enterprise.revenue == Decimal("300000.00")


def test_a_second_registration_is_sent_to_the_detail_page(new_sme):
    client = logged_in(new_sme)
    client.post(reverse("creditinfo:enterprise_register"), registration())
    response = client.get(reverse("creditinfo:enterprise_register"))
    assert response.status_code == 302 and response.url == reverse("creditinfo:enterprise_detail")


def test_enterprise_pages_need_an_sme(officer_client, staff_client):
    for client in (officer_client, staff_client):
        assert client.get(reverse("creditinfo:enterprise_register")).status_code == 403
        assert client.get(reverse("creditinfo:enterprise_detail")).status_code == 403


def test_sme_without_enterprise_is_sent_to_register(new_sme):
    response = logged_in(new_sme).get(reverse("creditinfo:enterprise_detail"))
    assert response.status_code == 302 and response.url == reverse("creditinfo:enterprise_register")


def test_enterprise_view_is_scoped(sme, officer, staff, enterprise):
    url = reverse("creditinfo:enterprise_view", args=[enterprise.pk])
    assert logged_in(sme).get(url).status_code == 200
    assert logged_in(staff).get(url).status_code == 200  # registered in the staff member's city
    assert logged_in(officer).get(url).status_code == 404  # no authorization for the officer's bank yet
    AuthorizationFactory(enterprise=enterprise, institution=officer.institution)
    assert logged_in(officer).get(url).status_code == 200
    other = EnterpriseFactory()
    assert logged_in(sme).get(reverse("creditinfo:enterprise_view", args=[other.pk])).status_code == 404


def test_region_hint_tolerates_junk(new_sme):
    response = logged_in(new_sme).get(reverse("creditinfo:region_hint"), {"uscc": "x", "region": "abc"})
    assert response.status_code == 200 and 'id="region-field"' in response.content.decode()
