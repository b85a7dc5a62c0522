"""The base layout and the shell pages render, locally served, role-aware, before every view exists.

The templates are rendered directly (not through the client) because the pages' views are built
elsewhere; the role-aware navigation is checked against this module's own URLconf, which defines
every URL name the navigation uses.
"""

import re

import pytest
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template import loader
from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.urls import include, path

from xinyidai.models import User


def _stub(request, *args, **kwargs):
    return HttpResponse("stub")


def _names(app_name, names):
    return ([path(f"{name}/", _stub, name=name) for name in names], app_name)


# Every URL name the navigation links to, under made-up paths.
urlpatterns = [
    path("", _stub, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", _stub, name="login"),
    path("logout/", _stub, name="logout"),
    path("signup/", _stub, name="signup"),
    path("admin-stub/", _stub, name="admin-stub"),
    path("credit/", include(_names("creditinfo", ["enterprise_detail", "authorization_list"]))),
    path(
        "lending/",
        include(
            _names(
                "lending",
                [
                    "product_list",
                    "demand_list",
                    "application_list",
                    "loan_list",
                    "officer_inbox",
                    "demand_pool",
                    "officer_products",
                ],
            )
        ),
    ),
]

THIS_URLCONF = __name__


def make_request(user=None, path="/"):
    request = RequestFactory().get(path)
    request.user = user or AnonymousUser()
    return request


def render_home(user=None, path="/"):
    return render_to_string("home.html", {}, request=make_request(user, path))


def static_urls(html):
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_home_uses_local_bootstrap_and_htmx():
    html = render_home()
    assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in html
    assert 'src="/static/vendor/bootstrap/js/bootstrap.bundle.min.js"' in html
    assert 'href="/static/vendor/bootstrap-icons/bootstrap-icons.min.css"' in html
    assert re.search(r'<script src="/static/django_htmx/htmx-2(\.min)?\.js" defer>', html)
    assert 'href="/static/css/app.css"' in html


def test_no_cdn_anywhere():
    html = render_home()
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "assets must be served locally, never from a CDN"
    assert "cdn" not in html.lower()


def test_every_referenced_static_file_exists():
    # Needs `npm ci` (make assets) and STATICFILES_DIRS entries for bootstrap and bootstrap-icons.
    html = render_home()
    missing = [url for url in static_urls(html) if not finders.find(url.removeprefix("/static/"))]
    assert not missing, f"static files not found by the finders: {missing}"


def test_layout_basics():
    html = render_home()
    assert '<html lang="zh-hans">' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert re.search(r"""hx-headers='\{"X-CSRFToken": "[A-Za-z0-9]{64}"\}'""", html)
    assert 'action="/i18n/setlang/"' in html
    # Chinese is on, so the switch offers English (one button per other language).
    assert 'name="language" value="en"' in html and 'name="language" value="zh-hans"' not in html
    assert "navbar-expand-xl" in html and 'data-bs-toggle="collapse"' in html


def test_home_renders_without_the_page_urls():
    # The real URLconf may not have the pages yet: links are simply left out, nothing raises.
    html = render_home()
    assert "河南省中小企业融资信用服务平台" in html  # Chinese by default


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_anonymous_navigation():
    html = render_home()
    assert 'href="/lending/product_list/"' in html
    assert 'href="/login/"' in html and 'href="/signup/"' in html
    assert "/lending/demand_list/" not in html and "/credit/" not in html
    assert 'action="/logout/"' not in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_sme_navigation():
    html = render_home(User(username="sme1", role=User.Role.SME, full_name="张三"))
    for url in [
        "/credit/enterprise_detail/",
        "/lending/demand_list/",
        "/lending/application_list/",
        "/lending/loan_list/",
        "/credit/authorization_list/",
    ]:
        assert f'href="{url}"' in html
    assert "/lending/officer_inbox/" not in html
    assert 'href="/signup/"' not in html
    assert "张三" in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_officer_navigation():
    html = render_home(User(username="officer1", role=User.Role.OFFICER))
    for url in [
        "/lending/officer_inbox/",
        "/lending/demand_pool/",
        "/lending/officer_products/",
        "/lending/loan_list/",
    ]:
        assert f'href="{url}"' in html
    assert "/lending/demand_list/" not in html
    assert "/credit/authorization_list/" not in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_staff_navigation():
    html = render_home(User(username="gov1", role=User.Role.STAFF))
    assert 'href="/lending/application_list/"' in html
    assert 'href="/lending/loan_list/"' in html
    assert "/lending/officer_inbox/" not in html
    assert "/credit/enterprise_detail/" not in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_admin_navigation():
    html = render_home(User(username="root", role=User.Role.ADMIN))
    assert 'href="/admin/"' in html
    html = render_home(User(username="sme1", role=User.Role.SME))
    assert 'href="/admin/"' not in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_logout_is_a_post_form_with_csrf():
    html = render_home(User(username="sme1", role=User.Role.SME))
    form = re.search(r'<form action="/logout/" method="post"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'name="csrfmiddlewaretoken"' in form.group(1)
    # Logged in, the language switch sits in the user menu and still posts to set_language.
    assert 'action="/i18n/setlang/"' in html and 'name="language" value="en"' in html


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_active_link_is_marked():
    html = render_home(User(username="sme1", role=User.Role.SME), path="/lending/demand_list/")
    assert re.search(r'class="nav-link active" aria-current="page" href="/lending/demand_list/"', html)


def test_english_switch():
    from django.utils import translation

    with translation.override("en"):
        html = render_home()
    assert '<html lang="en">' in html
    assert 'name="language" value="zh-hans"' in html and 'name="language" value="en"' not in html


def test_messages_become_alerts():
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message

    request = make_request()
    request._messages = [Message(constants.ERROR, "Broken"), Message(constants.SUCCESS, "Saved")]
    html = render_to_string("home.html", {}, request=request)
    assert re.search(r'alert alert-danger[^"]*" role="alert">\s*Broken', html)
    assert re.search(r'alert alert-success[^"]*" role="alert">\s*Saved', html)


@pytest.mark.django_db
def test_login_and_signup_pages_render_their_forms():
    request = make_request()
    html = render_to_string("registration/login.html", {"form": AuthenticationForm(request), "next": "/x/"}, request)
    assert 'name="username"' in html and 'name="password"' in html and 'value="/x/"' in html
    assert 'class="form-control"' in html

    class SignupForm(UserCreationForm):
        class Meta(UserCreationForm.Meta):
            model = User
            fields = ("username",)

    form = SignupForm(data={"username": "", "password1": "a", "password2": "b"})
    assert not form.is_valid()
    html = render_to_string("registration/signup.html", {"form": form}, request)
    assert "is-invalid" in html and "invalid-feedback" in html


def test_error_pages():
    request = make_request()
    assert "404" in render_to_string("404.html", {}, request)
    assert "403" in render_to_string("403.html", {}, request)
    # server_error renders 500.html with no context and no request.
    html = loader.get_template("500.html").render()
    assert "500" in html and "/static/" not in html and "{%" not in html


def test_english_switch_renders_english():
    from django.utils import translation

    with translation.override("en"):
        html = render_home()
    assert '<html lang="en">' in html
    assert "Henan SME Financing Credit Service Platform" in html
