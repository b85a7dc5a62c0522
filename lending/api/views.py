"""Lending endpoints: products, demands and claims, applications and their lifecycle actions, loans.

Every object is fetched through its model's visibility rule first (outside it: 404); a visible object with
the wrong role is 403; the services then enforce the rules and raise DomainError (400/403/409).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from lending.api.filters import ClaimFilter, InstitutionProductFilter, SupermarketFilter
from lending.api.serializers import (
    ApplicationDetailOutputSerializer,
    ApplicationOutputSerializer,
    ApplicationSubmitInputSerializer,
    ApproveInputSerializer,
    ClaimOutputSerializer,
    DemandDetailOutputSerializer,
    DemandInputSerializer,
    DemandOutputSerializer,
    DisburseInputSerializer,
    LoanOutputSerializer,
    NoteInputSerializer,
    ProductInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
    RejectInputSerializer,
    SupermarketProductSerializer,
)
from lending.filters import ApplicationFilter, DemandFilter, LoanFilter
from lending.models import Application, DemandClaim, FinancingDemand, Loan, Product
from lending.selectors import (
    application_detail,
    application_list,
    claims_for_officer,
    demand_detail,
    demand_list,
    demand_pool,
    enterprise_facts_for,
    loan_detail,
    loan_list,
    officer_products,
    product_detail,
    product_supermarket,
    products_with_reasons,
)
from lending.services import applications as application_services
from lending.services.demands import demand_claim, demand_claim_release, demand_close, demand_publish
from lending.services.products import product_create, product_set_status, product_update
from xinyidai.api.pagination import KeysetPagination
from xinyidai.api.permissions import require_role
from xinyidai.api.views import ApiViewSet

SME, OFFICER = "sme", "officer"
PRODUCT_M2M = ("regions", "industries", "tags")


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ListMixin:
    """list(): the selector's queryset, filtered by the viewset's FilterSet, one page in `serializer_class`.

    The selector runs in list_queryset(), not get_queryset(): the class-level `queryset = X.objects.none()`
    serves schema introspection only, so no code path can list rows without the visibility rule.
    """

    def list_queryset(self):
        raise NotImplementedError

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.list_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- products ---------------------------------------------------------------------------------------------


@extend_schema(tags=["products"])
class ProductViewSet(ApiViewSet):
    """The product supermarket. For an SME with a registered enterprise, eligible products come first and each
    product carries `eligible` and the per-criterion `reasons`; for anyone else `eligible` is null."""

    queryset = Product.objects.none()
    filterset_class = SupermarketFilter
    serializer_class = SupermarketProductSerializer

    def list(self, request):
        facts = enterprise_facts_for(request.user)
        products = self.filter_queryset(product_supermarket(user=request.user, facts=facts))
        page = products_with_reasons(self.paginate_queryset(products), facts)
        return self.get_paginated_response(SupermarketProductSerializer(page, many=True).data)

    @extend_schema(responses=SupermarketProductSerializer)
    def retrieve(self, request, pk=None):
        facts = enterprise_facts_for(request.user)
        [product] = products_with_reasons([product_detail(user=request.user, pk=self.pk)], facts)
        product.eligible = not product.missed if facts else None
        return Response(SupermarketProductSerializer(product).data)

    @extend_schema(request=ProductInputSerializer, responses={201: ProductOutputSerializer})
    def create(self, request):
        """Officers publish a product for their institution (or one of its branches); it is listed at once."""
        require_role(request.user, OFFICER)
        product = product_create(user=request.user, **_valid(ProductInputSerializer, request.data))
        output = ProductOutputSerializer(product_detail(user=request.user, pk=product.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProductUpdateInputSerializer(partial=True), responses=ProductOutputSerializer)
    def partial_update(self, request, pk=None):
        product = product_detail(user=request.user, pk=self.pk)
        changes = _valid(ProductUpdateInputSerializer, request.data, partial=True)
        product_update(product_id=product.pk, user=request.user, **changes)
        return Response(ProductOutputSerializer(product_detail(user=request.user, pk=product.pk)).data)

    @extend_schema(request=None, responses=ProductOutputSerializer)
    @action(detail=True, methods=["post"])
    def unlist(self, request, pk=None):
        """Take the product off the supermarket; applications already made are unaffected."""
        return self._set_status(Product.Status.UNLISTED)

    @extend_schema(request=None, responses=ProductOutputSerializer)
    @action(detail=True, methods=["post"])
    def relist(self, request, pk=None):
        """Put an unlisted (or draft) product back on the supermarket."""
        return self._set_status(Product.Status.LISTED)

    def _set_status(self, new_status: str) -> Response:
        product = product_detail(user=self.request.user, pk=self.pk)
        product_set_status(product_id=product.pk, user=self.request.user, status=new_status)
        return Response(ProductOutputSerializer(product_detail(user=self.request.user, pk=product.pk)).data)


@extend_schema(tags=["products"])
class InstitutionProductViewSet(ListMixin, ApiViewSet):
    """An officer's own institution tree's products in every status (draft, listed, unlisted)."""

    queryset = Product.objects.none()
    filterset_class = InstitutionProductFilter
    serializer_class = ProductOutputSerializer

    def list_queryset(self):
        require_role(self.request.user, OFFICER)
        return officer_products(user=self.request.user).prefetch_related(*PRODUCT_M2M)


# --- demands and claims -----------------------------------------------------------------------------------


@extend_schema(tags=["demands"])
class DemandViewSet(ListMixin, ApiViewSet):
    """Financing demands: an SME's own; an officer's pool and claimed ones; staff's region."""

    pagination_class = KeysetPagination
    cursor_ordering = ("-created_at", "-id")
    queryset = FinancingDemand.objects.none()
    filterset_class = DemandFilter
    serializer_class = DemandOutputSerializer

    def list_queryset(self):
        return demand_list(user=self.request.user)

    @extend_schema(responses=DemandDetailOutputSerializer)
    def retrieve(self, request, pk=None):
        return Response(DemandDetailOutputSerializer(demand_detail(user=request.user, pk=self.pk)).data)

    @extend_schema(request=DemandInputSerializer, responses={201: DemandDetailOutputSerializer})
    def create(self, request):
        """An SME publishes a demand to the pool of the institutions serving its region."""
        require_role(request.user, SME)
        demand = demand_publish(user=request.user, **_valid(DemandInputSerializer, request.data))
        output = DemandDetailOutputSerializer(demand_detail(user=request.user, pk=demand.pk))
        return Response(output.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=DemandOutputSerializer(many=True))
    @action(detail=False, methods=["get"])
    def pool(self, request):
        """Officers: unclaimed demands in the regions their institution serves (抢单 pool)."""
        require_role(request.user, OFFICER)
        page = self.paginate_queryset(self.filter_queryset(demand_pool(officer=request.user)))
        return self.get_paginated_response(DemandOutputSerializer(page, many=True).data)

    @extend_schema(request=None, responses={201: ClaimOutputSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Officers claim a pool demand; the claim is exclusive until its working-day deadline."""
        demand = demand_detail(user=request.user, pk=self.pk)
        require_role(request.user, OFFICER)
        claim = demand_claim(demand_id=demand.pk, officer=request.user)
        return Response(
            ClaimOutputSerializer(_claims(request.user).get(pk=claim.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses=DemandDetailOutputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """The SME withdraws its demand from the pool (an active claim is released)."""
        demand = demand_detail(user=request.user, pk=self.pk)
        require_role(request.user, SME)
        demand_close(demand_id=demand.pk, user=request.user)
        return Response(DemandDetailOutputSerializer(demand_detail(user=request.user, pk=demand.pk)).data)


def _claims(user):
    related = ("demand", "demand__enterprise", "demand__region", "institution")
    return DemandClaim.objects.visible_to(user).select_related(*related).order_by("-claimed_at", "-id")


@extend_schema(tags=["demands"])
class ClaimViewSet(ListMixin, ApiViewSet):
    """Demand claims: an officer's institution's active claims; an SME's claims on its demands (any status),
    whose id it applies with."""

    queryset = DemandClaim.objects.none()
    filterset_class = ClaimFilter
    serializer_class = ClaimOutputSerializer

    def list_queryset(self):
        if self.request.user.is_officer:
            return claims_for_officer(officer=self.request.user).select_related("institution")
        return _claims(self.request.user)

    @extend_schema(request=None, responses=ClaimOutputSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """The claiming institution gives the demand back to the pool."""
        claim = _claims(request.user).filter(pk=self.pk).first()
        if claim is None:
            raise NotFound()
        require_role(request.user, OFFICER)
        demand_claim_release(claim_id=claim.pk, officer=request.user)
        return Response(ClaimOutputSerializer(_claims(request.user).get(pk=claim.pk)).data)


# --- applications -----------------------------------------------------------------------------------------

APPLICATION_ACTION = {"responses": ApplicationDetailOutputSerializer}


@extend_schema(tags=["applications"])
class ApplicationViewSet(ListMixin, ApiViewSet):
    """Loan applications and their lifecycle (submitted -> accepted -> approved -> disbursed; rejected,
    withdrawn, declined). A transition not allowed from the current status answers 409 `invalid_transition`."""

    pagination_class = KeysetPagination
    cursor_ordering = ("-submitted_at", "-id")
    queryset = Application.objects.none()
    filterset_class = ApplicationFilter
    serializer_class = ApplicationOutputSerializer

    def list_queryset(self):
        return application_list(user=self.request.user)

    @extend_schema(responses=ApplicationDetailOutputSerializer)
    def retrieve(self, request, pk=None):
        return self._detail(self.pk)

    @extend_schema(request=ApplicationSubmitInputSerializer, responses={201: ApplicationDetailOutputSerializer})
    def create(self, request):
        """An SME applies to a product or to the institution that claimed its demand; `consent` must be true."""
        require_role(request.user, SME)
        data = _valid(ApplicationSubmitInputSerializer, request.data)
        data["product_id"], data["claim_id"] = data.pop("product", None), data.pop("claim", None)
        application = application_services.application_submit(user=request.user, **data)
        return self._detail(application.pk, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Officers take a submitted application into review (受理)."""
        pk = self._visible(OFFICER)
        application_services.application_accept(application_id=pk, officer=request.user)
        return self._detail(pk)

    @extend_schema(request=ApproveInputSerializer, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Officers approve credit (授信) on an accepted application: amount, annual rate, term."""
        pk = self._visible(OFFICER)
        data = _valid(ApproveInputSerializer, request.data)
        application_services.application_approve(application_id=pk, officer=request.user, **data)
        return self._detail(pk)

    @extend_schema(request=RejectInputSerializer, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Officers decline credit on an accepted application, with a reason code."""
        pk = self._visible(OFFICER)
        data = _valid(RejectInputSerializer, request.data)
        application_services.application_reject(application_id=pk, officer=request.user, **data)
        return self._detail(pk)

    @extend_schema(request=DisburseInputSerializer, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        """Officers record the disbursement (放款) of an approved application; this creates the loan."""
        pk = self._visible(OFFICER)
        data = _valid(DisburseInputSerializer, request.data)
        application_services.application_disburse(application_id=pk, officer=request.user, **data)
        return self._detail(pk)

    @extend_schema(request=NoteInputSerializer, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The SME withdraws an application the bank has not yet accepted."""
        pk = self._visible(SME)
        data = _valid(NoteInputSerializer, request.data)
        application_services.application_withdraw(application_id=pk, user=request.user, **data)
        return self._detail(pk)

    @extend_schema(request=NoteInputSerializer, **APPLICATION_ACTION)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The SME declines an approved offer."""
        pk = self._visible(SME)
        data = _valid(NoteInputSerializer, request.data)
        application_services.application_decline(application_id=pk, user=request.user, **data)
        return self._detail(pk)

    def _visible(self, role: str) -> int:
        """404 unless the caller can see the application; then 403 unless the caller has `role`."""
        if not Application.objects.visible_to(self.request.user).filter(pk=self.pk).exists():
            raise NotFound()
        require_role(self.request.user, role)
        return self.pk

    def _detail(self, pk: int, status=status.HTTP_200_OK) -> Response:
        application = application_detail(user=self.request.user, pk=pk)
        data = ApplicationDetailOutputSerializer(application, context={"request": self.request}).data
        return Response(data, status=status)


# --- loans ------------------------------------------------------------------------------------------------


@extend_schema(tags=["loans"])
class LoanViewSet(ListMixin, ApiViewSet):
    """Disbursed loans: an SME's own, an officer's institution tree's, staff's region's."""

    pagination_class = KeysetPagination
    cursor_ordering = ("-disbursed_on", "-id")
    queryset = Loan.objects.none()
    filterset_class = LoanFilter
    serializer_class = LoanOutputSerializer

    def list_queryset(self):
        return loan_list(user=self.request.user)

    @extend_schema(responses=LoanOutputSerializer)
    def retrieve(self, request, pk=None):
        return Response(LoanOutputSerializer(loan_detail(user=request.user, pk=self.pk)).data)
