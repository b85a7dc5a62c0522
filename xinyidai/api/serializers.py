"""Output serializers for the core reference models, nested by the apps' API outputs."""

from rest_framework import serializers

from xinyidai.models import Industry, Institution, Region


class OutputModelSerializer(serializers.ModelSerializer):
    """An output-only ModelSerializer: every model field is read-only.

    Marked here rather than with Meta.read_only_fields because DRF drops `allow_blank` from fields listed there,
    and the schema would then document a blank-able choice (a rejected decision's guarantee mode, an enterprise
    without a size class) as never blank, while the API answers "".
    """

    def build_field(self, field_name, info, model_class, nested_depth):
        field_class, kwargs = super().build_field(field_name, info, model_class, nested_depth)
        kwargs.pop("queryset", None)
        kwargs.pop("required", None)
        kwargs["read_only"] = True
        return field_class, kwargs


class RegionRefSerializer(OutputModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]
        ref_name = "RegionRef"


class IndustryRefSerializer(OutputModelSerializer):
    class Meta:
        model = Industry
        fields = ["code", "name"]
        ref_name = "IndustryRef"


class InstitutionRefSerializer(OutputModelSerializer):
    class Meta:
        model = Institution
        fields = ["id", "code", "name", "short_name"]
        ref_name = "InstitutionRef"
