"""Invitations to matchmaking events: by hand (enterprises and institutions by id) or by criteria (every enterprise
of a region matching industry, size, tags, grade or the no-loan list), notified with kind "event_invited".

Who may be invited: enterprises registered in the event's region or below; institutions whose region is in the
event's region subtree OR above it (a province branch may attend a city's event, a city bank may attend a
county's), never a sibling region's. Re-exported by lending.services.events.
"""

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import Enterprise, EnterpriseMembership, Evaluation, SizeClass
from lending.models import EventParticipant, Loan, MatchmakingEvent
from lending.services.event_support import (
    E,
    P,
    event_params,
    event_url,
    in_region,
    invalid,
    lock_event,
    missing_ids,
    require_manager,
    require_status,
)
from xinyidai.models import Industry, Institution, Region, User
from xinyidai.notifications import notify, notify_set_based, officers_of

CRITERIA_INVITE_LIMIT = 100_000  # the most enterprises one criteria invitation adds (a province's no-loan list)
GRADES = [grade for grade, _label in Evaluation.Grade.choices]  # A (best) .. D


def invitable_institutions(event: MatchmakingEvent):
    """Institutions serving the event's region: in its subtree, or in a region above it."""
    above = event.region.ancestors_and_self_ids()
    return Institution.objects.filter(is_active=True).filter(event.region.subtree_q("region") | Q(region_id__in=above))


def _mark_invited(event: MatchmakingEvent, field: str, ids: list[int], now) -> int:
    """Flag existing (self-registered) rows as invited and create the missing ones; returns how many are new."""
    if not ids:
        return 0
    existing = EventParticipant.objects.filter(event=event, **{f"{field}__in": ids})
    flagged = existing.filter(invited=False).update(invited=True, invited_at=now)
    have = set(existing.values_list(field, flat=True))
    missing = [pk for pk in ids if pk not in have]
    EventParticipant.objects.bulk_create(
        [EventParticipant(event=event, invited=True, invited_at=now, created_at=now, **{field: pk}) for pk in missing]
    )
    return flagged + len(missing)


@transaction.atomic
def event_invite(*, event_id: int, user, enterprise_ids=(), institution_ids=()) -> int:
    """Invite enterprises and institutions to a scheduled event; returns how many were newly invited.

    Idempotent: inviting someone already invited changes nothing; a participant who registered without an
    invitation is flagged as invited. Everything asked for must be within reach of the event's region (400
    naming the ids otherwise, and nothing is invited). The new invitees' users are notified ("event_invited").
    """
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, message=_("Invitations are only sent for scheduled events."))
    enterprise_ids = list(dict.fromkeys(int(pk) for pk in enterprise_ids))
    institution_ids = list(dict.fromkeys(int(pk) for pk in institution_ids))
    errors = {}
    in_region = Enterprise.objects.filter(event.region.subtree_q("region"), pk__in=enterprise_ids)
    bad = missing_ids(enterprise_ids, in_region.values_list("pk", flat=True))
    if bad:
        names = _names(Enterprise.objects, bad, "uscc")
        errors["enterprise_ids"] = [_("Enterprises outside the event's region: %(ids)s") % {"ids": names}]
    reachable = invitable_institutions(event).filter(pk__in=institution_ids)
    bad = missing_ids(institution_ids, reachable.values_list("pk", flat=True))
    if bad:
        names = _names(Institution.objects, bad, "code")
        errors["institution_ids"] = [_("Institutions that do not serve the event's region: %(ids)s") % {"ids": names}]
    invalid(errors)
    now = timezone.now()
    count = _mark_invited(event, "enterprise_id", enterprise_ids, now)
    count += _mark_invited(event, "institution_id", institution_ids, now)
    if count:
        new = EventParticipant.objects.filter(event=event, invited_at=now)
        users = set(
            EnterpriseMembership.objects.filter(
                enterprise_id__in=new.filter(enterprise__isnull=False).values("enterprise_id"), user__is_active=True
            ).values_list("user_id", flat=True)
        )
        for institution in Institution.objects.filter(pk__in=new.values("institution_id")).select_related("parent"):
            users.update(officers_of(institution))
        notify(users=sorted(users), kind="event_invited", params=event_params(event), url=event_url(event))
    return count


def _names(manager, ids: list[int], field: str, shown: int = 10) -> str:
    """The refused rows by their code (USCC, institution code), unknown ids as "#id"."""
    codes = dict(manager.filter(pk__in=ids[:shown]).values_list("pk", field))
    text = ", ".join(codes.get(pk, f"#{pk}") for pk in ids[:shown])
    return text + (" …" if len(ids) > shown else "")


def criteria_candidates(
    *,
    region: Region,
    section_codes=(),
    size_classes=(),
    tag_ids=(),
    min_grade: str = "",
    no_loan_only: bool = False,
):
    """Enterprises of `region` and below matching every given criterion (a queryset, evaluated set-based).

    Industry: the enterprise's division or group lies in one of the sections; tags: any of them; grade: the
    platform evaluation is `min_grade` or better (A best); no-loan: no loan on the platform at all (a
    bank-attested first loan is a flag on a loan, so an enterprise without loans has none either).
    """
    candidates = Enterprise.objects.filter(region.subtree_q("region"))
    if section_codes:
        codes = list(section_codes)
        industries = Industry.objects.filter(
            Q(code__in=codes) | Q(parent__code__in=codes) | Q(parent__parent__code__in=codes)
        )
        candidates = candidates.filter(industry__in=industries.values("pk"))
    if size_classes:
        candidates = candidates.filter(size_class__in=list(size_classes))
    if tag_ids:
        tagged = Enterprise.tags.through.objects.filter(
            enterprise_id=OuterRef("pk"), enterprisetag_id__in=list(tag_ids)
        )
        candidates = candidates.filter(Exists(tagged))
    if min_grade:
        grades = GRADES[: GRADES.index(min_grade) + 1]
        candidates = candidates.filter(evaluation__grade__in=grades)
    if no_loan_only:
        candidates = candidates.filter(~Exists(Loan.objects.filter(enterprise_id=OuterRef("pk"))))
    return candidates


def _criteria_errors(*, event, region_id, section_codes, size_classes, tag_ids, min_grade, limit) -> dict:
    errors = {}
    if region_id is not None and not in_region(region_id, event.region):
        errors["region"] = [_("Choose the event's region or one below it.")]
    known = set(
        Industry.objects.filter(level=Industry.Level.SECTION, code__in=section_codes).values_list("code", flat=True)
    )
    if set(section_codes) - known:
        errors["section_codes"] = [
            _("Unknown industry sections: %(codes)s") % {"codes": ", ".join(sorted(set(section_codes) - known))}
        ]
    if set(size_classes) - set(SizeClass.values):
        errors["size_classes"] = [_("Unknown size classes.")]
    if min_grade and min_grade not in GRADES:
        errors["min_grade"] = [_("The grade is one of A, B, C or D.")]
    if not 1 <= limit <= CRITERIA_INVITE_LIMIT:
        errors["limit"] = [_("Invite between 1 and %(max)d enterprises at a time.") % {"max": CRITERIA_INVITE_LIMIT}]
    return errors


@transaction.atomic
def event_invite_by_criteria(
    *,
    event_id: int,
    user,
    region_id: int | None = None,
    section_codes=(),
    size_classes=(),
    tag_ids=(),
    min_grade: str = "",
    no_loan_only: bool = False,
    limit: int = CRITERIA_INVITE_LIMIT,
) -> int:
    """Invite every enterprise matching the criteria (at most `limit`, lowest ids first); returns how many are new.

    One INSERT ... SELECT adds the participants and one more adds their users' notifications, however many
    enterprises match (a province's no-loan list is about 100,000): no Python loop over enterprises.
    Enterprises already taking part are only flagged as invited.
    """
    section_codes, size_classes = sorted(set(section_codes)), sorted(set(size_classes))
    tag_ids = sorted({int(pk) for pk in tag_ids})
    event = lock_event(event_id)
    require_manager(user, event)
    require_status(event, E.SCHEDULED, message=_("Invitations are only sent for scheduled events."))
    invalid(
        _criteria_errors(
            event=event,
            region_id=region_id,
            section_codes=section_codes,
            size_classes=size_classes,
            tag_ids=tag_ids,
            min_grade=min_grade,
            limit=limit,
        )
    )
    region = Region.objects.get(pk=region_id) if region_id is not None else event.region
    candidates = criteria_candidates(
        region=region,
        section_codes=section_codes,
        size_classes=size_classes,
        tag_ids=tag_ids,
        min_grade=min_grade,
        no_loan_only=no_loan_only,
    )
    now = timezone.now()
    mine = EventParticipant.objects.filter(event=event, enterprise_id=OuterRef("pk"))
    flagged = EventParticipant.objects.filter(
        event=event, invited=False, enterprise_id__in=candidates.values("pk")
    ).update(invited=True, invited_at=now)
    count = flagged
    if limit > flagged:
        fresh = candidates.filter(~Exists(mine)).order_by("pk").values("pk")[: limit - flagged]
        count += _insert_participants(event=event, enterprises=fresh, now=now)
    if count:
        new = EventParticipant.objects.filter(event=event, invited_at=now, enterprise__isnull=False)
        users = User.objects.filter(is_active=True, membership__enterprise_id__in=new.values("enterprise_id"))
        notify_set_based(users=users, kind="event_invited", params=event_params(event), url=event_url(event))
    return count


def _insert_participants(*, event: MatchmakingEvent, enterprises, now) -> int:
    """INSERT INTO participants SELECT the `enterprises` subquery (a values("pk") queryset)."""
    select_sql, select_params = enterprises.query.sql_with_params()
    meta = EventParticipant._meta
    columns = ["event_id", "enterprise_id", "status", "invited", "invited_at", "created_at"]
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (names from the model, values bound)  # nosec B608
        f"SELECT %s, candidate.pk, %s, %s, %s, %s FROM ({select_sql}) candidate"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [event.pk, P.INVITED, True, stamp, stamp, *select_params])
        return cursor.rowcount
