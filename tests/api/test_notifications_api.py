"""/api/v1/notifications/: the caller's own notifications in the request's language, mark one or all read.
Every answer is checked against the OpenAPI schema (token_client); errors come in the one error shape."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.utils import assert_error, openapi, token_client
from tests.factories import OfficerFactory, UserFactory
from xinyidai.models import Notification
from xinyidai.notifications import notify

pytestmark = pytest.mark.django_db
URL = "/api/v1/notifications/"


def add(user, n: int, *, read: bool = False) -> list[Notification]:
    start = timezone.now() - datetime.timedelta(hours=1)
    return Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                kind="application_approved",
                params={"number": f"XYD{i:04d}", "amount_yuan": "800000.00", "annual_rate": "4.35", "term_months": 12},
                url=f"/applications/{i + 1}/",
                created_at=start + datetime.timedelta(minutes=i),
                read_at=timezone.now() if read else None,
            )
            for i in range(n)
        ]
    )


@pytest.fixture
def user():
    return OfficerFactory()


def test_the_operations_are_in_the_schema():
    paths = openapi()["paths"]
    assert paths[URL]["get"]["operationId"] == "notification_list"
    assert paths[URL + "{id}/read/"]["post"]["operationId"] == "notification_read"
    assert paths[URL + "read-all/"]["post"]["operationId"] == "notification_read_all"
    item = openapi()["components"]["schemas"]["Notification"]["properties"]
    assert set(item) == {"id", "kind", "title", "body", "url", "created_at", "read_at"}


def test_the_list_holds_the_callers_own_newest_first(user):
    add(user, 2)
    add(UserFactory(), 3)
    body = token_client(user).get(URL).json()
    assert body["count"] == 2
    assert [item["url"] for item in body["results"]] == ["/applications/2/", "/applications/1/"]
    first = body["results"][0]
    assert first["kind"] == "application_approved" and first["read_at"] is None


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "Credit approved: 80.00 10k yuan at 4.35%"), ("zh-hans", None), (None, None)],
)
def test_title_and_body_in_the_requests_language(user, language, title):
    add(user, 1)
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    item = token_client(user).get(URL, **headers).json()["results"][0]
    if title:
        assert item["title"] == title
        assert "12 months" in item["body"]
    else:  # Chinese: the platform's default language
        assert "80.00万元" in item["title"]


def test_unread_filter(user):
    add(user, 2, read=True)
    add(user, 1)
    client = token_client(user)
    assert [i["read_at"] for i in client.get(URL, {"unread": "1"}).json()["results"]] == [None]
    assert client.get(URL, {"unread": "0"}).json()["count"] == 2
    assert client.get(URL).json()["count"] == 3
    assert_error(client.get(URL, {"unread": "maybe"}), 400)


def test_read_one(user):
    [row] = add(user, 1)
    client = token_client(user)
    response = client.post(f"{URL}{row.pk}/read/")
    assert response.status_code == 200
    first = response.json()["read_at"]
    assert first is not None
    assert client.post(f"{URL}{row.pk}/read/").json()["read_at"] == first  # the first reading is kept


@pytest.mark.parametrize("pk", ["other", "999999999", "abc", "99999999999999999999999"])
def test_anything_but_ones_own_is_404(user, pk):
    [other] = add(UserFactory(), 1)
    target = other.pk if pk == "other" else pk
    assert_error(token_client(user).post(f"{URL}{target}/read/"), 404, "not_found")
    other.refresh_from_db()
    assert other.read_at is None


def test_read_all(user):
    add(user, 3)
    add(user, 1, read=True)
    [other] = add(UserFactory(), 1)
    client = token_client(user)
    response = client.post(f"{URL}read-all/")
    assert response.status_code == 200 and response.json() == {"marked": 3}
    assert client.post(f"{URL}read-all/").json() == {"marked": 0}
    assert client.get(URL, {"unread": "1"}).json()["count"] == 0
    other.refresh_from_db()
    assert other.read_at is None


def test_anonymous_is_401():
    assert_error(token_client(None).get(URL), 401)
    assert_error(token_client(None).post(f"{URL}read-all/"), 401)


def test_a_notification_written_by_a_service_reads_back(user):
    notify(users=[user], kind="application_accepted", params={"number": "XYD7", "institution": "中原银行"}, url="/x/")
    item = token_client(user).get(URL, HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert item["title"] == "Application XYD7 accepted for review"
    assert item["body"] == "中原银行 has taken your application XYD7 into review."
    assert item["url"] == "/x/"


# Queries per list request: token, count, page. Rendering the text costs none.
EXPECTED_QUERIES = 3


def test_list_query_count_holds_for_3_and_30(user):
    client = token_client(user)
    counts = []
    for n in (3, 27):
        add(user, n)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": 50})
        assert len(response.json()["results"]) == (3 if n == 3 else 30)
        counts.append(len(ctx.captured_queries))
    assert counts == [EXPECTED_QUERIES] * 2, counts
