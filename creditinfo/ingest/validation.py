"""Row validation: a row either becomes a ValidRow (the values stored) or a list of (field, message, value).

This is the hot path of a million-row import, so it works on plain lists and caches what repeats (USCC
checks, publication ends). The fast USCC check must agree with creditinfo.uscc.validate_uscc; a test holds
them together, and validate_uscc still words the message when a code is refused.
"""

import datetime
import hashlib
import operator
import re
from functools import lru_cache, partial
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from creditinfo.ingest import COLUMNS
from creditinfo.models import NEGATIVE_CATEGORIES, CreditRecord, Enterprise, RecordCategory, Severity, TaxGrade
from creditinfo.publication import publication_end
from creditinfo.uscc import ALPHABET, uscc_clean, validate_uscc

VALUE_MAX = 255  # ImportRowError.value: the offending value is cut to this length

_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CHAR_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}\Z")

CATEGORIES = frozenset(RecordCategory.values)
SEVERITIES = frozenset(Severity.values)
TAX_GRADES = frozenset(TaxGrade.values)
# Penalties and dishonesty lists must say how serious they are (it fixes their publication period). The abnormal
# operation list (经营异常名录) has no such grading, so its severity is optional. Positive categories must not
# carry one, since a severity would cut a positive record's publication to a dishonesty maximum.
SEVERITY_ALLOWED = frozenset(str(c) for c in NEGATIVE_CATEGORIES)
SEVERITY_REQUIRED = SEVERITY_ALLOWED - {str(RecordCategory.ABNORMAL_OPERATION)}
SEVERITY_OPTIONAL_FAST = SEVERITY_ALLOWED - SEVERITY_REQUIRED  # the fast path leaves these to the full check

# Positions in COLUMNS.
I_ID, I_USCC, I_NAME, I_CATEGORY, I_DECISION, I_SEVERITY, I_TITLE, I_AUTHORITY, I_DETAIL, I_UNTIL = range(10)
REQUIRED = (I_ID, I_USCC, I_CATEGORY, I_DECISION, I_TITLE)


class ValidRow(NamedTuple):
    """The values a row stores; `publish_until` is already the effective end of publication."""

    row_number: int
    source_record_id: str
    uscc: str
    enterprise_name: str
    category: str
    decision_date: datetime.date
    severity: str
    title: str
    authority: str
    detail: str
    publish_until: datetime.date | None
    content_hash: str


def uscc_normalize(value: str) -> str:
    """What creditinfo.uscc.uscc_clean returns (spaces and hyphens removed, upper case), without its overhead for
    plain ASCII; other text (full-width characters, other dashes) gets stdnum's own normalization."""
    if value.isascii():
        return value.replace(" ", "").replace("-", "").upper().strip()
    return uscc_clean(value)


@lru_cache(maxsize=1 << 16)
def uscc_is_valid(code: str) -> bool:
    """True when validate_uscc accepts the normalized code: 8 digits, 10 alphabet characters, check character."""
    if not _USCC_SHAPE.match(code):
        return False
    total = sum(map(operator.mul, map(_CHAR_VALUE.__getitem__, code[:17]), _WEIGHTS))
    return code[17] == ALPHABET[(31 - total) % 31]


def _uscc_message(code: str) -> str:
    try:
        validate_uscc(code)
    except ValidationError as error:
        return error.messages[0]
    return _("This is not a valid unified social credit code.")


@lru_cache(maxsize=1 << 14)
def _effective_end(category, severity, decision_date, publish_until):
    return publication_end(
        category=category, severity=severity, decision_date=decision_date, publish_until=publish_until
    )


def parse_date(value: str) -> datetime.date | None:
    """A YYYY-MM-DD date, or None when the text is anything else (20240101 and 2024-1-1 included)."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


try:  # CPython's own md5 is several times cheaper per call than OpenSSL's for short inputs
    from _md5 import md5 as _md5
except ImportError:  # pragma: no cover
    _md5 = partial(hashlib.md5, usedforsecurity=False)


def content_hash(values) -> str:
    """md5 of the stored content fields (the enterprise's USCC included, its name not: that is not the record's)."""
    return _md5("\x1f".join(values).encode()).hexdigest()


@lru_cache(maxsize=1 << 13)
def _cached_date(text: str) -> datetime.date | None:
    return parse_date(text)


_new_row = tuple.__new__  # ValidRow(...) goes through a Python-level __new__; this is the same tuple, faster


def _valid_row(row_number, record_id, uscc, name, category, decision_date, severity, title, authority, detail, until):
    """The ValidRow of checked values: the effective end of publication and the content hash computed here."""
    end = _effective_end(category, severity, decision_date, until)
    digest = content_hash(
        (uscc, category, decision_date.isoformat(), severity, title, authority, detail, end.isoformat() if end else "")
    )
    return _new_row(ValidRow, (row_number, record_id, uscc, name, category, decision_date, severity, title,
                               authority, detail, end, digest))  # fmt: skip


def _limit(model, field: str) -> int:
    return model._meta.get_field(field).max_length


class RowValidator:
    """Checks rows for one source on one day; `validate` returns (ValidRow, []) or (None, errors)."""

    def __init__(self, *, source_category: str = "", today: datetime.date):
        self.source_category = source_category
        self.today = today
        self.max_id = _limit(CreditRecord, "source_record_id")
        self.max_name = _limit(Enterprise, "name")
        self.max_title = _limit(CreditRecord, "title")
        self.max_authority = _limit(CreditRecord, "authority")
        self.lengths = ((I_ID, self.max_id), (I_NAME, self.max_name), (I_TITLE, self.max_title),
                        (I_AUTHORITY, self.max_authority))  # fmt: skip
        self.allowed = frozenset({source_category}) if source_category else CATEGORIES

    def validate(self, row_number: int, values: list[str]) -> tuple[ValidRow | None, list[tuple[str, str, str]]]:
        """The row's stored values, or every problem found in it (field, translated message, offending value).

        The common case (a valid row in canonical form) is decided in one expression; anything else, including
        rows that are valid only after normalization, goes through validate_fully, which has the last word.
        """
        joined = "".join(values)
        record_id, code, name, category, decided, severity, title, authority, detail, until = map(str.strip, values)
        category, severity = category.lower(), severity.lower()
        decision_date = _cached_date(decided)
        until_date = _cached_date(until) if until else None
        if category == "tax_grade":
            title = title.upper()
        if (
            record_id
            and title
            and len(record_id) <= self.max_id
            and len(name) <= self.max_name
            and len(title) <= self.max_title
            and len(authority) <= self.max_authority
            and category in self.allowed
            and (severity in SEVERITIES if category in SEVERITY_REQUIRED else not severity)
            and category not in SEVERITY_OPTIONAL_FAST
            and (category != "tax_grade" or title in TAX_GRADES)
            and decision_date is not None
            and decision_date <= self.today
            and (not until or (until_date is not None and until_date >= decision_date))
            and uscc_is_valid(code)
            and "\x00" not in joined
            and "\ufffd" not in joined
        ):
            row = _valid_row(row_number, record_id, code, name, category, decision_date, severity, title, authority,
                             detail, until_date)  # fmt: skip
            return row, []
        return self.validate_fully(row_number, values)

    def validate_fully(self, row_number: int, values: list[str]) -> tuple[ValidRow | None, list[tuple[str, str, str]]]:
        """The rules one by one, collecting every problem (field, translated message, offending value)."""
        values = [v.strip() for v in values]
        errors = []
        joined = "".join(values)
        if "\x00" in joined or "\ufffd" in joined:
            errors += self._bad_characters(values)
        for index in REQUIRED:
            if not values[index]:
                errors.append((COLUMNS[index], _("This field is required."), ""))
        for index, limit in self.lengths:
            if len(values[index]) > limit:
                message = _("At most %(limit)d characters (this has %(length)d).")
                errors.append((COLUMNS[index], message % {"limit": limit, "length": len(values[index])}, values[index]))

        uscc = uscc_normalize(values[I_USCC])
        if uscc and not uscc_is_valid(uscc):
            errors.append(("uscc", _uscc_message(uscc), values[I_USCC]))
        category = values[I_CATEGORY].lower()
        if category:
            errors += self._category_errors(category, values[I_CATEGORY])
        severity = values[I_SEVERITY].lower()
        errors += self._severity_errors(category, severity, values[I_SEVERITY])
        title = values[I_TITLE]
        if category == RecordCategory.TAX_GRADE and title:
            title = title.upper()
            if title not in TAX_GRADES:
                message = _("A tax credit grade row carries the grade in title: one of %(grades)s.")
                errors.append(("title", message % {"grades": "/".join(TaxGrade.values)}, values[I_TITLE]))
        decision_date, until, date_errors = self._dates(values)
        errors += date_errors
        if errors:
            return None, errors

        v = values
        row = _valid_row(row_number, v[I_ID], uscc, v[I_NAME], category, decision_date, severity, title,
                         v[I_AUTHORITY], v[I_DETAIL], until)  # fmt: skip
        return row, []

    def _bad_characters(self, values):
        errors = []
        for column, value in zip(COLUMNS, values, strict=True):
            if "\ufffd" in value:
                errors.append((column, _("The text contains bytes that are not valid in the file's encoding."), value))
            elif "\x00" in value:
                errors.append((column, _("The text contains a NUL character."), value.replace("\x00", "")))
        return errors

    def _category_errors(self, category, raw):
        if category not in CATEGORIES:
            message = _("Unknown category code; use one of: %(codes)s.")
            return [("category", message % {"codes": ", ".join(RecordCategory.values)}, raw)]
        if self.source_category and category != self.source_category:
            message = _("This source sends only %(category)s records.")
            return [("category", message % {"category": self.source_category}, raw)]
        return []

    def _severity_errors(self, category, severity, raw):
        if severity and severity not in SEVERITIES:
            message = _("Unknown severity code; use one of: %(codes)s.")
            return [("severity", message % {"codes": ", ".join(Severity.values)}, raw)]
        if category in SEVERITY_REQUIRED and not severity:
            return [("severity", _("A dishonesty record needs a severity: minor, general or serious."), "")]
        if severity and category in CATEGORIES and category not in SEVERITY_ALLOWED:
            return [("severity", _("Only dishonesty records carry a severity; leave it empty."), raw)]
        return []

    def _dates(self, values):
        errors = []
        decision_date = until = None
        if values[I_DECISION]:
            decision_date = parse_date(values[I_DECISION])
            if decision_date is None:
                errors.append(("decision_date", _("Enter a valid date as YYYY-MM-DD."), values[I_DECISION]))
            elif decision_date > self.today:
                errors.append(("decision_date", _("The decision date is in the future."), values[I_DECISION]))
        if values[I_UNTIL]:
            until = parse_date(values[I_UNTIL])
            if until is None:
                errors.append(("publish_until", _("Enter a valid date as YYYY-MM-DD."), values[I_UNTIL]))
            elif decision_date and until < decision_date:
                message = _("Publication cannot end before the decision date.")
                errors.append(("publish_until", message, values[I_UNTIL]))
        return decision_date, until, errors
