"""FilterSets shared by the HTML lists and the API."""

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lending.models import Application, FinancingDemand, GuaranteeMode, Loan, Product, ProductType
from xinyidai.models import Institution, Region


class _RawNullBooleanSelect(forms.NullBooleanSelect):
    """Renders the yes/no/any select, but hands the field what was sent (the stock widget turns junk into "any")."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    """true/1, false/0, or empty/"unknown" (no filter); anything else is invalid (a 400 over the API)."""

    widget = _RawNullBooleanSelect

    def to_python(self, value):
        if value in (None, True, False):
            return value
        text = str(value).strip().lower()
        if text in ("", "unknown"):
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class ProductFilter(filters.FilterSet):
    """Product supermarket filters: an amount or term the product must cover, a rate ceiling."""

    product_type = filters.ChoiceFilter(label=_("Product type"), choices=ProductType.choices)
    guarantee_mode = filters.ChoiceFilter(label=_("Guarantee mode"), choices=GuaranteeMode.choices)
    amount = filters.NumberFilter(label=_("Amount needed (yuan)"), method="filter_amount", min_value=0)
    term_months = filters.NumberFilter(label=_("Term (months)"), method="filter_term", min_value=1)
    max_rate = filters.NumberFilter(label=_("Highest acceptable rate (%)"), field_name="rate_min", lookup_expr="lte")
    institution = filters.ModelChoiceFilter(
        label=_("Institution"), queryset=Institution.objects.filter(parent__isnull=True), method="filter_institution"
    )
    region = filters.ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.exclude(level=Region.Level.COUNTY),
        method="filter_region",
        to_field_name="code",
    )
    q = filters.CharFilter(label=_("Search"), method="filter_search")
    ordering = filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("rate_min", "rate"), ("amount_max", "amount"), ("term_max_months", "term"), ("created_at", "newest")),
        field_labels={
            "rate_min": _("Rate"),
            "amount_max": _("Amount"),
            "term_max_months": _("Term"),
            "created_at": _("Newest"),
        },
    )

    class Meta:
        model = Product
        fields = ["product_type", "guarantee_mode"]

    def filter_amount(self, queryset, name, value):
        return queryset.filter(amount_min__lte=value, amount_max__gte=value)

    def filter_term(self, queryset, name, value):
        return queryset.filter(term_min_months__lte=value, term_max_months__gte=value)

    def filter_institution(self, queryset, name, value):
        return queryset.filter(value.subtree_q("institution"))

    def filter_region(self, queryset, name, value: Region):
        """Products that serve the region: listed for it (or an ancestor), or offered by an institution above it."""
        ids = value.ancestors_and_self_ids()
        return queryset.filter(
            Q(regions__id__in=ids) | Q(regions__isnull=True, institution__region_id__in=ids)
        ).distinct()

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(institution__name__icontains=value))


class ApplicationFilter(filters.FilterSet):
    # A plain column: no join can repeat a row, so no DISTINCT (which would defeat the index order).
    status = filters.MultipleChoiceFilter(label=_("Status"), choices=Application.Status.choices, distinct=False)
    submitted_from = filters.DateFilter(label=_("Submitted from"), field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = filters.DateFilter(label=_("Submitted to"), field_name="submitted_at", lookup_expr="date__lte")
    q = filters.CharFilter(label=_("Enterprise name, USCC or number"), method="filter_search")
    overdue = StrictBooleanFilter(label=_("Overdue"), method="filter_overdue")

    class Meta:
        model = Application
        fields = ["status"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(enterprise__name__icontains=value) | Q(enterprise__uscc=value.upper()) | Q(number=value.upper())
        )

    def filter_overdue(self, queryset, name, value):
        overdue = Application.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


class DemandFilter(filters.FilterSet):
    status = filters.ChoiceFilter(label=_("Status"), choices=FinancingDemand.Status.choices)
    amount_min = filters.NumberFilter(label=_("Amount from (yuan)"), field_name="amount", lookup_expr="gte")
    amount_max = filters.NumberFilter(label=_("Amount to (yuan)"), field_name="amount", lookup_expr="lte")
    guarantee_mode = filters.ChoiceFilter(
        label=_("Guarantee mode"), choices=GuaranteeMode.choices, method="filter_mode"
    )
    region = filters.ModelChoiceFilter(
        label=_("Region"), queryset=Region.objects.all(), method="filter_region", to_field_name="code"
    )

    class Meta:
        model = FinancingDemand
        fields = ["status"]

    def filter_mode(self, queryset, name, value):
        # Portable across SQLite and PostgreSQL: the JSON list is stored as text like ["03", "04"].
        return queryset.filter(guarantee_modes__icontains=f'"{value}"')

    def filter_region(self, queryset, name, value):
        return queryset.filter(value.subtree_q("region"))


class LoanFilter(filters.FilterSet):
    status = filters.ChoiceFilter(label=_("Status"), choices=Loan.Status.choices)
    guarantee_mode = filters.ChoiceFilter(label=_("Guarantee mode"), choices=GuaranteeMode.choices)
    disbursed_from = filters.DateFilter(label=_("Disbursed from"), field_name="disbursed_on", lookup_expr="gte")
    disbursed_to = filters.DateFilter(label=_("Disbursed to"), field_name="disbursed_on", lookup_expr="lte")
    first_loan_attested = StrictBooleanFilter(label=_("First loan (bank-attested)"))

    class Meta:
        model = Loan
        fields = ["status", "guarantee_mode", "first_loan_attested"]
