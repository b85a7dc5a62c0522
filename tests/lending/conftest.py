"""A small Henan for the lending service tests: two banks with branches, two enterprises, a frozen clock.

河南省 410000 ── 郑州市 410100 ── 金水区 410105, 中原区 410102
             └─ 洛阳市 410300 ── 老城区 410302

Bank A (head office, province) ── A-ZZ (Zhengzhou) ── A-ZZ-JS (Jinshui sub-branch)
                               └─ A-LY (Luoyang, the sibling of A-ZZ)
Bank B (head office, province) ── B-ZZ (Zhengzhou)

e1: manufacturing (C 39), small, registered in 金水区, user sme1
e2: software (I 65), micro, registered in 老城区, user sme2
"""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from creditinfo.models import EnterpriseTag
from lending.models import Application
from lending.services.applications import (
    application_accept,
    application_approve,
    application_decline,
    application_disburse,
    application_reject,
    application_submit,
    application_withdraw,
)
from tests.factories import EnterpriseFactory, OfficerFactory, ProductFactory, SmeUserFactory, StaffFactory
from xinyidai.models import Industry, Institution, Region, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
S = Application.Status

REQUESTED_AMOUNT = Decimal("1000000.00")
APPROVED_AMOUNT = Decimal("800000.00")
APPROVED_RATE = Decimal("4.350")
APPROVED_TERM = 12


def _region(code: str, name: str, level: str, parent: Region | None = None) -> Region:
    return Region.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def _industry(code: str, name: str, level: str, parent: Industry | None = None) -> Industry:
    return Industry.objects.get_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})[0]


def _institution(code: str, name: str, region: Region, parent: Institution | None = None) -> Institution:
    return Institution.objects.create(code=code, name=name, region=region, parent=parent)


class World:
    """The objects every lending test reaches for, plus helpers that drive the real services."""

    def __init__(self):
        self._contracts = itertools.count(1)
        self._officers: dict[int, User] = {}
        P, C, K = Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY  # noqa: N806
        self.henan = _region("410000", "河南省", P)
        self.zhengzhou = _region("410100", "郑州市", C, self.henan)
        self.jinshui = _region("410105", "金水区", K, self.zhengzhou)
        self.zhongyuan = _region("410102", "中原区", K, self.zhengzhou)
        self.luoyang = _region("410300", "洛阳市", C, self.henan)
        self.laocheng = _region("410302", "老城区", K, self.luoyang)

        SEC, DIV = Industry.Level.SECTION, Industry.Level.DIVISION  # noqa: N806
        self.section_a = _industry("A", "农、林、牧、渔业", SEC)
        self.farming = _industry("01", "农业", DIV, self.section_a)
        self.section_c = _industry("C", "制造业", SEC)
        self.electronics = _industry("39", "计算机、通信和其他电子设备制造业", DIV, self.section_c)
        self.section_i = _industry("I", "信息传输、软件和信息技术服务业", SEC)
        self.software = _industry("65", "软件和信息技术服务业", DIV, self.section_i)

        self.zjtx = EnterpriseTag.objects.get_or_create(code="zjtx", defaults={"name": "专精特新"})[0]
        self.gxjs = EnterpriseTag.objects.get_or_create(code="gxjs", defaults={"name": "高新技术企业"})[0]

        self.bank_a = _institution("A", "中原银行", self.henan)
        self.a_zz = _institution("A-ZZ", "中原银行郑州分行", self.zhengzhou, self.bank_a)
        self.a_zz_js = _institution("A-ZZ-JS", "中原银行郑州金水支行", self.jinshui, self.a_zz)
        self.a_ly = _institution("A-LY", "中原银行洛阳分行", self.luoyang, self.bank_a)
        self.bank_b = _institution("B", "郑州银行", self.henan)
        self.b_zz = _institution("B-ZZ", "郑州银行郑州分行", self.zhengzhou, self.bank_b)

        self.e1 = EnterpriseFactory(region=self.jinshui, industry=self.electronics, size_class="small")
        self.sme1 = SmeUserFactory(enterprise=self.e1)
        self.e2 = EnterpriseFactory(region=self.laocheng, industry=self.software, size_class="micro")
        self.sme2 = SmeUserFactory(enterprise=self.e2)

    # -- people --------------------------------------------------------------------------------------------

    def officer(self, institution: Institution) -> User:
        """One officer per institution (created on first use)."""
        if institution.pk not in self._officers:
            self._officers[institution.pk] = OfficerFactory(institution=institution)
        return self._officers[institution.pk]

    def staff(self, region: Region) -> User:
        return StaffFactory(region=region)

    # -- things --------------------------------------------------------------------------------------------

    def product(self, institution: Institution | None = None, **fields):
        institution = institution or self.a_zz
        return ProductFactory(institution=institution, created_by=self.officer(institution), **fields)

    def contract_number(self) -> str:
        return f"HT-{next(self._contracts):06d}"

    def application(self, state: str = S.SUBMITTED, *, product=None, sme: User | None = None) -> Application:
        """An application walked to `state` through the real services (events, decision, loan included)."""
        product = product or self.product()
        sme = sme or self.sme1
        officer = self.officer(product.institution)
        application = application_submit(
            user=sme,
            product_id=product.pk,
            amount=REQUESTED_AMOUNT,
            term_months=12,
            purpose="补充流动资金",
            consent=True,
        )
        for step in PATHS[state]:
            step(self, application.pk, officer, sme)
        application.refresh_from_db()
        assert application.status == state
        return application


def _accept(world, pk, officer, sme):
    application_accept(application_id=pk, officer=officer)


def _approve(world, pk, officer, sme):
    application_approve(
        application_id=pk, officer=officer, amount=APPROVED_AMOUNT, annual_rate=APPROVED_RATE, term_months=APPROVED_TERM
    )


def _reject(world, pk, officer, sme):
    application_reject(application_id=pk, officer=officer, reason_code="credit_record")


def _disburse(world, pk, officer, sme):
    application_disburse(application_id=pk, officer=officer, contract_number=world.contract_number())


def _withdraw(world, pk, officer, sme):
    application_withdraw(application_id=pk, user=sme)


def _decline(world, pk, officer, sme):
    application_decline(application_id=pk, user=sme)


PATHS = {
    S.SUBMITTED: [],
    S.ACCEPTED: [_accept],
    S.APPROVED: [_accept, _approve],
    S.REJECTED: [_accept, _reject],
    S.DISBURSED: [_accept, _approve, _disburse],
    S.WITHDRAWN: [_withdraw],
    S.DECLINED: [_accept, _approve, _decline],
}


@pytest.fixture
def world(db):
    return World()


class Clock:
    """Freezes django.utils.timezone.now; services call it through the module, so they all see it."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch

    def set(self, value: datetime.datetime) -> datetime.datetime:
        assert timezone.is_aware(value)
        self._monkeypatch.setattr(timezone, "now", lambda: value)
        return value

    def local(self, *args) -> datetime.datetime:
        """Freeze at a wall-clock time in Asia/Shanghai, e.g. clock.local(2026, 9, 28, 10, 0)."""
        return self.set(datetime.datetime(*args, tzinfo=SHANGHAI))


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)
