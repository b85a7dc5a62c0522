"""Streaming readers: encoding and format come from the bytes (never the file name); rows come one at a time.

Rows are numbered the way a person finds them again: in a CSV file the header is row 1 and the first record
row 2 (as a spreadsheet shows it); in a JSON Lines file, the line number.
"""

import codecs
import csv
import io
import json
from collections.abc import Iterator

from django.utils.translation import gettext as _

from creditinfo.ingest import COLUMNS, FileError

UTF8_SIG, UTF8, GB18030 = "utf-8-sig", "utf-8", "gb18030"
CSV, JSONL = "csv", "jsonl"
FORMATS = (CSV, JSONL)

SNIFF_BYTES = 64 * 1024
# Undecodable bytes become U+FFFD, so that one bad row is refused instead of the whole file failing.
REPLACEMENT = "\ufffd"


def detect_encoding(raw) -> str:
    """UTF-8 with BOM, UTF-8 or GB18030, from the bytes of a seekable binary file (left at position 0).

    Without a BOM the file is UTF-8 if it decodes strictly as UTF-8 up to SNIFF_BYTES past its first
    non-ASCII byte (pure ASCII is both); otherwise GB18030. The incremental decoder keeps a multibyte
    character cut by a chunk boundary for the next chunk instead of calling it invalid.
    """
    raw.seek(0)
    head = raw.read(4)
    raw.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return UTF8_SIG
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileError(_("UTF-16 files are not accepted; save the file as UTF-8 or GB18030."))
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    non_ascii_seen_at = None
    position = 0
    try:
        while True:
            chunk = raw.read(SNIFF_BYTES)
            if not chunk:
                decoder.decode(b"", final=True)
                return UTF8
            decoder.decode(chunk, final=False)
            if non_ascii_seen_at is None and not chunk.isascii():
                non_ascii_seen_at = position
            position += len(chunk)
            if non_ascii_seen_at is not None and position - non_ascii_seen_at > SNIFF_BYTES:
                return UTF8
    except UnicodeDecodeError:
        return GB18030
    finally:
        raw.seek(0)


def detect_format(raw) -> str:
    """JSON Lines when the first non-blank character is '{', else CSV (file left at position 0)."""
    raw.seek(0)
    head = raw.read(SNIFF_BYTES)
    raw.seek(0)
    if b"\x00" in head:
        raise FileError(_("This is not a text file; upload a CSV or JSON Lines file."))
    stripped = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return JSONL if stripped.startswith(b"{") else CSV


class RecordReader:
    """Iterates (row_number, values, problem) over a file: values in COLUMNS order, or problem = (field, message)."""

    def __init__(self, raw, *, encoding: str, file_format: str):
        self.raw = raw
        self.encoding = encoding
        self.file_format = file_format
        raw.seek(0)
        self.text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (the text layer reads ahead by a few kilobytes)."""
        return self.raw.tell()

    def __iter__(self) -> Iterator[tuple[int, list[str] | None, tuple[str, str] | None]]:
        return self._csv_rows() if self.file_format == CSV else self._jsonl_rows()

    def _csv_rows(self):
        reader = csv.reader(self.text)
        try:
            header = next(reader)
        except StopIteration:
            raise FileError(_("The file is empty.")) from None
        except csv.Error as error:
            raise FileError(_("The header row cannot be read: %(error)s") % {"error": error}) from None
        positions = header_positions(header)
        in_order = positions == list(range(len(COLUMNS))) and len(header) == len(COLUMNS)
        width = len(header)
        row_number = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                row_number += 1
                yield row_number, None, ("", _("The row cannot be read as CSV: %(error)s") % {"error": error})
                continue
            row_number += 1
            if not row:
                continue  # a blank line: it keeps its number, like a blank row in a spreadsheet
            if len(row) != width:
                message = _("The row has %(found)d fields; the header has %(expected)d.")
                yield row_number, None, ("", message % {"found": len(row), "expected": width})
            elif in_order:
                yield row_number, row, None
            else:
                yield row_number, [row[i] for i in positions], None

    def _jsonl_rows(self):
        for line_number, line in enumerate(self.text, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                yield line_number, None, ("", _("The line is not valid JSON."))
                continue
            if not isinstance(obj, dict):
                yield line_number, None, ("", _("The line is not a JSON object."))
                continue
            values, problem = _json_values(obj)
            yield line_number, values, problem


def header_positions(header: list[str]) -> list[int]:
    """Where each of COLUMNS sits in a CSV header (any order; other columns ignored); FileError if one is missing."""
    names = [name.strip().lstrip(codecs.BOM_UTF8.decode()).lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise FileError(
            _("The header lacks the column(s) %(missing)s; the first row must name the columns: %(columns)s")
            % {"missing": ", ".join(missing), "columns": ",".join(COLUMNS)}
        )
    duplicated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
    if duplicated:
        raise FileError(_("The header names %(columns)s more than once.") % {"columns": ", ".join(duplicated)})
    return [names.index(column) for column in COLUMNS]


def _json_values(obj: dict) -> tuple[list[str] | None, tuple[str, str] | None]:
    values = []
    for column in COLUMNS:
        value = obj.get(column)
        if value is None:
            values.append("")
        elif isinstance(value, str):
            values.append(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values.append(str(value))
        else:
            return None, (column, _("The value must be a string."))
    return values, None


def sniff(raw) -> tuple[str, str]:
    """(encoding, format) of a file, checking a CSV header too; FileError says what is wrong (file at 0 after)."""
    encoding = detect_encoding(raw)
    file_format = detect_format(raw)
    if file_format == CSV:
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        try:
            header = next(csv.reader(text), None)
            if header is None:
                raise FileError(_("The file is empty."))
            header_positions(header)
        except csv.Error as error:
            raise FileError(_("The header row cannot be read: %(error)s") % {"error": error}) from None
        finally:
            text.detach()  # leave the caller's file open
            raw.seek(0)
    return encoding, file_format
