"""/healthz/: the load balancer's health check and the benchmarks' framework floor.

It must stay free of database work, sessions and login, or it stops measuring the framework alone.
"""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "sessionid" not in response.cookies, "a health check must not start a session"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_open_to_anonymous_callers_and_read_only(client):
    assert reverse("healthz") == "/healthz/"
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405
