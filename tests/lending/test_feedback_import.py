"""Bank feedback CSV files: rows applied in order through the services, refused rows reported and never
half-applied, UTF-8 / BOM / GB18030 read alike, and a re-upload applies nothing twice."""

import io
from decimal import Decimal

import pytest

from creditinfo.ingest import FileError
from lending import tasks
from lending.models import BalanceSnapshot, FeedbackBatch, Loan, LoanEvent, Repayment
from lending.services.feedback_import import feedback_batch_import, feedback_batch_list
from tests.lending.feedback_support import make_bank, make_loan, months_ago, today

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def bank():
    return make_bank()


def upload(text: str, officer, *, encoding="utf-8", name="feedback.csv") -> FeedbackBatch:
    return feedback_batch_import(fileobj=io.BytesIO(text.encode(encoding)), name=name, officer=officer)


def errors_of(batch) -> list[tuple[int, str]]:
    return list(batch.row_errors.order_by("row_number").values_list("row_number", "field"))


def test_a_mixed_file_applies_good_rows_and_reports_the_others(bank):
    loan = make_loan(bank, contract_number="HT-1")
    closing = make_loan(bank, contract_number="HT-2", principal=D("5000.00"))
    month = months_ago(1).strftime("%Y-%m")
    day = today().isoformat()
    text = (
        "contract_number,kind,date,amount,interest,reference\n"
        f"HT-1,balance,{month},900000.00,,\n"  # row 2
        f"HT-1,repayment,{day},100000.00,1200.00,TX-1\n"  # row 3
        f"HT-1,repayment,{day},1000000.00,,TX-2\n"  # row 4: more than the balance
        f"HT-9,repayment,{day},1.00,,TX-3\n"  # row 5: unknown contract
        f"HT-1,refund,{day},1.00,,TX-4\n"  # row 6: unknown kind
        f"HT-1,repayment,2026-13-01,1.00,,TX-5\n"  # row 7: bad date
        f"HT-1,repayment,{day},12.345,,TX-6\n"  # row 8: three decimals
        f"HT-2,repayment,{day},5000.00,,TX-7\n"  # row 9
        f"HT-2,closure,{day},,,\n"  # row 10: closes after the repayment of the row before
    )

    batch = upload(text, bank.officer)

    assert (batch.rows_read, batch.applied_count, batch.error_count) == (9, 4, 5)
    assert errors_of(batch) == [(4, "amount"), (5, "contract_number"), (6, "kind"), (7, "date"), (8, "amount")]
    loan.refresh_from_db()
    closing.refresh_from_db()
    assert loan.outstanding_balance == D("800000.00")
    assert (closing.status, closing.outstanding_balance) == (Loan.Status.CLOSED, D("0.00"))
    assert set(Repayment.objects.values_list("reference", flat=True)) == {"TX-1", "TX-7"}
    assert Repayment.objects.filter(batch=batch).count() == 2 and BalanceSnapshot.objects.get().batch == batch
    value = batch.row_errors.get(row_number=5).value
    assert value == "HT-9"


def test_a_reupload_applies_nothing_twice(bank):
    loan = make_loan(bank, contract_number="HT-1")
    text = (
        "contract_number,kind,date,amount,reference\n"
        f"HT-1,repayment,{today()},100000.00,TX-1\n"
        f"HT-1,balance,{months_ago(1):%Y-%m},950000.00,\n"
    )
    upload(text, bank.officer)
    loan.refresh_from_db()
    balance = loan.outstanding_balance

    again = upload(text, bank.officer)

    loan.refresh_from_db()
    assert loan.outstanding_balance == balance
    assert (again.applied_count, again.error_count) == (1, 1)  # the balance is set again (same value), not added
    assert errors_of(again) == [(2, "reference")]
    assert Repayment.objects.count() == 1


def test_a_refused_row_leaves_no_trace(bank):
    loan = make_loan(bank, contract_number="HT-1", principal=D("100.00"))
    batch = upload(f"contract_number,kind,date,amount,reference\nHT-1,repayment,{today()},100.01,TX-1\n", bank.officer)

    assert batch.error_count == 1
    assert not Repayment.objects.exists() and not LoanEvent.objects.exists()
    loan.refresh_from_db()
    assert loan.outstanding_balance == D("100.00")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_are_detected_from_the_bytes(bank, encoding):
    make_loan(bank, contract_number="合同-1")
    text = f"contract_number,kind,date,amount,reference\n合同-1,repayment,{today()},10.00,还款流水一号\n"

    batch = upload(text, bank.officer, encoding=encoding)

    assert (batch.applied_count, batch.error_count) == (1, 0)
    assert Repayment.objects.get().reference == "还款流水一号"


def test_contracts_of_other_banks_and_sibling_branches_are_unknown(bank):
    make_loan(bank, contract_number="HT-1")
    text = f"contract_number,kind,date,amount,reference\nHT-1,repayment,{today()},10.00,TX-1\n"

    for outsider in (bank.sibling_officer, bank.other_officer):
        assert errors_of(upload(text, outsider)) == [(2, "contract_number")]
    assert upload(text, bank.head_officer).applied_count == 1


def test_a_file_without_the_required_columns_is_refused_whole(bank):
    with pytest.raises(FileError):
        upload("contract_number,date,amount\nHT-1,2026-01-01,1\n", bank.officer)
    assert not FeedbackBatch.objects.exists()


def test_short_rows_are_errors_and_blank_lines_are_skipped(bank):
    make_loan(bank, contract_number="HT-1")
    batch = upload(
        f"contract_number,kind,date,amount,reference\n\nHT-1,repayment\nHT-1,closure,{today()},,\n", bank.officer
    )
    assert errors_of(batch) == [(3, ""), (4, "")]  # the closure is refused: the balance is not zero
    assert batch.row_errors.get(row_number=4).message


def test_a_batch_asks_for_one_stats_refresh(bank, monkeypatch, django_capture_on_commit_callbacks):
    class Fake:
        calls = 0

        def apply_async(self, kwargs, countdown):
            assert set(kwargs) == {"requested_at"} and countdown > 0
            Fake.calls += 1

    monkeypatch.setattr(tasks, "stats_refresh", Fake())
    make_loan(bank, contract_number="HT-1")
    rows = "".join(f"HT-1,repayment,{today()},1.00,TX-{i}\n" for i in range(5))
    with django_capture_on_commit_callbacks(execute=True):
        upload("contract_number,kind,date,amount,reference\n" + rows, bank.officer)
    assert Fake.calls == 1


def test_batches_are_listed_for_the_institution_tree_only(bank):
    batch = upload("contract_number,kind,date\n", bank.officer)
    assert list(feedback_batch_list(user=bank.head_officer)) == [batch]
    assert list(feedback_batch_list(user=bank.sibling_officer)) == []
    assert list(feedback_batch_list(user=bank.sme)) == []
