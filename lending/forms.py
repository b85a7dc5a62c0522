"""Forms for the lending pages: they validate shape only; the services enforce the rules."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from creditinfo.models import EnterpriseTag, Evaluation, SizeClass
from lending.models import GuaranteeMode, Product, ProductType, RejectReason
from xinyidai.forms import WanYuanField
from xinyidai.models import Industry, Institution, Region
from xinyidai.validators import PlainTextFormMixin

RATE_FIELD = {"max_digits": 6, "decimal_places": 3, "min_value": Decimal("0"), "max_value": Decimal("100")}
TERM_FIELD = {"min_value": 1, "max_value": 360}
CONSENT_REQUIRED = _("You must authorize the institution to query your credit information to apply.")


class ApplyForm(PlainTextFormMixin, forms.Form):
    """An application to a product or to a claimed demand, with the explicit consent step."""

    amount = WanYuanField(label=_("Amount requested (10k yuan)"), help_text=_("In 万元: enter 50 for 500,000 yuan."))
    term_months = forms.IntegerField(label=_("Term (months)"), **TERM_FIELD)
    purpose = forms.CharField(label=_("Purpose of the loan"), max_length=200)
    consent = forms.BooleanField(
        label=_("I have read the authorization above and consent to it."),
        required=True,
        error_messages={"required": CONSENT_REQUIRED},
    )


class DemandForm(PlainTextFormMixin, forms.Form):
    amount = WanYuanField(label=_("Amount needed (10k yuan)"), help_text=_("In 万元: enter 100 for 1,000,000 yuan."))
    term_months = forms.IntegerField(label=_("Term (months)"), **TERM_FIELD)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    guarantee_modes = forms.MultipleChoiceField(
        label=_("Acceptable guarantee modes"), choices=GuaranteeMode.choices, widget=forms.CheckboxSelectMultiple
    )


class RegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class InstitutionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ProductForm(PlainTextFormMixin, forms.Form):
    """A product's terms and eligibility; amounts in 万元, rates in percent a year."""

    institution = InstitutionChoiceField(label=_("Offered by"), queryset=Institution.objects.none(), empty_label=None)
    name = forms.CharField(label=_("Product name"), max_length=100)
    product_type = forms.ChoiceField(label=_("Product type"), choices=ProductType.choices)
    guarantee_mode = forms.ChoiceField(label=_("Guarantee mode"), choices=GuaranteeMode.choices)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    amount_min = WanYuanField(label=_("Minimum amount (10k yuan)"))
    amount_max = WanYuanField(label=_("Maximum amount (10k yuan)"))
    term_min_months = forms.IntegerField(label=_("Minimum term (months)"), **TERM_FIELD)
    term_max_months = forms.IntegerField(label=_("Maximum term (months)"), **TERM_FIELD)
    rate_min = forms.DecimalField(label=_("Minimum annual rate (%)"), **RATE_FIELD)
    rate_max = forms.DecimalField(label=_("Maximum annual rate (%)"), **RATE_FIELD)
    regions = RegionMultipleChoiceField(
        label=_("Eligible regions"),
        queryset=Region.objects.order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Leave empty for every region the institution serves."),
    )
    industries = forms.ModelMultipleChoiceField(
        label=_("Eligible industry sections"),
        queryset=Industry.objects.filter(level=Industry.Level.SECTION).order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every industry."),
    )
    size_classes = forms.MultipleChoiceField(
        label=_("Eligible size classes"),
        choices=SizeClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every size."),
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Required qualifications (any of)"),
        queryset=EnterpriseTag.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_grade = forms.ChoiceField(
        label=_("Minimum credit grade"),
        choices=[("", _("Any grade")), *Evaluation.Grade.choices],
        required=False,
        help_text=_("The enterprise's platform evaluation must be this grade or better (A is best)."),
    )
    status = forms.ChoiceField(
        label=_("Publish"),
        choices=[(Product.Status.LISTED, _("List it now")), (Product.Status.DRAFT, _("Keep as a draft"))],
        initial=Product.Status.LISTED,
    )

    def __init__(self, *args, officer, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Institution.objects.filter(officer.institution.subtree_q("")).order_by(
            "code"
        )
        if editing:
            # The institution of a product and its listing status change through their own actions.
            del self.fields["institution"]
            del self.fields["status"]

    def clean_size_classes(self):
        return ",".join(code for code in SizeClass.values if code in self.cleaned_data["size_classes"])

    @staticmethod
    def initial_for(product: Product) -> dict:
        initial = {name: getattr(product, name) for name in ProductForm.base_fields if name != "size_classes"}
        initial["size_classes"] = product.size_class_list
        for name in ("regions", "industries", "tags"):
            initial[name] = list(getattr(product, name).all())
        return initial


class ApproveForm(PlainTextFormMixin, forms.Form):
    """Credit decision (授信)."""

    amount = WanYuanField(label=_("Approved amount (10k yuan)"))
    annual_rate = forms.DecimalField(label=_("Annual rate (%)"), **RATE_FIELD)
    term_months = forms.IntegerField(label=_("Term (months)"), **TERM_FIELD)
    guarantee_mode = forms.ChoiceField(label=_("Guarantee mode"), choices=GuaranteeMode.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class RejectForm(PlainTextFormMixin, forms.Form):
    reason_code = forms.ChoiceField(label=_("Reason"), choices=[("", "---------"), *RejectReason.choices])
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DisburseForm(PlainTextFormMixin, forms.Form):
    """Disbursement (放款); principal defaults to the approved amount and maturity to the approved term."""

    contract_number = forms.CharField(label=_("Loan contract number"), max_length=40)
    principal = WanYuanField(
        label=_("Principal (10k yuan)"), required=False, help_text=_("Leave empty to disburse the approved amount.")
    )
    disbursed_on = forms.DateField(
        label=_("Disbursement date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    maturity_on = forms.DateField(
        label=_("Maturity date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for the disbursement date plus the approved term."),
    )
    first_loan_attested = forms.BooleanField(
        label=_("First loan: the enterprise had no prior loan in the central bank's credit system (bank-attested)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("disbursed_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class NoteForm(PlainTextFormMixin, forms.Form):
    """Withdraw or decline: an optional note."""

    note = forms.CharField(label=_("Note (optional)"), max_length=500, required=False)
