"""Recommendation endpoints: products ranked for an SME; demands and enterprises ranked for an officer's product.

Every result carries its score (0-100, advisory) and the hard criteria met and missed, each with a message in the
caller's language, plus the factors behind the score (lending.matching). Enterprises show their grade and
evaluation score only, never credit records.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from creditinfo.api.serializers import EnterpriseRefSerializer
from creditinfo.models import Evaluation, SizeClass
from creditinfo.services.enterprises import enterprise_for_user
from lending.api.serializers import DemandOutputSerializer, ProductOutputSerializer
from lending.models import Product
from lending.selectors_matching import (
    attach_products,
    demands_for_product,
    enterprises_for_product,
    rank_products_for,
)
from xinyidai.api.errors import ErrorSerializer
from xinyidai.api.pagination import StandardPagination
from xinyidai.api.permissions import require_role
from xinyidai.api.schema import ERROR_DESCRIPTIONS
from xinyidai.api.serializers import IndustryRefSerializer, RegionRefSerializer
from xinyidai.api.views import ApiViewSet
from xinyidai.errors import DomainError

CRITERIA = ["region", "industry", "size", "tags", "grade", "amount", "term", "guarantee"]
FACTORS = ["rate", "approval", "speed", "grade", "fit"]
DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET = 50, 100, 10_000


# --- serializers --------------------------------------------------------------------------------------------


class MatchCriterionSerializer(serializers.Serializer):
    """One hard criterion of a match: met or not, and why in plain language."""

    key = serializers.ChoiceField(choices=CRITERIA, read_only=True)
    met = serializers.BooleanField(read_only=True)
    message = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "MatchCriterion"


class MatchFactorSerializer(serializers.Serializer):
    """One part of the score: points earned of the maximum, and what earned them."""

    key = serializers.ChoiceField(choices=FACTORS, read_only=True)
    points = serializers.SerializerMethodField()
    max_points = serializers.IntegerField(read_only=True)
    message = serializers.CharField(read_only=True)

    class Meta:
        ref_name = "MatchFactor"

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_points(self, factor) -> float:
        return round(factor.points, 1)


class MatchSerializer(serializers.Serializer):
    """The fields every match shares."""

    score = serializers.IntegerField(read_only=True, min_value=0, max_value=100, help_text=_("0-100, advisory"))
    eligible = serializers.BooleanField(read_only=True, help_text=_("Every hard criterion is met"))
    met = MatchCriterionSerializer(many=True, read_only=True)
    missed = MatchCriterionSerializer(many=True, read_only=True)
    factors = MatchFactorSerializer(many=True, read_only=True)


class ProductRecommendationSerializer(MatchSerializer):
    product = ProductOutputSerializer(read_only=True)

    class Meta:
        ref_name = "ProductRecommendation"


class MatchedEnterpriseSerializer(EnterpriseRefSerializer):
    """An enterprise as a match shows it: who and where, and its advisory grade and evaluation score only."""

    region = RegionRefSerializer(read_only=True)
    industry = IndustryRefSerializer(read_only=True, allow_null=True)
    size_class = serializers.ChoiceField(choices=SizeClass.choices, allow_blank=True, read_only=True)
    grade = serializers.SerializerMethodField()
    evaluation_score = serializers.SerializerMethodField()

    class Meta(EnterpriseRefSerializer.Meta):
        fields = [*EnterpriseRefSerializer.Meta.fields, "region", "industry", "size_class", "grade",
                  "evaluation_score"]  # fmt: skip
        ref_name = "MatchedEnterprise"

    @staticmethod
    def _evaluation(enterprise):
        return getattr(enterprise, "evaluation", None)

    @extend_schema_field(serializers.ChoiceField(choices=Evaluation.Grade.choices, allow_null=True))
    def get_grade(self, enterprise) -> str | None:
        evaluation = self._evaluation(enterprise)
        return evaluation.grade if evaluation else None

    @extend_schema_field(serializers.IntegerField(allow_null=True, min_value=0, max_value=1000))
    def get_evaluation_score(self, enterprise) -> int | None:
        evaluation = self._evaluation(enterprise)
        return evaluation.score if evaluation else None


class DemandMatchSerializer(MatchSerializer):
    demand = DemandOutputSerializer(read_only=True)
    enterprise = MatchedEnterpriseSerializer(read_only=True)
    pushed = serializers.BooleanField(read_only=True, help_text=_("Recommended to the caller's institution"))

    class Meta:
        ref_name = "DemandMatch"


class EnterpriseMatchSerializer(MatchSerializer):
    enterprise = MatchedEnterpriseSerializer(read_only=True)
    has_demand = serializers.BooleanField(read_only=True, help_text=_("Has an open demand in the caller's pool"))
    has_lead = serializers.BooleanField(read_only=True, help_text=_("Is an open first-loan outreach lead"))

    class Meta:
        ref_name = "EnterpriseMatch"


class MatchPageQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0, required=False)

    class Meta:
        ref_name = "MatchPageQuery"


class MatchPageSerializer(serializers.Serializer):
    """A page of matches, best first: `next`/`previous` links (limit and offset), no count."""

    next = serializers.URLField(allow_null=True, read_only=True)
    previous = serializers.URLField(allow_null=True, read_only=True)


class DemandMatchPageSerializer(MatchPageSerializer):
    results = DemandMatchSerializer(many=True, read_only=True)

    class Meta:
        ref_name = "DemandMatchPage"


class EnterpriseMatchPageSerializer(MatchPageSerializer):
    results = EnterpriseMatchSerializer(many=True, read_only=True)

    class Meta:
        ref_name = "EnterpriseMatchPage"


# --- views ----------------------------------------------------------------------------------------------------

BAD_PAGE = OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[400])


@extend_schema(tags=["recommendations"])
class RecommendationViewSet(ApiViewSet):
    """Listed products ranked for the caller's enterprise."""

    queryset = Product.objects.none()
    pagination_class = StandardPagination
    serializer_class = ProductRecommendationSerializer

    @extend_schema(responses=ProductRecommendationSerializer(many=True))
    @action(detail=False, methods=["get"])
    def products(self, request):
        """SMEs: every listed product, eligible first then by score, each with its reasons. Scored against the
        enterprise's latest open demand when it has one (amount, term and guarantee mode then count)."""
        require_role(request.user, "sme")
        enterprise = enterprise_for_user(request.user)
        if enterprise is None:
            raise DomainError(code="no_enterprise", message=_("Register your enterprise first."), status=404)
        page = attach_products(self.paginate_queryset(rank_products_for(enterprise)))
        return self.get_paginated_response(ProductRecommendationSerializer(page, many=True).data)


@extend_schema(tags=["recommendations"], parameters=[MatchPageQuerySerializer])
class ProductMatchViewSet(ApiViewSet):
    """Officers: one of their institution tree's products against their pool."""

    queryset = Product.objects.none()
    serializer_class = DemandMatchSerializer
    pagination_class = None

    def _product_and_page(self):
        product = get_object_or_404(Product.objects.editable_by(self.request.user), pk=self.pk)
        require_role(self.request.user, "officer")
        query = MatchPageQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return product, query.validated_data.get("limit", DEFAULT_LIMIT), query.validated_data.get("offset", 0)

    def _page(self, rows, limit: int, offset: int, serializer_class) -> Response:
        url = self.request.build_absolute_uri()
        has_next, rows = len(rows) > limit, rows[:limit]
        next_url = replace_query_param(replace_query_param(url, "offset", offset + limit), "limit", limit)
        previous = None
        if offset > 0:
            previous = replace_query_param(url, "offset", max(offset - limit, 0))
            if offset - limit <= 0:
                previous = remove_query_param(previous, "offset")
        results = serializer_class(rows, many=True).data
        return Response({"next": next_url if has_next else None, "previous": previous, "results": results})

    @extend_schema(responses={200: DemandMatchPageSerializer, 400: BAD_PAGE})
    @action(detail=True, methods=["get"], url_path="matches/demands")
    def demands(self, request, pk=None):
        """The open demands in the caller's pool that meet every criterion of the product, best score first."""
        product, limit, offset = self._product_and_page()
        rows = demands_for_product(product, officer=request.user, limit=limit + 1, offset=offset)
        return self._page(rows, limit, offset, DemandMatchSerializer)

    @extend_schema(responses={200: EnterpriseMatchPageSerializer, 400: BAD_PAGE})
    @action(detail=True, methods=["get"], url_path="matches/enterprises")
    def enterprises(self, request, pk=None):
        """Enterprises with an open demand in the caller's pool or an open first-loan outreach lead in the region
        the caller's institution serves, that meet the product's criteria, best score first. Shows the advisory
        grade and evaluation score, never credit records."""
        product, limit, offset = self._product_and_page()
        rows = enterprises_for_product(product, officer=request.user, limit=limit + 1, offset=offset)
        return self._page(rows, limit, offset, EnterpriseMatchSerializer)
