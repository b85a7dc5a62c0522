"""First-loan outreach: the candidates government staff push to banks or invite to events, and the leads officers
follow up.

Who is a first-loan candidate (首贷户 outreach, DOMAIN.md §4 "First loan")
--------------------------------------------------------------------------
A first-loan customer is a market entity with no prior loan in the central bank's credit system; only the lending
bank can know that, so the platform records it as the bank's attestation on a disbursement. The platform cannot
see loans made elsewhere, so the best it can list is the firms it has no evidence of borrowing:

    a registered enterprise (not a skeleton a data feed created: nobody could act on an invitation for it)
    with NO Loan on the platform at all, whatever its status (live, closed, written off).

Any loan disqualifies, attested or not: a loan the bank attested as the firm's FIRST loan means the firm has now
borrowed (it has become a first-loan customer, the goal of the outreach); a loan not so attested means the bank
saw an earlier loan in the credit system. Applications, demands and earlier outreach do not disqualify: they are
shown ("open demand", "already pushed") so staff can choose.

Scale: at province scale (1M enterprises, 600k loans) a page is found without reading the list: see
candidate_page. The total is counted only up to COUNT_CAP (1,000, as the platform's other long lists) and shown as
"more than 1,000" beyond: an exact count of a city's hundreds of thousands of candidates at every page load is what
this avoids (measured on the province data set under load: 0.3-1.5 s with a 10,000 cap, 40-400 ms with 1,000),
and past a thousand the number changes nothing staff would do (they narrow the filter). Pushing or inviting "all
matching" counts further, once, when asked (lending.services.outreach.PUSH_CAP).

Grades: the advisory evaluation's grade (A best .. D worst) is shown and filtered on, as matchmaking chooses firms
"by region, industry, tags, grade" (issue 6); detailed credit records are never read here.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils.dateparse import parse_datetime

from creditinfo.models import Enterprise, Evaluation
from lending.models import EventParticipant, FinancingDemand, Loan, OutreachLead
from xinyidai.models import Industry, Region
from xinyidai.pagination import KeysetPage

GRADES = tuple(Evaluation.Grade.values)  # best first: A, B, C, D
COUNT_CAP = 1_000  # the list counts this far ("more than 1,000"); see candidate_page
PAGE_SIZE = 20
ORDERS = {"newest": ("-created_at", "-id"), "oldest": ("created_at", "id")}
OPEN_DEMAND = (FinancingDemand.Status.OPEN, FinancingDemand.Status.CLAIMED)
PUSHED = (OutreachLead.Status.OPEN, OutreachLead.Status.CONTACTED)  # the statuses the one-lead constraint covers
CANDIDATE_RELATED = ("region__parent", "industry__parent__parent", "evaluation")


@dataclass(frozen=True)
class CandidateCriteria:
    """The filters of the candidate list, as the selector, the services and the exports take them."""

    region_id: int | None = None
    section_codes: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    tag_ids: tuple[int, ...] = ()
    min_grade: str = ""
    has_open_demand: bool | None = None
    not_invited_to_event: int | None = None

    def as_kwargs(self) -> dict:
        return {
            "region_id": self.region_id,
            "section_codes": tuple(self.section_codes),
            "size_classes": tuple(self.size_classes),
            "tag_ids": tuple(self.tag_ids),
            "min_grade": self.min_grade,
            "has_open_demand": self.has_open_demand,
            "not_invited_to_event": self.not_invited_to_event,
        }


def may_do_outreach(user) -> bool:
    """Government staff (their region and below) and platform admins (everything)."""
    return user.is_authenticated and (user.is_gov_staff or user.is_platform_admin)


def outreach_region(user, region_id: int | None = None) -> Region | None:
    """The region the list covers: `region_id` if it lies in the user's region (else 404), or the user's region.

    None for a platform admin without a region filter (the whole platform).
    """
    root = user.region if user.is_gov_staff else None
    if region_id is None:
        return root
    scope = Region.objects.select_related("parent")
    if root is not None:
        scope = scope.filter(root.subtree_q())
    region = scope.filter(pk=region_id).first()
    if region is None:
        raise Http404
    return region


def region_choices(user) -> list[tuple[int, str]]:
    """(id, label) of the user's region and every region below it, counties indented under their city."""
    root = user.region if user.is_gov_staff else None
    regions = Region.objects.select_related("parent").order_by("code")
    if root is not None:
        regions = regions.filter(root.subtree_q())
    rows = list(regions)
    children: dict[int | None, list[Region]] = {}
    for region in rows:
        children.setdefault(region.parent_id, []).append(region)
    top = [root] if root is not None else [r for r in rows if r.parent_id is None]
    out: list[tuple[int, str]] = []

    def walk(region: Region, depth: int) -> None:
        out.append((region.pk, "\u2003" * depth + region.name))
        for child in children.get(region.pk, []):
            walk(child, depth + 1)

    for region in top:
        walk(region, 0)
    return out


def _section_industries(section_codes) -> Q:
    """Enterprises whose industry (division or group) lies in one of the GB/T 4754 sections."""
    codes = list(section_codes)
    industries = Industry.objects.filter(
        Q(code__in=codes) | Q(parent__code__in=codes) | Q(parent__parent__code__in=codes)
    ).values("id")
    return Q(industry_id__in=industries)


def first_loan_candidates(
    user,
    *,
    region_id: int | None = None,
    section_codes=(),
    size_classes=(),
    tag_ids=(),
    min_grade: str = "",
    has_open_demand: bool | None = None,
    not_invited_to_event: int | None = None,
    order: str = "newest",
):
    """First-loan candidates (see the module docstring) the user may see, filtered, in a stable indexed order.

    Staff see their region and below (a `region_id` outside it: 404); platform admins everything; anyone else
    nothing. Annotated `has_open_demand` (an open or claimed demand) and `pushed` (an open or contacted outreach
    lead); the region, industry chain and evaluation are joined, the tags prefetched (one query a page).
    `section_codes` are GB/T 4754 section letters; `tag_ids` match any of the tags; `min_grade` keeps grades
    at least that good (A best); `not_invited_to_event` leaves out the participants of that event.
    """
    if not may_do_outreach(user):
        return Enterprise.objects.none()
    region = outreach_region(user, region_id)
    has_loan = Loan.objects.filter(enterprise_id=OuterRef("pk"))
    open_demand = FinancingDemand.objects.filter(enterprise_id=OuterRef("pk"), status__in=OPEN_DEMAND)
    pushed = OutreachLead.objects.filter(enterprise_id=OuterRef("pk"), status__in=PUSHED)
    qs = Enterprise.objects.filter(is_skeleton=False).filter(~Exists(has_loan))
    if region is not None and region.level != Region.Level.PROVINCE:
        # The province holds every region: no filter (an IN over all of them would steer the planner to read the
        # enterprises region by region instead of walking the created_at index).
        qs = qs.filter(region.subtree_q("region"))
    if section_codes:
        qs = qs.filter(_section_industries(section_codes))
    if size_classes:
        qs = qs.filter(size_class__in=list(size_classes))
    if tag_ids:
        tagged = Enterprise.tags.through.objects.filter(enterprise_id=OuterRef("pk"), enterprisetag_id__in=tag_ids)
        qs = qs.filter(Exists(tagged))
    if min_grade:
        if min_grade not in GRADES:
            raise ValueError(f"unknown grade {min_grade!r}")
        qs = qs.filter(evaluation__grade__in=GRADES[: GRADES.index(min_grade) + 1])
    if has_open_demand is not None:
        qs = qs.filter(Exists(open_demand) if has_open_demand else ~Exists(open_demand))
    if not_invited_to_event is not None:
        invited = EventParticipant.objects.filter(event_id=not_invited_to_event, enterprise_id=OuterRef("pk"))
        qs = qs.filter(~Exists(invited))
    qs = qs.annotate(has_open_demand=Exists(open_demand), pushed=Exists(pushed))
    return qs.select_related(*CANDIDATE_RELATED).prefetch_related("tags").order_by(*ORDERS[order])


def capped_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, capped): rows counted up to `cap`; capped is True when there are more."""
    total = queryset.order_by().values("pk")[: cap + 1].count()
    return min(total, cap), total > cap


# --- keyset pages on (created_at, id), either direction ----------------------------------------------------


def _encode(moment: datetime.datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([moment.isoformat(), pk]).encode()).decode().rstrip("=")


def _decode(cursor: str | None):
    if not cursor:
        return None
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = parse_datetime(value)
        return (moment, int(pk)) if moment is not None else None
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        return None


def candidate_page(queryset, *, cursor: str | None, order: str = "newest", per_page: int = PAGE_SIZE) -> KeysetPage:
    """The page after `cursor` (a junk cursor gives the first page), with the total counted up to COUNT_CAP.

    Adaptive, so that neither a broad nor a narrow filter is slow at province scale: first the (created_at, id)
    keys of at most COUNT_CAP + 1 matches are read with no ORDER BY (the planner picks the cheapest way to find
    them: a tag's or a county's index for a narrow filter). When there are more, the filter is broad, and the
    page's ids come from one walk of the created_at index stopped after a page; when there are fewer, they are all
    known and the page is cut from them in Python. The page's rows are then read by primary key, so that the
    planner probes the demand and lead tables for those rows only (for a query without that bound it hashes every
    open demand first). Queries: the keys, (the page's ids when more than COUNT_CAP match), the rows, the tags.
    """
    position = _decode(cursor)
    keys = list(queryset.order_by().values_list("created_at", "pk")[: COUNT_CAP + 1])
    total, capped = min(len(keys), COUNT_CAP), len(keys) > COUNT_CAP
    newest = order == "newest"
    if capped:
        ordered = queryset
        if position is not None:
            moment, pk = position
            if newest:
                after = Q(created_at__lte=moment) & (Q(created_at__lt=moment) | Q(id__lt=pk))
            else:
                after = Q(created_at__gte=moment) & (Q(created_at__gt=moment) | Q(id__gt=pk))
            ordered = ordered.filter(after)
        page_ids = list(ordered.order_by(*ORDERS[order]).values_list("pk", flat=True)[: per_page + 1])
        more, page_ids = len(page_ids) > per_page, page_ids[:per_page]
    else:
        keys.sort(reverse=newest)
        if position is not None:
            keys = [k for k in keys if (k < position if newest else k > position)]
        page_ids = [pk for _moment, pk in keys[:per_page]]
        more = len(keys) > per_page
    found = {row.pk: row for row in queryset.filter(pk__in=page_ids)} if page_ids else {}
    rows = [found[pk] for pk in page_ids if pk in found]
    next_cursor = _encode(rows[-1].created_at, rows[-1].pk) if more and rows else None
    return KeysetPage(
        object_list=rows,
        next_cursor=next_cursor,
        is_first=position is None,
        total=total,
        total_capped=capped,
        per_page=per_page,
    )


# --- leads, as officers see them ----------------------------------------------------------------------------

LEAD_RELATED = (
    "enterprise__region__parent",
    "enterprise__industry__parent__parent",
    "enterprise__evaluation",
    "contacted_by",
)


def leads_visible_to(user):
    """Outreach leads a user may see: an officer those in the region its institution serves (the institution's
    region and below) and those its institution tree contacted; staff those of their region; admins all."""
    if not user.is_authenticated:
        return OutreachLead.objects.none()
    if user.is_platform_admin:
        return OutreachLead.objects.all()
    if user.is_officer and user.institution_id:
        institution = user.institution
        served = institution.region.subtree_q("region")
        return OutreachLead.objects.filter(served | institution.subtree_q("contacted_by"))
    if user.is_gov_staff:
        return OutreachLead.objects.filter(user.region.subtree_q("region"))
    return OutreachLead.objects.none()


def leads_open_for(officer):
    """Open leads in the region the officer's institution serves: the ones it may still contact."""
    if not (officer.is_authenticated and officer.is_officer and officer.institution_id):
        return OutreachLead.objects.none()
    served = officer.institution.region.subtree_q("region")
    return OutreachLead.objects.filter(served, status=OutreachLead.Status.OPEN)


def lead_list(*, user, status: str = OutreachLead.Status.OPEN):
    """Leads for the officer's list, newest push first: `open` (to contact) or `contacted` (by its tree)."""
    if status == OutreachLead.Status.OPEN:
        leads = leads_open_for(user)
    else:
        leads = leads_visible_to(user).filter(status=status)
        if user.is_officer:
            leads = leads.filter(user.institution.subtree_q("contacted_by"))
    return leads.select_related(*LEAD_RELATED).prefetch_related("enterprise__tags").order_by("-pushed_at", "-id")
