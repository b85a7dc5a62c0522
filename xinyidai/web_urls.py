"""Core pages: home, SME sign-up, log in and log out (no namespace: the base template reverses these names)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from xinyidai import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
