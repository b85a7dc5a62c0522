"""One error shape for the whole API: {"code", "message", "detail"}.

`code` is stable for machines, `message` is translated for people, `detail` is an object: per-field
messages for invalid input, or facts about a refused transition (current status, allowed from).
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from xinyidai.errors import DomainError

_DEFAULT_CODES = {
    status.HTTP_400_BAD_REQUEST: "invalid",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "permission_denied",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid, not_found, invalid_transition.")
    message = serializers.CharField(help_text="Human-readable message in the request's language.")
    detail = serializers.DictField(
        help_text="Per-field messages for invalid input, or facts about the refusal; {} when there is nothing more."
    )

    class Meta:
        ref_name = "Error"


def error_body(code: str, message, detail=None) -> dict:
    return {"code": code, "message": str(message), "detail": detail or {}}


def _as_object(data) -> dict:
    """Validation errors raised outside a serializer's fields may be a bare list or string."""
    if isinstance(data, dict):
        return data
    if isinstance(data, list | tuple):
        return {"non_field_errors": list(data)}
    return {"non_field_errors": [data]}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.detail), status=exc.status)
    if isinstance(exc, RequestDataTooBig):  # a form-encoded body over DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(error_body("request_too_large", _("The request body is too large.")), status=400)
    if isinstance(exc, SuspiciousOperation):  # too many fields, a malformed multipart body...: JSON, not a page
        return Response(error_body("bad_request", _("The request could not be read.")), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "invalid", _("The request is not valid; see detail for each field."), _as_object(response.data)
        )
    else:
        code = getattr(exc, "default_code", None) or _DEFAULT_CODES.get(response.status_code, "error")
        if isinstance(exc, exceptions.ParseError):
            code = "malformed_request"
        detail = getattr(exc, "detail", None)
        if isinstance(detail, str):
            body = error_body(code, detail)
        else:
            body = error_body(code, getattr(exc, "default_detail", code), _as_object(response.data))
    response.data = body
    return response


def is_api_request(request) -> bool:
    """An API path (/api/...): error answers there are the JSON error body, elsewhere a page."""
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """handler404: an API path that matches no route (`/api/v1/loans/0.5/`) answers the API's JSON 404, not the
    site's HTML page; every other path gets the page."""
    if is_api_request(request):
        return JsonResponse(error_body("not_found", exceptions.NotFound.default_detail), status=404)
    return defaults.page_not_found(request, exception)
