"""Reads for named uses, pre-joined so that list pages keep a constant query count."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from creditinfo.models import EnterpriseMembership
from lending.eligibility import EnterpriseFacts, eligible_annotation, no_enterprise_annotation, product_criteria
from lending.models import Application, ApplicationEvent, DemandClaim, FinancingDemand, Loan, Product

PRODUCT_LIST_RELATED = ("institution", "institution__parent")


def enterprise_facts_for(user) -> EnterpriseFacts | None:
    if not (user.is_authenticated and user.is_sme):
        return None
    # One query for the enterprise with its region and industry chains and its grade, one for its tags.
    membership = (
        EnterpriseMembership.objects.select_related(
            "enterprise__region__parent__parent", "enterprise__industry__parent__parent", "enterprise__evaluation"
        )
        .prefetch_related("enterprise__tags")
        .filter(user=user)
        .first()
    )
    return EnterpriseFacts.of(membership.enterprise) if membership else None


def product_supermarket(*, user, facts: EnterpriseFacts | None = None):
    """Listed products; for an SME with an enterprise, eligible products first (annotated `eligible`)."""
    qs = Product.objects.listed().select_related(*PRODUCT_LIST_RELATED)
    if facts is None:
        return qs.annotate(eligible=no_enterprise_annotation()).order_by("-created_at", "-id")
    return qs.annotate(eligible=eligible_annotation(facts)).order_by("-eligible", "-created_at", "-id")


def products_with_reasons(products, facts: EnterpriseFacts | None) -> list:
    """Attach `criteria` (and the missed ones) to a page of products; one prefetch for the page."""
    products = list(products)
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(products, "regions", "industries", "tags")
    for product in products:
        product.criteria = product_criteria(product, facts) if facts else []
        product.missed = [c for c in product.criteria if not c.met]
    return products


def product_detail(*, user, pk: int) -> Product:
    qs = Product.objects.visible_to(user).select_related(*PRODUCT_LIST_RELATED, "institution__region")
    return get_object_or_404(qs.prefetch_related("regions", "industries", "tags"), pk=pk)


def officer_products(*, user):
    return Product.objects.editable_by(user).select_related(*PRODUCT_LIST_RELATED)


def application_list(*, user):
    return (
        Application.objects.visible_to(user)
        # The applicant's advisory grade rides on the same join (a LEFT JOIN: not every enterprise has one yet).
        .select_related(
            "enterprise", "institution", "product", "enterprise__region", "enterprise__evaluation", "authorization"
        )
        .order_by("-submitted_at", "-id")
    )


def application_detail(*, user, pk: int) -> Application:
    qs = (
        Application.objects.visible_to(user)
        .select_related(
            "enterprise",
            "enterprise__region",
            "enterprise__industry",
            "enterprise__evaluation",  # the API's enterprise_grade, without a query of its own
            "institution",
            "product",
            "authorization",
            "decision",
            "demand_claim",
            "demand_claim__demand",
            "handled_by",
        )
        .prefetch_related(Prefetch("events", queryset=ApplicationEvent.objects.select_related("actor")))
    )
    application = get_object_or_404(qs, pk=pk)
    application.loan_or_none = Loan.objects.filter(application=application).first()
    return application


def demand_list(*, user):
    return (
        FinancingDemand.objects.visible_to(user).select_related("enterprise", "region").order_by("-created_at", "-id")
    )


def demand_pool(*, officer):
    return (
        FinancingDemand.objects.pool_for(officer)
        .select_related("enterprise", "region", "enterprise__industry")
        .order_by("-created_at", "-id")
    )


def demand_detail(*, user, pk: int) -> FinancingDemand:
    qs = FinancingDemand.objects.visible_to(user).select_related("enterprise", "region")
    demand = get_object_or_404(
        qs.prefetch_related(Prefetch("claims", queryset=DemandClaim.objects.select_related("institution", "officer"))),
        pk=pk,
    )
    return demand


def claims_for_officer(*, officer):
    return (
        DemandClaim.objects.visible_to(officer)
        .filter(status=DemandClaim.Status.ACTIVE)
        .select_related("demand", "demand__enterprise", "demand__region", "institution")
        .order_by("deadline")
    )


def loan_list(*, user):
    return (
        Loan.objects.visible_to(user)
        .select_related("enterprise", "institution", "product")
        .order_by("-disbursed_on", "-id")
    )


def loan_detail(*, user, pk: int) -> Loan:
    qs = Loan.objects.visible_to(user).select_related("enterprise", "institution", "product", "application")
    return get_object_or_404(qs, pk=pk)
