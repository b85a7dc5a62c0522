"""Top-level URLs: pages, the REST API under /api/v1/, its schema and docs, and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("xinyidai.api.urls")),
    path("", include("xinyidai.web_urls")),
    path("", include("creditinfo.urls")),
    path("", include("lending.urls")),
]

handler404 = "xinyidai.api.errors.page_not_found"  # JSON under /api/, the site's page elsewhere
handler500 = "xinyidai.middleware.server_error"  # a database outage met outside a view: 503, not 500
