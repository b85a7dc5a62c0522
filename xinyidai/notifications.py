"""Notifications: the one way any service tells a user something (in-app centre, and email).

    notify(users=[...], kind="application_submitted", params={"number": "..."}, url="/applications/1/")

A notification is a `kind` code from KINDS with its `params`; its title and text are rendered in the reader's
language when shown. Services call `notify` inside their transaction: the rows commit with the change they
report, and the email goes out from Celery after the commit (xinyidai.tasks.notification_email_send).

Params are stored as JSON and shown in the reader's language: a param named `*_yuan` shows as money (万元/亿元),
`*_rate` as a percentage, `*_at` (ISO 8601) as local time, and a param listed in the kind's `labels` (a code of a
TextChoices named "module:Class.Inner") as that choice's label. The `url` must be a local path ("/...").
"""

import datetime
import importlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _  # noqa: F401 (the KINDS entries use it)


@dataclass(frozen=True)
class Kind:
    """A notification kind: title and body with %(name)s placeholders filled from the params."""

    title: Promise
    body: Promise
    email: bool = True  # also sent by email (when the user has an address)
    # param name -> "module:Class" of a TextChoices: the stored code is shown as its label in the reader's language
    labels: dict[str, str] = field(default_factory=dict)


KINDS: dict[str, Kind] = {
    # --- applications and demands (lending.services.applications / demands) ---
    "application_submitted": Kind(
        _("New application %(number)s"),
        _(
            "%(enterprise)s applied for %(amount_yuan)s over %(term_months)s months. "
            "Please respond by %(respond_by_at)s."
        ),
    ),
    "application_accepted": Kind(
        _("Application %(number)s accepted for review"),
        _("%(institution)s has taken your application %(number)s into review."),
    ),
    "application_approved": Kind(
        _("Credit approved: %(amount_yuan)s at %(annual_rate)s"),
        _(
            "%(institution)s approved application %(number)s: %(amount_yuan)s at an annual rate of %(annual_rate)s "
            "for %(term_months)s months. The bank records the disbursement next; you may still decline the offer."
        ),
    ),
    "application_rejected": Kind(
        _("Application %(number)s was not approved"),
        _(
            "%(institution)s declined credit on application %(number)s: %(reason)s. "
            "Other products may fit your enterprise: see the recommendations."
        ),
        labels={"reason": "lending.models:RejectReason"},
    ),
    "application_disbursed": Kind(
        _("Loan disbursed: %(principal_yuan)s"),
        _("%(institution)s disbursed %(principal_yuan)s on application %(number)s."),
    ),
    "application_withdrawn": Kind(
        _("Application %(number)s withdrawn"),
        _("%(enterprise)s withdrew its application %(number)s before review."),
    ),
    "application_declined": Kind(
        _("Offer declined on application %(number)s"),
        _("%(enterprise)s declined the credit approved on application %(number)s."),
    ),
    "application_overdue": Kind(
        _("Application %(number)s is overdue"),
        _(
            "The application of %(enterprise)s was due for a response by %(respond_by_at)s. "
            "Please accept or decide it now."
        ),
    ),
    "demand_claimed": Kind(
        _("%(institution)s claimed your demand"),
        _(
            "%(institution)s claimed your financing demand of %(amount_yuan)s and has until %(deadline_at)s to act "
            "on it. You can apply to it from the demand page."
        ),
    ),
    "demand_claim_expired": Kind(
        _("Your demand is back in the pool"),
        _(
            "%(institution)s did not act on your financing demand of %(amount_yuan)s in time. It is back in the pool "
            "and offered to other banks; products that fit your enterprise are in the recommendations."
        ),
    ),
    "demand_claim_released": Kind(
        _("Your demand is back in the pool"),
        _(
            "%(institution)s released your financing demand of %(amount_yuan)s. It is back in the pool and offered "
            "to other banks; products that fit your enterprise are in the recommendations."
        ),
    ),
    "claim_lapsed": Kind(
        _("Your claim on a demand expired"),
        _(
            "The claim on the financing demand of %(enterprise)s (%(amount_yuan)s) passed its deadline of "
            "%(deadline_at)s; the demand went back to the pool."
        ),
        email=False,
    ),
    "demand_closed": Kind(
        _("A claimed demand was closed"),
        _("%(enterprise)s closed its financing demand of %(amount_yuan)s that your institution had claimed."),
        email=False,
    ),
    # --- matching: recommendations and demand pushes (lending.services.matching) ---
    "demand_pushed": Kind(
        _("Recommended to you: a demand of %(amount_yuan)s"),
        _(
            "%(enterprise)s needs %(amount_yuan)s over %(term_months)s months and your products fit it (match score "
            "%(score)s of 100; %(reason)s). It is marked “recommended to you” in your demand pool: claim it to act."
        ),
        labels={"reason": "lending.models:DemandPush.Reason"},
    ),
    # --- matchmaking events, intents and outreach (lending.services.events / outreach) ---
    "outreach_leads_pushed": Kind(
        _("%(count)s new first-loan outreach leads"),
        _(
            "Government staff pushed %(count)s enterprises that have no loan on the platform yet to the banks "
            "serving your region. Contact them and record the contact in your outreach leads."
        ),
    ),
    "event_invited": Kind(
        _("Invitation: %(title)s"),
        _(
            "You are invited to the matchmaking event %(title)s on %(starts_at)s (%(place)s). "
            "Please register or decline."
        ),
    ),
    "event_cancelled": Kind(
        _("Cancelled: %(title)s"),
        _("The matchmaking event %(title)s planned for %(starts_at)s is cancelled."),
    ),
    "intent_recorded": Kind(
        _("New financing intent: %(enterprise)s"),
        _(
            "At %(title)s, %(enterprise)s expressed the intent to borrow %(amount_yuan)s from %(institution)s. "
            "Please contact the enterprise and record the follow-up."
        ),
    ),
    # --- credit information (creditinfo services) ---
    "objection_raised": Kind(
        _("New objection from %(enterprise)s"),
        _("%(enterprise)s disputes the record “%(record)s”. Please answer by %(due_on)s."),
    ),
    "objection_resolved": Kind(
        _("Your objection was answered"),
        _("The platform answered your objection to the record “%(record)s”: %(outcome)s."),
        labels={"outcome": "creditinfo.models:Objection.Status"},
    ),
    "repair_requested": Kind(
        _("New credit repair request from %(enterprise)s"),
        _("%(enterprise)s asks for the record “%(record)s” to be repaired."),
    ),
    "repair_approved": Kind(
        _("Credit repair approved"),
        _("The record “%(record)s” is repaired and no longer published in your credit profile."),
    ),
    "repair_rejected": Kind(
        _("Credit repair rejected"),
        _("The request to repair the record “%(record)s” was rejected: %(note)s"),
    ),
    "credit_report_ready": Kind(
        _("Credit report %(number)s is ready"),
        _("The credit report of %(enterprise)s is ready to download."),
    ),
    "authorization_granted": Kind(
        _("%(enterprise)s authorized your institution"),
        _(
            "%(enterprise)s authorized %(institution)s to query its credit information for %(purpose)s "
            "until %(valid_until_at)s."
        ),
        labels={"purpose": "creditinfo.models:Authorization.Purpose"},
    ),
    "authorization_revoked": Kind(
        _("%(enterprise)s revoked its authorization"),
        _(
            "%(enterprise)s revoked the authorization of %(institution)s to query its credit information; "
            "its profile is no longer available to your institution."
        ),
    ),
}


EMAIL_CHUNK = 500  # notifications per email task


def _checked(kind: str, url) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    url = str(url or "")
    if url and not is_local_path(url):
        raise ValueError(f"a notification links to a local path, not {url!r}")
    return url


def _email_after_commit(kind: str, ids: list[int]) -> None:
    if ids and KINDS[kind].email:
        transaction.on_commit(lambda: _send_emails(ids))


def _send_emails(ids: list[int]) -> None:
    from xinyidai.tasks import notification_email_send

    for start in range(0, len(ids), EMAIL_CHUNK):
        notification_email_send.delay(notification_ids=ids[start : start + EMAIL_CHUNK])


def notify(*, users, kind: str, params: dict | None = None, url: str = "") -> list:
    """Notify each of `users` (users or ids, duplicates once); returns the created Notification rows.

    Call it inside the transaction of the change it reports. Emails are sent after the commit, by Celery.
    """
    from xinyidai.models import Notification

    url = _checked(kind, url)
    user_ids = list(dict.fromkeys(getattr(u, "pk", u) for u in users))
    if not user_ids:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, params=params or {}, url=url) for uid in user_ids]
    )
    _email_after_commit(kind, [row.pk for row in rows])
    return rows


def notify_set_based(*, users, kind: str, params: dict, url: str = "") -> int:
    """notify() for the users of a queryset, in one INSERT ... SELECT (an event's 100,000 invitees); returns how
    many were notified. The queryset must not repeat a user."""
    import json

    from django.db import connection

    from xinyidai.models import Notification

    url = _checked(kind, url)
    select_sql, select_params = users.order_by().values("pk").query.sql_with_params()
    params_sql = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {Notification._meta.db_table} (user_id, kind, params, url, created_at) "  # noqa: S608  # nosec B608 # only constants and model table names are interpolated; values are bound parameters
        f"SELECT recipient.pk, %s, {params_sql}, %s, %s FROM ({select_sql}) recipient RETURNING id"
    )  # only names from the model are interpolated; values are bound parameters
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, json.dumps(params, ensure_ascii=False), url, stamp, *select_params])
        ids = [row[0] for row in cursor.fetchall()]
    _email_after_commit(kind, ids)
    return len(ids)


def is_local_path(url: str) -> bool:
    """A path on this site ("/applications/1/"), never another host: what a notification may link to."""
    return (
        url.startswith("/")
        and not url.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=False)
    )


def officers_of(institution):
    """Ids of the active officers of `institution`; when it has none, those of its nearest parent that has some,
    so that an application or an authorization never goes unheard."""
    from xinyidai.models import User

    node = institution
    while node is not None:
        ids = list(
            User.objects.filter(institution=node, role=User.Role.OFFICER, is_active=True).values_list("pk", flat=True)
        )
        if ids:
            return ids
        node = node.parent
    return []


def staff_of(region):
    """Ids of the active government staff whose region is `region` or one above it (they handle what is in it)."""
    from xinyidai.models import User

    return list(
        User.objects.filter(
            role=User.Role.STAFF, is_active=True, region_id__in=region.ancestors_and_self_ids()
        ).values_list("pk", flat=True)
    )


def render(kind: str, params: dict) -> tuple[str, str]:
    """(title, body) of a notification in the active language; an unknown kind shows its code."""
    spec = KINDS.get(kind)
    if spec is None:
        return kind, ""
    values = _display(spec, params or {})
    return _fill(spec.title, values, fallback=str(spec.title)), _fill(spec.body, values, fallback="")


class _Values(dict):
    """A param the text names but the notification lacks (an older row, a renamed param) shows as a dash."""

    def __missing__(self, key):
        return "\u2014"


def _fill(template: Promise, values: dict, *, fallback: str) -> str:
    try:
        return str(template) % _Values(values)
    except (TypeError, ValueError):
        return fallback


def _display(spec: Kind, params: dict) -> dict:
    """The params as the reader sees them: labels, money, rates and times in the active language."""
    from xinyidai.templatetags.xyd import money_auto, rate

    values = {}
    for name, value in params.items():
        if name in spec.labels:
            value = _label(spec.labels[name], value)
        elif name.endswith("_yuan"):
            value = money_auto(value)
        elif name.endswith("_rate"):
            value = rate(value)
        elif name.endswith("_at"):
            value = _local_time(value)
        values[name] = value
    return values


def _label(path: str, code):
    module, _sep, qualname = path.partition(":")
    choices = importlib.import_module(module)
    for attribute in qualname.split("."):
        choices = getattr(choices, attribute)
    try:
        return choices(code).label
    except ValueError:
        return code


def _local_time(value) -> str:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")
