"""Rate limits on the endpoints worth guessing at or flooding: log in, API token, file imports.

Counters live in the default cache (django-ratelimit): Redis in production (DJANGO_CACHE_URL), so that every
server process shares them; a per-process LocMemCache in development and tests. A limited request answers 429:
an HTML page for browsers, the platform's JSON error (code `rate_limited`) for the API. Rates are settings
(XINYIDAI_RATELIMIT_*, "count/period" with period s, m, h or d, e.g. "10/m"); only POSTs are counted.
"""

import functools
import logging

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError
from rest_framework.exceptions import Throttled

logger = logging.getLogger(__name__)


def client_ip(request) -> str | None:
    """The caller's address. Behind the one reverse proxy (DJANGO_BEHIND_PROXY) it is the last X-Forwarded-For
    entry, the one the proxy appended; earlier entries come from the client and may be forged."""
    if settings.XINYIDAI_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None  # none in a request built by hand (the test client's login)


def ip_key(group, request) -> str:
    return client_ip(request) or "unknown"


def username_key(group, request) -> str:
    """The username a login form or a token request names, case-folded: one counter however it is typed."""
    data = getattr(request, "data", None)  # a DRF request's parsed JSON or form body
    if data is None or not hasattr(data, "get"):
        data = request.POST
    username = data.get("username")
    return username.strip().casefold() if isinstance(username, str) else ""


def user_key(group, request) -> str:
    return str(request.user.pk)


def _exceeded(request, limits) -> bool:
    """Count this request against every (group, key, rate setting) limit; True when one is over its rate. Every
    limit is counted even when an earlier one is over, so that a flood keeps each counter full."""
    over = False
    for group, key, rate_setting in limits:
        try:
            limited = is_ratelimited(
                request, group=group, key=key, rate=getattr(settings, rate_setting), method="POST", increment=True
            )
        except (OSError, RedisError) as error:  # the cache (Redis) is down: serve rather than refuse everyone
            logger.warning("Rate limit %s not checked, the cache is unavailable: %s", group, error)
            limited = False
        over = over or limited
    return over


def limited_page(*limits):
    """Decorate a page view: over a limit, a POST gets the 429 page instead of the view."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if _exceeded(request, limits):
                return render(request, "registration/ratelimited.html", status=429)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RateLimited(Throttled):
    """The API's answer over a limit: 429 in the error format, code `rate_limited`."""

    default_code = "rate_limited"

    def __init__(self):
        super().__init__(detail=_("Too many requests. Wait a minute and try again."), code=self.default_code)


def limited_api(*limits):
    """Decorate a DRF view method (self, request, ...): over a limit, a POST gets a 429 JSON error. The method is
    marked so that the OpenAPI schema documents the 429 answer (xinyidai.api.schema)."""

    def decorator(method):
        @functools.wraps(method)
        def wrapped(self, request, *args, **kwargs):
            if _exceeded(request, limits):
                raise RateLimited()
            return method(self, request, *args, **kwargs)

        wrapped.rate_limited = True
        return wrapped

    return decorator


# The limits, named once: (counter group, key function, setting holding the rate).
LOGIN_LIMITS = (
    ("login-ip", ip_key, "XINYIDAI_RATELIMIT_LOGIN_IP"),
    ("login-username", username_key, "XINYIDAI_RATELIMIT_LOGIN_USERNAME"),
)
TOKEN_LIMITS = (
    ("token-ip", ip_key, "XINYIDAI_RATELIMIT_LOGIN_IP"),
    ("token-username", username_key, "XINYIDAI_RATELIMIT_LOGIN_USERNAME"),
)
IMPORT_LIMITS = (("import-user", user_key, "XINYIDAI_RATELIMIT_IMPORT"),)
FEEDBACK_API_LIMITS = (("feedback-api-user", user_key, "XINYIDAI_RATELIMIT_FEEDBACK_API"),)
