"""Fixtures for the API tests: token-authenticated clients and a small Henan with every party in it.

河南省 410000 ── 郑州市 410100 ── 金水区 410105
             └─ 洛阳市 410300 ── 老城区 410302

Bank A: head office (province) ── A-ZZ branch (Zhengzhou): officer_a
Bank B: Zhengzhou city bank: officer_b (same city, another institution)
sme: a user with no enterprise yet (registers through the API)
other_sme: a user whose enterprise sits in 老城区, Luoyang
staff_zz / staff_ly: government staff of Zhengzhou / Luoyang
"""

from dataclasses import dataclass

import pytest

from tests.api.utils import token_client
from tests.factories import EnterpriseFactory, OfficerFactory, SmeUserFactory, StaffFactory, UserFactory
from xinyidai.models import Institution, Region, User


@pytest.fixture
def client_for():
    return token_client


@dataclass
class Parties:
    province: Region
    zhengzhou: Region
    jinshui: Region
    luoyang: Region
    laocheng: Region
    bank_a: Institution
    bank_a_zz: Institution
    bank_b: Institution
    officer_a: User
    officer_b: User
    sme: User
    other_sme: User
    staff_zz: User
    staff_ly: User


@pytest.fixture
def parties(reference_data) -> Parties:
    region = {code: Region.objects.get(code=code) for code in ("410000", "410100", "410105", "410300", "410302")}
    bank_a = Institution.objects.create(code="ZYB", name="中原银行", region=region["410000"])
    bank_a_zz = Institution.objects.create(
        code="ZYB-ZZ", name="中原银行郑州分行", parent=bank_a, region=region["410100"]
    )
    bank_b = Institution.objects.create(code="ZZB", name="郑州银行", region=region["410100"])
    other_enterprise = EnterpriseFactory(region=region["410302"], name="洛阳老城机械有限公司")
    return Parties(
        province=region["410000"],
        zhengzhou=region["410100"],
        jinshui=region["410105"],
        luoyang=region["410300"],
        laocheng=region["410302"],
        bank_a=bank_a,
        bank_a_zz=bank_a_zz,
        bank_b=bank_b,
        officer_a=OfficerFactory(institution=bank_a_zz),
        officer_b=OfficerFactory(institution=bank_b),
        sme=UserFactory(),
        other_sme=SmeUserFactory(enterprise=other_enterprise),
        staff_zz=StaffFactory(region=region["410100"]),
        staff_ly=StaffFactory(region=region["410300"]),
    )
