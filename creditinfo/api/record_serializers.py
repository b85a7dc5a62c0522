"""Output serializers for credit records, evaluations and the query log (shape only; texts arrive masked)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from creditinfo.api.serializers import EnterpriseRefSerializer
from creditinfo.models import CreditRecord, DataSource, QueryLog
from xinyidai.api.serializers import InstitutionRefSerializer, OutputModelSerializer
from xinyidai.models import User


class DataSourceRefSerializer(OutputModelSerializer):
    class Meta:
        model = DataSource
        fields = ["code", "name", "department"]
        ref_name = "DataSourceRef"


class CreditRecordOutputSerializer(OutputModelSerializer):
    """A published record as the profile shows it: personal data of individuals masked."""

    source = DataSourceRefSerializer(read_only=True)
    is_disputed = serializers.BooleanField(read_only=True, help_text=_("The enterprise disputes the record"))
    as_of = serializers.DateField(read_only=True, help_text=_("The day the source last sent or confirmed the record"))

    class Meta:
        model = CreditRecord
        fields = [
            "id",
            "category",
            "source",
            "source_record_id",
            "decision_date",
            "severity",
            "title",
            "authority",
            "detail",
            "publish_until",
            # No `status`: a published record is active or disputed, which is_disputed says (and a second
            # "status" enum would clash in the schema's enum names).
            "is_disputed",
            "as_of",
        ]
        ref_name = "CreditRecord"


class FactorOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable code of the factor"))
    points = serializers.IntegerField(help_text=_("Signed contribution to the score, in points (of 1000)"))
    text = serializers.CharField(help_text=_("Plain-language explanation in the request's language"))

    class Meta:
        ref_name = "EvaluationFactor"


class ImprovementOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable code of the suggestion"))
    text = serializers.CharField(help_text=_("What would raise the grade, in the request's language"))

    class Meta:
        ref_name = "EvaluationImprovement"


class EvaluationOutputSerializer(serializers.Serializer):
    """The current advisory evaluation: it never decides an application by itself."""

    enterprise = EnterpriseRefSerializer(read_only=True)
    score = serializers.IntegerField(min_value=0, max_value=1000)
    grade = serializers.CharField()
    factors = FactorOutputSerializer(many=True)
    improvements = ImprovementOutputSerializer(many=True)
    model_version = serializers.CharField()
    computed_at = serializers.DateTimeField()
    advisory = serializers.CharField(help_text=_("Reminder that the score is advisory"))

    class Meta:
        ref_name = "Evaluation"


class QueryLogUserSerializer(OutputModelSerializer):
    class Meta:
        model = User
        fields = ["id", "full_name"]
        ref_name = "QueryLogUser"


class QueryLogOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    user = QueryLogUserSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)

    class Meta:
        model = QueryLog
        fields = ["id", "enterprise", "user", "institution", "authorization", "purpose", "what", "created_at"]
        ref_name = "QueryLogEntry"
