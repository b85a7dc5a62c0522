"""The application lifecycle (DESIGN.md §3). Every transition locks the row, checks actor and state,
and appends an event; anything else is refused with a DomainError (API: 409 + code)."""

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Authorization
from creditinfo.services.authorizations import authorization_grant
from creditinfo.services.enterprises import enterprise_for_user
from lending.eligibility import EnterpriseFacts, product_criteria
from lending.models import Application, ApplicationEvent, CreditDecision, DemandClaim, FinancingDemand, Product
from lending.services import notices
from lending.services.intents import intent_follow_loan
from lending.services.loans import loan_create
from lending.services.terms import raise_invalid, term_errors
from xinyidai.errors import DomainError, InvalidTransition
from xinyidai.notifications import notify, officers_of
from xinyidai.services.audit import Action, audit_record
from xinyidai.workdays import deadline_after_working_days

S = Application.Status
MAX_RATE = Decimal("36")  # percent a year; the judicial ceiling on lending rates is far below any sane input


def _event(application: Application, *, kind: str, actor, from_status: str, note: str = "", data=None):
    event = ApplicationEvent.objects.create(
        application=application,
        kind=kind,
        from_status=from_status,
        to_status=application.status,
        actor=actor,
        note=note,
        data=data or {},
    )
    audit_record(
        action=Action.APPLICATION_TRANSITION,
        actor=actor,
        obj=application,
        data={
            "number": application.number,
            "kind": kind,
            "from": from_status,
            "to": application.status,
            "event_id": event.pk,
            "details": data or {},
        },
    )
    return event


def _rate_ok(rate) -> bool:
    """A finite Decimal percentage above 0 and at most MAX_RATE, in the column's 3 decimals (never a float)."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        return False
    return Decimal("0") < rate <= MAX_RATE and rate == rate.quantize(Decimal("0.001"))


def _check_terms(*, amount: Decimal, term_months: int) -> None:
    raise_invalid(term_errors(amount=amount, term_months=term_months))


@transaction.atomic
def application_submit(
    *,
    user,
    amount: Decimal,
    term_months: int,
    purpose: str,
    consent: bool,
    product_id: int | None = None,
    claim_id: int | None = None,
) -> Application:
    """An SME applies to a product or to the institution that claimed its demand.

    The explicit consent records an authorization (loan review, 90 days) for that institution; no consent,
    no application.
    """
    enterprise = enterprise_for_user(user)
    if enterprise is None:
        raise DomainError(code="no_enterprise", message=_("Register your enterprise before applying."))
    if not consent:
        raise DomainError(
            code="consent_required",
            status=400,
            message=_("You must authorize the institution to query your credit information to apply."),
            detail={
                "consent": [str(_("You must authorize the institution to query your credit information to apply."))]
            },
        )
    _check_terms(amount=amount, term_months=term_months)
    product, claim = None, None
    if (product_id is None) == (claim_id is None):
        raise DomainError(code="invalid", message=_("Apply either to a product or to a claimed demand."), status=400)
    if product_id is not None:
        product = _product_for_application(product_id, enterprise, amount, term_months)
        institution = product.institution
    else:
        claim = _claim_for_application(claim_id, enterprise)
        institution = claim.institution
    authorization = authorization_grant(
        enterprise=enterprise,
        institution=institution,
        purpose=Authorization.Purpose.LOAN_REVIEW,
        days=settings.XINYIDAI_CONSENT_DAYS,
        user=user,
        notify_institution=False,  # the application notification below says it all
    )
    now = timezone.now()
    application = Application.objects.create(
        number=f"TMP{uuid.uuid4().hex[:20]}",
        enterprise=enterprise,
        institution=institution,
        product=product,
        demand_claim=claim,
        authorization=authorization,
        amount=amount,
        term_months=term_months,
        purpose=purpose,
        submitted_by=user,
        submitted_at=now,
        updated_at=now,
        respond_by=deadline_after_working_days(now, settings.XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS),
    )
    application.number = f"XYD{timezone.localdate(now):%Y%m%d}{application.pk:08d}"
    application.save(update_fields=["number"])
    _event(application, kind=ApplicationEvent.Kind.SUBMITTED, actor=user, from_status="")
    notify(
        users=officers_of(institution),
        kind="application_submitted",
        url=notices.application_url(application),
        params=notices.application_params(
            application,
            amount_yuan=str(amount),
            term_months=term_months,
            respond_by_at=application.respond_by.isoformat(),
        ),
    )
    return application


def _product_for_application(product_id, enterprise, amount, term_months) -> Product:
    product = (
        Product.objects.listed()
        .select_related("institution")
        .prefetch_related("regions", "industries", "tags")
        .filter(pk=product_id)
        .first()
    )
    if product is None:
        raise DomainError(code="product_unavailable", message=_("This product is not available."), status=404)
    missed = [c.message for c in product_criteria(product, EnterpriseFacts.of(enterprise)) if not c.met]
    if missed:
        raise DomainError(code="not_eligible", message=_("Your enterprise is not eligible: ") + "; ".join(missed))
    errors = {}
    if not product.amount_min <= amount <= product.amount_max:
        errors["amount"] = [str(_("The amount must be within the product's range."))]
    if not product.term_min_months <= term_months <= product.term_max_months:
        errors["term_months"] = [str(_("The term must be within the product's range."))]
    if errors:
        raise DomainError(
            code="invalid", message=_("Please correct the highlighted fields."), detail=errors, status=400
        )
    return product


def _claim_for_application(claim_id, enterprise) -> DemandClaim:
    claim = DemandClaim.objects.select_for_update().select_related("demand", "institution").filter(pk=claim_id).first()
    if claim is None or claim.demand.enterprise_id != enterprise.pk:
        raise DomainError(code="not_found", message=_("No such claim on your demands."), status=404)
    if claim.status != DemandClaim.Status.ACTIVE or claim.deadline <= timezone.now():
        raise DomainError(code="claim_expired", message=_("This claim is no longer active."))
    claim.status, claim.closed_at = DemandClaim.Status.CONVERTED, timezone.now()
    claim.save(update_fields=["status", "closed_at"])
    FinancingDemand.objects.filter(pk=claim.demand_id).update(status=FinancingDemand.Status.APPLIED)
    return claim


def _lock(application_id: int) -> Application:
    return Application.objects.select_for_update().get(pk=application_id)


def _require_officer(application: Application, officer) -> None:
    if not (officer.is_officer and Application.objects.visible_to(officer).filter(pk=application.pk).exists()):
        raise DomainError(code="forbidden", message=_("Only the institution's officers can do this."), status=403)


def _require_member(application: Application, user) -> None:
    if not application.enterprise.members.filter(user=user).exists():
        raise DomainError(code="forbidden", message=_("Only the applying enterprise can do this."), status=403)


def _require_status(application: Application, *allowed: str, message) -> None:
    if application.status not in allowed:
        raise InvalidTransition(
            code="invalid_transition",
            message=message,
            detail={"status": application.status, "allowed_from": list(allowed)},
        )


def _move(application: Application, *, to: str, kind: str, actor, note: str = "", data=None, **fields) -> Application:
    from_status = application.status
    application.status = to
    application.updated_at = timezone.now()
    for key, value in fields.items():
        setattr(application, key, value)
    application.save()
    _event(application, kind=kind, actor=actor, from_status=from_status, note=note, data=data)
    return application


def _tell_enterprise(application: Application, kind: str, *, url: str = "", **params) -> None:
    notify(
        users=notices.member_ids(application.enterprise_id),
        kind=kind,
        url=url or notices.application_url(application),
        params=notices.application_params(application, **params),
    )


def _tell_institution(application: Application, kind: str) -> None:
    """The handling officer, or (before anyone took it into review) the institution's officers."""
    users = [application.handled_by_id] if application.handled_by_id else officers_of(application.institution)
    notify(
        users=users,
        kind=kind,
        url=notices.application_url(application),
        params=notices.application_params(application),
    )


@transaction.atomic
def application_accept(*, application_id: int, officer) -> Application:
    """The officer takes the application into review (受理)."""
    application = _lock(application_id)
    _require_officer(application, officer)
    _require_status(application, S.SUBMITTED, message=_("Only submitted applications can be accepted."))
    _move(application, to=S.ACCEPTED, kind=ApplicationEvent.Kind.ACCEPTED, actor=officer, handled_by=officer)
    _tell_enterprise(application, "application_accepted")
    return application


@transaction.atomic
def application_approve(
    *,
    application_id: int,
    officer,
    amount: Decimal,
    annual_rate: Decimal,
    term_months: int,
    guarantee_mode: str = "",
    note: str = "",
) -> Application:
    """Credit decision (授信): amount, rate, term, guarantee mode."""
    application = _lock(application_id)
    _require_officer(application, officer)
    _require_status(application, S.ACCEPTED, message=_("Only accepted applications can be approved."))
    _check_terms(amount=amount, term_months=term_months)
    if not _rate_ok(annual_rate):
        raise DomainError(
            code="invalid",
            message=_("The annual rate must be above 0% and at most 36%."),
            status=400,
            detail={"annual_rate": [str(_("The annual rate must be above 0% and at most 36%."))]},
        )
    mode = guarantee_mode or (application.product.guarantee_mode if application.product_id else "04")
    CreditDecision.objects.create(
        application=application,
        outcome=CreditDecision.Outcome.APPROVED,
        amount=amount,
        annual_rate=annual_rate,
        term_months=term_months,
        guarantee_mode=mode,
        note=note,
        decided_by=officer,
    )
    data = {"amount": str(amount), "annual_rate": str(annual_rate), "term_months": term_months, "guarantee_mode": mode}
    _move(application, to=S.APPROVED, kind=ApplicationEvent.Kind.APPROVED, actor=officer, note=note, data=data)
    _tell_enterprise(
        application,
        "application_approved",
        amount_yuan=str(amount),
        annual_rate=str(annual_rate),
        term_months=term_months,
    )
    return application


@transaction.atomic
def application_reject(*, application_id: int, officer, reason_code: str, note: str = "") -> Application:
    """The bank declines credit with a reason code."""
    from lending.models import RejectReason

    application = _lock(application_id)
    _require_officer(application, officer)
    _require_status(application, S.ACCEPTED, message=_("Only accepted applications can be rejected."))
    if reason_code not in RejectReason.values:
        raise DomainError(
            code="invalid",
            message=_("Choose a reason for the rejection."),
            status=400,
            detail={"reason_code": [str(_("Choose a reason for the rejection."))]},
        )
    CreditDecision.objects.create(
        application=application,
        outcome=CreditDecision.Outcome.REJECTED,
        reason_code=reason_code,
        note=note,
        decided_by=officer,
    )
    _move(
        application,
        to=S.REJECTED,
        kind=ApplicationEvent.Kind.REJECTED,
        actor=officer,
        note=note,
        data={"reason_code": reason_code},
    )
    # Told, and offered alternatives: the link goes to the products ranked for the enterprise.
    _tell_enterprise(application, "application_rejected", url=notices.alternatives_url(), reason=reason_code)
    return application


@transaction.atomic
def application_disburse(
    *,
    application_id: int,
    officer,
    contract_number: str,
    principal: Decimal | None = None,
    disbursed_on: datetime.date | None = None,
    maturity_on: datetime.date | None = None,
    first_loan_attested: bool = False,
):
    """Disbursement (放款) creates the loan from the approved terms."""
    application = _lock(application_id)
    _require_officer(application, officer)
    _require_status(application, S.APPROVED, message=_("Only approved applications can be disbursed."))
    loan = loan_create(
        application=application,
        decision=application.decision,
        officer=officer,
        contract_number=contract_number,
        principal=principal,
        disbursed_on=disbursed_on,
        maturity_on=maturity_on,
        first_loan_attested=first_loan_attested,
    )
    _move(
        application,
        to=S.DISBURSED,
        kind=ApplicationEvent.Kind.DISBURSED,
        actor=officer,
        data={"loan_id": loan.pk, "principal": str(loan.principal), "first_loan_attested": first_loan_attested},
    )
    intent_follow_loan(application_id=application.pk)  # a matchmaking intent linked to it is now disbursed
    loan_url = reverse("lending:loan_detail", args=[loan.pk])
    _tell_enterprise(application, "application_disbursed", url=loan_url, principal_yuan=str(loan.principal))
    return loan


@transaction.atomic
def application_withdraw(*, application_id: int, user, note: str = "") -> Application:
    """The SME withdraws an application the bank has not yet taken into review."""
    application = _lock(application_id)
    _require_member(application, user)
    _require_status(application, S.SUBMITTED, message=_("Only submitted applications can be withdrawn."))
    _move(application, to=S.WITHDRAWN, kind=ApplicationEvent.Kind.WITHDRAWN, actor=user, note=note)
    _tell_institution(application, "application_withdrawn")
    return application


@transaction.atomic
def application_decline(*, application_id: int, user, note: str = "") -> Application:
    """The SME declines the approved offer."""
    application = _lock(application_id)
    _require_member(application, user)
    _require_status(application, S.APPROVED, message=_("Only approved offers can be declined."))
    _move(application, to=S.DECLINED, kind=ApplicationEvent.Kind.DECLINED, actor=user, note=note)
    _tell_institution(application, "application_declined")
    return application
