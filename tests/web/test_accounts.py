"""Sign-up, log in and log out, and the home page."""

import pytest
from django.urls import reverse

from tests.web.utils import english_client, logged_in
from xinyidai.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "username": "zhangsan",
    "full_name": "张三",
    "phone": "13800138000",
    "password1": "Henan-credit-2025",
    "password2": "Henan-credit-2025",
}


def test_signup_creates_an_sme_user_logs_in_and_goes_to_enterprise_registration():
    client = english_client()
    response = client.post(reverse("signup"), SIGNUP)

    assert response.status_code == 302
    assert response.url == reverse("creditinfo:enterprise_register")
    user = User.objects.get(username="zhangsan")
    assert user.is_sme and user.full_name == "张三" and user.phone == "13800138000"
    assert user.check_password("Henan-credit-2025")
    assert client.get(reverse("creditinfo:enterprise_register")).status_code == 200  # logged in


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"password1": "short", "password2": "short"}, "password2"),
        ({"password1": "12345678901", "password2": "12345678901"}, "password2"),
        ({"password2": "Henan-credit-2026"}, "password2"),
        ({"phone": "12345"}, "phone"),
        ({"full_name": ""}, "full_name"),
    ],
)
def test_signup_rejects_bad_input_and_creates_nothing(changes, field):
    response = english_client().post(reverse("signup"), {**SIGNUP, **changes})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not User.objects.filter(username="zhangsan").exists()


def test_signup_refuses_a_taken_username(sme):
    response = english_client().post(reverse("signup"), {**SIGNUP, "username": sme.username})
    assert response.status_code == 400 and "username" in response.context["form"].errors


def test_login_and_logout(sme):
    client = english_client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": sme.username, "password": "Passw0rd!xyz"})
    assert response.status_code == 302
    assert client.get(reverse("creditinfo:enterprise_detail")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("creditinfo:enterprise_detail")).status_code == 302  # back to the login page


def test_home_renders_for_everyone(sme, officer, staff):
    assert english_client().get(reverse("home")).status_code == 200
    for user in (sme, officer, staff):
        assert logged_in(user).get(reverse("home")).status_code == 200
