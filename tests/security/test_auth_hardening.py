"""Authentication hardening: login lockout (django-axes), password rules at sign-up, session expiry, production
security switches, rate limits on log in, API token and imports, and the deployment checklist.

Lockout and rate limits run as configured (axes and django-ratelimit are on in the test settings); rates are
lowered per test through the `settings` fixture so that a handful of requests reaches them.
"""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.authtoken.models import Token

from tests.api.utils import openapi, token_client
from tests.factories import AdminFactory, OfficerFactory, UserFactory
from tests.web.utils import english_client, logged_in
from xinyidai import session_expiry
from xinyidai.checks import rate_limit_cache_is_shared
from xinyidai.models import User
from xinyidai.ratelimits import client_ip

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Passw0rd!xyz"  # tests.factories.UserFactory
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def login_post(client, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- lockout ----------------------------------------------------------------------------------------------


def test_the_login_page_locks_a_username_and_address_out_after_the_failure_limit(settings):
    UserFactory(username="zhang.san")
    client = english_client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login_post(client, "zhang.san", "wrong-password").status_code == 200  # the form, with its error
    locked = login_post(client, "zhang.san", "wrong-password")

    assert locked.status_code == 429
    assert "registration/lockout.html" in [t.name for t in locked.templates]
    assert "Login temporarily locked" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # Even the right password is refused now, and nobody is logged in.
    assert login_post(client, "zhang.san", PASSWORD).status_code == 429
    assert not is_logged_in(client)


def test_the_lockout_holds_for_that_pair_only(settings):
    """By username and address together: the same user from another address, and another user from the same
    address, still log in."""
    UserFactory(username="zhang.san")
    UserFactory(username="li.si")
    client = english_client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, "zhang.san", "wrong-password")
    assert login_post(client, "zhang.san", PASSWORD).status_code == 429

    assert login_post(english_client(), "zhang.san", PASSWORD, ip="10.1.2.3").status_code == 302
    assert login_post(english_client(), "li.si", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(settings):
    UserFactory(username="zhang.san")
    client = english_client()
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login_post(client, "zhang.san", "wrong-password")
    assert login_post(client, "zhang.san", PASSWORD).status_code == 429

    past = timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert login_post(client, "zhang.san", PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_a_successful_login_clears_the_failure_count(settings):
    UserFactory(username="zhang.san")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login_post(english_client(), "zhang.san", "wrong-password")
    assert login_post(english_client(), "zhang.san", PASSWORD).status_code == 302
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login_post(english_client(), "zhang.san", "wrong-password").status_code == 200


def test_the_token_endpoint_counts_failures_and_answers_the_lockout_in_json(settings):
    UserFactory(username="zhang.san")
    client = token_client(None)  # checks every answer against the OpenAPI schema
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(TOKEN, {"username": "zhang.san", "password": "wrong"}, format="json")
        assert response.json()["code"] == "invalid_credentials"
    response = client.post(TOKEN, {"username": "zhang.san", "password": "wrong"}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "locked_out" and body["message"]
    assert body["detail"] == {"retry_after_seconds": int(settings.AXES_COOLOFF_TIME.total_seconds())}

    right = client.post(TOKEN, {"username": "zhang.san", "password": PASSWORD}, format="json")
    assert (right.status_code, right.json()["code"]) == (429, "locked_out")
    assert not Token.objects.exists()


def test_failures_on_the_api_lock_the_login_page_too(settings):
    UserFactory(username="zhang.san")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        token_client(None).post(TOKEN, {"username": "zhang.san", "password": "wrong"}, format="json")
    assert login_post(english_client(), "zhang.san", PASSWORD).status_code == 429


def test_server_side_authenticate_without_a_request_is_not_refused():
    """The shell and management commands call authenticate() with no request: axes' standalone backend would
    raise; LockoutBackend lets the model backend answer."""
    from django.contrib.auth import authenticate

    user = UserFactory(username="zhang.san")
    assert authenticate(username="zhang.san", password=PASSWORD) == user
    assert authenticate(username="zhang.san", password="wrong") is None


# --- password rules at sign-up ----------------------------------------------------------------------------

SIGNUP = {"username": "wang.wu", "full_name": "王五", "phone": "13800138000"}


WEAK = [
    ("Xy7#q", "This password is too short."),
    ("password123", "This password is too common."),
    ("7305918264", "This password is entirely numeric."),
    ("wang.wu.2026", "The password is too similar to the username."),
]


@pytest.mark.parametrize(("password", "message"), WEAK)
def test_signup_refuses_a_weak_password_and_creates_nothing(password, message):
    users = User.objects.count()
    response = english_client().post(reverse("signup"), {**SIGNUP, "password1": password, "password2": password})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["password2"])
    assert User.objects.count() == users
    assert "_auth_user_id" not in response.client.session


def messages_for(password: str, language: str) -> list[str]:
    user = User(username=SIGNUP["username"], full_name=SIGNUP["full_name"], phone=SIGNUP["phone"])
    with translation.override(language):
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            return list(error.messages)
    return []


@pytest.mark.parametrize("password", [password for password, _message in WEAK])
def test_the_password_rules_speak_chinese_by_default(password):
    """The platform's default language: every rule's message is in Chinese, not the English msgid (Django 5.2's
    minimum length wording was not translated: xinyidai.password_validation)."""
    chinese, english = messages_for(password, "zh-hans"), messages_for(password, "en")
    assert chinese and all(zh != en for zh, en in zip(chinese, english, strict=True)), chinese
    response = Client().post(reverse("signup"), {**SIGNUP, "password1": password, "password2": password})
    assert response.status_code == 400
    page = response.content.decode()
    assert all(message in page for message in chinese), chinese


# --- session expiry ---------------------------------------------------------------------------------------

PRIVATE = "/notifications/"  # any page that needs a login


def set_session(client, **values) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_an_idle_session_is_logged_out(settings):
    client = logged_in(UserFactory())
    assert client.get(PRIVATE).status_code == 200
    idle = settings.XINYIDAI_SESSION_IDLE_MINUTES * 60
    set_session(client, **{session_expiry.LAST_SEEN: int(time.time()) - idle - 1})

    response = client.get(PRIVATE)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not is_logged_in(client)


def test_the_bells_background_poll_does_not_keep_an_idle_session_alive(settings):
    client = logged_in(UserFactory())
    assert client.get(PRIVATE).status_code == 200
    assert f'"{session_expiry.BACKGROUND_HEADER}": "1"' in client.get(reverse("notification_badge")).content.decode()
    idle = settings.XINYIDAI_SESSION_IDLE_MINUTES * 60
    almost = int(time.time()) - idle + 30
    set_session(client, **{session_expiry.LAST_SEEN: almost})
    poll = {"HTTP_X_XINYIDAI_BACKGROUND": "1", "HTTP_HX_REQUEST": "true"}

    assert client.get(reverse("notification_badge"), **poll).status_code == 200  # still inside the idle limit
    assert client.session[session_expiry.LAST_SEEN] == almost  # ...but the poll is not activity
    set_session(client, **{session_expiry.LAST_SEEN: almost - 60})  # a minute later, with only polls meanwhile
    assert client.get(reverse("notification_badge"), **poll).status_code == 286  # htmx: stop polling
    assert not is_logged_in(client)


def test_a_session_older_than_its_age_is_logged_out_however_active(settings):
    client = logged_in(UserFactory())
    now = int(time.time())
    set_session(
        client, **{session_expiry.STARTED: now - settings.SESSION_COOKIE_AGE - 1, session_expiry.LAST_SEEN: now}
    )
    response = client.get(PRIVATE)
    assert response.status_code == 302
    assert not is_logged_in(client)


def test_a_session_past_its_stored_expiry_is_logged_out():
    client = logged_in(UserFactory())
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert client.get(PRIVATE).status_code == 302
    assert not is_logged_in(client)


def test_an_active_session_stays_and_is_not_written_on_every_request():
    client = logged_in(UserFactory())
    client.get(PRIVATE)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(PRIVATE).status_code == 200
        assert client.get(PRIVATE).status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    assert writes == []
    assert is_logged_in(client)


def test_the_last_seen_time_is_refreshed_after_a_minute():
    client = logged_in(UserFactory())
    stale = int(time.time()) - session_expiry.REFRESH_SECONDS - 5
    set_session(client, **{session_expiry.LAST_SEEN: stale})
    assert client.get(PRIVATE).status_code == 200
    assert client.session[session_expiry.LAST_SEEN] > stale


# --- production switches (settings imported in a subprocess with the environment given) ------------------------

SWITCHES = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
]


def settings_in(env: dict, names=SWITCHES) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_", "REDIS_"))}
    code = f"import xinyidai.settings as s; print(repr({{n: getattr(s, n) for n in {list(names)!r}}}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout)  # noqa: S307 (the repr of a dict of settings printed by our own subprocess)


def test_production_turns_on_secure_cookies_and_hsts():
    values = settings_in({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60})
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": False,
    }


def test_debug_turns_them_off_and_the_environment_overrides():
    debug = settings_in({"DJANGO_DEBUG": "1"})
    assert not any(debug.values()), debug
    tuned = settings_in(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x" * 60,
            "DJANGO_SECURE_HSTS_SECONDS": "600",
            "DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE": "1",
        }
    )
    assert tuned["SECURE_HSTS_SECONDS"] == 600 and tuned["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_the_cache_is_redis_when_a_url_is_given_and_local_memory_otherwise():
    names = ["CACHES", "SILENCED_SYSTEM_CHECKS"]
    redis = settings_in({"DJANGO_DEBUG": "1", "DJANGO_CACHE_URL": "redis://cache.internal:6379/2"}, names)
    assert redis["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
    }
    assert "django_ratelimit.E003" not in redis["SILENCED_SYSTEM_CHECKS"]
    fallback = settings_in({"DJANGO_DEBUG": "1", "REDIS_URL": "redis://other:6379/3"}, names)
    assert fallback["CACHES"]["default"]["LOCATION"] == "redis://other:6379/3"
    local = settings_in({"DJANGO_DEBUG": "1"}, names)
    assert local["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_deployment_checklist_wants_a_shared_cache_for_the_rate_limits(settings):
    """`check --deploy` warns when a deployment with a Celery broker (production) keeps the counters per process;
    the warning is a deploy check only, so development commands never show it."""
    from django.core.checks import registry

    assert rate_limit_cache_is_shared in registry.registry.get_checks(include_deployment_checks=True)
    assert rate_limit_cache_is_shared not in registry.registry.get_checks(include_deployment_checks=False)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.CELERY_BROKER_URL = ""
    assert rate_limit_cache_is_shared(None) == []  # one process, no Redis: a demo
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    assert [w.id for w in rate_limit_cache_is_shared(None)] == ["xinyidai.W001"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert rate_limit_cache_is_shared(None) == []


# --- rate limits ------------------------------------------------------------------------------------------


def test_login_posts_are_limited_per_address(settings):
    settings.XINYIDAI_RATELIMIT_LOGIN_IP = "3/m"
    client = english_client()
    for n in range(3):
        assert login_post(client, f"nobody{n}", "x").status_code == 200
    limited = login_post(client, "nobody9", "x")
    assert limited.status_code == 429
    assert "Too many requests" in limited.content.decode()
    assert client.get(LOGIN).status_code == 200  # only POSTs count
    assert login_post(client, "nobody9", "x", ip="10.9.9.9").status_code == 200  # another address


def test_login_posts_are_limited_per_username_from_any_address(settings):
    settings.XINYIDAI_RATELIMIT_LOGIN_USERNAME = "2/m"
    UserFactory(username="zhang.san")
    assert login_post(english_client(), "zhang.san", "wrong", ip="10.0.0.1").status_code == 200
    assert login_post(english_client(), "Zhang.San", "wrong", ip="10.0.0.2").status_code == 200
    assert login_post(english_client(), "zhang.san", PASSWORD, ip="10.0.0.3").status_code == 429
    assert login_post(english_client(), "li.si", "wrong", ip="10.0.0.3").status_code == 200


def test_the_token_endpoint_is_limited_per_address_in_json(settings):
    settings.XINYIDAI_RATELIMIT_LOGIN_IP = "2/m"
    client = token_client(None)
    for n in range(2):
        assert client.post(TOKEN, {"username": f"nobody{n}", "password": "x"}, format="json").status_code == 400
    limited = client.post(TOKEN, {"username": "nobody7", "password": "x"}, format="json")
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited" and limited.json()["message"]


def test_the_token_endpoint_is_limited_per_username(settings):
    settings.XINYIDAI_RATELIMIT_LOGIN_USERNAME = "1/m"
    UserFactory(username="zhang.san")
    client = token_client(None)
    assert client.post(TOKEN, {"username": "zhang.san", "password": "x"}, format="json").status_code == 400
    again = client.post(TOKEN, {"username": "zhang.san", "password": PASSWORD}, format="json", REMOTE_ADDR="10.0.0.5")
    assert (again.status_code, again.json()["code"]) == (429, "rate_limited")
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("url", "factory"),
    [("/imports/upload/", AdminFactory), ("/loans/feedback/", OfficerFactory)],
    ids=["credit-record-upload", "feedback-upload"],
)
def test_upload_pages_are_limited_per_user(settings, url, factory):
    settings.XINYIDAI_RATELIMIT_IMPORT = "2/h"
    user = factory()
    client = logged_in(user)
    for _attempt in range(2):
        assert client.post(url, {}).status_code == 400  # no file: the form's error, counted all the same
    limited = client.post(url, {})
    assert limited.status_code == 429
    assert "Too many requests" in limited.content.decode()
    assert client.get(url).status_code == 200
    assert logged_in(factory()).post(url, {}).status_code == 400  # another user has a counter of their own


def test_feedback_api_writes_are_limited_per_user(settings):
    settings.XINYIDAI_RATELIMIT_FEEDBACK_API = "2/m"
    client = token_client(OfficerFactory())
    url = "/api/v1/loans/999999/repayments/"
    for n in range(2):
        assert client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY=f"k{n}").status_code != 429
    limited = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k9")
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")


def test_the_schema_documents_the_429_answers():
    paths = openapi()["paths"]
    assert "429" in paths[TOKEN]["post"]["responses"]
    assert "429" in paths["/api/v1/loans/{id}/repayments/"]["post"]["responses"]
    assert "429" not in paths["/api/v1/loans/{id}/repayments/"]["get"]["responses"]


def test_a_cache_outage_lets_requests_through(settings):
    """Redis down: log in still works (the limit is skipped and logged) rather than answering 500."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    UserFactory(username="zhang.san")
    assert login_post(english_client(), "zhang.san", PASSWORD).status_code == 302


def test_behind_the_proxy_the_address_is_the_one_the_proxy_appended(settings, rf):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7", REMOTE_ADDR="10.0.0.1")
    settings.XINYIDAI_BEHIND_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.XINYIDAI_BEHIND_PROXY = True
    assert client_ip(request) == "203.0.113.7"
