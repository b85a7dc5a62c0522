"""The API's JSON parser: a bounded body and a translated answer to anything that is not UTF-8 JSON.

DRF reads a JSON body from the request stream, which bypasses Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
(only `request.body` and form parsing apply it), so the limit is applied here, before anything is parsed.
"""

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MALFORMED_JSON = _("The request body is not valid JSON: send UTF-8 encoded JSON (numbers not NaN or Infinity).")


class RequestTooLarge(ParseError):
    default_code = "request_too_large"


def _declared_length(parser_context) -> int:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except ValueError:
        return 0


def _too_large(limit: int) -> RequestTooLarge:
    return RequestTooLarge(
        _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit},
        code="request_too_large",
    )


class JSONParser(parsers.JSONParser):
    """JSON (UTF-8, no NaN/Infinity) of at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes; a clear 400 otherwise."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None:
            if _declared_length(parser_context) > limit:
                raise _too_large(limit)
            body = stream.read(limit + 1)
            if len(body) > limit:
                raise _too_large(limit)
            stream = io.BytesIO(body)
        try:
            data = super().parse(stream, media_type, parser_context)
        except (ParseError, RecursionError):  # RecursionError: arrays nested thousands deep
            raise ParseError(MALFORMED_JSON, code="malformed_json") from None
        if _has_nul(data):
            raise ParseError(_("Text in the request may not contain NUL (U+0000) characters."), code="nul_character")
        return data


def _has_nul(data) -> bool:
    """A U+0000 anywhere (keys too): PostgreSQL stores no NUL in text, and a lookup with one (a code, a slug)
    would fail in the database driver, a 500, instead of answering 400."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(_has_nul(key) or _has_nul(value) for key, value in data.items())
    if isinstance(data, list):
        return any(_has_nul(item) for item in data)
    return False
