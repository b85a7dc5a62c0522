"""API pagination: page numbers with a bounded page size."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StrictPageSizeMixin:
    """`page_size` is a whole number from 1 to `max_page_size`, or a 400: DRF would silently serve its default
    page for `page_size=abc` or `-5` and clip 10**30 (the schema documents the range)."""

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param, "").strip()
        if not text:  # absent or empty (`?page_size=`, as a form sends it): the default
            return self.page_size
        # ASCII digits only (int() also takes "١٢"), and few of them (int() refuses 4,300 digits and more).
        if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= self.max_page_size):
            message = _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return int(text)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class StandardPagination(StrictPageSizeMixin, PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class KeysetPagination(StrictPageSizeMixin, CursorPagination):
    """Cursor pagination for the long newest-first lists: no OFFSET and no COUNT, so a deep page costs
    what the first does. Views name their key with `cursor_ordering`, e.g. ("-submitted_at", "-id")."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "cursor_ordering", self.ordering))
