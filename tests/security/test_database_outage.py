"""A database outage during a request answers 503 with Retry-After, in the user's language, never a traceback
(issue 7, failure; xinyidai.middleware).

The outage is real: the connection is closed and its settings pointed at a local port nothing listens on, so each
attempt to reconnect is refused by the operating system, as when PostgreSQL is down. Debug is off, as in
production (debug pages would show the traceback by design).
"""

import socket

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import SmeUserFactory
from tests.web.utils import english_client
from xinyidai.middleware import RETRY_AFTER_SECONDS, DatabaseUnavailableMiddleware, server_error

# Transactional: the outage closes the connection, which a test's surrounding transaction would not survive.
DATABASE = pytest.mark.django_db(transaction=True)
pytestmark = [pytest.mark.postgres]

PAGE_TITLE = "Service temporarily unavailable"
API_MESSAGE = "The service is temporarily unavailable. Please try again in a few minutes."


def _closed_port() -> int:
    with socket.socket() as probe:  # a port the system just handed out and nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Outage:
    """The database goes away (`start`) and comes back (`end`)."""

    def __init__(self):
        self.saved = dict(connection.settings_dict)

    def start(self) -> None:
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_closed_port()))

    def end(self) -> None:
        connection.close()
        connection.settings_dict.update(self.saved)


@pytest.fixture
def outage(settings):
    settings.DEBUG = False
    outage = Outage()
    yield outage
    outage.end()


@pytest.fixture
def sme():
    return SmeUserFactory()


def _english(user=None) -> Client:
    # A real server never re-raises; the test client re-raises errors Django answered through handler500.
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _assert_page(response, language: str = "en") -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert f'<html lang="{language}">' in body and "Traceback" not in body and "OperationalError" not in body
    return body


@DATABASE
def test_pages_answer_the_503_page_in_the_language_of_the_request(outage, sme):
    logged_in = _english(sme)
    outage.start()
    # A view that queries (process_exception's way in).
    body = _assert_page(english_client().get(reverse("lending:product_list")))
    assert PAGE_TITLE in body and "try again in a few minutes" in body
    # A logged-in user's session is read by a middleware before any view runs (handler500's way in).
    assert PAGE_TITLE in _assert_page(logged_in.get(reverse("lending:product_list")))
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("lending:product_list"))
    _assert_page(chinese, language="zh-hans")
    assert chinese["Content-Language"] == "zh-hans"


@DATABASE
def test_api_calls_answer_the_platform_error_body(outage, sme):
    token = Token.objects.create(user=sme)
    session = _english(sme)
    outage.start()
    response = _english().get("/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503 and response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {"code": "service_unavailable", "message": API_MESSAGE, "detail": {}}
    response = session.post("/api/v1/notifications/read-all/", content_type="application/json")
    assert response.status_code == 503 and response.json()["code"] == "service_unavailable"
    assert "Traceback" not in response.content.decode()
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(
        "/api/v1/notifications/", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert chinese.status_code == 503 and chinese["Content-Language"] == "zh-hans"


@DATABASE
def test_healthz_readiness_answers_503_and_the_service_comes_back_with_the_database(outage, client):
    assert client.get("/healthz/?db=1").json() == {"status": "ok", "database": "ok"}
    outage.start()
    assert client.get("/healthz/").status_code == 200  # liveness: the process answers, with no database work
    ready = client.get("/healthz/?db=1")
    assert ready.status_code == 503 and ready.json()["status"] == "unavailable" and ready["Retry-After"]
    assert english_client().get(reverse("lending:product_list")).status_code == 503
    outage.end()
    assert client.get("/healthz/?db=1").status_code == 200
    assert english_client().get(reverse("lending:product_list")).status_code == 200


def test_other_errors_still_get_the_500_page(rf, settings):
    settings.DEBUG = False
    request = rf.get("/products/")
    try:
        raise ValueError("not a database outage")
    except ValueError:
        response = server_error(request)
    assert response.status_code == 500


def test_only_database_errors_become_503_and_debug_shows_the_cause(rf, settings, caplog):
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    request = rf.get("/products/")
    settings.DEBUG = False
    assert middleware.process_exception(request, ValueError("a bug")) is None  # Django's 500 handling
    with caplog.at_level("WARNING", logger="xinyidai.middleware"):
        response = middleware.process_exception(request, OperationalError("server closed the connection"))
    assert response.status_code == 503
    assert "GET /products/: database unavailable (OperationalError: server closed the connection)" in caplog.text
    settings.DEBUG = True
    assert middleware.process_exception(request, InterfaceError("connection already closed")) is None
