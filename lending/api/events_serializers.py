"""Input and output serializers for matchmaking events, their participants and intents. Inputs validate shape;
lending.services.events enforces the rules. Money is Decimal yuan, as strings."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from creditinfo.api.serializers import EnterpriseRefSerializer
from creditinfo.models import EnterpriseTag, Evaluation, SizeClass
from lending.api.serializers import ProductRefSerializer
from lending.models import EventParticipant, Intent, IntentDropReason, MatchmakingEvent
from lending.services.events import CRITERIA_INVITE_LIMIT
from xinyidai.api.serializers import (
    IndustryRefSerializer,
    InstitutionRefSerializer,
    OutputModelSerializer,
    RegionRefSerializer,
)
from xinyidai.api.views import MAX_ID
from xinyidai.models import Industry, Region
from xinyidai.validators import PlainTextSerializerMixin

MONEY = {"max_digits": 18, "decimal_places": 2}
MAX_IDS = 5000  # ids in one invitation or attendance call


def _id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _id_list(**kwargs):
    return serializers.ListField(child=_id_field(), max_length=MAX_IDS, **kwargs)


# --- events -------------------------------------------------------------------------------------------------


class EventOutputSerializer(OutputModelSerializer):
    region = RegionRefSerializer(read_only=True)
    theme_industries = IndustryRefSerializer(many=True, read_only=True)

    class Meta:
        model = MatchmakingEvent
        fields = [
            "id",
            "title",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "region",
            "theme",
            "description",
            "theme_industries",
            "open_registration",
            "capacity",
            "status",
            "created_at",
        ]
        ref_name = "MatchmakingEvent"


class EventInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """A new event, for the staff member's region or one below it."""

    title = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=MatchmakingEvent.Kind.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text=_("GB/T 2260 code of the event's region")
    )
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    theme = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    theme_industries = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Industry.objects.filter(level=Industry.Level.SECTION),
        many=True,
        required=False,
        help_text=_("GB/T 4754 section letters"),
    )
    open_registration = serializers.BooleanField(default=True)
    capacity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False, allow_null=True)

    class Meta:
        ref_name = "MatchmakingEventInput"


class InviteInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    enterprise_ids = _id_list(required=False, default=list)
    institution_ids = _id_list(required=False, default=list)

    class Meta:
        ref_name = "EventInvite"

    def validate(self, data):
        if not data["enterprise_ids"] and not data["institution_ids"]:
            raise serializers.ValidationError(_("Give at least one enterprise or institution to invite."))
        return data


class CriteriaInviteInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """Every enterprise of the region (default: the event's) matching all the criteria given."""

    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, help_text=_("GB/T 2260 code")
    )
    section_codes = serializers.ListField(
        child=serializers.CharField(max_length=1), required=False, default=list, max_length=20
    )
    size_classes = serializers.ListField(
        child=serializers.ChoiceField(choices=SizeClass.choices), required=False, default=list, max_length=4
    )
    tags = serializers.SlugRelatedField(
        slug_field="code", queryset=EnterpriseTag.objects.all(), many=True, required=False, default=list
    )
    min_grade = serializers.ChoiceField(choices=Evaluation.Grade.choices, required=False, allow_blank=True, default="")
    no_loan_only = serializers.BooleanField(default=False, help_text=_("Only enterprises without any loan"))
    limit = serializers.IntegerField(min_value=1, max_value=CRITERIA_INVITE_LIMIT, default=CRITERIA_INVITE_LIMIT)

    class Meta:
        ref_name = "EventInviteByCriteria"

    def service_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "region_id": data["region"].pk if data.get("region") else None,
            "section_codes": data["section_codes"],
            "size_classes": data["size_classes"],
            "tag_ids": [tag.pk for tag in data["tags"]],
            "min_grade": data["min_grade"],
            "no_loan_only": data["no_loan_only"],
            "limit": data["limit"],
        }


class InvitedOutputSerializer(serializers.Serializer):
    invited = serializers.IntegerField(help_text=_("How many were newly invited"))

    class Meta:
        ref_name = "EventInvited"


class AttendanceInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    participant_ids = _id_list(min_length=1)
    attended = serializers.BooleanField(help_text=_("true: attended; false: did not attend"))

    class Meta:
        ref_name = "EventAttendance"


class AttendanceOutputSerializer(serializers.Serializer):
    updated = serializers.IntegerField()

    class Meta:
        ref_name = "EventAttendanceResult"


class ParticipantOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True, allow_null=True)
    institution = InstitutionRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = EventParticipant
        fields = [
            "id",
            "event",
            "enterprise",
            "institution",
            "status",
            "invited",
            "invited_at",
            "registered_at",
            "attended_at",
        ]
        ref_name = "EventParticipant"


class FunnelOutputSerializer(serializers.Serializer):
    """The event's funnel: enterprises invited, registered, attended; intents and how far they went."""

    events = serializers.IntegerField()
    invited = serializers.IntegerField()
    registered = serializers.IntegerField()
    attended = serializers.IntegerField()
    declined = serializers.IntegerField()
    institutions = serializers.IntegerField()
    institutions_attended = serializers.IntegerField()
    intents = serializers.IntegerField()
    intent_amount = serializers.DecimalField(help_text=_("yuan"), **MONEY)
    contacted = serializers.IntegerField()
    applied = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    disbursed_principal = serializers.DecimalField(help_text=_("Principal of the loans (yuan)"), **MONEY)
    dropped = serializers.IntegerField()

    class Meta:
        ref_name = "EventFunnel"


# --- intents --------------------------------------------------------------------------------------------------


class IntentOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    institution = InstitutionRefSerializer(read_only=True)
    product = ProductRefSerializer(read_only=True, allow_null=True)
    event = serializers.IntegerField(source="event_id", read_only=True)
    application = serializers.IntegerField(source="application_id", read_only=True, allow_null=True)
    loan = serializers.IntegerField(source="loan_id", read_only=True, allow_null=True)

    class Meta:
        model = Intent
        fields = [
            "id",
            "event",
            "enterprise",
            "institution",
            "product",
            "amount",
            "status",
            "application",
            "loan",
            "drop_reason",
            "note",
            "recorded_at",
            "contacted_at",
            "applied_at",
            "disbursed_at",
            "dropped_at",
            "updated_at",
        ]
        ref_name = "Intent"


class IntentInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    event = _id_field(help_text=_("Event id"))
    enterprise = _id_field(help_text=_("Enterprise id"))
    institution = _id_field(help_text=_("Institution id (the participant or one of its branches)"))
    amount = serializers.DecimalField(min_value=Decimal("0.01"), help_text=_("Intended amount (yuan)"), **MONEY)
    product = _id_field(required=False, allow_null=True, help_text=_("Product id (optional)"))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "IntentRecord"


class IntentNoteInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "IntentContacted"


class IntentAppliedInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    application = _id_field(help_text=_("Id of the enterprise's application to the same bank"))

    class Meta:
        ref_name = "IntentApplied"


class IntentDisbursedInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    loan = _id_field(help_text=_("Id of the loan disbursed on the linked application"))

    class Meta:
        ref_name = "IntentDisbursed"


class IntentDropInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    reason = serializers.ChoiceField(choices=IntentDropReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "IntentDrop"
