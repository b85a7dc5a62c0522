"""The caller's own notifications: list (newest first, `?unread=1`), mark one read, mark all read.

Title and body are rendered in the request's language (Accept-Language, else Chinese); `url` is a local path
of the web pages the notification is about.
"""

import django_filters as filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from xinyidai.api.serializers import OutputModelSerializer
from xinyidai.api.views import ApiViewSet
from xinyidai.models import Notification
from xinyidai.selectors import notification_list, notifications_with_text
from xinyidai.services.notifications import notification_mark_read, notifications_mark_all_read


class NotificationSerializer(OutputModelSerializer):
    title = serializers.CharField(read_only=True, help_text="In the request's language.")
    body = serializers.CharField(read_only=True, help_text="In the request's language; may be empty.")

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at"]
        ref_name = "Notification"


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many notifications were unread.")


class NotificationFilter(filters.FilterSet):
    # A choice rather than a boolean, so that a value other than these answers 400 instead of being ignored.
    unread = filters.ChoiceFilter(
        method="filter_unread",
        label=_("Unread only"),
        choices=[("1", "1"), ("true", "true"), ("0", "0"), ("false", "false")],
        help_text="1 (or true): only unread notifications; 0 (or false): only read ones.",
    )

    class Meta:
        model = Notification
        fields = ["unread"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value in ("1", "true"))


def _output(rows) -> list:
    return NotificationSerializer(notifications_with_text(rows), many=True).data


@extend_schema(tags=["notifications"])
class NotificationViewSet(ApiViewSet):
    """The caller's own notifications; anyone else's answer 404."""

    queryset = Notification.objects.none()
    filterset_class = NotificationFilter
    serializer_class = NotificationSerializer

    def list(self, request):
        """Newest first; `unread=1` only the unread ones (`unread=0` only the read ones)."""
        rows = self.filter_queryset(notification_list(user=request.user))
        return self.get_paginated_response(_output(self.paginate_queryset(rows)))

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification read (reading it again keeps the first time)."""
        row = notification_mark_read(notification_id=self.pk, user=request.user)
        return Response(_output([row])[0])

    @extend_schema(request=None, responses=ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        """Mark every unread notification read."""
        return Response({"marked": notifications_mark_all_read(user=request.user)})
