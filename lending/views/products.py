"""The product supermarket (金融产品超市) and officers' product management."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from creditinfo.models import SizeClass
from lending import selectors
from lending.eligibility import product_criteria
from lending.filters import ProductFilter
from lending.forms import ProductForm
from lending.models import Product
from lending.services.products import product_create as create_service
from lending.services.products import product_set_status, product_update
from lending.views.applications import apply_page
from xinyidai.errors import DomainError
from xinyidai.forms import filter_form, form_add_domain_error
from xinyidai.views import error_message, paginate, role_required, stable_order


def product_list(request):
    """Listed products with filters, sorting and paging; for an SME, eligible products first with reasons."""
    facts = selectors.enterprise_facts_for(request.user)
    filterset = ProductFilter(request.GET, queryset=selectors.product_supermarket(user=request.user, facts=facts))
    filter_form(filterset)
    products = stable_order(filterset.qs, first=("-eligible",) if facts is not None else ())
    page_obj = paginate(request, products)
    page_obj.object_list = selectors.products_with_reasons(page_obj.object_list, facts)
    context = {"filter": filterset, "page_obj": page_obj, "facts": facts}
    return render(request, "lending/product_list.html", context)


def product_detail(request, pk: int):
    product = selectors.product_detail(user=request.user, pk=pk)
    facts = selectors.enterprise_facts_for(request.user)
    criteria = product_criteria(product, facts) if facts is not None else []
    can_edit = Product.objects.editable_by(request.user).filter(pk=product.pk).exists()
    context = {
        "product": product,
        "facts": facts,
        "criteria": criteria,
        "eligible": all(c.met for c in criteria) if facts is not None else None,
        "can_edit": can_edit,
        "size_labels": [SizeClass(code).label for code in product.size_class_list if code in SizeClass.values],
    }
    return render(request, "lending/product_detail.html", context)


@role_required("sme")
@require_http_methods(["GET", "POST"])
def product_apply(request, pk: int):
    """Apply to a listed product, with the explicit consent for its institution."""
    product = selectors.product_detail(user=request.user, pk=pk)
    facts = selectors.enterprise_facts_for(request.user)
    missed = [c for c in product_criteria(product, facts) if not c.met] if facts is not None else []
    return apply_page(
        request,
        institution=product.institution,
        target={"product_id": product.pk},
        back=("lending:product_detail", product.pk),
        initial={"amount": product.amount_min, "term_months": product.term_min_months},
        context={"product": product, "missed": missed},
    )


@role_required("officer")
def officer_products(request):
    page_obj = paginate(request, selectors.officer_products(user=request.user))
    return render(request, "lending/officer_products.html", {"page_obj": page_obj})


@role_required("officer")
@require_http_methods(["GET", "POST"])
def product_create(request):
    form = ProductForm(request.POST or None, officer=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                product = create_service(user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The product is saved."))
                return redirect("lending:product_detail", product.pk)
        return render(request, "lending/product_form.html", {"form": form}, status=400)
    return render(request, "lending/product_form.html", {"form": form})


@role_required("officer")
@require_http_methods(["GET", "POST"])
def product_edit(request, pk: int):
    product = get_object_or_404(Product.objects.editable_by(request.user).prefetch_related("regions", "tags"), pk=pk)
    initial = ProductForm.initial_for(product)
    form = ProductForm(request.POST or None, officer=request.user, editing=True, initial=initial)
    context = {"form": form, "product": product}
    if request.method == "POST":
        if form.is_valid():
            try:
                product_update(product_id=product.pk, user=request.user, **form.cleaned_data)
            except DomainError as error:
                form_add_domain_error(form, error)
            else:
                messages.success(request, _("The product is saved."))
                return redirect("lending:product_detail", product.pk)
        return render(request, "lending/product_form.html", context, status=400)
    return render(request, "lending/product_form.html", context)


def _set_status(request, pk: int, status: str, done_message):
    product = get_object_or_404(Product.objects.editable_by(request.user), pk=pk)
    try:
        product_set_status(product_id=product.pk, user=request.user, status=status)
    except DomainError as error:
        error_message(request, error)
    else:
        messages.success(request, done_message)
    return redirect("lending:officer_products")


@role_required("officer")
@require_POST
def product_unlist(request, pk: int):
    return _set_status(request, pk, Product.Status.UNLISTED, _("The product is no longer listed."))


@role_required("officer")
@require_POST
def product_relist(request, pk: int):
    return _set_status(request, pk, Product.Status.LISTED, _("The product is listed again."))
