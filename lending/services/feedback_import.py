"""Bank feedback files (README: "Bank feedback CSV format"): one row per repayment, monthly balance, write-off
or closure, applied in file order through the same services as the page and the API.

Each row runs in its own savepoint: it is applied whole or refused with a FeedbackRowError, never half-applied.
Re-uploading a file applies nothing twice: a repayment's reference is unique per loan, a month's balance is
set (not added), and a closed or written-off loan takes no more feedback (those rows come back as errors).
The file is read with the credit-record import's encoding detection (UTF-8, UTF-8 with BOM or GB18030).
"""

import codecs
import csv
import datetime
import io
import os
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from creditinfo.ingest import FileError
from creditinfo.ingest.readers import detect_encoding
from lending.models import FeedbackBatch, FeedbackRowError, Loan
from lending.services import feedback as feedback_services
from xinyidai.errors import DomainError
from xinyidai.services.audit import Action, audit_record

REQUIRED_COLUMNS = ("contract_number", "kind", "date")
OPTIONAL_COLUMNS = ("amount", "interest", "reference")
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
KINDS = ("repayment", "balance", "write_off", "closure")
VALUE_MAX = 255
ERROR_CHUNK = 1000
# A service's field name -> the file's column, so that a refused row points at the cell to fix.
FIELD_COLUMNS = {
    "paid_on": "date",
    "month": "date",
    "on_date": "date",
    "principal_amount": "amount",
    "balance": "amount",
    "interest": "interest",
    "reference": "reference",
}
MAX_AMOUNT = Decimal("9999999999999999.99")


class RowError(Exception):
    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field = field
        self.message = str(message)


def _positions(header: list[str]) -> dict[str, int]:
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [column for column in REQUIRED_COLUMNS if column not in names]
    if missing:
        raise FileError(
            _("The header lacks the column(s) %(missing)s; the first row must name the columns: %(columns)s")
            % {"missing": ", ".join(missing), "columns": ",".join(COLUMNS)}
        )
    duplicated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    if duplicated:
        raise FileError(_("The header names %(columns)s more than once.") % {"columns": ", ".join(duplicated)})
    return {column: names.index(column) for column in COLUMNS if column in names}


def feedback_file_check(raw) -> str:
    """The file's encoding, after checking it is text with a usable header; FileError says what is wrong."""
    encoding = detect_encoding(raw)
    head = raw.read(64 * 1024)
    raw.seek(0)
    if b"\x00" in head:
        raise FileError(_("This is not a text file; upload a CSV file."))
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    try:
        header = next(csv.reader(text), None)
        if header is None:
            raise FileError(_("The file is empty."))
        _positions(header)
    except csv.Error as error:
        raise FileError(_("The header row cannot be read: %(error)s") % {"error": error}) from None
    finally:
        text.detach()
        raw.seek(0)
    return encoding


def _rows(raw, encoding: str):
    """(row_number, {column: value} | None, problem | None); the header is row 1, as a spreadsheet shows it."""
    text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
    reader = csv.reader(text)
    positions = _positions(next(reader))
    row_number = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            row_number += 1
            yield row_number, None, ("", _("The row cannot be read as CSV: %(error)s") % {"error": error})
            continue
        row_number += 1
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(positions.values()):
            yield row_number, None, ("", _("The row has fewer fields than the header."))
            continue
        yield row_number, {column: row[i].strip() for column, i in positions.items()}, None
    text.detach()


def _date(value: str, *, month_ok: bool = False) -> datetime.date:
    formats = ("%Y-%m-%d", "%Y-%m") if month_ok else ("%Y-%m-%d",)
    for fmt in formats:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowError("date", _("Write the date as YYYY-MM-DD.") if not month_ok else _("Write the month as YYYY-MM."))


def _amount(value: str, column: str, *, required: bool) -> Decimal | None:
    if not value:
        if required:
            raise RowError(column, _("Enter the amount in yuan."))
        return None
    try:
        amount = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise RowError(column, _("Write the amount as a number of yuan, e.g. 150000.00.")) from None
    if not amount.is_finite() or amount.as_tuple().exponent < -2 or abs(amount) > MAX_AMOUNT:
        raise RowError(column, _("Write the amount as a number of yuan with at most 2 decimals."))
    return amount


class _LoanFinder:
    """Contract number -> loan id among the officer's visible loans (memoised: files repeat contracts)."""

    def __init__(self, officer):
        self.officer = officer
        self.cache: dict[str, int] = {}

    def __call__(self, contract_number: str) -> int:
        if not contract_number:
            raise RowError("contract_number", _("Enter the loan's contract number."))
        if contract_number not in self.cache:
            ids = list(
                Loan.objects.visible_to(self.officer)
                .filter(contract_number=contract_number)
                .values_list("pk", flat=True)[:2]
            )
            if not ids:
                raise RowError("contract_number", _("No loan of your institution has this contract number."))
            if len(ids) > 1:
                raise RowError(
                    "contract_number",
                    _("Several branches have this contract number; upload the file as the lending branch."),
                )
            self.cache[contract_number] = ids[0]
        return self.cache[contract_number]


def _apply(values: dict, *, find_loan, officer, batch) -> None:
    kind = values["kind"].lower()
    if kind not in KINDS:
        raise RowError("kind", _("The kind must be one of: %(kinds)s.") % {"kinds": ", ".join(KINDS)})
    loan_id = find_loan(values["contract_number"])
    common = {"loan_id": loan_id, "officer": officer, "batch": batch}
    if kind == "repayment":
        interest = _amount(values.get("interest", ""), "interest", required=False)
        feedback_services.repayment_record(
            paid_on=_date(values["date"]),
            principal_amount=_amount(values.get("amount", ""), "amount", required=True),
            interest=interest if interest is not None else Decimal("0"),
            reference=values.get("reference", ""),
            **common,
        )
    elif kind == "balance":
        feedback_services.balance_report(
            month=_date(values["date"], month_ok=True),
            balance=_amount(values.get("amount", ""), "amount", required=True),
            **common,
        )
    elif kind == "write_off":
        feedback_services.loan_write_off(on_date=_date(values["date"]), **common)
    else:
        feedback_services.loan_close(on_date=_date(values["date"]), **common)


def _row_error(batch, row_number: int, values: dict | None, field: str, message) -> FeedbackRowError:
    value = (values or {}).get(field, "") if field else ""
    return FeedbackRowError(
        batch=batch, row_number=row_number, field=field[:32], message=str(message)[:255], value=value[:VALUE_MAX]
    )


def _domain_field(error: DomainError) -> str:
    for name in error.detail or {}:
        if name in FIELD_COLUMNS:
            return FIELD_COLUMNS[name]
    return ""


def feedback_batch_import(*, fileobj, name: str, officer) -> FeedbackBatch:
    """Apply a feedback CSV file row by row for the officer; refused rows become the batch's row errors."""
    encoding = feedback_file_check(fileobj)
    batch = FeedbackBatch.objects.create(
        institution=officer.institution, uploaded_by=officer, original_name=os.path.basename(name)[:200],
        encoding=codecs.lookup(encoding).name,
    )  # fmt: skip
    find_loan, errors = _LoanFinder(officer), []
    for row_number, values, problem in _rows(fileobj, encoding):
        batch.rows_read += 1
        try:
            if problem:
                raise RowError(*problem)
            with transaction.atomic():  # the row's savepoint: applied whole or not at all
                _apply(values, find_loan=find_loan, officer=officer, batch=batch)
            batch.applied_count += 1
        except RowError as error:
            errors.append(_row_error(batch, row_number, values, error.field, error.message))
        except DomainError as error:
            field = _domain_field(error)
            errors.append(_row_error(batch, row_number, values, field, error.message))
        if len(errors) >= ERROR_CHUNK:
            batch.error_count += len(errors)
            FeedbackRowError.objects.bulk_create(errors)
            errors = []
    batch.error_count += len(errors)
    FeedbackRowError.objects.bulk_create(errors)
    batch.status, batch.finished_at = FeedbackBatch.Status.DONE, timezone.now()
    batch.save()
    audit_record(
        action=Action.FEEDBACK_BATCH,
        actor=officer,
        obj=batch,
        data={
            "file": batch.original_name,
            "rows": batch.rows_read,
            "applied": batch.applied_count,
            "errors": batch.error_count,
        },
    )
    if batch.applied_count:
        feedback_services.feedback_stats_enqueue()
    return batch


# --- reads for the batch pages ----------------------------------------------------------------------------


def feedback_batch_list(*, user):
    """Feedback batches of the officer's institution tree, newest first (none for other roles)."""
    if not (user.is_authenticated and user.is_officer):
        return FeedbackBatch.objects.none()
    return (
        FeedbackBatch.objects.filter(user.institution.subtree_literal_q("institution"))
        .select_related("institution", "uploaded_by")
        .order_by("-created_at", "-id")
    )
