"""API v1 router: each app registers its viewsets here."""

from django.urls import include, path

urlpatterns = [
    path("", include("creditinfo.api.urls")),
    path("", include("lending.api.urls")),
]
