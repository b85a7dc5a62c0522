"""A database outage answers 503 Service Unavailable with Retry-After, never a traceback or a bare 500.

`django.db.OperationalError` and `InterfaceError` are what the database layer raises when it cannot serve at all:
connection refused or lost, too many connections, the server shutting down (and, as transient, a deadlock or a
statement timeout): every one is worth retrying shortly. Pages get templates/503.html, API paths (/api/) the
platform's error body (xinyidai.api.errors) with code `service_unavailable`; both in the request's language.

Two ways in, because Django turns an exception into a response where it is raised:
- DatabaseUnavailableMiddleware.process_exception: an error in a view (or in rendering its template response);
- server_error, the root URLconf's handler500: an error in another middleware (the session loaded or saved by
  the session-expiry middleware, the login lockout), which Django answers through handler500 directly.
The 503 page is rendered without the request (no context processors: the notification badge would query the
database) and extends nothing.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def database_unavailable(request, exception: BaseException) -> HttpResponse:
    """The 503 answer: JSON under /api/, the plain page elsewhere. One log line each, without the traceback (an
    outage under load would otherwise flood the log with identical ones)."""
    from xinyidai.api.errors import error_body, is_api_request  # late: DRF is not needed to load the middleware

    logger.warning(
        "%s %s: database unavailable (%s: %s)",
        request.method,
        request.path,
        type(exception).__name__,
        str(exception).strip()[:300],
    )
    if is_api_request(request):
        message = _("The service is temporarily unavailable. Please try again in a few minutes.")
        response = JsonResponse(error_body("service_unavailable", message), status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database outage met by a view into the 503 answer (module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # With DEBUG on, Django's technical page shows the cause instead (as handler500 is then not used either).
        if isinstance(exception, DATABASE_ERRORS) and not settings.DEBUG:
            return database_unavailable(request, exception)
        return None


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """handler500: the 503 answer when the error being handled is a database outage, Django's 500 page otherwise."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    return defaults.server_error(request, template_name)
