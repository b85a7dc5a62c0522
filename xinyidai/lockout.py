"""Login lockout (django-axes): after XINYIDAI_LOGIN_FAILURE_LIMIT failed logins from one address for one
username, that pair is refused for XINYIDAI_LOGIN_COOLOFF_MINUTES, on the login page and the API token endpoint.

The lockout answers 429 Too Many Requests (not 403: nothing is wrong with the account's rights; the caller must
wait): the page templates/registration/lockout.html, or the API's JSON error with code `locked_out`.
"""

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from xinyidai.api.errors import error_body, is_api_request

LOCKED_OUT = "locked_out"


class LockoutBackend(AxesStandaloneBackend):
    """Axes' standalone backend, first in AUTHENTICATION_BACKENDS: refuses a locked-out username and address.

    authenticate() without a request (the shell, management commands, the test client's login()) has no address
    to lock and comes from the server itself: it passes on to the model backend instead of raising, as axes'
    backend does (AxesBackendRequestParameterRequired). Every web login path passes the request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def cooloff_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_message() -> str:
    minutes = max(1, cooloff_seconds() // 60)
    return _("Too many failed logins for this account from your address. Try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }


def lockout_body() -> dict:
    return error_body(LOCKED_OUT, lockout_message(), {"retry_after_seconds": cooloff_seconds()})


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the API gets its JSON error, browsers the lockout page; both 429 with Retry-After."""
    if is_api_request(request):
        response = JsonResponse(lockout_body(), status=429)
    else:
        context = {"message": lockout_message(), "cooloff_minutes": max(1, cooloff_seconds() // 60)}
        response = render(request, "registration/lockout.html", context, status=429)
    response["Retry-After"] = str(cooloff_seconds())
    return response
