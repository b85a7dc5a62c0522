"""The notification centre: the list, opening a notification (read, then its link), mark all read, the navbar
badge (one cheap query, however many notifications)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.web.utils import english_client, logged_in
from xinyidai.models import Notification
from xinyidai.notifications import notify

pytestmark = pytest.mark.django_db

LIST = "/notifications/"


def add(user, n: int, *, kind: str = "application_accepted", url: str = "/applications/1/", read: bool = False):
    """n notifications for `user`, one minute apart (the last is the newest)."""
    start = timezone.now() - datetime.timedelta(hours=1)
    rows = [
        Notification(
            user=user,
            kind=kind,
            params={"number": f"XYD{i:04d}", "institution": "中原银行"},
            url=url,
            created_at=start + datetime.timedelta(minutes=i),
            read_at=timezone.now() if read else None,
        )
        for i in range(n)
    ]
    return Notification.objects.bulk_create(rows)


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def client(user):
    return logged_in(user)


def test_the_page_lists_the_users_own_notifications_newest_first_unread_highlighted(client, user):
    add(user, 2, read=True)
    add(UserFactory(), 1)  # someone else's
    notify(users=[user], kind="application_accepted", params={"number": "XYD-NEW", "institution": "中原银行"})
    response = client.get(LIST)
    assert response.status_code == 200
    titles = [n.title for n in response.context["page_obj"]]
    assert titles == [
        "Application XYD-NEW accepted for review",
        "Application XYD0001 accepted for review",
        "Application XYD0000 accepted for review",
    ]
    html = response.content.decode()
    assert html.count('xyd-unread"') == 1
    assert "中原银行 has taken your application XYD-NEW into review." in html
    assert reverse("notifications_read_all") in html  # something unread: the button shows


def test_the_page_renders_in_chinese_by_default(user):
    notify(users=[user], kind="application_approved", params={"amount_yuan": "800000", "annual_rate": "4.35"})
    client = english_client()
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    client.force_login(user)
    assert "80.00万元" in client.get(LIST).content.decode()


def test_unread_only(client, user):
    add(user, 2, read=True)
    add(user, 1)
    response = client.get(LIST, {"unread": "1"})
    assert [n.read_at for n in response.context["page_obj"]] == [None]


def test_the_list_is_paginated_with_a_constant_number_of_queries(client, user):
    add(user, 3)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    add(user, 27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIST)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert len(response.context["page_obj"]) == 20 and response.context["page_obj"].paginator.count == 30


def test_opening_marks_read_and_follows_the_link(client, user):
    [row] = add(user, 1, url="/applications/7/")
    response = client.get(reverse("notification_open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == "/applications/7/"
    row.refresh_from_db()
    first_read = row.read_at
    assert first_read is not None
    client.get(reverse("notification_open", args=[row.pk]))
    row.refresh_from_db()
    assert row.read_at == first_read  # the first reading is kept


def test_someone_elses_notification_is_404_and_stays_unread(client):
    [row] = add(UserFactory(), 1)
    assert client.get(reverse("notification_open", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None


@pytest.mark.parametrize("stored", ["", "https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_missing_or_foreign_link_goes_back_to_the_list_never_off_site(client, user, stored):
    [row] = add(user, 1, url=stored)  # written past notify(), which would refuse it
    response = client.get(reverse("notification_open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == LIST


def test_mark_all_read(client, user):
    add(user, 3)
    add(UserFactory(), 1)
    assert client.get(reverse("notifications_read_all")).status_code == 405
    response = client.post(reverse("notifications_read_all"))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_anonymous_users_log_in_first():
    response = english_client().get(LIST)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert "notification-badge" not in english_client().get("/").content.decode()


def badge_number(html: str) -> str | None:
    found = re.search(r'xyd-unread-count">([0-9+]+)<', html)
    return found.group(1) if found else None


def _badge_queries(client) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    html = response.content.decode()
    return html, [q["sql"] for q in ctx.captured_queries if "xinyidai_notification" in q["sql"]]


def test_the_navbar_badge_counts_unread_in_one_query_whatever_their_number(client, user):
    add(user, 5, read=True)
    add(user, 3)
    html, few = _badge_queries(client)
    assert 'id="notification-badge"' in html and badge_number(html) == "3"
    add(user, 27)
    html, many = _badge_queries(client)
    assert len(few) == len(many) == 1
    assert "COUNT(" in many[0].upper() and "read_at" in many[0] and "IS NULL" in many[0].upper()
    assert badge_number(html) == "30"


def test_the_badge_caps_at_99_plus(client, user):
    add(user, 100)
    assert badge_number(client.get("/").content.decode()) == "99+"


def test_no_badge_number_when_everything_is_read(client, user):
    add(user, 2, read=True)
    html = client.get("/").content.decode()
    assert 'id="notification-badge"' in html and "xyd-unread-count" not in html


def test_the_badge_partial_for_htmx(client, user):
    add(user, 2)
    response = client.get(reverse("notification_badge"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<a") and "<nav" not in html and "xyd-unread-count" in html


def test_the_badge_stops_polling_once_logged_out():
    response = english_client().get(reverse("notification_badge"), HTTP_HX_REQUEST="true")
    assert response.status_code == 286 and response.content == b""
