"""Bank feedback pages: a loan's feedback section and forms, CSV uploads with their batch and error pages,
scoping (outside the institution tree: 404), and query counts that do not grow with rows."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.models import FeedbackBatch, FeedbackRowError, Repayment
from lending.services.feedback import repayment_record
from lending.services.feedback_import import feedback_batch_import
from tests.lending.feedback_support import make_bank, make_loan, today
from tests.web.utils import logged_in, messages_of

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def bank():
    return make_bank()


@pytest.fixture
def loan(bank):
    return make_loan(bank, contract_number="HT-1")


def feedback_url(loan, kind=None):
    if kind:
        return reverse("lending:loan_feedback_post", args=[loan.pk, kind])
    return reverse("lending:loan_feedback", args=[loan.pk])


def test_the_loan_page_loads_its_feedback_section(bank, loan):
    response = logged_in(bank.officer).get(reverse("lending:loan_detail", args=[loan.pk]))
    assert f'hx-get="{feedback_url(loan)}"' in response.content.decode()


def test_officers_get_the_forms_and_the_borrower_only_the_lists(bank, loan):
    officer_page = logged_in(bank.officer).get(feedback_url(loan), HTTP_HX_REQUEST="true")
    assert officer_page.status_code == 200
    assert officer_page.templates[0].name == "lending/feedback_section.html"
    assert 'name="repayment-principal_amount"' in officer_page.content.decode()

    sme_page = logged_in(bank.sme).get(feedback_url(loan))
    assert sme_page.status_code == 200 and sme_page.context["forms"] is None
    assert 'name="repayment-principal_amount"' not in sme_page.content.decode()


def test_outside_the_tree_the_pages_are_404(bank, loan):
    client = logged_in(bank.other_officer)
    assert client.get(feedback_url(loan)).status_code == 404
    data = {"repayment-paid_on": today(), "repayment-principal_amount": "1", "repayment-reference": "X"}
    assert client.post(feedback_url(loan, "repayment"), data).status_code == 404
    assert logged_in(bank.sme).post(feedback_url(loan, "repayment"), data).status_code == 403
    assert not Repayment.objects.exists()


def test_a_repayment_through_the_form(bank, loan):
    data = {
        "repayment-paid_on": today().isoformat(),
        "repayment-principal_amount": "1000.00",
        "repayment-interest": "",
        "repayment-reference": "TX-1",
    }
    response = logged_in(bank.officer).post(feedback_url(loan, "repayment"), data, follow=True)

    assert response.redirect_chain[-1][0] == reverse("lending:loan_detail", args=[loan.pk])
    assert "The repayment is recorded." in messages_of(response)
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("999000.00")


def test_invalid_input_rerenders_with_400_and_a_refusal_redirects_with_the_reason(bank, loan):
    client = logged_in(bank.officer)
    future = {"balance-month": "2999-01", "balance-balance": "1.00"}
    response = client.post(feedback_url(loan, "balance"), future)
    assert response.status_code == 400
    assert response.context["forms"]["balance"].errors["month"] == ["The month cannot be in the future."]

    response = client.post(feedback_url(loan, "close"), {"close-on_date": today().isoformat()}, follow=True)
    assert any("only a fully repaid loan can be closed" in message for message in messages_of(response))


def test_write_off_through_the_form(bank, loan):
    response = logged_in(bank.officer).post(feedback_url(loan, "write_off"), {"write_off-on_date": today().isoformat()})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_balance) == ("written_off", D("0.00"))


def test_upload_a_file_and_read_its_errors(bank, loan):
    text = (
        "contract_number,kind,date,amount,reference\n"
        f"HT-1,repayment,{today()},10.00,TX-1\nHT-X,repayment,{today()},1,TX-2\n"
    )
    upload = SimpleUploadedFile("反馈.csv", text.encode("gb18030"), content_type="text/csv")
    client = logged_in(bank.officer)

    response = client.post(reverse("lending:feedback_batches"), {"file": upload}, follow=True)

    batch = FeedbackBatch.objects.get()
    assert response.redirect_chain[-1][0] == reverse("lending:feedback_batch", args=[batch.pk])
    assert (batch.applied_count, batch.error_count, batch.original_name) == (1, 1, "反馈.csv")
    assert "No loan of your institution has this contract number." in response.content.decode()
    csv_response = client.get(reverse("lending:feedback_batch_errors_csv", args=[batch.pk]))
    body = b"".join(csv_response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff") and "HT-X" in body.splitlines()[1]
    assert logged_in(bank.other_officer).get(reverse("lending:feedback_batch", args=[batch.pk])).status_code == 404


def test_a_file_without_a_header_is_refused_with_400(bank):
    upload = SimpleUploadedFile("x.csv", b"HT-1,repayment\n", content_type="text/csv")
    response = logged_in(bank.officer).post(reverse("lending:feedback_batches"), {"file": upload})
    assert response.status_code == 400 and not FeedbackBatch.objects.exists()
    assert logged_in(bank.sme).get(reverse("lending:feedback_batches")).status_code == 403


# --- query counts: 3 rows vs 30 ---------------------------------------------------------------------------


def count_queries(client, url, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def assert_constant(client, url, add_rows, **extra):
    add_rows(3)
    client.get(url, **extra)
    few = count_queries(client, url, **extra)
    add_rows(27)
    many = count_queries(client, url, **extra)
    assert few == many, f"{url}: {few} queries for 3 rows, {many} for 30"


def test_loan_feedback_page_query_count(bank, loan):
    made = iter(range(1000))

    def add(n):
        for _ in range(n):
            repayment_record(
                loan_id=loan.pk,
                officer=bank.officer,
                paid_on=today(),
                principal_amount=D("1"),
                reference=f"R{next(made)}",
            )

    assert_constant(logged_in(bank.officer), feedback_url(loan), add)


def test_batch_pages_query_counts(bank, loan):
    client = logged_in(bank.officer)

    def add_batches(n):
        for _ in range(n):
            feedback_batch_import(
                fileobj=io.BytesIO(b"contract_number,kind,date\n"), name="f.csv", officer=bank.officer
            )

    assert_constant(client, reverse("lending:feedback_batches"), add_batches)
    batch = FeedbackBatch.objects.first()

    def add_errors(n):
        FeedbackRowError.objects.bulk_create(
            FeedbackRowError(batch=batch, row_number=i + 2, message="x") for i in range(n)
        )

    assert_constant(client, reverse("lending:feedback_batch", args=[batch.pk]), add_errors)
