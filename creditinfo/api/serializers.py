"""Input and output serializers for enterprises and authorizations. Shape only; services hold the rules."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from creditinfo.models import Authorization, Enterprise, EnterpriseTag
from creditinfo.uscc import validate_uscc
from xinyidai.api.serializers import (
    IndustryRefSerializer,
    InstitutionRefSerializer,
    OutputModelSerializer,
    RegionRefSerializer,
)
from xinyidai.models import Industry, Institution, Region
from xinyidai.validators import PlainTextSerializerMixin

MONEY = {"max_digits": 18, "decimal_places": 2}


class TagRefSerializer(OutputModelSerializer):
    class Meta:
        model = EnterpriseTag
        fields = ["code", "name"]
        ref_name = "EnterpriseTagRef"


class EnterpriseRefSerializer(OutputModelSerializer):
    """The few fields another object shows of its enterprise."""

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name"]
        ref_name = "EnterpriseRef"


class EnterpriseOutputSerializer(OutputModelSerializer):
    region = RegionRefSerializer(read_only=True)
    industry = IndustryRefSerializer(read_only=True)
    tags = TagRefSerializer(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "legal_representative",
            "region",
            "industry",
            "employees",
            "revenue",
            "assets",
            "size_class",
            "size_standard_version",
            "tags",
            "address",
            "contact_phone",
            "created_at",
        ]
        ref_name = "Enterprise"


class EnterpriseInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """Registration fields; region by GB/T 2260 code, industry by GB/T 4754 division (or group) code, tags by code.

    The size class is computed from employees, revenue and assets; it is not an input.
    """

    uscc = serializers.CharField(max_length=32, validators=[validate_uscc], help_text=_("Unified social credit code"))
    name = serializers.CharField(max_length=128)
    legal_representative = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all())
    industry = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(level__in=[Industry.Level.DIVISION, Industry.Level.GROUP]),
        help_text=_("GB/T 4754-2017 division (two digits) or group code"),
    )
    employees = serializers.IntegerField(min_value=0, max_value=10_000_000)
    revenue = serializers.DecimalField(min_value=Decimal("0"), help_text=_("Operating revenue (yuan)"), **MONEY)
    assets = serializers.DecimalField(min_value=Decimal("0"), help_text=_("Total assets (yuan)"), **MONEY)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    tags = serializers.SlugRelatedField(
        slug_field="code", queryset=EnterpriseTag.objects.all(), many=True, required=False, default=list
    )

    class Meta:
        ref_name = "EnterpriseRegister"


class EnterpriseUpdateInputSerializer(EnterpriseInputSerializer):
    """The editable fields (all optional); the USCC identifies the enterprise and never changes."""

    uscc = None

    class Meta:
        ref_name = "EnterpriseUpdate"


class AuthorizationOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)
    is_live = serializers.BooleanField(read_only=True, help_text=_("Not revoked and within its validity window"))

    class Meta:
        model = Authorization
        fields = [
            "id",
            "enterprise",
            "institution",
            "purpose",
            "valid_from",
            "valid_until",
            "revoked_at",
            "is_live",
            "consent_text",
        ]
        ref_name = "Authorization"


class AuthorizationGrantInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """An SME's consent: the institution (a head office or a branch) by id, the purpose, how many days."""

    institution = serializers.PrimaryKeyRelatedField(
        queryset=Institution.objects.filter(is_active=True), help_text=_("Institution id (head office or branch)")
    )
    purpose = serializers.ChoiceField(choices=Authorization.Purpose.choices)
    days = serializers.IntegerField(min_value=1, max_value=365, default=90, help_text=_("Validity in days, 1-365"))

    class Meta:
        ref_name = "AuthorizationGrant"
