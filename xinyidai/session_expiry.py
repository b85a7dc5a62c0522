"""Session expiry: a logged-in session ends after XINYIDAI_SESSION_IDLE_MINUTES without a request, and in any case
SESSION_COOKIE_AGE after the login.

Why not SESSION_SAVE_EVERY_REQUEST: it writes the session row on every request. Here the session records when it
was last seen, rewritten at most once a minute (REFRESH_SECONDS), so an active user costs one UPDATE a minute and
the idle limit is exact to the minute. Because each such write also pushes Django's own expiry (SESSION_COOKIE_AGE
from the last write) forward, the absolute limit is kept here too: both clocks start at login (session_start), or
at the first request of a session that predates this middleware.

A page's own background polling (the navbar's bell refreshes every minute) is not the user's activity: requests
sent with the BACKGROUND_HEADER are checked like any other but never move the last-seen time, or an open tab
would keep its session alive forever.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import gettext as _

LAST_SEEN = "_xinyidai_last_seen"  # epoch seconds of the last recorded request
STARTED = "_xinyidai_started"  # epoch seconds of the login
REFRESH_SECONDS = 60
BACKGROUND_HEADER = "X-Xinyidai-Background"  # sent by htmx pollers (templates/xinyidai/_notification_badge.html)


class SessionExpiryMiddleware:
    """After AuthenticationMiddleware and MessageMiddleware: logs out an idle or too old session before the view
    runs, so that the view sees an anonymous user (pages then redirect to the login page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        idle_seconds = settings.XINYIDAI_SESSION_IDLE_MINUTES * 60
        session = getattr(request, "session", None)
        if session is not None and request.user.is_authenticated and session.session_key:
            self._check(request, session, idle_seconds, background=request.headers.get(BACKGROUND_HEADER) == "1")
        return self.get_response(request)

    def _check(self, request, session, idle_seconds: int, *, background: bool) -> None:
        now = int(time.time())
        last_seen, started = session.get(LAST_SEEN), session.get(STARTED)
        if idle_seconds and last_seen is not None and now - last_seen > idle_seconds:
            logout(request)
            messages.info(request, _("You were logged out after a period without activity. Please log in again."))
        elif started is not None and now - started > settings.SESSION_COOKIE_AGE:
            logout(request)
            messages.info(request, _("Your session has ended. Please log in again."))
        else:
            if started is None:
                session[STARTED] = now
            if not background and (last_seen is None or now - last_seen >= REFRESH_SECONDS):
                session[LAST_SEEN] = now


def session_start(sender, request, user, **kwargs) -> None:
    """On login: the session's clocks start now (also for a login into a session that had been used before)."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(time.time())
        session[STARTED] = now
        session[LAST_SEEN] = now


def connect() -> None:
    """Called from XinyidaiConfig.ready()."""
    user_logged_in.connect(session_start, dispatch_uid="xinyidai.session_expiry.session_start")
