"""Token authentication: obtain a token, use it; anonymous and bad credentials answer in the error shape."""

import pytest
from rest_framework.authtoken.models import Token

from tests.api.utils import assert_error, token_client
from tests.factories import SmeUserFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "Passw0rd!xyz"  # tests.factories.UserFactory


def test_token_obtain_returns_the_users_token():
    user = UserFactory(username="zhang.san")
    response = token_client(None).post(TOKEN_URL, {"username": "zhang.san", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    again = token_client(None).post(TOKEN_URL, {"username": "zhang.san", "password": PASSWORD}, format="json")
    assert again.json()["token"] == response.json()["token"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "zhang.san", "password": "wrong-password"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_bad_credentials_give_400_in_the_error_shape(body):
    UserFactory(username="zhang.san")
    response = token_client(None).post(TOKEN_URL, body, format="json")
    assert_error(response, 400, "invalid_credentials")
    assert not Token.objects.exists()


def test_inactive_user_gets_no_token():
    UserFactory(username="zhang.san", is_active=False)
    response = token_client(None).post(TOKEN_URL, {"username": "zhang.san", "password": PASSWORD}, format="json")
    assert_error(response, 400, "invalid_credentials")


def test_missing_fields_give_400_per_field():
    body = assert_error(token_client(None).post(TOKEN_URL, {}, format="json"), 400, "invalid")
    assert set(body["detail"]) == {"username", "password"}


def test_a_stale_token_does_not_block_logging_in():
    UserFactory(username="zhang.san")
    client = token_client(None)
    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    response = client.post(TOKEN_URL, {"username": "zhang.san", "password": PASSWORD}, format="json")
    assert response.status_code == 200


def test_token_authenticated_request_works():
    user = SmeUserFactory()
    response = token_client(user).get("/api/v1/enterprise/")
    assert response.status_code == 200
    assert response.json()["id"] == user.membership.enterprise_id


def test_obtained_token_authenticates_the_next_request():
    SmeUserFactory(username="li.si")
    response = token_client(None).post(TOKEN_URL, {"username": "li.si", "password": PASSWORD}, format="json")
    token = response.json()["token"]
    client = token_client(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/applications/").status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/enterprise/", "/api/v1/products/", "/api/v1/applications/", "/api/v1/loans/1/"]
)
def test_anonymous_gets_401_in_the_error_shape(url):
    response = token_client(None).get(url)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_invalid_token_gets_401():
    client = token_client(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/v1/products/"), 401, "authentication_failed")
