"""The consent gate: an officer opens an enterprise's credit information only under a live authorization."""

from django.http import Http404

from creditinfo.models import Authorization, Enterprise, QueryLog
from xinyidai.services.audit import Action, audit_record


def live_authorization_for(*, user, enterprise_id: int) -> Authorization | None:
    """The live authorization (longest-running first) the enterprise gave the officer's institution tree."""
    if not (user.is_authenticated and user.is_officer and user.institution_id):
        return None
    return (
        Authorization.objects.live()
        .filter(user.institution.subtree_q("institution"), enterprise_id=enterprise_id)
        .order_by("-valid_until", "-id")
        .first()
    )


def credit_query_open(*, user, enterprise_id: int, what: str = QueryLog.What.PROFILE) -> tuple[Enterprise, QueryLog]:
    """Check consent and write the query-log row; without a live authorization the enterprise does not exist
    for this officer (Http404, and nothing is logged because nothing was shown)."""
    authorization = live_authorization_for(user=user, enterprise_id=enterprise_id)
    if authorization is None:
        raise Http404("No live authorization")
    enterprise = Enterprise.objects.select_related("region__parent", "industry__parent").get(pk=enterprise_id)
    entry = QueryLog.objects.create(
        enterprise=enterprise,
        user=user,
        institution_id=user.institution_id,
        authorization=authorization,
        purpose=authorization.purpose,
        what=what,
    )
    audit_record(
        action=Action.PROFILE_VIEW,
        actor=user,
        obj=enterprise,
        data={"what": what, "query_log_id": entry.pk, "authorization_id": authorization.pk},
    )
    return enterprise, entry
