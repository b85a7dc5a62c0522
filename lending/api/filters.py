"""API-only additions to the shared FilterSets in lending/filters.py."""

import copy

import django_filters as filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from lending.filters import ProductFilter
from lending.models import DemandClaim, Product


def _documented_as_code(shared_filter):
    """A copy of a shared filter that the schema documents as a string (the filter takes a region code, and
    drf-spectacular cannot infer that from a method-based filter on a field the model does not have)."""
    return extend_schema_field(OpenApiTypes.STR)(copy.deepcopy(shared_filter))


class SupermarketFilter(ProductFilter):
    """ProductFilter as the API documents it."""

    region = _documented_as_code(ProductFilter.base_filters["region"])


class InstitutionProductFilter(SupermarketFilter):
    """The supermarket filters plus the listing status, for an officer's own products."""

    status = filters.ChoiceFilter(label=_("Status"), choices=Product.Status.choices)

    class Meta(SupermarketFilter.Meta):
        fields = [*ProductFilter.Meta.fields, "status"]


class ClaimFilter(filters.FilterSet):
    status = filters.ChoiceFilter(label=_("Status"), choices=DemandClaim.Status.choices)

    class Meta:
        model = DemandClaim
        fields = ["status"]
