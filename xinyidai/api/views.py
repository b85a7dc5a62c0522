"""Base classes for API views: JSON in and out, our schema generator, ids parsed before any query."""

from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from xinyidai.api.parsers import JSONParser
from xinyidai.api.schema import ApiAutoSchema

MAX_ID = 2**63 - 1  # BigAutoField: larger numbers cannot name a row (and would overflow the database driver)


def parse_id(value) -> int:
    """The integer id in a URL, or 404 (not 500) for anything that cannot be one."""
    try:
        pk = int(str(value))
    except ValueError:
        raise NotFound() from None
    if not 0 < pk <= MAX_ID:
        raise NotFound()
    return pk


class ApiView(APIView):
    parser_classes = [JSONParser]
    schema = ApiAutoSchema()


class ApiViewSet(viewsets.GenericViewSet):
    """A thin viewset: each action parses input, calls one service or selector, and renders output."""

    parser_classes = [JSONParser]
    schema = ApiAutoSchema()

    @property
    def pk(self) -> int:
        return parse_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
