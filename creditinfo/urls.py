"""Enterprise and authorization pages."""

from django.urls import path

from creditinfo.views import enterprises

app_name = "creditinfo"

urlpatterns = [
    path("enterprise/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprise/register/", enterprises.enterprise_register, name="enterprise_register"),
    path("enterprise/edit/", enterprises.enterprise_edit, name="enterprise_edit"),
    path("enterprise/region-hint/", enterprises.region_hint, name="region_hint"),
    path("enterprises/<int:pk>/", enterprises.enterprise_view, name="enterprise_view"),
    path("authorizations/", enterprises.authorization_list, name="authorization_list"),
    path("authorizations/<int:pk>/revoke/", enterprises.authorization_revoke, name="authorization_revoke"),
]
