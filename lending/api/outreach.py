"""First-loan outreach over the API: staff list the candidates and push them to banks; officers list their leads
and record the contact.

    GET  /api/v1/outreach/candidates/             staff: first-loan candidates of their region, filtered
    POST /api/v1/outreach/push/                   staff: push chosen candidates (or all matching) to banks
    GET  /api/v1/outreach/leads/                  officers: open leads in the region their institution serves
    POST /api/v1/outreach/leads/{id}/contacted/   officers: record the contact

The candidate rule, the scoping and the count strategy are lending.selectors_outreach's; the writes are
lending.services.outreach's.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from creditinfo.api.serializers import TagRefSerializer
from creditinfo.models import Enterprise, EnterpriseTag, SizeClass
from lending.models import OutreachLead
from lending.selectors_outreach import (
    GRADES,
    ORDERS,
    PAGE_SIZE,
    CandidateCriteria,
    candidate_page,
    capped_count,
    first_loan_candidates,
    lead_list,
    leads_visible_to,
    may_do_outreach,
)
from lending.services.outreach import MAX_IDS, outreach_lead_contacted, outreach_push
from xinyidai.api.errors import ErrorSerializer
from xinyidai.api.pagination import KeysetPagination
from xinyidai.api.permissions import require_role
from xinyidai.api.schema import ERROR_DESCRIPTIONS
from xinyidai.api.serializers import IndustryRefSerializer, InstitutionRefSerializer, OutputModelSerializer
from xinyidai.api.views import MAX_ID, ApiViewSet
from xinyidai.errors import DomainError
from xinyidai.models import Industry, Region
from xinyidai.validators import PlainTextSerializerMixin

# --- input ------------------------------------------------------------------------------------------------


class CandidateFilterSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """The candidate list's filters (query parameters; repeat a list parameter for several values)."""

    region = serializers.RegexField(
        r"^\d{6}$", required=False, help_text=_("GB/T 2260 code of the caller's region or one below it")
    )
    section = serializers.ListField(
        child=serializers.CharField(max_length=1), required=False, help_text=_("GB/T 4754 section letters")
    )
    size_class = serializers.ListField(child=serializers.ChoiceField(choices=SizeClass.choices), required=False)
    tag = serializers.ListField(
        child=serializers.SlugField(max_length=32), required=False, help_text=_("Tag codes; any of them")
    )
    min_grade = serializers.ChoiceField(
        choices=GRADES, required=False, help_text=_("The advisory grade is at least this good (A best)")
    )
    has_open_demand = serializers.BooleanField(required=False, allow_null=True, default=None)
    not_invited_to_event = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text=_("Leave out the participants of this event")
    )
    order = serializers.ChoiceField(choices=list(ORDERS), default="newest")

    class Meta:
        ref_name = "OutreachCandidateFilter"

    def validate_section(self, value):
        known = set(
            Industry.objects.filter(level=Industry.Level.SECTION, code__in=value).values_list("code", flat=True)
        )
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(_("Unknown industry sections: %(codes)s") % {"codes": ", ".join(unknown)})
        return sorted(known)

    def validate_tag(self, value):
        """Tag codes, validated and turned into tag ids."""
        ids = dict(EnterpriseTag.objects.filter(code__in=value).values_list("code", "pk"))
        unknown = sorted(set(value) - set(ids))
        if unknown:
            raise serializers.ValidationError(_("Unknown tags: %(codes)s") % {"codes": ", ".join(unknown)})
        return sorted(ids.values())


class CandidateListQuerySerializer(CandidateFilterSerializer):
    """The filters, and the page: `cursor` from the previous answer's `next`, `page_size` rows (at most 100)."""

    cursor = serializers.CharField(required=False, max_length=200, help_text=_("The cursor of the next page"))
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=PAGE_SIZE)

    class Meta:
        ref_name = "OutreachCandidateQuery"


def criteria_from(data: dict) -> CandidateCriteria:
    """Validated filters as the selector takes them; an unknown region code is 404, like one outside the scope."""
    region_id = None
    if data.get("region"):
        region_id = Region.objects.filter(code=data["region"]).values_list("pk", flat=True).first()
        if region_id is None:
            raise NotFound()
    return CandidateCriteria(
        region_id=region_id,
        section_codes=tuple(data.get("section", ())),
        size_classes=tuple(data.get("size_class", ())),
        tag_ids=tuple(data.get("tag", ())),
        min_grade=data.get("min_grade", ""),
        has_open_demand=data.get("has_open_demand"),
        not_invited_to_event=data.get("not_invited_to_event"),
    )


class PushInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    """Either `enterprise_ids`, or `all_matching` with the list's filters in `criteria`."""

    enterprise_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        min_length=1,
        max_length=MAX_IDS,
        help_text=_("Candidates to push (others are skipped)"),
    )
    all_matching = serializers.BooleanField(
        required=False, default=False, help_text=_("Push every candidate matching `criteria` (at most 10,000)")
    )
    criteria = CandidateFilterSerializer(required=False)

    class Meta:
        ref_name = "OutreachPushInput"

    def validate(self, attrs):
        if bool(attrs.get("enterprise_ids")) == bool(attrs.get("all_matching")):
            raise serializers.ValidationError(_("Give enterprise_ids, or all_matching: true (with criteria)."))
        return attrs


class PushOutputSerializer(serializers.Serializer):
    pushed = serializers.IntegerField(help_text=_("New leads created (enterprises already pushed are skipped)"))

    class Meta:
        ref_name = "OutreachPushResult"


class ContactedInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")

    class Meta:
        ref_name = "OutreachContactedInput"


class LeadFilterSerializer(PlainTextSerializerMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[OutreachLead.Status.OPEN, OutreachLead.Status.CONTACTED],
        default=OutreachLead.Status.OPEN,
        help_text=_("open: to contact; contacted: contacted by the caller's institution tree"),
    )

    class Meta:
        ref_name = "OutreachLeadFilter"


# --- output -----------------------------------------------------------------------------------------------


class RegionWithCitySerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    city = serializers.SerializerMethodField()

    class Meta:
        ref_name = "OutreachRegion"

    def get_city(self, region) -> str:
        """The city's name of a county (the region itself for a city)."""
        return region.parent.name if region.level == Region.Level.COUNTY and region.parent_id else region.name


class CandidateSerializer(OutputModelSerializer):
    """A first-loan candidate: registration facts, the advisory grade, and what has been done about it."""

    region = RegionWithCitySerializer(read_only=True)
    industry = IndustryRefSerializer(read_only=True, allow_null=True)
    section = serializers.SerializerMethodField()
    tags = TagRefSerializer(many=True, read_only=True)
    grade = serializers.SerializerMethodField()
    has_open_demand = serializers.BooleanField(read_only=True)
    pushed = serializers.BooleanField(read_only=True, help_text=_("An open or contacted outreach lead exists"))

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "name",
            "region",
            "industry",
            "section",
            "size_class",
            "tags",
            "grade",
            "created_at",
            "has_open_demand",
            "pushed",
        ]
        ref_name = "OutreachCandidate"

    def get_section(self, enterprise) -> str:
        """GB/T 4754 section letter of the enterprise's industry ("" when unknown)."""
        return enterprise.industry.section_code if enterprise.industry_id else ""

    def get_grade(self, enterprise) -> str | None:
        """The advisory evaluation's grade (A best .. D), null when not evaluated yet."""
        evaluation = getattr(enterprise, "evaluation", None)
        return evaluation.grade if evaluation is not None else None


class CandidatePageSerializer(serializers.Serializer):
    """One page of candidates. Pages go forward: follow `next`; drop `cursor` for the first page."""

    count = serializers.IntegerField(help_text=_("Matching candidates, counted up to 1,000"))
    count_capped = serializers.BooleanField(help_text=_("True when more than `count` match"))
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True, help_text=_("Always null: pages go forward only"))
    results = CandidateSerializer(many=True)

    class Meta:
        ref_name = "OutreachCandidatePage"


class LeadEnterpriseSerializer(CandidateSerializer):
    """The lead's enterprise as an officer sees it: registration facts, contact, the grade (no credit records)."""

    class Meta(CandidateSerializer.Meta):
        fields = [
            "id",
            "uscc",
            "name",
            "legal_representative",
            "contact_phone",
            "address",
            "region",
            "industry",
            "section",
            "size_class",
            "tags",
            "grade",
        ]
        ref_name = "OutreachLeadEnterprise"


class LeadSerializer(OutputModelSerializer):
    enterprise = LeadEnterpriseSerializer(read_only=True)
    contacted_by = InstitutionRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OutreachLead
        fields = ["id", "enterprise", "status", "pushed_at", "contacted_by", "contacted_at", "note"]
        ref_name = "OutreachLead"


# --- pagination -------------------------------------------------------------------------------------------


class CappedCountPagination(KeysetPagination):
    """Keyset pages (no OFFSET), plus the number of matching rows counted up to 1,000 (`count_capped`: more)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.count, self.count_capped = capped_count(queryset)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data = {"count": self.count, "count_capped": self.count_capped, **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "count_capped", "results"]
        paginated["properties"] = {
            "count": {"type": "integer", "description": "Matching rows, counted up to 1,000."},
            "count_capped": {"type": "boolean", "description": "True when more than `count` match."},
            **paginated["properties"],
        }
        return paginated


# --- views ------------------------------------------------------------------------------------------------


def _require_staff(user) -> None:
    if not may_do_outreach(user):
        raise DomainError(code="forbidden", message=_("Only government staff do first-loan outreach."), status=403)


def _filters(serializer_class, data) -> serializers.Serializer:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer


@extend_schema(tags=["outreach"])
class OutreachViewSet(ApiViewSet):
    """First-loan candidates (registered enterprises with no loan on the platform) and pushing them to banks."""

    queryset = Enterprise.objects.none()
    serializer_class = CandidateSerializer

    @extend_schema(
        parameters=[CandidateListQuerySerializer],
        responses={
            200: CandidatePageSerializer,
            400: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[400]),
        },
    )
    @action(detail=False, methods=["get"])
    def candidates(self, request):
        """Staff: the first-loan candidates of their region and below, filtered, newest registration first (or
        `order=oldest`). `count` is exact up to 1,000 (`count_capped` beyond); the page is found the same way as
        the web page's (lending.selectors_outreach.candidate_page), whatever the filter's selectivity."""
        _require_staff(request.user)
        query = _filters(CandidateListQuerySerializer, request.query_params).validated_data
        criteria = criteria_from(query)
        queryset = first_loan_candidates(request.user, **criteria.as_kwargs(), order=query["order"])
        page = candidate_page(queryset, cursor=query.get("cursor"), order=query["order"], per_page=query["page_size"])
        url = request.build_absolute_uri()
        body = {
            "count": page.total,
            "count_capped": page.total_capped,
            "next": replace_query_param(url, "cursor", page.next_cursor) if page.next_cursor else None,
            "previous": None,
            "results": CandidateSerializer(page.object_list, many=True).data,
        }
        return Response(body)

    @extend_schema(request=PushInputSerializer, responses=PushOutputSerializer)
    @action(detail=False, methods=["post"])
    def push(self, request):
        """Staff: push the chosen candidates (`enterprise_ids`), or every one matching `criteria`
        (`all_matching: true`, at most 10,000), to the banks serving their region. Enterprises already pushed, and
        ids that are not the caller's candidates, are skipped; each officer of a serving institution gets one
        notification for the push."""
        _require_staff(request.user)
        data = _filters(PushInputSerializer, request.data).validated_data
        if data.get("all_matching"):
            criteria = criteria_from(data.get("criteria") or {})
            pushed = outreach_push(user=request.user, criteria=criteria.as_kwargs())
        else:
            pushed = outreach_push(user=request.user, enterprise_ids=data["enterprise_ids"])
        return Response(PushOutputSerializer({"pushed": pushed}).data)


@extend_schema(tags=["outreach"])
class OutreachLeadViewSet(ApiViewSet):
    """Officers: first-loan outreach leads in the region their institution serves."""

    queryset = OutreachLead.objects.none()
    serializer_class = LeadSerializer
    pagination_class = CappedCountPagination
    cursor_ordering = ("-pushed_at", "-id")

    @extend_schema(parameters=[LeadFilterSerializer])
    def list(self, request):
        """Open leads to contact (`status=open`, the default) or those the caller's institution tree contacted
        (`status=contacted`), newest push first. Each shows the enterprise's advisory grade, never its credit
        records (those need the enterprise's authorization)."""
        require_role(request.user, "officer")
        status = _filters(LeadFilterSerializer, request.query_params).validated_data["status"]
        page = self.paginate_queryset(lead_list(user=request.user, status=status))
        return self.get_paginated_response(LeadSerializer(page, many=True).data)

    @extend_schema(request=ContactedInputSerializer, responses=LeadSerializer)
    @action(detail=True, methods=["post"])
    def contacted(self, request, pk=None):
        """Record that the caller's institution contacted the lead's enterprise (an open lead in the region it
        serves; 409 when it was already contacted)."""
        if not leads_visible_to(request.user).filter(pk=self.pk).exists():
            raise NotFound()
        require_role(request.user, "officer")
        note = _filters(ContactedInputSerializer, request.data).validated_data["note"]
        lead = outreach_lead_contacted(lead_id=self.pk, officer=request.user, note=note)
        shown = lead_list(user=request.user, status=lead.status).filter(pk=lead.pk).first() or lead
        return Response(LeadSerializer(shown).data)


def register(router) -> None:
    """outreach/candidates/, outreach/push/, outreach/leads/, outreach/leads/{id}/contacted/."""
    router.register("outreach/leads", OutreachLeadViewSet, basename="api-outreach-lead")
    router.register("outreach", OutreachViewSet, basename="api-outreach")
