"""Credit-query consent (DOMAIN.md §3): only the enterprise grants it, for one institution, a purpose and a time;
it can be revoked at once, and `live()` follows the window and the revocation exactly."""

import datetime

import pytest
from django.utils import timezone

from creditinfo.models import Authorization
from creditinfo.services.authorizations import authorization_grant, authorization_revoke
from tests.factories import BranchFactory, EnterpriseFactory, OfficerFactory, SmeUserFactory, UserFactory
from xinyidai.errors import DomainError

pytestmark = pytest.mark.django_db

P = Authorization.Purpose


@pytest.fixture
def sme():
    return SmeUserFactory(enterprise=EnterpriseFactory())


def _enterprise(user):
    return user.membership.enterprise


def test_grant_records_the_window_the_purpose_and_the_text_shown(sme, monkeypatch):
    now = datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC)  # 2 March 01:30 in Zhengzhou
    monkeypatch.setattr(timezone, "now", lambda: now)
    bank = BranchFactory(name="中原银行郑州分行")
    authorization = authorization_grant(
        enterprise=_enterprise(sme), institution=bank, purpose=P.POST_LOAN, days=30, user=sme
    )
    assert (authorization.valid_from, authorization.valid_until) == (now, now + datetime.timedelta(days=30))
    assert (authorization.institution, authorization.purpose, authorization.granted_by) == (bank, P.POST_LOAN, sme)
    assert "中原银行郑州分行" in authorization.consent_text
    # Ends 1 April 01:30 in Zhengzhou (31 March 17:30 UTC): the text shows the date the enterprise lives by.
    assert "2026-04-01" in authorization.consent_text


@pytest.mark.parametrize("who", ["other_sme", "officer", "plain_user"])
def test_only_a_member_of_the_enterprise_grants(sme, who):
    user = {
        "other_sme": lambda: SmeUserFactory(enterprise=EnterpriseFactory()),
        "officer": OfficerFactory,
        "plain_user": UserFactory,
    }[who]()
    with pytest.raises(DomainError) as excinfo:
        authorization_grant(
            enterprise=_enterprise(sme), institution=BranchFactory(), purpose=P.LOAN_REVIEW, days=90, user=user
        )
    assert (excinfo.value.code, excinfo.value.status) == ("forbidden", 403)
    assert not Authorization.objects.exists()


@pytest.mark.parametrize(("days", "ok"), [(0, False), (-1, False), (1, True), (365, True), (366, False)])
def test_grant_lasts_between_one_day_and_a_year(sme, days, ok):
    grant = {
        "enterprise": _enterprise(sme),
        "institution": BranchFactory(),
        "purpose": P.LOAN_REVIEW,
        "days": days,
        "user": sme,
    }
    if ok:
        assert authorization_grant(**grant).is_live()
        return
    with pytest.raises(DomainError) as excinfo:
        authorization_grant(**grant)
    assert excinfo.value.status == 400
    assert not Authorization.objects.exists()


def test_revocation_is_immediate_and_idempotent(sme, monkeypatch):
    authorization = authorization_grant(
        enterprise=_enterprise(sme), institution=BranchFactory(), purpose=P.LOAN_REVIEW, days=90, user=sme
    )
    assert list(Authorization.objects.live()) == [authorization]
    revoked_at = timezone.now() + datetime.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: revoked_at)
    authorization_revoke(authorization_id=authorization.pk, user=sme)
    authorization.refresh_from_db()
    assert authorization.revoked_at == revoked_at
    assert not authorization.is_live()
    assert not Authorization.objects.live().exists()
    monkeypatch.setattr(timezone, "now", lambda: revoked_at + datetime.timedelta(hours=1))
    authorization_revoke(authorization_id=authorization.pk, user=sme)
    authorization.refresh_from_db()
    assert authorization.revoked_at == revoked_at  # the first revocation time stands


@pytest.mark.parametrize("who", ["other_sme", "officer"])
def test_only_a_member_revokes(sme, who):
    authorization = authorization_grant(
        enterprise=_enterprise(sme), institution=BranchFactory(), purpose=P.LOAN_REVIEW, days=90, user=sme
    )
    user = (
        SmeUserFactory(enterprise=EnterpriseFactory())
        if who == "other_sme"
        else OfficerFactory(institution=authorization.institution)
    )
    with pytest.raises(DomainError) as excinfo:
        authorization_revoke(authorization_id=authorization.pk, user=user)
    assert excinfo.value.status == 403
    authorization.refresh_from_db()
    assert authorization.revoked_at is None


def test_live_follows_the_window_exactly(sme):
    authorization = authorization_grant(
        enterprise=_enterprise(sme), institution=BranchFactory(), purpose=P.LOAN_REVIEW, days=90, user=sme
    )
    start, end = authorization.valid_from, authorization.valid_until
    second = datetime.timedelta(seconds=1)
    for at, live in [(start - second, False), (start, True), (end - second, True), (end, False)]:
        assert authorization.is_live(at) is live, at
        assert Authorization.objects.live(at).filter(pk=authorization.pk).exists() is live, at
