"""The application lifecycle services (DESIGN.md §3): who may move an application, from which state, to which.

The transition table below is the specification; every (state, action, actor) combination is run against
the real services, and a refused one must leave nothing behind.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from creditinfo.models import Authorization
from lending.models import Application, ApplicationEvent, CreditDecision, Loan, RejectReason
from lending.services.applications import (
    application_accept,
    application_approve,
    application_decline,
    application_disburse,
    application_reject,
    application_submit,
    application_withdraw,
)
from lending.services.loans import add_months
from tests.factories import AdminFactory, UserFactory
from tests.lending.conftest import APPROVED_AMOUNT, APPROVED_RATE, APPROVED_TERM, REQUESTED_AMOUNT
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.workdays import deadline_after_working_days

S = Application.Status
K = ApplicationEvent.Kind

# (from_state, action) -> to_state: the only moves the lifecycle allows.
ALLOWED = {
    (S.SUBMITTED, "accept"): S.ACCEPTED,
    (S.ACCEPTED, "approve"): S.APPROVED,
    (S.ACCEPTED, "reject"): S.REJECTED,
    (S.APPROVED, "disburse"): S.DISBURSED,
    (S.SUBMITTED, "withdraw"): S.WITHDRAWN,
    (S.APPROVED, "decline"): S.DECLINED,
}
# Who may take each action: officers of the application's institution or of an institution above it;
# members of the applying enterprise.
MAY_ACT = {
    "accept": {"branch_officer", "head_office_officer"},
    "approve": {"branch_officer", "head_office_officer"},
    "reject": {"branch_officer", "head_office_officer"},
    "disburse": {"branch_officer", "head_office_officer"},
    "withdraw": {"member"},
    "decline": {"member"},
}
EVENT_KIND = {
    "accept": K.ACCEPTED,
    "approve": K.APPROVED,
    "reject": K.REJECTED,
    "disburse": K.DISBURSED,
    "withdraw": K.WITHDRAWN,
    "decline": K.DECLINED,
}
STATES = [S.SUBMITTED, S.ACCEPTED, S.APPROVED, S.REJECTED, S.DISBURSED, S.WITHDRAWN, S.DECLINED]
ACTORS = [
    "branch_officer",  # officer of A-ZZ, the product's institution
    "head_office_officer",  # officer of bank A's head office
    "sub_branch_officer",  # officer of A-ZZ-JS, below A-ZZ: cannot act for its parent
    "sibling_branch_officer",  # officer of A-LY
    "other_bank_officer",  # officer of B-ZZ
    "member",  # sme1, the applying enterprise's user
    "other_sme",  # sme2
    "province_staff",
    "platform_admin",
]


def expected_result(state: str, action: str, actor: str) -> str:
    if actor not in MAY_ACT[action]:
        return "forbidden"
    return ALLOWED.get((state, action), "invalid_transition")


def actor_for(world, name: str):
    return {
        "branch_officer": lambda: world.officer(world.a_zz),
        "head_office_officer": lambda: world.officer(world.bank_a),
        "sub_branch_officer": lambda: world.officer(world.a_zz_js),
        "sibling_branch_officer": lambda: world.officer(world.a_ly),
        "other_bank_officer": lambda: world.officer(world.b_zz),
        "member": lambda: world.sme1,
        "other_sme": lambda: world.sme2,
        "province_staff": lambda: world.staff(world.henan),
        "platform_admin": lambda: AdminFactory(),
    }[name]()


def perform(world, action: str, application_id: int, actor):
    if action == "accept":
        return application_accept(application_id=application_id, officer=actor)
    if action == "approve":
        return application_approve(
            application_id=application_id,
            officer=actor,
            amount=APPROVED_AMOUNT,
            annual_rate=APPROVED_RATE,
            term_months=APPROVED_TERM,
        )
    if action == "reject":
        return application_reject(application_id=application_id, officer=actor, reason_code=RejectReason.OUT_OF_POLICY)
    if action == "disburse":
        return application_disburse(
            application_id=application_id, officer=actor, contract_number=world.contract_number()
        )
    if action == "withdraw":
        return application_withdraw(application_id=application_id, user=actor)
    if action == "decline":
        return application_decline(application_id=application_id, user=actor)
    raise AssertionError(action)


def snapshot(application: Application) -> dict:
    application.refresh_from_db()
    return {
        "status": application.status,
        "handled_by": application.handled_by_id,
        "updated_at": application.updated_at,
        "events": application.events.count(),
        "decisions": CreditDecision.objects.filter(application=application).count(),
        "loans": Loan.objects.filter(application=application).count(),
        "authorizations": Authorization.objects.count(),
    }


@pytest.mark.parametrize("actor_name", ACTORS)
@pytest.mark.parametrize("action", list(EVENT_KIND))
@pytest.mark.parametrize("state", STATES)
def test_transition_table(world, state, action, actor_name):
    application = world.application(state)
    actor = actor_for(world, actor_name)
    before = snapshot(application)
    expected = expected_result(state, action, actor_name)

    if expected == "forbidden":
        with pytest.raises(DomainError) as excinfo:
            perform(world, action, application.pk, actor)
        assert (excinfo.value.code, excinfo.value.status) == ("forbidden", 403)
        assert not isinstance(excinfo.value, InvalidTransition)
        assert snapshot(application) == before
        return
    if expected == "invalid_transition":
        with pytest.raises(InvalidTransition) as excinfo:
            perform(world, action, application.pk, actor)
        assert (excinfo.value.code, excinfo.value.status) == ("invalid_transition", 409)
        assert excinfo.value.detail["status"] == state
        assert snapshot(application) == before
        return

    perform(world, action, application.pk, actor)
    after = snapshot(application)
    assert after["status"] == expected
    assert after["events"] == before["events"] + 1
    event = application.events.order_by("-id").first()
    assert (event.kind, event.from_status, event.to_status, event.actor_id) == (
        EVENT_KIND[action],
        state,
        expected,
        actor.pk,
    )
    assert after["decisions"] == before["decisions"] + (action in {"approve", "reject"})
    assert after["loans"] == before["loans"] + (action == "disburse")
    assert after["authorizations"] == before["authorizations"]


def test_full_history_has_one_event_per_step_with_its_actor(world):
    application = world.application(S.DISBURSED)
    officer = world.officer(world.a_zz)
    rows = list(application.events.values_list("kind", "from_status", "to_status", "actor_id"))
    assert rows == [
        (K.SUBMITTED, "", S.SUBMITTED, world.sme1.pk),
        (K.ACCEPTED, S.SUBMITTED, S.ACCEPTED, officer.pk),
        (K.APPROVED, S.ACCEPTED, S.APPROVED, officer.pk),
        (K.DISBURSED, S.APPROVED, S.DISBURSED, officer.pk),
    ]
    assert application.handled_by == officer


# -- approve: the credit decision's terms ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "term", "fields"),
    [
        (Decimal("0"), Decimal("4.35"), 12, {"amount"}),
        (Decimal("-1.00"), Decimal("4.35"), 12, {"amount"}),
        (Decimal("500000"), Decimal("0"), 12, {"annual_rate"}),
        (Decimal("500000"), Decimal("-0.5"), 12, {"annual_rate"}),
        (Decimal("500000"), Decimal("36.001"), 12, {"annual_rate"}),
        (Decimal("500000"), Decimal("48"), 12, {"annual_rate"}),
        (Decimal("500000"), Decimal("4.35"), 0, {"term_months"}),
        (Decimal("500000"), Decimal("4.35"), 361, {"term_months"}),
        (Decimal("0"), Decimal("4.35"), 0, {"amount", "term_months"}),
    ],
    ids=["amount0", "amount-neg", "rate0", "rate-neg", "rate-36.001", "rate48", "term0", "term361", "amount0-term0"],
)
def test_approve_refuses_bad_terms_and_changes_nothing(world, amount, rate, term, fields):
    application = world.application(S.ACCEPTED)
    before = snapshot(application)
    with pytest.raises(DomainError) as excinfo:
        application_approve(
            application_id=application.pk,
            officer=world.officer(world.a_zz),
            amount=amount,
            annual_rate=rate,
            term_months=term,
        )
    assert excinfo.value.status == 400
    assert excinfo.value.code == "invalid"
    assert set(excinfo.value.detail) == fields
    assert snapshot(application) == before


@pytest.mark.parametrize(
    ("rate", "term"), [(Decimal("36"), 1), (Decimal("0.001"), 360), (Decimal("3.45"), 12)], ids=["36%", "min", "typ"]
)
def test_approve_boundaries_are_accepted_and_recorded(world, rate, term):
    application = world.application(S.ACCEPTED, product=world.product(guarantee_mode="02"))
    officer = world.officer(world.a_zz)
    application_approve(
        application_id=application.pk, officer=officer, amount=Decimal("0.01"), annual_rate=rate, term_months=term
    )
    decision = CreditDecision.objects.get(application=application)
    assert decision.outcome == CreditDecision.Outcome.APPROVED
    assert (decision.amount, decision.annual_rate, decision.term_months) == (Decimal("0.01"), rate, term)
    assert decision.guarantee_mode == "02"  # the product's mode when the officer gives none
    assert decision.decided_by == officer
    event = application.events.get(kind=K.APPROVED)
    assert event.data == {
        "amount": "0.01",
        "annual_rate": str(rate),
        "term_months": term,
        "guarantee_mode": "02",
    }


def test_approve_keeps_an_explicit_guarantee_mode(world):
    application = world.application(S.ACCEPTED)  # product guarantee mode 04
    application_approve(
        application_id=application.pk,
        officer=world.officer(world.a_zz),
        amount=APPROVED_AMOUNT,
        annual_rate=APPROVED_RATE,
        term_months=APPROVED_TERM,
        guarantee_mode="03",
    )
    assert CreditDecision.objects.get(application=application).guarantee_mode == "03"


# -- reject ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", RejectReason.values)
def test_reject_with_each_reason_code(world, reason):
    application = world.application(S.ACCEPTED)
    application_reject(application_id=application.pk, officer=world.officer(world.a_zz), reason_code=reason, note="x")
    application.refresh_from_db()
    assert application.status == S.REJECTED
    decision = CreditDecision.objects.get(application=application)
    assert (decision.outcome, decision.reason_code, decision.amount) == ("rejected", reason, None)
    assert application.events.get(kind=K.REJECTED).data == {"reason_code": reason}


@pytest.mark.parametrize("reason", ["", "bogus", "CREDIT_RECORD", None])
def test_reject_without_a_valid_reason_is_refused(world, reason):
    application = world.application(S.ACCEPTED)
    before = snapshot(application)
    with pytest.raises(DomainError) as excinfo:
        application_reject(application_id=application.pk, officer=world.officer(world.a_zz), reason_code=reason)
    assert excinfo.value.status == 400
    assert set(excinfo.value.detail) == {"reason_code"}
    assert snapshot(application) == before


# -- disburse --------------------------------------------------------------------------------------------


def _disburse(world, application, **kwargs):
    kwargs.setdefault("contract_number", world.contract_number())
    return application_disburse(application_id=application.pk, officer=world.officer(application.institution), **kwargs)


def test_disburse_defaults_to_the_approved_terms(world):
    application = world.application(S.APPROVED)
    loan = _disburse(world, application, contract_number="  ZY-2026-001 ", first_loan_attested=True)
    today = timezone.localdate()
    assert loan.contract_number == "ZY-2026-001"
    assert (loan.principal, loan.outstanding_balance) == (APPROVED_AMOUNT, APPROVED_AMOUNT)
    assert (loan.annual_rate, loan.term_months, loan.guarantee_mode) == (APPROVED_RATE, APPROVED_TERM, "04")
    assert (loan.disbursed_on, loan.maturity_on) == (today, add_months(today, APPROVED_TERM))
    assert loan.first_loan_attested and loan.status == Loan.Status.LIVE
    assert (loan.enterprise, loan.institution, loan.product) == (
        application.enterprise,
        application.institution,
        application.product,
    )
    event = application.events.get(kind=K.DISBURSED)
    assert event.data == {"loan_id": loan.pk, "principal": str(APPROVED_AMOUNT), "first_loan_attested": True}


@pytest.mark.parametrize("principal", [Decimal("0.01"), Decimal("799999.99"), APPROVED_AMOUNT])
def test_disburse_a_principal_up_to_the_approved_amount(world, principal):
    loan = _disburse(world, world.application(S.APPROVED), principal=principal)
    assert loan.principal == principal == loan.outstanding_balance


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"principal": APPROVED_AMOUNT + Decimal("0.01")}, "principal"),
        ({"principal": Decimal("0")}, "principal"),
        ({"principal": Decimal("-100")}, "principal"),
        ({"disbursed_on": "tomorrow"}, "disbursed_on"),
        ({"contract_number": "   "}, "contract_number"),
        ({"contract_number": ""}, "contract_number"),
        ({"disbursed_on": datetime.date(2025, 3, 1), "maturity_on": datetime.date(2025, 3, 1)}, "maturity_on"),
        ({"disbursed_on": datetime.date(2025, 3, 1), "maturity_on": datetime.date(2025, 2, 1)}, "maturity_on"),
    ],
    ids=["above-approved", "zero", "negative", "future", "blank-contract", "empty-contract", "same-day", "before"],
)
def test_disburse_refuses_bad_figures_and_changes_nothing(world, kwargs, field):
    application = world.application(S.APPROVED)
    if kwargs.get("disbursed_on") == "tomorrow":
        kwargs = {**kwargs, "disbursed_on": timezone.localdate() + datetime.timedelta(days=1)}
    before = snapshot(application)
    with pytest.raises(DomainError) as excinfo:
        _disburse(world, application, **kwargs)
    assert excinfo.value.status == 400
    assert set(excinfo.value.detail) == {field}
    assert snapshot(application) == before


def test_future_disbursement_is_judged_by_the_local_date(world, clock):
    """At 00:30 in Zhengzhou it is still yesterday in UTC: 'today' must be the Chinese date."""
    application = world.application(S.APPROVED)
    clock.local(2026, 3, 2, 0, 30)
    loan = _disburse(world, application, disbursed_on=datetime.date(2026, 3, 2))
    assert loan.disbursed_on == datetime.date(2026, 3, 2)
    other = world.application(S.APPROVED)
    with pytest.raises(DomainError) as excinfo:
        _disburse(world, other, disbursed_on=datetime.date(2026, 3, 3))
    assert set(excinfo.value.detail) == {"disbursed_on"}


def test_duplicate_contract_number_in_the_same_institution_is_refused(world):
    first = world.application(S.APPROVED)
    _disburse(world, first, contract_number="HT-DUP-1")
    second = world.application(S.APPROVED)
    before = snapshot(second)
    with pytest.raises(DomainError) as excinfo:
        _disburse(world, second, contract_number=" HT-DUP-1 ")  # spaces do not make it another contract
    assert (excinfo.value.code, excinfo.value.status) == ("duplicate_contract", 400)
    assert set(excinfo.value.detail) == {"contract_number"}
    assert snapshot(second) == before
    assert Loan.objects.filter(contract_number="HT-DUP-1").count() == 1


def test_the_same_contract_number_at_another_institution_is_fine(world):
    _disburse(world, world.application(S.APPROVED), contract_number="HT-1")
    other = world.application(S.APPROVED, product=world.product(world.b_zz))
    loan = _disburse(world, other, contract_number="HT-1")
    assert loan.institution == world.b_zz
    assert Loan.objects.filter(contract_number="HT-1").count() == 2


@pytest.mark.parametrize(
    ("disbursed_on", "term", "maturity"),
    [
        (datetime.date(2025, 1, 31), 1, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2025, 3, 31), 1, datetime.date(2025, 4, 30)),
        (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2023, 11, 30), 3, datetime.date(2024, 2, 29)),
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2023, 12, 15), 14, datetime.date(2025, 2, 15)),
        (datetime.date(2025, 12, 31), 1, datetime.date(2026, 1, 31)),
        (datetime.date(2025, 6, 10), 36, datetime.date(2028, 6, 10)),
        (datetime.date(2025, 4, 30), 1, datetime.date(2025, 5, 30)),  # not "month end to month end"
        (datetime.date(2025, 1, 29), 2, datetime.date(2025, 3, 29)),
    ],
)
def test_maturity_defaults_to_term_months_later_clamped_to_month_end(world, disbursed_on, term, maturity):
    application = world.application(S.ACCEPTED)
    application_approve(
        application_id=application.pk,
        officer=world.officer(world.a_zz),
        amount=APPROVED_AMOUNT,
        annual_rate=APPROVED_RATE,
        term_months=term,
    )
    loan = _disburse(world, application, disbursed_on=disbursed_on)
    assert (loan.disbursed_on, loan.maturity_on, loan.term_months) == (disbursed_on, maturity, term)
    assert add_months(disbursed_on, term) == maturity


def test_an_explicit_maturity_wins_over_the_default(world):
    loan = _disburse(
        world,
        world.application(S.APPROVED),
        disbursed_on=datetime.date(2025, 1, 31),
        maturity_on=datetime.date(2026, 1, 15),
    )
    assert loan.maturity_on == datetime.date(2026, 1, 15)


# -- submit: consent, product rules, numbering -----------------------------------------------------------


def _submit(world, product, *, user=None, amount=REQUESTED_AMOUNT, term=12, consent=True):
    return application_submit(
        user=user or world.sme1,
        product_id=product.pk,
        amount=amount,
        term_months=term,
        purpose="设备更新",
        consent=consent,
    )


def _nothing_written():
    return Application.objects.count() == 0 and Authorization.objects.count() == 0


def test_without_consent_nothing_is_written(world):
    product = world.product()
    with pytest.raises(DomainError) as excinfo:
        _submit(world, product, consent=False)
    assert (excinfo.value.code, excinfo.value.status) == ("consent_required", 400)
    assert set(excinfo.value.detail) == {"consent"}
    assert _nothing_written()
    assert ApplicationEvent.objects.count() == 0


def test_consent_records_a_live_loan_review_authorization_for_the_products_institution(world):
    product = world.product(world.a_zz_js)
    application = _submit(world, product)
    authorization = Authorization.objects.get()
    assert application.authorization == authorization
    assert authorization.enterprise == world.e1
    assert authorization.institution == world.a_zz_js
    assert authorization.purpose == Authorization.Purpose.LOAN_REVIEW
    assert authorization.granted_by == world.sme1
    assert authorization.revoked_at is None
    assert authorization.valid_until - authorization.valid_from == datetime.timedelta(
        days=settings.XINYIDAI_CONSENT_DAYS
    )
    assert settings.XINYIDAI_CONSENT_DAYS == 90
    assert authorization.is_live()
    assert not authorization.is_live(authorization.valid_until)
    assert world.a_zz_js.name in authorization.consent_text
    assert application.institution == world.a_zz_js and application.product == product
    assert (application.status, application.amount, application.term_months) == (S.SUBMITTED, REQUESTED_AMOUNT, 12)
    event = application.events.get()
    assert (event.kind, event.from_status, event.to_status, event.actor) == (K.SUBMITTED, "", S.SUBMITTED, world.sme1)


def test_application_number_and_response_deadline(world, clock):
    """At 01:30 on 2 March in Zhengzhou (still 1 March in UTC) the number carries the Chinese date."""
    now = clock.local(2026, 3, 2, 1, 30)
    application = _submit(world, world.product())
    assert re.fullmatch(r"XYD\d{8}\d{8}", application.number)
    assert application.number == f"XYD20260302{application.pk:08d}"
    assert application.submitted_at == now
    assert application.respond_by == deadline_after_working_days(
        now, settings.XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS
    )
    second = _submit(world, world.product())
    assert second.number != application.number


@pytest.mark.parametrize(
    ("amount", "term", "fields"),
    [
        (Decimal("99999.99"), 12, {"amount"}),  # product range 100,000 - 5,000,000 yuan
        (Decimal("5000000.01"), 12, {"amount"}),
        (REQUESTED_AMOUNT, 2, {"term_months"}),  # product range 3 - 36 months
        (REQUESTED_AMOUNT, 37, {"term_months"}),
        (Decimal("1"), 40, {"amount", "term_months"}),
        (Decimal("0"), 12, {"amount"}),
        (Decimal("-5"), 12, {"amount"}),
        (REQUESTED_AMOUNT, 0, {"term_months"}),
    ],
)
def test_out_of_range_amount_or_term_is_refused(world, amount, term, fields):
    with pytest.raises(DomainError) as excinfo:
        _submit(world, world.product(), amount=amount, term=term)
    assert excinfo.value.status == 400
    assert set(excinfo.value.detail) == fields
    assert _nothing_written()


@pytest.mark.parametrize(("amount", "term"), [(Decimal("100000"), 3), (Decimal("5000000"), 36)])
def test_range_bounds_are_inclusive(world, amount, term):
    assert _submit(world, world.product(), amount=amount, term=term).status == S.SUBMITTED


@pytest.mark.parametrize(
    "rule",
    ["region_elsewhere", "region_other_county", "industry", "size", "tag", "institution_elsewhere"],
)
def test_ineligible_enterprise_is_refused(world, rule):
    product = {
        "region_elsewhere": lambda: _with(world.product(), regions=[world.luoyang]),
        "region_other_county": lambda: _with(world.product(), regions=[world.zhongyuan]),
        "industry": lambda: _with(world.product(), industries=[world.section_a, world.section_i]),
        "size": lambda: world.product(size_classes="medium,micro"),
        "tag": lambda: _with(world.product(), tags=[world.zjtx]),
        "institution_elsewhere": lambda: world.product(world.a_ly),  # no regions: serves Luoyang only
    }[rule]()
    with pytest.raises(DomainError) as excinfo:
        _submit(world, product)
    assert excinfo.value.code == "not_eligible"
    assert _nothing_written()


@pytest.mark.parametrize(
    "rule", ["region_province", "region_city", "region_county", "industry", "size", "tag", "head_office"]
)
def test_eligible_enterprise_passes_each_rule(world, rule):
    world.e1.tags.add(world.gxjs)
    product = {
        "region_province": lambda: _with(world.product(world.a_ly), regions=[world.henan]),
        "region_city": lambda: _with(world.product(), regions=[world.luoyang, world.zhengzhou]),
        "region_county": lambda: _with(world.product(), regions=[world.jinshui]),
        "industry": lambda: _with(world.product(), industries=[world.section_c]),
        "size": lambda: world.product(size_classes="small,micro"),
        "tag": lambda: _with(world.product(), tags=[world.zjtx, world.gxjs]),
        "head_office": lambda: world.product(world.bank_a),
    }[rule]()
    assert _submit(world, product).institution == product.institution


def _with(product, **m2m):
    for key, values in m2m.items():
        getattr(product, key).set(values)
    return product


@pytest.mark.parametrize("status", ["draft", "unlisted", "missing"])
def test_unlisted_product_is_unavailable(world, status):
    product_id = 987654 if status == "missing" else world.product(status=status).pk
    with pytest.raises(DomainError) as excinfo:
        application_submit(
            user=world.sme1, product_id=product_id, amount=REQUESTED_AMOUNT, term_months=12, purpose="x", consent=True
        )
    assert (excinfo.value.code, excinfo.value.status) == ("product_unavailable", 404)
    assert _nothing_written()


def test_a_user_without_an_enterprise_cannot_apply(world):
    with pytest.raises(DomainError) as excinfo:
        _submit(world, world.product(), user=UserFactory())
    assert excinfo.value.code == "no_enterprise"
    assert _nothing_written()


@pytest.mark.parametrize("target", ["both", "neither"])
def test_apply_to_exactly_one_of_product_or_claim(world, target):
    product = world.product()
    ids = {"product_id": product.pk, "claim_id": 1} if target == "both" else {}
    with pytest.raises(DomainError) as excinfo:
        application_submit(user=world.sme1, amount=REQUESTED_AMOUNT, term_months=12, purpose="x", consent=True, **ids)
    assert excinfo.value.status == 400
    assert _nothing_written()


def test_overdue_flag_follows_the_working_day_deadline(world, clock):
    clock.local(2026, 9, 28, 10, 0)
    application = world.application(S.SUBMITTED)
    # Five working days from Monday 28 September: 29, 30 September, then (1-7 October off) 8, 9 and the
    # make-up working Saturday 10 October.
    assert timezone.localtime(application.respond_by).date() == datetime.date(2026, 10, 10)
    clock.local(2026, 10, 10, 23, 59)
    assert not application.is_overdue
    assert not Application.objects.overdue().exists()
    clock.local(2026, 10, 11, 0, 0)
    assert application.is_overdue
    assert list(Application.objects.overdue()) == [application]
