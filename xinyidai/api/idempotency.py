"""`Idempotency-Key` for API writes: a bank's system may retry a post without applying it twice.

Decorate a DRF view method with `idempotent(model=...)`; the model stores one row per (user, key) with the
fields of lending.models.IdempotencyRecord (the model is passed in because xinyidai imports no app above it).

- The first request claims the key by inserting an in-flight row in its own, committed transaction: the
  unique (user, key) constraint decides who runs when two arrive at once. The view then runs, and its answer
  (status and JSON body) is stored in the same transaction as the view's own writes.
- A repeat with the same method, path and body gets the stored answer (same status and body) and the header
  `Idempotent-Replayed: true`; a repeat while the first is still running gets 409 `idempotency_in_flight`;
  the same key with another method, path or body gets 422 `idempotency_key_reused`.
- 4xx answers are stored too (a repeat is refused the same way); a 5xx or a crash forgets the key so the
  client can retry. An in-flight claim older than IN_FLIGHT_TIMEOUT (a worker killed mid-request) may be
  taken over by the next request.
"""

import datetime
import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from xinyidai.api.errors import ErrorSerializer, error_body

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
IN_FLIGHT_TIMEOUT = datetime.timedelta(minutes=5)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description=(
        "A unique string per intended write (e.g. a UUID), at most 255 characters. A repeat with the same body "
        "returns the first answer; a repeat still in flight answers 409; the same key with another body 422."
    ),
)
IDEMPOTENCY_RESPONSES = {
    409: OpenApiResponse(
        ErrorSerializer, description="Refused by a rule, or `idempotency_in_flight`: the same key is still running."
    ),
    422: OpenApiResponse(
        ErrorSerializer, description="`idempotency_key_reused`: the key was used for a different request."
    ),
}


def request_fingerprint(request) -> str:
    """SHA-256 of the parsed body in canonical JSON (key order and whitespace do not matter)."""
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _error(status: int, code: str, message) -> Response:
    return Response(error_body(code, message), status=status)


def _stored_body(response) -> object:
    """The body as a client receives it (lazy strings, decimals and dates rendered)."""
    if response.data is None:
        return None
    return json.loads(JSONRenderer().render(response.data))


def _claim(model, *, user, key: str, method: str, path: str, fingerprint: str):
    """(record, None) when this request runs; (None, response) when an earlier request with the key decides."""
    try:
        with transaction.atomic():
            record = model.objects.create(
                user=user, key=key, method=method, path=path, request_hash=fingerprint, state=model.State.IN_FLIGHT
            )
        return record, None
    except IntegrityError:
        pass
    record = model.objects.filter(user=user, key=key).first()
    if record is None:  # the holder failed and forgot the key between our insert and this read
        return _claim(model, user=user, key=key, method=method, path=path, fingerprint=fingerprint)
    if (record.method, record.path, record.request_hash) != (method, path, fingerprint):
        message = _("This Idempotency-Key was already used for a different request; use a new key.")
        return None, _error(422, "idempotency_key_reused", message)
    if record.state == model.State.DONE:
        response = Response(record.response_body, status=record.response_status)
        response["Idempotent-Replayed"] = "true"
        return None, response
    stale = timezone.now() - IN_FLIGHT_TIMEOUT
    taken = model.objects.filter(pk=record.pk, state=model.State.IN_FLIGHT, created_at__lt=stale)
    if taken.update(created_at=timezone.now()):  # one conditional UPDATE: only one request takes a stale claim
        return record, None
    message = _("A request with this Idempotency-Key is still being processed; retry in a moment.")
    return None, _error(409, "idempotency_in_flight", message)


def _finish(model, record, response) -> None:
    if response.status_code >= 500:
        model.objects.filter(pk=record.pk).delete()
        return
    model.objects.filter(pk=record.pk).update(
        state=model.State.DONE, response_status=response.status_code, response_body=_stored_body(response)
    )


def idempotent(*, model):
    """Decorator for a DRF view method (a POST): requires `Idempotency-Key` and replays the first answer."""

    def decorator(view_method):
        @functools.wraps(view_method)
        def wrapper(self, request, *args, **kwargs):
            key = (request.headers.get(HEADER) or "").strip()
            if not key or len(key) > MAX_KEY_LENGTH:
                message = _("Send an Idempotency-Key header (a unique string of at most 255 characters).")
                return _error(400, "idempotency_key_required", message)
            record, answer = _claim(
                model,
                user=request.user,
                key=key,
                method=request.method,
                path=request.path,
                fingerprint=request_fingerprint(request),
            )
            if answer is not None:
                return answer
            try:
                with transaction.atomic():
                    response = view_method(self, request, *args, **kwargs)
                    if response.status_code < 500:
                        _finish(model, record, response)  # committed with the view's writes, or not at all
                if response.status_code >= 500:
                    _finish(model, record, response)
                return response
            except Exception as exc:
                try:
                    response = self.handle_exception(exc)  # the error shape, as DRF would answer
                except Exception:
                    model.objects.filter(pk=record.pk).delete()
                    raise
                _finish(model, record, response)
                return response

        return wrapper

    return decorator
