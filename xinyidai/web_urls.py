"""Core pages: home, SME sign-up, log in and log out (no namespace: the base template reverses these names)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from xinyidai import views, views_audit, views_notifications
from xinyidai.ratelimits import LOGIN_LIMITS, limited_page

# Log in: POSTs limited per address and per username (429 page); django-axes locks a username and address out
# after repeated failures (xinyidai/lockout.py).
login_view = limited_page(*LOGIN_LIMITS)(auth_views.LoginView.as_view(template_name="registration/login.html"))

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", login_view, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path("notifications/read-all/", views_notifications.notifications_read_all, name="notifications_read_all"),
    path("notifications/badge/", views_notifications.notification_badge, name="notification_badge"),
    path("notifications/<int:pk>/open/", views_notifications.notification_open, name="notification_open"),
    path("audit/", views_audit.audit_list, name="audit_list"),
    path("audit/export/", views_audit.audit_export, name="audit_export"),
]
