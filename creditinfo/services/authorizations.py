"""Credit-query authorizations: an enterprise consents to one institution, for a purpose and a time."""

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Authorization
from xinyidai.errors import DomainError
from xinyidai.notifications import notify, officers_of
from xinyidai.services.audit import Action, audit_record

CONSENT_TEXT = _(
    "I authorize %(institution)s to query this enterprise's public credit information on the platform "
    "for the purpose of %(purpose)s until %(until)s. I can revoke this authorization at any time."
)


def consent_text(*, institution, purpose: str, until: datetime.datetime) -> str:
    return str(CONSENT_TEXT) % {
        "institution": institution.name,
        "purpose": Authorization.Purpose(purpose).label,
        "until": timezone.localtime(until).strftime("%Y-%m-%d"),
    }


@transaction.atomic
def authorization_grant(
    *, enterprise, institution, purpose: str, days: int, user, notify_institution: bool = True
) -> Authorization:
    """Record an explicit consent; only a member of the enterprise may give it. The institution's officers are
    told, unless the caller tells them itself (`notify_institution=False`, e.g. with an application)."""
    if not enterprise.members.filter(user=user).exists():
        raise DomainError(code="forbidden", message=_("Only the enterprise's own users can authorize."), status=403)
    if days < 1 or days > 365:
        raise DomainError(code="invalid", message=_("An authorization lasts between 1 and 365 days."), status=400)
    now = timezone.now()
    until = now + datetime.timedelta(days=days)
    authorization = Authorization.objects.create(
        enterprise=enterprise,
        institution=institution,
        purpose=purpose,
        valid_from=now,
        valid_until=until,
        granted_by=user,
        consent_text=consent_text(institution=institution, purpose=purpose, until=until),
    )
    if notify_institution:
        notify(
            users=officers_of(institution),
            kind="authorization_granted",
            url=reverse("creditinfo:enterprise_view", args=[enterprise.pk]),
            params={**_params(authorization), "purpose": purpose, "valid_until_at": until.isoformat()},
        )
    audit_record(
        action=Action.AUTHORIZATION_GRANTED,
        actor=user,
        obj=authorization,
        data={
            "enterprise_id": enterprise.pk,
            "institution_id": institution.pk,
            "purpose": purpose,
            "valid_until": until.isoformat(),
        },
    )
    return authorization


def _params(authorization: Authorization) -> dict:
    return {
        "authorization_id": authorization.pk,
        "enterprise": authorization.enterprise.name,
        "institution": authorization.institution.name,
    }


@transaction.atomic
def authorization_revoke(*, authorization_id: int, user) -> Authorization:
    """Revocation takes effect at once."""
    authorization = Authorization.objects.select_for_update().get(pk=authorization_id)
    if not authorization.enterprise.members.filter(user=user).exists():
        raise DomainError(code="forbidden", message=_("Only the enterprise's own users can revoke."), status=403)
    if authorization.revoked_at is None:
        authorization.revoked_at = timezone.now()
        authorization.save(update_fields=["revoked_at"])
        notify(
            users=officers_of(authorization.institution), kind="authorization_revoked", params=_params(authorization)
        )
        audit_record(
            action=Action.AUTHORIZATION_REVOKED,
            actor=user,
            obj=authorization,
            data={"enterprise_id": authorization.enterprise_id, "institution_id": authorization.institution_id},
        )
    return authorization
