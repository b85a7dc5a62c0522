"""Reading feed files without a database: encoding and format from the bytes, row numbering, the fast USCC check."""

import io
import random

import pytest
from django.core.exceptions import ValidationError

from creditinfo.ingest import COLUMNS, FileError, readers
from creditinfo.ingest.readers import (
    GB18030,
    JSONL,
    UTF8,
    UTF8_SIG,
    RecordReader,
    detect_encoding,
    detect_format,
    sniff,
)
from creditinfo.ingest.validation import uscc_is_valid, uscc_normalize
from creditinfo.uscc import ALPHABET, uscc_build, uscc_clean, validate_uscc
from tests.creditinfo.import_utils import csv_bytes, jsonl_bytes, row

CHINESE = "河南省市场监督管理局行政处罚决定书"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (CHINESE.encode("utf-8"), UTF8),
        (b"\xef\xbb\xbf" + CHINESE.encode("utf-8"), UTF8_SIG),
        (CHINESE.encode("gb18030"), GB18030),
        (b"source_record_id,uscc\r\n", UTF8),  # pure ASCII reads the same either way
        (b"", UTF8),
    ],
)
def test_encoding_comes_from_the_bytes(content, expected):
    assert detect_encoding(io.BytesIO(content)) == expected


def test_a_utf8_character_cut_by_the_chunk_boundary_is_not_mistaken_for_gb18030(monkeypatch):
    monkeypatch.setattr(readers, "SNIFF_BYTES", 16)
    content = b"a" * 15 + "河南".encode() + b"x" * 100  # 河 (3 bytes) straddles bytes 15-17
    assert detect_encoding(io.BytesIO(content)) == UTF8
    assert detect_encoding(io.BytesIO(b"a" * 15 + "河南".encode("gb18030") + b"x" * 100)) == GB18030


def test_gb18030_after_a_long_ascii_start_is_still_found(monkeypatch):
    monkeypatch.setattr(readers, "SNIFF_BYTES", 1024)
    content = b"x" * 10_000 + CHINESE.encode("gb18030")
    assert detect_encoding(io.BytesIO(content)) == GB18030


def test_the_file_name_plays_no_part_and_the_file_is_rewound():
    raw = io.BytesIO(csv_bytes([row()], encoding="gb18030"))
    assert sniff(raw) == (GB18030, "csv") and raw.tell() == 0


def test_utf16_and_binary_files_are_refused():
    with pytest.raises(FileError):
        detect_encoding(io.BytesIO("河南".encode("utf-16")))
    with pytest.raises(FileError):
        detect_format(io.BytesIO(b"PK\x03\x04\x00\x00binary"))


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b'\n  {"a": 1}\n', JSONL), (b"\xef\xbb\xbf{}", JSONL), (b"source_record_id,uscc\n", "csv")],
)
def test_format_from_the_first_non_blank_byte(content, expected):
    assert detect_format(io.BytesIO(content)) == expected


def test_csv_rows_are_numbered_from_the_header_and_blank_lines_keep_their_number():
    content = csv_bytes([row(source_record_id="A")]) + b"\r\n"
    content += csv_bytes([row(source_record_id="B")]).split(b"\r\n", 1)[1]
    rows = list(RecordReader(io.BytesIO(content), encoding=UTF8, file_format="csv"))
    assert [(n, values[0]) for n, values, _problem in rows] == [(2, "A"), (4, "B")]


def test_a_quoted_newline_stays_in_its_field():
    content = csv_bytes([row(detail="第一行\n第二行")]) + csv_bytes([row(source_record_id="B")]).split(b"\r\n", 1)[1]
    rows = list(RecordReader(io.BytesIO(content), encoding=UTF8, file_format="csv"))
    assert rows[0][1][COLUMNS.index("detail")] == "第一行\n第二行"
    assert rows[1][1][0] == "B"


def test_jsonl_rows_are_numbered_by_line():
    content = b"\n" + jsonl_bytes([row(source_record_id="A")])
    ((number, values, problem),) = list(RecordReader(io.BytesIO(content), encoding=UTF8, file_format=JSONL))
    assert (number, values[0], problem) == (2, "A", None)


def test_a_header_missing_a_column_is_a_file_error_naming_it():
    header = [c for c in COLUMNS if c != "decision_date"]
    with pytest.raises(FileError, match="decision_date"):
        sniff(io.BytesIO(csv_bytes([], header=header)))


# --- the fast USCC check agrees with validate_uscc ---------------------------------------------------------


def _accepted(code: str) -> bool:
    try:
        validate_uscc(code)
    except ValidationError:
        return False
    return True


def test_the_fast_uscc_check_agrees_with_validate_uscc():
    rng = random.Random(4)
    candidates = []
    for serial in range(2000):
        code = uscc_build(division=rng.choice(["410105", "411081", "110105"]), serial=serial * 7919)
        candidates.append(code)
        position = rng.randrange(18)
        candidates.append(code[:position] + rng.choice(ALPHABET + "IOZSVa -") + code[position + 1 :])
        candidates.append(code[:17] + rng.choice(ALPHABET))
        candidates.append(code.lower())
        candidates.append(code[:-1])
        candidates.append(" " + code[:6] + "-" + code[6:] + " ")
    candidates += ["", "X" * 18, "９１４１０１０５ＭＡ０ＭＸ３ＢＰ６８", "A1410105MA0MX3BP68", "91410105MA0MX3BP68"]
    disagreements = [c for c in candidates if uscc_is_valid(uscc_normalize(c)) != _accepted(c)]
    assert disagreements == []
    assert sum(map(_accepted, candidates)) > 2000  # both outcomes are exercised
    assert all(uscc_normalize(c) == uscc_clean(c) for c in candidates)
