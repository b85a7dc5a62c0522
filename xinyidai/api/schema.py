"""OpenAPI generation: every operation documents the error answers it can give, in the one error shape."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from xinyidai.api.errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: malformed JSON, a field of the wrong type or out of range, or a rule on the values.",
    401: "Not authenticated: send `Authorization: Token <key>` (or a session cookie).",
    403: "Authenticated, but the role may not do this (or a session request without a CSRF token).",
    404: "No such object within the caller's scope (other parties' objects answer 404 too).",
    409: "Refused by a rule in the object's current state (code `invalid_transition` for the lifecycle).",
    429: "Too many requests (code `rate_limited`; `locked_out` after repeated failed logins): wait and retry.",
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiAutoSchema(AutoSchema):
    """Adds the error responses an operation can answer with, unless @extend_schema names them itself."""

    def get_operation_id(self) -> str:
        """`<resource>_<action>` (application_accept, demand_pool) rather than one built from the URL path."""
        action, basename = getattr(self.view, "action", None), getattr(self.view, "basename", None)
        if action and basename:
            return f"{basename.removeprefix('api-').replace('-', '_')}_{action}"
        return super().get_operation_id()

    def _is_public(self) -> bool:
        return any(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def error_status_codes(self) -> list[int]:
        write = self.method in WRITE_METHODS
        lists = self._is_list_view() and self.method == "GET"
        codes = []
        if write or lists or getattr(self.view, "filterset_class", None):
            codes.append(400)
        if not self._is_public():
            codes += [401, 403, 404]
            if write:
                codes.append(409)
        handler = getattr(self.view, getattr(self.view, "action", None) or self.method.lower(), None)
        if getattr(handler, "rate_limited", False):  # xinyidai.ratelimits.limited_api
            codes.append(429)
        return codes

    def _get_parameters(self):
        """Optional query parameters admit an empty value (`?status=`), which counts as not sent: the FilterSets
        and query serializers read the query as a form does, and the HTML lists send empty fields."""
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_status_codes():
            if str(code) not in responses:
                response = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return responses
