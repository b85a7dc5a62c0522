"""Core pages (home, sign-up) and the small helpers every app's views share."""

import csv
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from xinyidai.errors import DomainError
from xinyidai.exports import Echo
from xinyidai.forms import SignupForm
from xinyidai.pagination import KeysetPage, keyset_page

PAGE_SIZE = 20

# Role predicates of xinyidai.models.User, by the names views ask for.
ROLE_CHECKS = {
    "sme": lambda user: user.is_sme,
    "officer": lambda user: user.is_officer,
    "staff": lambda user: user.is_gov_staff,
    "admin": lambda user: user.is_platform_admin,
}


def role_required(*roles: str):
    """Logged-in users with one of `roles` pass; others get 403 (anonymous users go to the login page)."""
    unknown = set(roles) - ROLE_CHECKS.keys()
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not any(ROLE_CHECKS[role](request.user) for role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """The requested page of `queryset` (out-of-range or junk page numbers give the nearest valid page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def paginate_keyset(request, queryset, *, key: str, per_page: int = PAGE_SIZE) -> KeysetPage:
    """The page of a long newest-first list after the `cursor` query parameter (no OFFSET, capped count)."""
    return keyset_page(queryset, cursor=request.GET.get("cursor"), key=key, per_page=per_page)


def stable_order(queryset, *, first: tuple[str, ...] = ()):
    """`first`, then the queryset's own ordering (e.g. the user's sort), then -id so that pages never overlap."""
    ordering = [*first, *(o for o in queryset.query.order_by if o not in first)]
    if "-id" not in ordering and "id" not in ordering:
        ordering.append("-id")
    return queryset.order_by(*ordering)


def error_message(request, error: DomainError) -> None:
    messages.error(request, error.message)


def is_input_error(error: DomainError) -> bool:
    """Invalid input (re-render the form with 400) as opposed to a refused action (redirect with a message)."""
    return error.status == 400


def home(request):
    return render(request, "home.html")


@never_cache
@require_safe
def healthz(request):
    """Load-balancer health check and the benchmarks' framework floor: no database, no session, no login.

    `?db=1` (the readiness check) also asks the database for `SELECT 1` and answers 503 when it cannot: the plain
    check stays free of database work, or it would stop measuring the framework alone."""
    if request.GET.get("db"):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            response = JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
            response["Retry-After"] = "30"
            return response
        return JsonResponse({"status": "ok", "database": "ok"})
    return JsonResponse({"status": "ok"})


@require_http_methods(["GET", "POST"])
def signup(request):
    """SME self sign-up; the new user is logged in and sent on to register the enterprise."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is ready. Now register the enterprise you act for."))
            return redirect("creditinfo:enterprise_register")
        return render(request, "registration/signup.html", {"form": form}, status=400)
    return render(request, "registration/signup.html", {"form": form})


def row_errors_csv(row_errors, *, filename: str) -> StreamingHttpResponse:
    """An upload's row errors (rows with row_number, field, message, value) streamed as CSV, UTF-8 with a BOM
    so that Excel reads the Chinese correctly; constant memory however many rows were refused."""
    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff" + writer.writerow([_("row"), _("field"), _("message"), _("value")])
        ordered = row_errors.order_by("row_number", "id").values_list("row_number", "field", "message", "value")
        for error in ordered.iterator(chunk_size=2000):
            yield writer.writerow(error)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
