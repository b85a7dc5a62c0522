"""Keyset pagination: pages never overlap or skip rows, ties on the key are broken by id, counts are capped."""

import datetime

import pytest
from django.utils import timezone

from lending.models import Application
from tests.factories import ApplicationFactory, OfficerFactory
from xinyidai import pagination
from xinyidai.pagination import encode_cursor, keyset_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def applications():
    first = ApplicationFactory()
    moment = timezone.now()
    rows = [first]
    for i in range(44):
        # Every third row shares its timestamp with the previous one: the id must break the tie.
        when = moment - datetime.timedelta(minutes=i - (i % 3 == 0))
        rows.append(ApplicationFactory(product=first.product, submitted_at=when))
    return rows


def _walk(queryset, per_page):
    seen, cursor, pages = [], None, 0
    while True:
        page = keyset_page(queryset, cursor=cursor, key="submitted_at", per_page=per_page)
        seen.extend(page.object_list)
        pages += 1
        if not page.has_next:
            return seen, pages
        cursor = page.next_cursor


def test_walking_every_page_returns_each_row_once_newest_first(applications):
    seen, pages = _walk(Application.objects.all(), per_page=20)
    assert pages == 3
    assert [a.pk for a in seen] == list(
        Application.objects.order_by("-submitted_at", "-id").values_list("pk", flat=True)
    )


def test_first_page_flags_and_count(applications):
    page = keyset_page(Application.objects.all(), cursor=None, key="submitted_at", per_page=20)
    assert page.is_first and page.has_next and page.has_other_pages
    assert (page.total, page.total_capped) == (45, False)


def test_a_mangled_cursor_gives_the_first_page(applications):
    good = keyset_page(Application.objects.all(), cursor=None, key="submitted_at")
    for junk in ["%%%", "bm90IGpzb24", encode_cursor("not a date", 5), "W10"]:
        page = keyset_page(Application.objects.all(), cursor=junk, key="submitted_at")
        assert page.is_first and [a.pk for a in page] == [a.pk for a in good]


def test_count_is_capped(applications, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    page = keyset_page(Application.objects.all(), cursor=None, key="submitted_at")
    assert (page.total, page.total_capped) == (10, True)


def test_inbox_follows_the_next_link(client, applications):
    officer = OfficerFactory(institution=applications[0].institution)
    client.force_login(officer)
    first = client.get("/inbox/")
    cursor = first.context["page_obj"].next_cursor
    second = client.get("/inbox/", {"cursor": cursor})
    ids_first = {a.pk for a in first.context["page_obj"]}
    ids_second = {a.pk for a in second.context["page_obj"]}
    assert len(ids_first) == 20 and len(ids_second) == 20 and not ids_first & ids_second
    assert f"cursor={cursor}" in first.content.decode()
