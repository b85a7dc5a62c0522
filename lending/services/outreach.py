"""First-loan outreach: staff push candidates to the banks serving their region; officers record the contact.

A push writes one OutreachLead per enterprise in one INSERT ... SELECT over the candidate query (the selector's
own SQL), ON CONFLICT DO NOTHING against the partial unique constraint `outreach_one_open_lead` (one open or
contacted lead per enterprise): pushing the same firms again, or twice at once, adds nothing. The officers of the
institutions serving the new leads' regions (an institution serves its region and everything below it) get one
notification per push, with the number of new leads in their area, never one per enterprise.
"""

from collections import Counter, defaultdict

from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import OutreachLead
from lending.selectors_outreach import first_loan_candidates, may_do_outreach
from xinyidai.errors import DomainError
from xinyidai.models import Region, User
from xinyidai.notifications import notify

PUSH_CAP = 10_000  # candidates one push (or invitation) of "all matching" may take; more is refused: narrow it
MAX_IDS = 1000  # enterprises one push may name (a page selection is 20; "all matching" goes by criteria)
NOTE_MAX = OutreachLead._meta.get_field("note").max_length
KIND_PUSHED = "outreach_leads_pushed"


def _leads_url() -> str:
    try:
        return reverse("lending:outreach_leads")
    except NoReverseMatch:  # the page is not wired (a test settings module without the lending pages)
        return ""


def _chosen_candidates(*, user, enterprise_ids, criteria):
    if not may_do_outreach(user):
        raise DomainError(code="forbidden", message=_("Only government staff do first-loan outreach."), status=403)
    if (enterprise_ids is None) == (criteria is None):
        raise DomainError(
            code="invalid", message=_("Choose enterprises, or all enterprises matching the filter."), status=400
        )
    candidates = first_loan_candidates(user, **dict(criteria or {})).order_by()
    if enterprise_ids is not None:
        ids = list(dict.fromkeys(enterprise_ids))
        if not ids:
            raise DomainError(code="invalid", message=_("Choose at least one enterprise."), status=400)
        if len(ids) > MAX_IDS:
            message = _("Choose at most %(count)d enterprises at a time, or push all matching the filter.")
            raise DomainError(code="invalid", message=message % {"count": MAX_IDS}, status=400)
        return candidates.filter(pk__in=ids)
    if candidates.values("pk")[: PUSH_CAP + 1].count() > PUSH_CAP:
        message = _(
            "More than %(count)s enterprises match the filter: narrow it (a region, an industry) and try again."
        )
        raise DomainError(code="too_many", message=message % {"count": f"{PUSH_CAP:,}"}, status=400)
    return candidates


@transaction.atomic
def outreach_push(*, user, enterprise_ids=None, criteria: dict | None = None) -> int:
    """Push first-loan candidates to the banks' outreach lists; returns the number of new leads.

    Either `enterprise_ids` (those of them that are candidates the user may see; others are skipped) or
    `criteria` (the selector's filters: every matching candidate, at most PUSH_CAP). Enterprises with an open or
    contacted lead already are skipped (idempotent). Refused: not staff (403), neither or both inputs, an empty
    or too long id list, more than PUSH_CAP matches (400); a region outside the user's: 404.
    """
    candidates = _chosen_candidates(user=user, enterprise_ids=enterprise_ids, criteria=criteria)
    select_sql, params = candidates.values_list("id", "region_id").query.sql_with_params()
    now = timezone.now()
    table = OutreachLead._meta.db_table
    sql = (
        f"INSERT INTO {table} (enterprise_id, region_id, pushed_by_id, pushed_at, status, note) "  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
        f"SELECT c.id, c.region_id, %s, %s, %s, '' FROM ({select_sql}) c WHERE 1 = 1 "
        "ON CONFLICT (enterprise_id) WHERE status IN ('open', 'contacted') DO NOTHING "
        "RETURNING enterprise_id, region_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, connection.ops.adapt_datetimefield_value(now), OutreachLead.Status.OPEN, *params])
        created = cursor.fetchall()
    if created:
        _notify_serving_officers(Counter(region_id for _enterprise, region_id in created))
    return len(created)


@transaction.atomic
def outreach_invite(*, user, event_id: int, enterprise_ids=None, criteria: dict | None = None) -> tuple[int, int]:
    """Invite first-loan candidates to a scheduled event (lending.services.events.event_invite); returns
    (newly invited, skipped because outside the event's region).

    The candidates are chosen exactly as the list shows them (`enterprise_ids` among the user's candidates, or
    every candidate matching `criteria`, at most PUSH_CAP), then kept to the event's region and below. The ids
    go to event_invite, which checks the event and the user (staff of its region), is idempotent and notifies
    the invited enterprises' users.
    """
    from lending.models import MatchmakingEvent
    from lending.services.events import event_invite

    candidates = _chosen_candidates(user=user, enterprise_ids=enterprise_ids, criteria=criteria)
    event = MatchmakingEvent.objects.select_related("region").filter(pk=event_id).first()
    if event is None:
        raise DomainError(code="not_found", message=_("No such matchmaking event."), status=404)
    chosen = set(candidates.values_list("pk", flat=True))
    in_region = set(candidates.filter(event.region.subtree_q("region")).values_list("pk", flat=True))
    invited = event_invite(event_id=event.pk, user=user, enterprise_ids=sorted(in_region)) if in_region else 0
    return invited, len(chosen - in_region)


def _notify_serving_officers(new_by_region: Counter) -> None:
    """One notification per officer of every active institution serving some of the new leads' regions, with
    the number of new leads in the region its institution serves."""
    parents = dict(Region.objects.values_list("id", "parent_id"))
    served: Counter = Counter()
    for region_id, count in new_by_region.items():
        node = region_id
        while node is not None:
            served[node] += count
            node = parents.get(node)
    officers = User.objects.filter(
        role=User.Role.OFFICER, is_active=True, institution__is_active=True, institution__region_id__in=list(served)
    ).values_list("pk", "institution__region_id")
    by_region: dict[int, list[int]] = defaultdict(list)
    for user_id, region_id in officers:
        by_region[region_id].append(user_id)
    url = _leads_url()
    for region_id, user_ids in sorted(by_region.items()):
        notify(users=user_ids, kind=KIND_PUSHED, params={"count": served[region_id]}, url=url)


@transaction.atomic
def outreach_lead_contacted(*, lead_id: int, officer, note: str = "") -> OutreachLead:
    """An officer records that its institution contacted the enterprise of an open lead in the region the
    institution serves. Locks the lead; a lead outside that region answers 404, one already contacted 409."""
    if not (officer.is_authenticated and officer.is_officer):
        raise DomainError(code="forbidden", message=_("Only bank officers can do this."), status=403)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        message = _("Keep the note to %(count)d characters.") % {"count": NOTE_MAX}
        raise DomainError(code="invalid", message=message, detail={"note": [message]}, status=400)
    lead = OutreachLead.objects.select_for_update().filter(pk=lead_id).first()
    if lead is None or not _serves(officer, lead):
        raise DomainError(code="not_found", message=_("No such outreach lead."), status=404)
    if lead.status != OutreachLead.Status.OPEN:
        raise DomainError(
            code="invalid_transition",
            message=_("This enterprise has already been contacted."),
            detail={"status": lead.status},
        )
    lead.status = OutreachLead.Status.CONTACTED
    lead.contacted_by = officer.institution
    lead.contacted_at = timezone.now()
    lead.note = note
    lead.save(update_fields=["status", "contacted_by", "contacted_at", "note"])
    return lead


def _serves(officer, lead: OutreachLead) -> bool:
    """Whether the officer's institution serves the lead's region (its own region or one above it)."""
    return Region.objects.filter(officer.institution.region.subtree_q(), pk=lead.region_id).exists()
