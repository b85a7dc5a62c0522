"""Enterprise registration pages and the authorizations an enterprise has given."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from creditinfo.forms import EnterpriseEditForm, EnterpriseRegisterForm, region_for_uscc
from creditinfo.models import Authorization, Enterprise
from creditinfo.services.authorizations import authorization_revoke as revoke_service
from creditinfo.services.enterprises import enterprise_for_user, enterprise_update
from creditinfo.services.enterprises import enterprise_register as register_service
from xinyidai.errors import DomainError
from xinyidai.forms import form_add_domain_error
from xinyidai.views import error_message, paginate, role_required

EDIT_FIELDS = (
    "name",
    "legal_representative",
    "region",
    "industry",
    "employees",
    "revenue",
    "assets",
    "tags",
    "address",
    "contact_phone",
)


def _enterprise_page(request, enterprise, *, own: bool):
    enterprise = (
        Enterprise.objects.select_related("region__parent", "industry__parent")
        .prefetch_related("tags")
        .get(pk=enterprise.pk)
    )
    return render(request, "creditinfo/enterprise_detail.html", {"enterprise": enterprise, "own": own})


@role_required("sme")
def enterprise_detail(request):
    """The SME user's own enterprise, with its computed size class."""
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        messages.info(request, _("Register the enterprise you act for first."))
        return redirect("creditinfo:enterprise_register")
    return _enterprise_page(request, enterprise, own=True)


@login_required
def enterprise_view(request, pk: int):
    """Another party's view of an enterprise's registration record, within the viewer's scope (else 404)."""
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    return _enterprise_page(request, enterprise, own=enterprise.members.filter(user=request.user).exists())


@role_required("sme")
@require_http_methods(["GET", "POST"])
def enterprise_register(request):
    if enterprise_for_user(request.user) is not None:
        messages.info(request, _("Your account already represents an enterprise."))
        return redirect("creditinfo:enterprise_detail")
    form = EnterpriseRegisterForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                register_service(user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("Your enterprise is registered."))
                return redirect("creditinfo:enterprise_detail")
        return render(request, "creditinfo/enterprise_form.html", {"form": form, "registering": True}, status=400)
    return render(request, "creditinfo/enterprise_form.html", {"form": form, "registering": True})


@role_required("sme")
@require_http_methods(["GET", "POST"])
def enterprise_edit(request):
    enterprise = enterprise_for_user(request.user)
    if enterprise is None:
        return redirect("creditinfo:enterprise_register")
    initial = {field: getattr(enterprise, field) for field in EDIT_FIELDS if field != "tags"}
    initial["tags"] = list(enterprise.tags.all())
    form = EnterpriseEditForm(request.POST or None, initial=initial)
    context = {"form": form, "enterprise": enterprise, "registering": False}
    if request.method == "POST":
        if form.is_valid():
            try:
                enterprise_update(enterprise=enterprise, user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The enterprise's details are saved."))
                return redirect("creditinfo:enterprise_detail")
        return render(request, "creditinfo/enterprise_form.html", context, status=400)
    return render(request, "creditinfo/enterprise_form.html", context)


@login_required
@require_GET
def region_hint(request):
    """htmx: the region select re-rendered with the USCC's registering region pre-selected (else unchanged)."""
    hinted = region_for_uscc(request.GET.get("uscc", ""))
    current = request.GET.get("region", "")
    form = EnterpriseRegisterForm(initial={"region": hinted.pk if hinted else (current if current.isdigit() else None)})
    return render(request, "creditinfo/_region_field.html", {"field": form["region"], "hinted_region": hinted})


@role_required("sme", "officer", "admin")
def authorization_list(request):
    """SMEs: the consents their enterprise has given (revocable); officers: those given to their institution."""
    authorizations = Authorization.objects.visible_to(request.user).select_related(
        "enterprise", "institution", "granted_by"
    )
    page_obj = paginate(request, authorizations)
    return render(request, "creditinfo/authorization_list.html", {"page_obj": page_obj})


@role_required("sme")
@require_POST
def authorization_revoke(request, pk: int):
    authorization = get_object_or_404(Authorization.objects.visible_to(request.user), pk=pk)
    try:
        revoke_service(authorization_id=authorization.pk, user=request.user)
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, _("The authorization is revoked."))
    return redirect("creditinfo:authorization_list")
