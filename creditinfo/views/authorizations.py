"""The SME grants an institution a credit-query authorization (listing and revoking live in enterprises.py)."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from creditinfo.forms import AuthorizationGrantForm
from creditinfo.services.authorizations import CONSENT_TEXT, authorization_grant
from creditinfo.services.enterprises import enterprise_for_user
from xinyidai.errors import DomainError
from xinyidai.forms import form_add_domain_error
from xinyidai.views import role_required

SEARCH_LIMIT = 200


def consent_preview() -> str:
    """The consent statement as the form shows it before the choices are made."""
    return str(CONSENT_TEXT) % {
        "institution": _("the institution chosen above"),
        "purpose": _("the purpose chosen above"),
        "until": _("the end of the period chosen above"),
    }


def _narrow_institutions(form, query: str) -> None:
    """Limit the institution select to names or codes containing `query` (the htmx search box)."""
    if query:
        field = form.fields["institution"]
        matching = Q(name__icontains=query) | Q(short_name__icontains=query) | Q(code__icontains=query)
        field.queryset = field.queryset.filter(matching)[:SEARCH_LIMIT]


@role_required("sme")
@require_http_methods(["GET", "POST"])
def authorization_grant_view(request):
    """Grant form: institution (searchable), purpose, days; the consent statement is shown before submitting."""
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        messages.info(request, _("Register the enterprise you act for first."))
        return redirect("creditinfo:enterprise_register")
    form = AuthorizationGrantForm(request.POST or None)
    if request.method == "GET" and request.headers.get("HX-Request"):
        _narrow_institutions(form, request.GET.get("q", "").strip())
        return render(request, "partials/form_field.html", {"field": form["institution"]})
    context = {"form": form, "enterprise": enterprise, "consent_preview": consent_preview()}
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                authorization_grant(
                    enterprise=enterprise,
                    institution=data["institution"],
                    purpose=data["purpose"],
                    days=data["days"],
                    user=request.user,
                )
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The authorization is recorded; the institution may query until it ends."))
                return redirect("creditinfo:authorization_list")
        return render(request, "creditinfo/authorization_form.html", context, status=400)
    return render(request, "creditinfo/authorization_form.html", context)
