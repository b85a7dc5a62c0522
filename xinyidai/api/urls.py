"""API v1 router: authentication here; each app registers its viewsets in its own api/urls.py."""

from django.urls import include, path

from xinyidai.api.auth import TokenObtainView

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include("creditinfo.api.urls")),
    path("", include("lending.api.urls")),
]
