"""Idempotency-Key on feedback posts: a repeat replays the first answer, a repeat in flight is 409, another body
under the same key is 422, and two requests racing with one key execute once (PostgreSQL)."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from lending.models import IdempotencyRecord, Repayment
from lending.services import feedback as feedback_services
from tests.api.utils import assert_error, token_client
from tests.lending.feedback_support import make_bank, make_loan, today

D = Decimal


@pytest.fixture
def bank(db):
    return make_bank()


@pytest.fixture
def loan(bank):
    return make_loan(bank)


def repayment(amount="100.00", reference="TX-1"):
    return {"paid_on": today().isoformat(), "principal_amount": amount, "reference": reference}


def post(client, loan, data, key="key-1"):
    return client.post(f"/api/v1/loans/{loan.pk}/repayments/", data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def balance_of(loan):
    loan.refresh_from_db()
    return loan.outstanding_balance


@pytest.mark.django_db
def test_a_repeat_returns_the_first_answer_and_executes_nothing(bank, loan):
    client = token_client(bank.officer)
    first = post(client, loan, repayment())

    again = post(client, loan, {"reference": "TX-1", "principal_amount": "100.00", "paid_on": today().isoformat()})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Repayment.objects.count() == 1 and balance_of(loan) == D("999900.00")
    record = IdempotencyRecord.objects.get()
    assert (record.state, record.response_status, record.method) == ("done", 201, "POST")
    assert record.path == f"/api/v1/loans/{loan.pk}/repayments/" and len(record.request_hash) == 64


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(bank, loan):
    client = token_client(bank.officer)
    post(client, loan, repayment())

    assert_error(post(client, loan, repayment(amount="200.00")), 422, "idempotency_key_reused")
    response = client.post(
        f"/api/v1/loans/{loan.pk}/balances/", {}, format="json", HTTP_IDEMPOTENCY_KEY="key-1"
    )  # another endpoint under the same key
    assert_error(response, 422, "idempotency_key_reused")
    assert Repayment.objects.count() == 1


@pytest.mark.django_db
def test_a_repeat_while_the_first_is_in_flight_is_409(bank, loan):
    client = token_client(bank.officer)
    post(client, loan, repayment())
    IdempotencyRecord.objects.update(state="in_flight", response_status=None, response_body=None)

    assert_error(post(client, loan, repayment()), 409, "idempotency_in_flight")
    assert Repayment.objects.count() == 1


@pytest.mark.django_db
def test_a_stale_in_flight_claim_is_taken_over(bank, loan):
    """GIVEN a claim left in flight by a worker that died (its writes rolled back) WHEN the client retries after
    the timeout THEN the retry runs."""
    client = token_client(bank.officer)
    IdempotencyRecord.objects.create(
        user=bank.officer, key="key-1", method="POST", path=f"/api/v1/loans/{loan.pk}/repayments/",
        request_hash=_hash_of(repayment()), created_at=timezone.now() - datetime.timedelta(minutes=6),
    )  # fmt: skip

    assert post(client, loan, repayment()).status_code == 201
    assert Repayment.objects.count() == 1 and IdempotencyRecord.objects.get().state == "done"


def _hash_of(data) -> str:
    from types import SimpleNamespace

    from xinyidai.api.idempotency import request_fingerprint

    return request_fingerprint(SimpleNamespace(data=data))


@pytest.mark.django_db
def test_an_error_answer_is_replayed_too(bank, loan):
    client = token_client(bank.officer)
    first = post(client, loan, repayment(amount="2000000.00"))
    assert_error(first, 409, "exceeds_balance")

    again = post(client, loan, repayment(amount="2000000.00"))

    assert (again.status_code, again.json()) == (409, first.json())


@pytest.mark.django_db
def test_invalid_input_is_stored_and_a_new_key_runs_again(bank, loan):
    client = token_client(bank.officer)
    assert_error(post(client, loan, {"reference": "X"}), 400, "invalid")
    assert_error(post(client, loan, {"reference": "X"}), 400, "invalid")
    assert post(client, loan, repayment(), key="key-2").status_code == 201


@pytest.mark.django_db
def test_keys_belong_to_their_user(bank, loan):
    post(token_client(bank.officer), loan, repayment())
    second = post(token_client(bank.head_officer), loan, repayment(reference="TX-2"))
    assert second.status_code == 201 and Repayment.objects.count() == 2


@pytest.mark.django_db
def test_an_unexpected_failure_forgets_the_key(bank, loan, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(feedback_services, "repayment_record", boom)
    client = token_client(bank.officer)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        post(client, loan, repayment())
    assert not IdempotencyRecord.objects.exists()

    monkeypatch.undo()
    assert post(client, loan, repayment()).status_code == 201


@pytest.mark.django_db
def test_keys_longer_than_255_characters_are_refused(bank, loan):
    assert_error(post(token_client(bank.officer), loan, repayment(), key="k" * 256), 400, "idempotency_key_required")


# --- the race ---------------------------------------------------------------------------------------------

HOLD_SECONDS = 0.5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_execute_once(monkeypatch):
    """Two threads post the same key at once. The first to insert the in-flight row runs (slowed down while it
    holds the claim); the other waits on the unique index, then sees the claim in flight and gets 409."""
    bank = make_bank()
    loan = make_loan(bank)
    client_a, client_b = token_client(bank.officer), token_client(bank.officer)
    original = feedback_services.repayment_record
    executions = []

    def slowed(**kwargs):
        executions.append(threading.get_ident())
        time.sleep(HOLD_SECONDS)
        return original(**kwargs)

    monkeypatch.setattr(feedback_services, "repayment_record", slowed)
    barrier = threading.Barrier(2)
    results = [None, None]

    def runner(index, client):
        try:
            barrier.wait(timeout=10)
            response = post(client, loan, repayment())
            results[index] = (response.status_code, response.json())
        except Exception as exc:  # reported below
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, c)) for i, c in enumerate((client_a, client_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    statuses = sorted(status for status, _body in results)
    assert statuses == [201, 409], results
    assert next(body for status, body in results if status == 409)["code"] == "idempotency_in_flight"
    assert len(executions) == 1
    assert Repayment.objects.count() == 1 and balance_of(loan) == D("999900.00")
    assert IdempotencyRecord.objects.get().state == "done"
