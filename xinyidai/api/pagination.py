"""API pagination: page numbers with a bounded page size."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class KeysetPagination(CursorPagination):
    """Cursor pagination for the long newest-first lists: no OFFSET and no COUNT, so a deep page costs
    what the first does. Views name their key with `cursor_ordering`, e.g. ("-submitted_at", "-id")."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = ("-id",)

    def get_ordering(self, request, queryset, view):
        return tuple(getattr(view, "cursor_ordering", self.ordering))
