"""What the API fuzzer found, pinned as plain tests: each answered with a 5xx or off the schema before its fix."""

import json

import pytest

from tests.api.utils import assert_error, openapi, token_client
from tests.factories import ApplicationFactory, LoanFactory, OfficerFactory, SmeUserFactory, UserFactory
from tests.web.utils import logged_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    ["/api/v1/loans/0.5/", "/api/v1/demands/-2.2e-308/", "/api/v1/events/1.5/funnel/", "/api/v1/no-such-thing/"],
)
def test_an_api_path_that_matches_no_route_answers_the_json_404(path):
    """Was the site's HTML 404 page, which the schema does not document for the API."""
    response = token_client(OfficerFactory()).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("application/json")
    assert_error(response, 404, "not_found")


def test_a_page_path_that_matches_no_route_still_gets_the_html_page():
    response = token_client(None).get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("page_size", ["abc", "-5", "0", "101", "1" * 5000, "1.5", "١٢", "{}"])
def test_a_page_size_that_is_not_a_whole_number_from_1_to_100_is_refused(page_size):
    """Was ignored (the default page served) or clipped to 100; the schema now says 1..100."""
    response = token_client(OfficerFactory()).get("/api/v1/products/", {"page_size": page_size})
    body = assert_error(response, 400, "invalid")
    assert "page_size" in body["detail"]


@pytest.mark.parametrize(("page_size", "shown"), [("", 20), ("2", 2), (" 3 ", 3), ("100", 100)])
def test_a_valid_or_empty_page_size_is_honoured(page_size, shown):
    officer = OfficerFactory()
    for _ in range(21):
        ApplicationFactory(product__institution=officer.institution)
    response = token_client(officer).get("/api/v1/applications/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(shown, 21)


def test_the_page_size_range_is_documented():
    parameter = next(p for p in openapi()["paths"]["/api/v1/loans/"]["get"]["parameters"] if p["name"] == "page_size")
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 100)


def test_optional_query_parameters_are_documented_as_accepting_an_empty_value():
    """`?status=` means "any status" to the FilterSets (as an HTML form sends it); the schema says so."""
    for path, item in openapi()["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("allowEmptyValue") is (not parameter.get("required")), (method, path)


@pytest.mark.parametrize(
    ("url", "name"), [("/api/v1/applications/", "overdue"), ("/api/v1/loans/", "first_loan_attested")]
)
def test_a_yes_no_filter_refuses_anything_but_true_or_false(url, name):
    """Was silently ignored (the whole list served) for `overdue=1000453`."""
    client = token_client(OfficerFactory())
    body = assert_error(client.get(url, {name: "1000453"}, HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid")
    assert body["detail"][name] == ["Enter true or false."]
    for accepted in ("true", "false", "1", "0", "True", ""):
        assert client.get(url, {name: accepted}).status_code == 200, accepted


def test_the_yes_no_filter_still_filters():
    loan = LoanFactory(first_loan_attested=True)
    other = LoanFactory(institution=loan.institution, first_loan_attested=False)
    client = token_client(OfficerFactory(institution=loan.institution))
    for value, expected in (("true", loan), ("0", other)):
        results = client.get("/api/v1/loans/", {"first_loan_attested": value}).json()["results"]
        assert [item["id"] for item in results] == [expected.pk], value


def test_a_nul_character_in_a_json_body_is_refused_not_a_500(reference_data):
    """A NUL in a slug-related field (a tag code) reached PostgreSQL's driver: DataError, 500."""
    client = token_client(UserFactory())
    client.raise_request_exception = True
    body = {"tags": ["a\x00b"], "region": "410105", "industry": "39"}
    response = client.post("/api/v1/enterprise/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert_error(response, 400)
    assert "NUL" in response.json()["message"]


def test_a_nul_character_in_a_key_is_refused_too():
    response = token_client(SmeUserFactory()).post(
        "/api/v1/demands/", json.dumps({"purpose\x00": "x"}), content_type="application/json"
    )
    assert_error(response, 400)


def test_json_nested_thousands_deep_is_refused_not_a_500():
    client = token_client(UserFactory())
    client.raise_request_exception = True
    response = client.generic(
        "POST", "/api/v1/enterprise/", "[" * 100_000 + "]" * 100_000, content_type="application/json"
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    ("url", "name"), [("/applications/", "overdue"), ("/loans/", "first_loan_attested"), ("/inbox/", "overdue")]
)
def test_the_html_lists_sharing_the_yes_no_filters_still_work(url, name):
    """The FilterSets are shared with the pages: their select sends "unknown"/"true"/"false"; junk shows the
    form's error instead of a 500."""
    client = logged_in(OfficerFactory())
    for value in ("unknown", "true", "false", "", "junk"):
        response = client.get(url, {name: value})
        assert response.status_code == 200, (value, response.status_code)
    assert "Enter true or false." in client.get(url, {name: "junk"}).content.decode()
