"""Input and output serializers for the lending API. Inputs validate shape (types, ranges, enums);
the services enforce the rules. Money is Decimal yuan, serialized as strings; rates are annual percent."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from creditinfo.api.serializers import EnterpriseRefSerializer, TagRefSerializer
from creditinfo.models import EnterpriseTag, Evaluation, SizeClass
from lending.models import (
    Application,
    ApplicationEvent,
    CreditDecision,
    DemandClaim,
    FinancingDemand,
    GuaranteeMode,
    Loan,
    Product,
    ProductType,
    RejectReason,
)
from xinyidai.api.serializers import (
    IndustryRefSerializer,
    InstitutionRefSerializer,
    OutputModelSerializer,
    RegionRefSerializer,
)
from xinyidai.api.views import MAX_ID
from xinyidai.models import Industry, Institution, Region
from xinyidai.validators import PlainTextSerializerMixin

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 3}
POSITIVE_MONEY = {**MONEY, "min_value": Decimal("0.01")}
MAX_RATE = Decimal("36")
TERM_MONTHS = {"min_value": 1, "max_value": 360}


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- products ---------------------------------------------------------------------------------------------


class ProductRefSerializer(OutputModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name"]
        ref_name = "ProductRef"


class ReasonSerializer(serializers.Serializer):
    """One eligibility criterion for the caller's enterprise."""

    key = serializers.ChoiceField(choices=["region", "industry", "size", "tags", "grade"], read_only=True)
    met = serializers.BooleanField(read_only=True)
    message = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "EligibilityReason"


class ProductOutputSerializer(OutputModelSerializer):
    institution = InstitutionRefSerializer(read_only=True)
    size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), source="size_class_list", read_only=True
    )
    regions = RegionRefSerializer(many=True, read_only=True)
    industries = IndustryRefSerializer(many=True, read_only=True)
    tags = TagRefSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "institution",
            "product_type",
            "guarantee_mode",
            "description",
            "amount_min",
            "amount_max",
            "term_min_months",
            "term_max_months",
            "rate_min",
            "rate_max",
            "regions",
            "industries",
            "size_classes",
            "tags",
            "min_grade",
            "status",
            "created_at",
            "updated_at",
        ]
        ref_name = "Product"


class SupermarketProductSerializer(ProductOutputSerializer):
    """A product as the supermarket shows it to the caller, with its eligibility for the caller's enterprise."""

    eligible = serializers.BooleanField(
        read_only=True, allow_null=True, help_text=_("null when the caller has no enterprise to check against")
    )
    reasons = ReasonSerializer(many=True, read_only=True, source="criteria")

    class Meta(ProductOutputSerializer.Meta):
        fields = [*ProductOutputSerializer.Meta.fields, "eligible", "reasons"]
        ref_name = "SupermarketProduct"


class ProductInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """A product an officer publishes; eligibility lists are codes, empty meaning no restriction."""

    institution = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Institution.objects.all(),
        required=False,
        help_text=_("Code of the officer's institution or one of its branches; defaults to the officer's own"),
    )
    name = serializers.CharField(max_length=100)
    product_type = serializers.ChoiceField(choices=ProductType.choices)
    guarantee_mode = serializers.ChoiceField(choices=GuaranteeMode.choices)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    amount_min = serializers.DecimalField(min_value=Decimal("0"), **MONEY)
    amount_max = serializers.DecimalField(**POSITIVE_MONEY)
    term_min_months = serializers.IntegerField(**TERM_MONTHS)
    term_max_months = serializers.IntegerField(**TERM_MONTHS)
    rate_min = serializers.DecimalField(min_value=Decimal("0"), max_value=MAX_RATE, **RATE)
    rate_max = serializers.DecimalField(min_value=Decimal("0"), max_value=MAX_RATE, **RATE)
    regions = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), many=True, required=False)
    industries = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(level=Industry.Level.SECTION),
        many=True,
        required=False,
        help_text=_("GB/T 4754 section letters"),
    )
    size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), required=False, max_length=4
    )
    tags = serializers.SlugRelatedField(
        slug_field="code", queryset=EnterpriseTag.objects.all(), many=True, required=False
    )
    min_grade = serializers.ChoiceField(
        choices=Evaluation.Grade.choices,
        required=False,
        allow_blank=True,
        help_text=_("Minimum platform credit grade (A best, D worst); empty for any"),
    )

    class Meta:
        ref_name = "ProductInput"

    def validate_size_classes(self, value):
        # Stored as the comma-separated string the eligibility filter matches on.
        return ",".join(sorted(set(value)))


class ProductUpdateInputSerializer(ProductInputSerializer):
    """Any of the product's fields; its institution does not change."""

    institution = None

    class Meta:
        ref_name = "ProductUpdate"


# --- demands and claims -----------------------------------------------------------------------------------


class DemandOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    region = RegionRefSerializer(read_only=True)
    guarantee_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=GuaranteeMode.choices), read_only=True
    )

    class Meta:
        model = FinancingDemand
        fields = [
            "id",
            "enterprise",
            "region",
            "amount",
            "term_months",
            "purpose",
            "guarantee_modes",
            "status",
            "created_at",
        ]
        ref_name = "Demand"


class ClaimOutputSerializer(OutputModelSerializer):
    demand = DemandOutputSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)

    class Meta:
        model = DemandClaim
        fields = ["id", "demand", "institution", "claimed_at", "deadline", "status", "closed_at"]
        ref_name = "DemandClaim"


class DemandClaimRefSerializer(OutputModelSerializer):
    institution = InstitutionRefSerializer(read_only=True)

    class Meta:
        model = DemandClaim
        fields = ["id", "institution", "claimed_at", "deadline", "status", "closed_at"]
        ref_name = "DemandClaimRef"


class DemandDetailOutputSerializer(DemandOutputSerializer):
    claims = DemandClaimRefSerializer(many=True, read_only=True)

    class Meta(DemandOutputSerializer.Meta):
        fields = [*DemandOutputSerializer.Meta.fields, "claims"]
        ref_name = "DemandDetail"


class DemandInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    amount = serializers.DecimalField(help_text=_("Amount needed (yuan)"), **POSITIVE_MONEY)
    term_months = serializers.IntegerField(**TERM_MONTHS)
    purpose = serializers.CharField(max_length=200)
    guarantee_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=GuaranteeMode.choices), min_length=1, max_length=len(GuaranteeMode)
    )

    class Meta:
        ref_name = "DemandPublish"


# --- applications -----------------------------------------------------------------------------------------


class ApplicationOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)
    product = ProductRefSerializer(read_only=True, allow_null=True)
    demand_claim = serializers.IntegerField(source="demand_claim_id", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True, help_text=_("Past the working-day response deadline"))
    enterprise_grade = serializers.SerializerMethodField(
        help_text=_(
            "The applicant's advisory credit grade (A-D); null before its first evaluation, for government staff, "
            "and for officers once the consent given with the application has ended. Never decisive."
        ),
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "number",
            "enterprise",
            "enterprise_grade",
            "institution",
            "product",
            "demand_claim",
            "amount",
            "term_months",
            "purpose",
            "status",
            "submitted_at",
            "respond_by",
            "is_overdue",
            "updated_at",
        ]
        ref_name = "Application"

    @extend_schema_field(serializers.ChoiceField(choices=Evaluation.Grade.choices, allow_null=True))
    def get_enterprise_grade(self, application) -> str | None:
        request = self.context.get("request")
        evaluation = application.evaluation_for(request.user) if request else None
        return evaluation.grade if evaluation else None


class EventOutputSerializer(OutputModelSerializer):
    actor = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ApplicationEvent
        fields = ["kind", "from_status", "to_status", "actor", "note", "data", "created_at"]
        ref_name = "ApplicationEvent"


class DecisionOutputSerializer(OutputModelSerializer):
    class Meta:
        model = CreditDecision
        fields = [
            "outcome",
            "amount",
            "annual_rate",
            "term_months",
            "guarantee_mode",
            "reason_code",
            "note",
            "decided_at",
        ]
        ref_name = "CreditDecision"


class ApplicationDetailOutputSerializer(ApplicationOutputSerializer):
    events = EventOutputSerializer(many=True, read_only=True, help_text=_("The timeline, oldest first"))
    decision = DecisionOutputSerializer(read_only=True, allow_null=True)
    loan = serializers.IntegerField(
        source="loan_or_none.pk", read_only=True, allow_null=True, help_text=_("Id of the loan once disbursed")
    )
    authorization_valid_until = serializers.DateTimeField(source="authorization.valid_until", read_only=True)

    class Meta(ApplicationOutputSerializer.Meta):
        fields = [*ApplicationOutputSerializer.Meta.fields, "events", "decision", "loan", "authorization_valid_until"]
        ref_name = "ApplicationDetail"


class ApplicationSubmitInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """Apply to a listed product or to the institution that claimed your demand (give exactly one)."""

    product = _id_field(required=False, help_text=_("Product id"))
    claim = _id_field(required=False, help_text=_("Demand claim id"))
    amount = serializers.DecimalField(help_text=_("Amount requested (yuan)"), **POSITIVE_MONEY)
    term_months = serializers.IntegerField(**TERM_MONTHS)
    purpose = serializers.CharField(max_length=200)
    consent = serializers.BooleanField(
        help_text=_("Must be true: authorizes the institution to query the enterprise's credit information")
    )

    class Meta:
        ref_name = "ApplicationSubmit"


class ApproveInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    amount = serializers.DecimalField(help_text=_("Approved amount (yuan)"), **POSITIVE_MONEY)
    annual_rate = serializers.DecimalField(
        min_value=Decimal("0.001"), max_value=MAX_RATE, help_text=_("Annual rate in percent, e.g. 3.650"), **RATE
    )
    term_months = serializers.IntegerField(**TERM_MONTHS)
    guarantee_mode = serializers.ChoiceField(
        choices=GuaranteeMode.choices,
        required=False,
        allow_blank=True,
        help_text=_("Defaults to the product's guarantee mode (credit for demand-based applications)"),
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        ref_name = "ApplicationApprove"


class RejectInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=RejectReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        ref_name = "ApplicationReject"


class DisburseInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    contract_number = serializers.CharField(max_length=40)
    principal = serializers.DecimalField(
        required=False, help_text=_("Defaults to the approved amount (yuan)"), **POSITIVE_MONEY
    )
    disbursed_on = serializers.DateField()
    maturity_on = serializers.DateField(required=False, help_text=_("Defaults to disbursement date + approved term"))
    first_loan_attested = serializers.BooleanField(
        default=False, help_text=_("The bank attests the enterprise had no prior loan (首贷)")
    )

    class Meta:
        ref_name = "ApplicationDisburse"

    def validate_disbursed_on(self, value: datetime.date) -> datetime.date:
        # The service derives the maturity date before it checks this, and a date near 9999-12-31 would
        # overflow there; refusing future dates here keeps the answer a 400.
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The disbursement date cannot be in the future."))
        return value


class NoteInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        ref_name = "ApplicationNote"


# --- loans ------------------------------------------------------------------------------------------------


class LoanOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)
    product = ProductRefSerializer(read_only=True, allow_null=True)
    application = serializers.IntegerField(source="application_id", read_only=True)

    class Meta:
        model = Loan
        fields = [
            "id",
            "contract_number",
            "application",
            "enterprise",
            "institution",
            "product",
            "principal",
            "annual_rate",
            "term_months",
            "disbursed_on",
            "maturity_on",
            "guarantee_mode",
            "first_loan_attested",
            "outstanding_balance",
            "status",
            "created_at",
        ]
        ref_name = "Loan"
