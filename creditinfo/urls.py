"""Enterprise and authorization pages."""

from django.urls import path

from creditinfo import views

app_name = "creditinfo"

urlpatterns = [
    path("enterprise/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprise/register/", views.enterprise_register, name="enterprise_register"),
    path("enterprise/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprise/region-hint/", views.region_hint, name="region_hint"),
    path("enterprises/<int:pk>/", views.enterprise_view, name="enterprise_view"),
    path("authorizations/", views.authorization_list, name="authorization_list"),
    path("authorizations/<int:pk>/revoke/", views.authorization_revoke, name="authorization_revoke"),
]
