"""API v1 router: authentication here; each app registers its viewsets in its own api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from xinyidai.api.auth import TokenObtainView
from xinyidai.api.notifications import NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="api-notification")

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    *router.urls,
    path("", include("creditinfo.api.urls")),
    path("", include("lending.api.urls")),
]
