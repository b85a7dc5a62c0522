"""Tables as downloads: CSV and XLSX HttpResponses from column definitions and rows of plain values.

The caller gives the columns (a header in the user's language and a kind) and the rows (one value per column).
Money goes out as plain decimals in yuan ("1234567.00", never 万元), ratios as decimals ("0.5455"), counts as
integers: a spreadsheet can add them up. CSV is UTF-8 with a BOM so that Excel reads the Chinese; XLSX keeps
numbers as numbers (with a display format), via openpyxl, imported only when a workbook is written.
"""

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_FORMATS = {"money": "#,##0.00", "ratio": "0.00%", "int": "#,##0"}
SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportColumn:
    """One column: its header (already in the user's language) and how its values are written.

    kind: "text"; "int" (a count); "money" (Decimal yuan, 2 places); "ratio" (Decimal, e.g. 0.5455 = 54.55%).
    """

    header: str
    kind: str = "text"


def ascii_filename(name: str) -> str:
    """A download name any browser and OS accepts: ASCII letters, digits, '.', '-' and '_' only."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "export"
    return safe[:150]


def _plain(value, kind: str):
    """The value as the CSV writes it: Decimal money to 2 places, None as an empty cell."""
    if value is None:
        return ""
    if kind == "money":
        return f"{Decimal(value).quantize(Decimal('0.01'))}"
    if kind == "ratio":
        return f"{Decimal(value)}"
    if kind == "text" and str(value).startswith(FORMULA_PREFIXES):
        return f"'{value}"  # a spreadsheet would run it as a formula (CSV injection)
    return value


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{ascii_filename(filename)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_response(*, filename: str, columns: Sequence[ExportColumn], rows: Iterable[Sequence]) -> HttpResponse:
    """The table as a CSV download (UTF-8 with a BOM, a header row, then one line per row)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([str(column.header) for column in columns])
    for row in rows:
        writer.writerow([_plain(value, column.kind) for column, value in zip(columns, row, strict=True)])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    return _attachment(response, filename)


class Echo:
    """A file-like object whose write returns the line: csv.writer then yields lines for a streaming response."""

    def write(self, value):
        return value


def csv_stream_response(*, filename: str, columns: Sequence[ExportColumn], rows: Iterable[Sequence]):
    """csv_response written as the rows are read (constant memory for lists of any length): a header row, then one
    line per row, UTF-8 with a BOM."""
    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff" + writer.writerow([str(column.header) for column in columns])
        for row in rows:
            yield writer.writerow([_plain(value, column.kind) for column, value in zip(columns, row, strict=True)])

    return _attachment(StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8"), filename)


def xlsx_response(
    *, filename: str, columns: Sequence[ExportColumn], rows: Iterable[Sequence], sheet_title: str = "Sheet1"
) -> HttpResponse:
    """The table as an XLSX download: a bold, frozen header row; numbers stored as numbers."""
    from openpyxl import Workbook  # a few hundred ms to import: only when someone downloads a workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE_BAD.sub(" ", str(sheet_title))[:31] or "Sheet1"
    sheet.append([str(column.header) for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_cell(value, column.kind) for column, value in zip(columns, row, strict=True)])
        for cell, column in zip(sheet[sheet.max_row], columns, strict=True):
            if column.kind == "text" and cell.data_type == "f":
                cell.data_type = "s"  # text that looks like a formula stays text
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        number_format = XLSX_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(column.header)) * 2 + 2))
    output = io.BytesIO()
    workbook.save(output)
    return _attachment(HttpResponse(output.getvalue(), content_type=XLSX_CONTENT_TYPE), filename)


def _cell(value, kind: str):
    """Decimals stay exact (openpyxl writes their text); text columns are forced to text."""
    if value is None:
        return None
    if kind == "money":
        return Decimal(value).quantize(Decimal("0.01"))
    if kind in ("ratio", "int"):
        return value
    return str(value)
