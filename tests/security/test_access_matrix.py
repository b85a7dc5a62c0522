"""The access-control matrix (issue 7, Must have 1): every page and API endpoint of the URL conf, requested by each
attacker (anonymous, an SME of another enterprise, an officer of another institution, the victim's own branch's
officer without live consent, staff of another city) with each method it takes, is refused (401/403/404, or for an
anonymous page a redirect to the login page) unless tests/security/access_matrix.py says why that attacker may get
an answer, never holds the victim's identifying strings, and a refused POST writes nothing.

A URL with no entry in the matrix fails test_every_url_has_an_entry.
"""

import json

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.client import ClientHandler
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from tests.security import access_matrix as am
from tests.security.conftest import World

pytestmark = pytest.mark.django_db

# Tables a refused request may still write to: the session, django-axes' access log, the audit trail (it records
# refusals on purpose) and the API's idempotency records (the caller's own key, replaying its own 404 answer).
WRITE_EXEMPT_TABLES = ("django_session", "axes%", "%audit%", "%idempotency%")


def walk(resolver=None, prefix: str = "", namespace: str | None = None):
    """(route, name) of every URL pattern, namespaced names ("lending:application_detail"), recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name, pattern


def url_names() -> dict[str, str]:
    """URL name -> route, the admin's left out (one class, test_admin_is_closed_to_attackers)."""
    return {name or route: route for route, name, _pattern in walk() if not route.startswith("admin/")}


def test_every_url_has_an_entry():
    missing = sorted(f"{name} ({route})" for name, route in url_names().items() if name not in am.MATRIX)
    assert not missing, f"URLs with no access-matrix entry; add them to tests/security/access_matrix.py: {missing}"


def test_every_entry_names_a_url():
    stale = sorted(set(am.MATRIX) - set(url_names()))
    assert not stale, f"access-matrix entries for URLs that no longer exist: {stale}"


def test_every_api_method_has_an_entry():
    """Each method an API view handles is in its entry: a new method on an old endpoint needs a row too. (Page
    views are plain functions whose methods cannot be read off; their entries list what the view accepts.)"""
    missing = []
    for route, name, pattern in walk():
        view_class = getattr(pattern.callback, "cls", None)
        if view_class is None or route.startswith("admin/"):
            continue
        handled = set(getattr(pattern.callback, "actions", None) or {}) or {
            method for method in view_class.http_method_names if hasattr(view_class, method)
        }
        handled -= {"head", "options"}
        declared = {method.lower() for entry in am.entries(name) for method in entry.methods}
        missing += [f"{method.upper()} {name}" for method in sorted(handled - declared)]
    assert not missing, (
        f"API methods with no access-matrix entry; add them to tests/security/access_matrix.py: {missing}"
    )


def test_every_exception_gives_its_reason():
    """An entry that lets an attacker in says why (a public one in its `public` text)."""
    unexplained = [
        f"{name}[{entry.label}]" for name in am.MATRIX for entry in am.entries(name) if entry.sees and not entry.why
    ]
    assert not unexplained, f"entries letting an attacker in without a reason: {unexplained}"


# --- the cases ------------------------------------------------------------------------------------------------


def _cases():
    """(name, entry, method, attacker, kind) for every URL x attacker x method; kind is refused / sees / public."""
    for name in am.MATRIX:
        for entry in am.entries(name):
            for method in entry.methods:
                for attacker in am.ATTACKERS:
                    if entry.public:
                        kind = "public"
                    elif attacker in entry.sees:
                        if method != "GET" and attacker in entry.acts:
                            continue  # it may legitimately act on the victim's object: not sent
                        kind = "sees"
                    else:
                        kind = "refused"
                    label = f"[{entry.label}]" if entry.label else ""
                    yield pytest.param(name, entry, method, attacker, kind, id=f"{name}{label}-{method}-{attacker}")


CASES = list(_cases())


@pytest.fixture(scope="module")
def credentials(victim_world):
    """Each logged-in attacker's session key (pages) and API token, created once inside the module's transaction."""
    _world, attackers = victim_world
    found = {}
    for name, user in attackers.items():
        if user is not None:
            browser = client_for(name, api=False, credentials={})
            browser.force_login(user)
            session = browser.cookies[settings.SESSION_COOKIE_NAME].value
            found[name] = (session, Token.objects.get_or_create(user=user)[0].key)
    return found


# Each Client builds its own handler, and loading the middleware makes WhiteNoise index every static file (about
# half a second); one handler serves all the clients of this module.
HANDLER = ClientHandler(enforce_csrf_checks=False)  # as Client() does: the test browser sends no CSRF token


def client_for(attacker: str, *, api: bool, credentials: dict) -> Client:
    """Pages: a logged-in browser asking for English; the API: a bank's system with `Authorization: Token`."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.handler = HANDLER
    if attacker not in credentials:
        return client
    session, token = credentials[attacker]
    if api:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    else:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def send(client: Client, method: str, path: str, entry: am.Entry, world: World, *, api: bool):
    if method == "GET":
        return client.get(path, entry.query, **entry.headers)
    data = am.post_data(world) | entry.data
    if api:
        return client.generic(method, path, json.dumps(data), content_type="application/json", **entry.headers)
    form = {key: ("on" if value is True else value) for key, value in data.items()}
    return client.post(path, form, **entry.headers)


def body_of(response) -> str:
    """The answer's headers and body as text (streamed exports included)."""
    content = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
    headers = " ".join(f"{key}: {value}" for key, value in response.items())
    return headers + "\n" + content.decode("utf-8", errors="replace")


def leaked(text: str, world: World, allowed: frozenset) -> list[str]:
    return [
        marker
        for group, markers in world.markers().items()
        if group not in allowed
        for marker in markers
        if marker in text
    ]


def rows_written() -> int | None:
    """Rows inserted, updated or deleted so far in this transaction (PostgreSQL's per-transaction statistics)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE NOT relname LIKE ANY(%s)",
            [list(WRITE_EXEMPT_TABLES)],
        )
        return cursor.fetchone()[0]


def victim_state(world: World) -> list:
    """The victim's objects as a refused (or someone else's) POST must leave them."""
    from creditinfo.models import Authorization, CreditRecord, CreditReport, Enterprise, Objection, RepairRequest
    from lending.models import Application, DemandClaim, FinancingDemand, Loan, Product
    from lending.models.events import EventParticipant, Intent, MatchmakingEvent, OutreachLead
    from lending.models.targets import Target
    from xinyidai.models import Notification

    e = world.enterprise
    return [
        list(Enterprise.objects.filter(pk=e.pk).values()),
        list(Application.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(Loan.objects.filter(enterprise=e).values_list("pk", "status", "outstanding_balance")),
        list(world.loan.events.values_list("pk")),
        list(FinancingDemand.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(DemandClaim.objects.filter(demand__enterprise=e).order_by("pk").values_list("pk", "status")),
        list(Authorization.objects.filter(enterprise=e).order_by("pk").values_list("pk", "revoked_at")),
        list(CreditRecord.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(Objection.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(RepairRequest.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(CreditReport.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(Product.objects.filter(institution=world.branch).order_by("pk").values_list("pk", "status", "name")),
        list(
            MatchmakingEvent.objects.filter(region__code__startswith="4103").order_by("pk").values_list("pk", "status")
        ),
        list(EventParticipant.objects.filter(event=world.event).order_by("pk").values_list("pk", "status")),
        list(EventParticipant.objects.filter(enterprise=e).values_list("pk")),
        list(Intent.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(OutreachLead.objects.filter(enterprise=e).order_by("pk").values_list("pk", "status")),
        list(Target.objects.filter(region__code__startswith="4103").order_by("pk").values_list("pk", "value")),
        list(Notification.objects.filter(user=world.sme).order_by("pk").values_list("pk", "read_at")),
    ]


@pytest.mark.parametrize(("name", "entry", "method", "attacker", "kind"), CASES)
def test_access(victim_world, credentials, name, entry, method, attacker, kind):
    world, _attackers = victim_world
    path = reverse(name, kwargs=entry.kwargs(world) if entry.kwargs else None)
    api = path.startswith("/api/")
    client = client_for(attacker, api=api, credentials=credentials)
    writes = method != "GET"
    before, written_before = (victim_state(world), rows_written()) if writes else (None, None)

    response = send(client, method, path, entry, world, api=api)

    status, where = response.status_code, f"{method} {path} as {attacker}"
    text = body_of(response)
    if kind == "refused":
        if attacker == am.ANON and not api and status == 302:
            assert response.url.startswith(reverse("login") + "?"), f"{where}: redirected to {response.url}"
        elif attacker == am.ANON and api:
            assert status in (401, 403), f"{where}: {status}, expected 401/403 for an anonymous API call"
        else:
            assert status in (401, 403, 404), f"{where}: {status}, expected 401/403/404 ({entry.why or 'no reason'})"
        assert not leaked(text, world, frozenset()), f"{where}: the refusal holds {leaked(text, world, frozenset())}"
        if writes:
            assert rows_written() == written_before, f"{where}: a refused request wrote rows"
    else:
        allowed = entry.public_sees if kind == "public" else entry.sees[attacker]
        assert status < 500 and status != 405, f"{where}: {status}"
        if method == "GET" and kind == "sees":
            assert status < 400, f"{where}: {status}, but the matrix says it may see this ({entry.why})"
            if status == 302:
                assert not response.url.startswith(reverse("login")), f"{where}: sent to log in"
        assert not leaked(text, world, allowed), f"{where}: the answer holds {leaked(text, world, allowed)}"
    if writes:
        assert victim_state(world) == before, f"{where}: the victim's objects changed"


NO_CONSENT_404 = (
    ("creditinfo:profile", "enterprise", "pk"),
    ("api-enterprise-credit-records", "enterprise", "id"),
    ("api-enterprise-evaluation", "enterprise", "id"),
    ("creditinfo:report_download", "bank_report", "pk"),
    ("api-credit-report-download", "bank_report", "pk"),
)


@pytest.mark.parametrize(("name", "attr", "key"), NO_CONSENT_404)
def test_credit_information_without_live_consent_is_404(victim_world, credentials, name, attr, key):
    """The victim's own branch, whose consent was revoked, is told nothing exists (404, not 403) and logs no query."""
    from creditinfo.models import QueryLog

    world, _attackers = victim_world
    path = reverse(name, kwargs={key: getattr(world, attr).pk})
    client = client_for(am.NO_CONSENT, api=path.startswith("/api/"), credentials=credentials)
    queries = QueryLog.objects.filter(enterprise=world.enterprise).count()
    assert client.get(path).status_code == 404, path
    assert QueryLog.objects.filter(enterprise=world.enterprise).count() == queries


# --- the admin, as one class --------------------------------------------------------------------------------------

ADMIN_PUBLIC = {"admin:login", "admin:logout"}  # its login form, and logging out (POST)


def _admin_paths(world: World) -> list[str]:
    """One path per admin URL pattern, its arguments filled from the victim's objects."""
    values = {"object_id": str(world.enterprise.pk), "content_type_id": "1", "app_label": "creditinfo"}
    paths = []
    for route, name, pattern in walk():
        if not route.startswith("admin/") or name in ADMIN_PUBLIC:
            continue
        if name is None:
            paths.append("/admin/matrix/unknown/")  # the admin's catch-all
            continue
        groups = pattern.pattern.regex.groupindex
        paths.append(reverse(name, kwargs={key: values.get(key, "1") for key in groups}))
    return paths


@pytest.mark.parametrize("attacker", am.ATTACKERS)
def test_admin_is_closed_to_attackers(victim_world, credentials, attacker):
    """Every admin URL sends a non-staff user (or anyone anonymous) to the admin's login page."""
    world, _attackers = victim_world
    client = client_for(attacker, api=False, credentials=credentials)
    login = reverse("admin:login")
    paths = _admin_paths(world)
    assert len(paths) > 50
    for path in paths:
        response = client.get(path)
        if response.status_code == 302:
            assert response.url.startswith(login + "?"), f"GET {path} as {attacker}: redirected to {response.url}"
        else:
            assert response.status_code == 403, f"GET {path} as {attacker}: {response.status_code}"
        assert not leaked(body_of(response), world, frozenset()), path
