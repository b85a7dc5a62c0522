"""Input and output serializers for objections and repair requests. Shape only; the services hold the rules."""

from django.utils import timezone
from rest_framework import serializers

from creditinfo.api.serializers import EnterpriseRefSerializer
from creditinfo.models import CreditRecord, Objection, RepairRequest, Severity
from xinyidai.api.serializers import OutputModelSerializer
from xinyidai.api.views import MAX_ID
from xinyidai.validators import PlainTextSerializerMixin


class RecordRefSerializer(OutputModelSerializer):
    """The disputed or repaired record, as the objection and repair lists show it."""

    class Meta:
        model = CreditRecord
        fields = ["id", "category", "title", "decision_date", "severity", "status", "publish_until"]
        ref_name = "CreditRecordRef"


class ObjectionOutputSerializer(OutputModelSerializer):
    record = RecordRefSerializer(read_only=True)
    enterprise = EnterpriseRefSerializer(read_only=True)
    has_evidence = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Objection
        fields = [
            "id",
            "record",
            "enterprise",
            "reason",
            "has_evidence",
            "status",
            "due_on",
            "overdue",
            "response",
            "resolved_at",
            "created_at",
        ]
        ref_name = "Objection"

    def get_has_evidence(self, objection) -> bool:
        return bool(objection.evidence)

    def get_overdue(self, objection) -> bool:
        """Still open after the answer deadline."""
        return objection.status == Objection.Status.OPEN and objection.due_on < timezone.localdate()


class ObjectionRaiseInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    record = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of one of your enterprise's published records."
    )
    reason = serializers.CharField(max_length=4000, help_text="Why the record is wrong (the enterprise's statement).")

    class Meta:
        ref_name = "ObjectionRaiseInput"


class CorrectionInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    detail = serializers.CharField(required=False, allow_blank=True)
    decision_date = serializers.DateField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False, allow_blank=True)
    publish_until = serializers.DateField(required=False, allow_null=True, help_text="The end the source set, if any.")

    class Meta:
        ref_name = "ObjectionCorrectionInput"


class ObjectionResolveInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in Objection.Status if s != Objection.Status.OPEN],
        help_text="corrected (with `correction`), removed (record leaves publication), or unresolved "
        "(record stays, shown with both statements).",
    )
    response = serializers.CharField(max_length=4000, help_text="The platform's statement to the enterprise.")
    correction = CorrectionInputSerializer(required=False, help_text="The corrected fields, for `corrected`.")

    class Meta:
        ref_name = "ObjectionResolveInput"


class RepairRequestOutputSerializer(OutputModelSerializer):
    record = RecordRefSerializer(read_only=True)
    enterprise = EnterpriseRefSerializer(read_only=True)
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = RepairRequest
        fields = [
            "id",
            "record",
            "enterprise",
            "obligation_fulfilled_on",
            "statement",
            "has_evidence",
            "status",
            "decision_note",
            "decided_at",
            "created_at",
        ]
        ref_name = "RepairRequest"

    def get_has_evidence(self, repair) -> bool:
        return bool(repair.evidence)


class RepairRequestInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    record = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of one of your enterprise's negative records."
    )
    obligation_fulfilled_on = serializers.DateField(help_text="When the obligation was met (not in the future).")
    statement = serializers.CharField(max_length=4000)

    class Meta:
        ref_name = "RepairRequestInput"


class RepairDecisionInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, help_text="Required to reject.")

    class Meta:
        ref_name = "RepairDecisionInput"
