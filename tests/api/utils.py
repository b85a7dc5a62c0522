"""Helpers for the API tests: a token client whose every answer is checked against the OpenAPI schema."""

import functools
import json
import re

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft4Validator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from xinyidai.models import User

# Answers the schema leaves out on purpose: no operation accepts another method or a non-JSON body.
UNDOCUMENTED_STATUSES = {405, 415}


@functools.cache
def openapi() -> dict:
    """The schema as a client downloads it (lazy translations rendered)."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def _as_json_schema(node):
    """OpenAPI 3.0 `nullable: true` in JSON-schema terms, recursively."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@functools.cache
def _operations() -> list[tuple[re.Pattern, str, dict]]:
    """(path regex, method, operation); literal paths (demands/pool/) before templated ones (demands/{id}/)."""
    paths = sorted(openapi()["paths"].items(), key=lambda item: item[0].count("{"))
    return [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), method, operation)
        for path, item in paths
        for method, operation in item.items()
    ]


def assert_matches_schema(method: str, path: str, response) -> None:
    """The answer's status is documented for the operation, and its body matches the documented schema."""
    operation = next((op for rx, m, op in _operations() if m == method.lower() and rx.match(path)), None)
    if operation is None or response.status_code in UNDOCUMENTED_STATUSES:
        return
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path} answered {response.status_code}, which the schema omits"
    content = documented.get("content", {}).get("application/json")
    if content is None:
        return
    schema = _as_json_schema({"allOf": [content["schema"]], "components": openapi()["components"]})
    errors = sorted(Draft4Validator(schema).iter_errors(response.json()), key=str)
    assert not errors, f"{method} {path} {response.status_code} does not match the schema: {errors[0]}"


class SchemaCheckingClient(APIClient):
    """Checks each answer under /api/v1/ against the schema, as schemathesis does."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        path = kwargs.get("PATH_INFO", "")
        is_json = response.get("Content-Type", "").startswith("application/json")
        if path.startswith("/api/v1/") and is_json:
            assert_matches_schema(kwargs["REQUEST_METHOD"], path, response)
        return response


def token_client(user: User | None) -> APIClient:
    """An API client that authenticates like a bank's system does: `Authorization: Token <key>`."""
    client = SchemaCheckingClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is `status` in the one error shape (and has `code`, when given)."""
    assert response.status_code == status, (response.status_code, getattr(response, "data", response.content))
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert isinstance(body["code"], str) and isinstance(body["message"], str) and isinstance(body["detail"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
