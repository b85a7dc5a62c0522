"""Keyset pagination for the long, time-ordered lists (inbox, applications, loans, demand pool).

A page is found with `WHERE (key, id) < (cursor)` on an index instead of an OFFSET, so the 500th page
costs what the first does; the total is counted only up to a cap, which also stays cheap at a million rows.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Q

COUNT_CAP = 1000
PAGE_SIZE = 20


@dataclass
class KeysetPage:
    """One page of rows, the cursor of the next page, and a count capped at COUNT_CAP."""

    object_list: list
    next_cursor: str | None
    is_first: bool
    total: int
    total_capped: bool
    per_page: int = PAGE_SIZE
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or not self.is_first


def encode_cursor(value, pk: int) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model, key: str, cursor: str | None):
    """(value, pk) from a cursor, or None for the first page (a mangled cursor also gives the first page)."""
    if not cursor:
        return None
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return model._meta.get_field(key).to_python(value), int(pk)
    except (ValueError, TypeError, binascii.Error, ValidationError, json.JSONDecodeError):
        return None


def keyset_page(queryset, *, cursor: str | None, key: str, per_page: int = PAGE_SIZE) -> KeysetPage:
    """The page after `cursor` of `queryset` ordered newest first by (`key`, id)."""
    ordered = queryset.order_by(f"-{key}", "-id")
    position = decode_cursor(queryset.model, key, cursor)
    if position is not None:
        value, pk = position
        # (key, id) < (value, pk), written so that `key <= value` bounds the index range scan.
        ordered = ordered.filter(Q(**{f"{key}__lte": value}) & (Q(**{f"{key}__lt": value}) | Q(id__lt=pk)))
    rows = list(ordered[: per_page + 1])
    next_cursor = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        next_cursor = encode_cursor(getattr(rows[-1], key), rows[-1].pk)
    total = queryset.order_by().values("id")[: COUNT_CAP + 1].count()
    return KeysetPage(
        object_list=rows,
        next_cursor=next_cursor,
        is_first=position is None,
        total=min(total, COUNT_CAP),
        total_capped=total > COUNT_CAP,
        per_page=per_page,
    )
