"""Template helpers for the platform's pages: money in 元/万元/亿元, rates, query strings, badges.

Money is Decimal end to end: values are converted with ``Decimal(str(value))`` (ints, strings and
Decimals; never through float arithmetic), scaled, then ``quantize``d to 2 places with
ROUND_HALF_UP, as Chinese financial statements round. None or "" shows as "—".

Units are translated as whole phrases so each language places the number and unit its own way.
The msgids are English (the source language) and the Chinese comes from the catalog:

    msgid "%(value)s yuan"        -> msgstr "%(value)s元"
    msgid "%(value)s 10k yuan"    -> msgstr "%(value)s万元"
    msgid "%(value)s 100m yuan"   -> msgstr "%(value)s亿元"

so ``Decimal("1234567.00")|money_wan`` shows "123.46万元" in Chinese and "123.46 10k yuan" in
English. The number keeps the same scale in both languages (a 万元 figure stays a 万元 figure) so
that a table reads the same whichever language is on.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from django import template
from django.http import QueryDict
from django.utils.translation import gettext

register = template.Library()

EMPTY = "—"
CENT = Decimal("0.01")
YI = Decimal(100_000_000)


def to_decimal(value) -> Decimal | None:
    """Value as a Decimal, or None when it is empty or not a finite number (floats go through str)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value).strip().replace(",", "")
        if not text:
            return None
        try:
            result = Decimal(text)
        except InvalidOperation:
            return None
    return result if result.is_finite() else None


def format_number(value: Decimal, places: int = 2, shift: int = 0) -> str:
    """'1,234,567.89': value x 10**shift, rounded half up to `places` decimals, thousands separated.

    Exact: scaling only moves the exponent, and the context is wide enough that neither step rounds
    before the final quantize. Never shows '-0.00'.
    """
    with localcontext() as ctx:
        digits = len(value.as_tuple().digits)
        ctx.prec = 28 + digits + abs(value.adjusted()) + abs(shift) + places
        rounded = value.scaleb(shift).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return f"{rounded:,.{places}f}"


def _yuan(amount: Decimal) -> str:
    return gettext("%(value)s yuan") % {"value": format_number(amount)}


def _wan(amount: Decimal) -> str:
    return gettext("%(value)s 10k yuan") % {"value": format_number(amount, shift=-4)}


def _yi(amount: Decimal) -> str:
    return gettext("%(value)s 100m yuan") % {"value": format_number(amount, shift=-8)}


def _money(value, render) -> str:
    amount = to_decimal(value)
    if amount is None:
        return EMPTY if value is None or str(value).strip() == "" else str(value)
    return render(amount)


@register.filter
def money_yuan(value) -> str:
    """Yuan with 2 decimals: Decimal("1234567") -> "1,234,567.00元"."""
    return _money(value, _yuan)


@register.filter
def money_wan(value) -> str:
    """Yuan shown in 万元 with 2 decimals: Decimal("1234567.00") -> "123.46万元"."""
    return _money(value, _wan)


@register.filter
def money_auto(value) -> str:
    """Yuan in 亿元 from 1亿 (in absolute value) upwards, otherwise in 万元."""
    return _money(value, lambda amount: _yi(amount) if abs(amount) >= YI else _wan(amount))


@register.filter
def rate(value, places=2) -> str:
    """An annual rate already in percent: Decimal("3.45") -> "3.45%" (`|rate:3` for 3 decimals)."""
    amount = to_decimal(value)
    if amount is None:
        return EMPTY if value is None or str(value).strip() == "" else str(value)
    try:
        places = int(places)
    except (TypeError, ValueError):
        places = 2
    return f"{format_number(amount, places)}%"


@register.simple_tag(takes_context=True)
def query_replace(context, **params) -> str:
    """The current request's query string with `params` replaced; a None or "" value drops the key.

    Usage: ``<a href="?{% query_replace page=3 %}">`` keeps filters and sorting across pages.
    """
    request = context.get("request")
    query = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in params.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()


@register.simple_tag
def elided_page_range(page_obj, on_each_side=2, on_ends=1):
    """Page numbers around the current page with Paginator.ELLIPSIS gaps, for `{% ... as pages %}`."""
    return list(page_obj.paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side, on_ends=on_ends))


STATUS_COLORS = {
    # Applications and their events
    "submitted": "primary",
    "accepted": "info",
    "approved": "success",
    "rejected": "danger",
    "disbursed": "success",
    "withdrawn": "secondary",
    "declined": "secondary",
    # Demands and claims
    "open": "primary",
    "claimed": "info",
    "applied": "success",
    "active": "success",
    "converted": "success",
    "expired": "warning",
    "released": "secondary",
    # Products
    "draft": "secondary",
    "listed": "success",
    "unlisted": "secondary",
    # Loans and authorizations
    "live": "primary",
    "closed": "secondary",
    "written_off": "danger",
    "revoked": "danger",
    # Credit records, objections, repair requests, import batches and reports
    "disputed": "warning",
    "repaired": "info",
    "removed": "secondary",
    "corrected": "success",
    "unresolved": "warning",
    "pending": "info",
    "running": "info",
    "done": "success",
    "ready": "success",
    "failed": "danger",
    # Matchmaking events, participants, intents and outreach leads ("open", "applied", "disbursed", "declined",
    # "closed" as above)
    "scheduled": "primary",
    "held": "success",
    "cancelled": "secondary",
    "invited": "info",
    "registered": "primary",
    "attended": "success",
    "absent": "warning",
    "recorded": "info",
    "contacted": "primary",
    "dropped": "secondary",
}


@register.filter
def status_color(status) -> str:
    """Bootstrap colour name for a status value ("approved" -> "success"); unknown -> "secondary"."""
    return STATUS_COLORS.get(str(status), "secondary")


def _widget_css(bound_field) -> str:
    widget_type = bound_field.widget_type
    if widget_type in {"checkbox", "radioselect", "checkboxselectmultiple"}:
        return "form-check-input"
    if widget_type in {"select", "selectmultiple", "nullbooleanselect", "selectdate"}:
        return "form-select"
    if widget_type == "range":
        return "form-range"
    return "form-control"


@register.filter
def bs_widget(bound_field):
    """A form field's widget with Bootstrap classes, plus `is-invalid` when the bound form has errors.

    Django 5.2 adds aria-invalid and aria-describedby (`<id>_helptext`, `<id>_error`) itself.
    """
    classes = [bound_field.field.widget.attrs.get("class", ""), _widget_css(bound_field)]
    if bound_field.errors:
        classes.append("is-invalid")
    return bound_field.as_widget(attrs={"class": " ".join(c for c in classes if c)})


@register.filter
def nav_active(path, url) -> bool:
    """True when `path` is at `url` or below it (the home page "/" matches only itself)."""
    if not url or not path:
        return False
    if url == "/":
        return path == "/"
    return path == url or path.startswith(url if url.endswith("/") else f"{url}/")


@register.filter
def evaluation_for(obj, user):
    """{% with evaluation=application|evaluation_for:user %}: the object's own rule for what this viewer may see."""
    return obj.evaluation_for(user)
