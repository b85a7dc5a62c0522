"""Notifications: every kind renders in Chinese and English, `notify` writes one row per user, and the email goes
out once, after the commit, only to users with an address."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory
from django.utils import translation

from tests.factories import OfficerFactory, SmeUserFactory, UserFactory
from xinyidai.context_processors import notifications as notifications_context
from xinyidai.models import Notification
from xinyidai.notifications import KINDS, is_local_path, notify, render
from xinyidai.services.notifications import notification_emails_send, notifications_mark_all_read

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def sample_params(kind: str) -> dict:
    """A value for every placeholder of the kind, of the shape its name promises."""
    spec = KINDS[kind]
    with translation.override("en"):
        names = set(PLACEHOLDER.findall(str(spec.title))) | set(PLACEHOLDER.findall(str(spec.body)))
    params = {}
    for name in names:
        if name in spec.labels:
            module, _sep, qualname = spec.labels[name].partition(":")
            choices = __import__(module, fromlist=["_"])
            for attribute in qualname.split("."):
                choices = getattr(choices, attribute)
            params[name] = choices.values[0]
        elif name.endswith("_yuan"):
            params[name] = "1234567.00"
        elif name.endswith("_rate"):
            params[name] = "4.35"
        elif name.endswith("_at"):
            params[name] = "2026-10-08T15:59:59+00:00"
        else:
            params[name] = f"<{name}>"
    return params


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_with_its_params(kind, language):
    with translation.override(language):
        title, body = render(kind, sample_params(kind))
    assert title and "%(" not in title, title
    assert "%(" not in body, body
    assert body or not str(KINDS[kind].body), f"{kind}: the body fell back to empty"


def test_money_rates_times_and_labels_show_in_the_readers_language():
    params = {"number": "XYD1", "institution": "中原银行", "amount_yuan": "800000.00", "annual_rate": "4.35"}
    params["term_months"] = 12
    with translation.override("en"):
        title_en, body_en = render("application_approved", params)
    with translation.override("zh-hans"):
        title_zh, _body = render("application_approved", params)
    assert "80.00 10k yuan" in title_en and "4.35%" in title_en
    assert "80.00万元" in title_zh
    assert "12 months" in body_en

    rejected = {"number": "XYD1", "institution": "中原银行", "reason": "credit_record"}
    with translation.override("en"):
        assert "Adverse credit record" in render("application_rejected", rejected)[1]
    with translation.override("zh-hans"):
        assert "存在不良信用记录" in render("application_rejected", rejected)[1]

    # 15:59:59 UTC is 23:59 in Asia/Shanghai, the platform's time zone.
    deadline = {"institution": "中原银行", "amount_yuan": "300000", "deadline_at": "2026-10-08T15:59:59+00:00"}
    assert "2026-10-08 23:59" in render("demand_claimed", deadline)[1]


def test_missing_params_or_unknown_kinds_do_not_break_a_page():
    assert render("no_such_kind", {}) == ("no_such_kind", "")
    title, body = render("application_accepted", {})
    assert "%(" not in title and "%(" not in body and "\u2014" in title
    assert render("application_rejected", {"reason": "not-a-code", "number": "1", "institution": "x"})[1]


@pytest.mark.django_db
def test_notify_writes_one_row_per_distinct_user():
    first, second = UserFactory(), UserFactory()
    rows = notify(users=[first, second.pk, first], kind="application_accepted", params={"number": "X"}, url="/a/")
    assert len(rows) == 2
    stored = Notification.objects.order_by("user_id")
    assert [(n.user_id, n.kind, n.params, n.url, n.read_at) for n in stored] == [
        (first.pk, "application_accepted", {"number": "X"}, "/a/", None),
        (second.pk, "application_accepted", {"number": "X"}, "/a/", None),
    ]
    assert notify(users=[], kind="application_accepted") == []


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_notify_refuses_links_off_the_site(url):
    with pytest.raises(ValueError, match="local path"):
        notify(users=[UserFactory()], kind="application_accepted", url=url)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_notify_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(users=[UserFactory()], kind="made_up")


@pytest.mark.parametrize(
    ("url", "local"),
    [("/applications/1/", True), ("/", True), ("", False), ("applications/", False), ("//x.org", False)],
)
def test_is_local_path(url, local):
    assert is_local_path(url) is local


@pytest.mark.django_db
def test_the_email_goes_out_once_after_the_commit(django_capture_on_commit_callbacks, settings):
    settings.PUBLIC_BASE_URL = "https://xyd.example.gov.cn"
    user = SmeUserFactory(email="boss@example.com")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [row] = notify(
            users=[user], kind="application_accepted", params={"number": "XYD9", "institution": "中原银行"}, url="/x/"
        )
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com"]
    assert "XYD9" in message.subject
    assert "https://xyd.example.gov.cn/x/" in message.body
    row.refresh_from_db()
    assert row.emailed_at is not None

    # A retried task (acks_late) sends nothing more.
    assert notification_emails_send(notification_ids=[row.pk]) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_email_is_in_chinese_whatever_the_senders_language(django_capture_on_commit_callbacks):
    user = OfficerFactory(email="officer@example.com")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[user],
            kind="application_approved",
            params={"number": "XYD9", "amount_yuan": "800000", "annual_rate": "4.35", "term_months": 12},
        )
    assert "80.00万元" in mail.outbox[0].subject


@pytest.mark.django_db
def test_no_email_for_a_user_without_an_address(django_capture_on_commit_callbacks):
    user = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(users=[user], kind="application_accepted", params={"number": "X"})
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.emailed_at is None


@pytest.mark.django_db
def test_in_app_only_kinds_send_no_email(django_capture_on_commit_callbacks):
    assert KINDS["claim_lapsed"].email is False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(users=[UserFactory(email="a@example.com")], kind="claim_lapsed", params={})
    assert callbacks == [] and mail.outbox == []


@pytest.mark.django_db
def test_a_rolled_back_notification_sends_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    user = UserFactory(email="a@example.com")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[user], kind="application_accepted", params={"number": "X"})
        raise RuntimeError("the change it reports failed")
    assert mail.outbox == [] and not Notification.objects.exists()


@pytest.mark.django_db
def test_mark_all_read_touches_only_the_users_own_unread_rows():
    me, other = UserFactory(), UserFactory()
    notify(users=[me, other], kind="application_accepted")
    notify(users=[me], kind="application_accepted")
    assert notifications_mark_all_read(user=me) == 2
    assert notifications_mark_all_read(user=me) == 0
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_context_processor_counts_lazily_and_only_for_logged_in_users(django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert notifications_context(request) == {}

    user = UserFactory()
    notify(users=[user], kind="application_accepted")
    request.user = user
    with django_assert_num_queries(0):
        context = notifications_context(request)
    with django_assert_num_queries(1):
        assert context["unread_notifications"] == 1
        assert context["unread_notifications"] > 0  # evaluated once
