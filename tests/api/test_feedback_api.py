"""Bank feedback through the API: repayments, balances, write-off and close on /api/v1/loans/{id}/..., scoped to
the lending institution tree, in the error shape, documented in the schema, with constant list query counts."""

import itertools
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lending.models import BalanceSnapshot, Repayment
from lending.services.feedback import repayment_record
from tests.api.utils import assert_error, openapi, token_client
from tests.lending.feedback_support import make_bank, make_loan, months_ago, today

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def bank():
    return make_bank()


@pytest.fixture
def loan(bank):
    return make_loan(bank)


def post(client, url, data, key=None):
    return client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def url(loan, what):
    return f"/api/v1/loans/{loan.pk}/{what}/"


def test_a_repayment_is_recorded_and_listed(bank, loan):
    client = token_client(bank.officer)
    data = {"paid_on": today().isoformat(), "principal_amount": "250000.00", "interest": "100.00", "reference": "TX-1"}

    response = post(client, url(loan, "repayments"), data)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["repayment"]["principal_amount"] == "250000.00" and body["repayment"]["reference"] == "TX-1"
    assert body["loan"]["outstanding_balance"] == "750000.00"
    listed = token_client(bank.sme).get(url(loan, "repayments")).json()  # the borrower reads its repayments
    assert [row["reference"] for row in listed["results"]] == ["TX-1"]


def test_feedback_posts_require_an_idempotency_key(bank, loan):
    client = token_client(bank.officer)
    data = {"paid_on": today().isoformat(), "principal_amount": "1.00", "reference": "TX-1"}
    for path in ("repayments", "balances", "write-off", "close"):
        assert_error(client.post(url(loan, path), data, format="json"), 400, "idempotency_key_required")
    assert not Repayment.objects.exists()


def test_balances_201_for_a_new_month_and_200_for_a_correction(bank, loan):
    client = token_client(bank.officer)
    month = months_ago(1).strftime("%Y-%m")

    first = post(client, url(loan, "balances"), {"month": month, "balance": "800000.00"})
    second = post(client, url(loan, "balances"), {"month": month, "balance": "790000.00"})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["balance"]["month"] == months_ago(1).isoformat()
    assert second.json()["loan"]["outstanding_balance"] == "790000.00"
    assert BalanceSnapshot.objects.get().balance == D("790000.00")
    assert [r["balance"] for r in client.get(url(loan, "balances")).json()["results"]] == ["790000.00"]


def test_write_off_and_close(bank, loan):
    client = token_client(bank.officer)
    assert_error(post(client, url(loan, "close"), {}), 409, "balance_not_zero")

    response = post(client, url(loan, "write-off"), {"on_date": today().isoformat()})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outstanding_balance"]) == ("written_off", "0.00")
    assert_error(post(client, url(loan, "close"), {}), 409, "loan_not_live")


def test_refusals_and_invalid_input_in_the_error_shape(bank, loan):
    client = token_client(bank.officer)
    body = assert_error(
        post(
            client,
            url(loan, "repayments"),
            {"paid_on": today().isoformat(), "principal_amount": "-1", "reference": "X"},
        ),
        400,
        "invalid",
    )
    assert "principal_amount" in body["detail"]
    too_much = {"paid_on": today().isoformat(), "principal_amount": "1000000.01", "reference": "X"}
    assert_error(post(client, url(loan, "repayments"), too_much), 409, "exceeds_balance")
    assert_error(post(client, url(loan, "balances"), {"month": "2026-01", "balance": "1000000.01"}), 400, "invalid")
    assert not Repayment.objects.exists() and not BalanceSnapshot.objects.exists()


def test_scope_404_and_role_403(bank, loan):
    data = {"paid_on": today().isoformat(), "principal_amount": "1.00", "reference": "X"}
    for outsider in (bank.other_officer, bank.sibling_officer):
        assert_error(post(token_client(outsider), url(loan, "repayments"), data), 404)
        assert_error(token_client(outsider).get(url(loan, "repayments")), 404)
    assert_error(post(token_client(bank.sme), url(loan, "repayments"), data), 403, "forbidden")
    assert post(token_client(bank.head_officer), url(loan, "repayments"), data).status_code == 201
    assert_error(token_client(bank.officer).get("/api/v1/loans/99999999/balances/"), 404)
    assert_error(token_client(bank.officer).get("/api/v1/loans/abc/balances/"), 404)


def test_the_schema_documents_the_key_and_the_answers():
    paths = openapi()["paths"]
    operation = paths["/api/v1/loans/{id}/repayments/"]["post"]
    header = next(p for p in operation["parameters"] if p["in"] == "header")
    assert (header["name"], header["required"]) == ("Idempotency-Key", True)
    assert {"201", "400", "403", "404", "409", "422"} <= set(operation["responses"])
    assert set(paths["/api/v1/loans/{id}/balances/"]) == {"get", "post"}
    assert set(paths["/api/v1/loans/{id}/write-off/"]) == {"post"}
    assert set(paths["/api/v1/loans/{id}/close/"]) == {"post"}


# Queries per list request: token, [officer's institution, its subtree ids], loan visible?, count, page.
EXPECTED_QUERIES = {("repayments", "officer"): 6, ("balances", "officer"): 6, ("repayments", "sme"): 4}


@pytest.mark.parametrize(("what", "viewer"), list(EXPECTED_QUERIES))
def test_list_query_counts_are_constant(bank, loan, what, viewer):
    client = token_client(getattr(bank, viewer))
    serial = itertools.count()

    def add(n):
        for _ in range(n):
            i = next(serial)
            if what == "repayments":
                repayment_record(
                    loan_id=loan.pk, officer=bank.officer, paid_on=today(), principal_amount=D("1"), reference=f"R{i}"
                )
            else:
                BalanceSnapshot.objects.create(loan=loan, month=months_ago(i), balance=D("1"), reported_by=bank.officer)

    counts = []
    for n in (3, 27):
        add(n)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url(loan, what), {"page_size": 100})
        assert response.json()["count"] == (3 if n == 3 else 30)
        counts.append(len(ctx.captured_queries))
    assert counts == [EXPECTED_QUERIES[what, viewer]] * 2, counts
