"""Officers publish, edit, unlist and relist their institution's products."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from lending.models import Product
from xinyidai.errors import DomainError

M2M_FIELDS = ("regions", "industries", "tags")


def _check_ranges(product: Product) -> None:
    errors = {}
    if product.amount_min is not None and product.amount_max is not None and product.amount_max < product.amount_min:
        errors["amount_max"] = [str(_("The maximum amount must not be below the minimum."))]
    if product.term_max_months < product.term_min_months:
        errors["term_max_months"] = [str(_("The maximum term must not be below the minimum."))]
    if product.rate_max < product.rate_min:
        errors["rate_max"] = [str(_("The maximum rate must not be below the minimum."))]
    if errors:
        raise DomainError(code="invalid", message=_("Please correct the ranges."), detail=errors, status=400)


def _require_officer(user, institution) -> None:
    if not user.is_officer:
        raise DomainError(code="forbidden", message=_("Only bank officers manage products."), status=403)
    tree = type(institution).objects.filter(user.institution.subtree_q(""), pk=institution.pk)
    if not tree.exists():
        raise DomainError(
            code="forbidden", message=_("You can only manage your own institution's products."), status=403
        )


@transaction.atomic
def product_create(*, user, institution=None, **fields) -> Product:
    """Publish a product for the officer's institution (or one of its branches)."""
    institution = institution or user.institution
    _require_officer(user, institution)
    m2m = {key: fields.pop(key) for key in M2M_FIELDS if key in fields}
    product = Product(institution=institution, created_by=user, **fields)
    _check_ranges(product)
    product.save()
    for key, values in m2m.items():
        getattr(product, key).set(values)
    return product


@transaction.atomic
def product_update(*, product_id: int, user, **fields) -> Product:
    product = Product.objects.select_for_update().get(pk=product_id)
    _require_officer(user, product.institution)
    m2m = {key: fields.pop(key) for key in M2M_FIELDS if key in fields}
    fields.pop("institution", None)
    for key, value in fields.items():
        setattr(product, key, value)
    _check_ranges(product)
    product.save()
    for key, values in m2m.items():
        getattr(product, key).set(values)
    return product


@transaction.atomic
def product_set_status(*, product_id: int, user, status: str) -> Product:
    """Unlist (or relist) a product; applications already made are unaffected."""
    if status not in Product.Status.values:
        raise DomainError(code="invalid", message=_("Unknown product status."), status=400)
    product = Product.objects.select_for_update().get(pk=product_id)
    _require_officer(user, product.institution)
    product.status = status
    product.save(update_fields=["status", "updated_at"])
    return product
