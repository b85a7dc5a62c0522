"""Lending endpoints under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from lending.api.events import EventViewSet, IntentViewSet
from lending.api.feedback import register as register_feedback
from lending.api.matching import ProductMatchViewSet, RecommendationViewSet
from lending.api.outreach import register as register_outreach
from lending.api.stats import StatsBreakdownView, StatsKpisView, StatsSeriesView, StatsSummaryView
from lending.api.views import (
    ApplicationViewSet,
    ClaimViewSet,
    DemandViewSet,
    InstitutionProductViewSet,
    LoanViewSet,
    ProductViewSet,
)

router = SimpleRouter()
router.register("products", ProductViewSet, basename="api-product")
router.register("institution-products", InstitutionProductViewSet, basename="api-institution-product")
router.register("demands", DemandViewSet, basename="api-demand")
router.register("claims", ClaimViewSet, basename="api-claim")
router.register("applications", ApplicationViewSet, basename="api-application")
router.register("loans", LoanViewSet, basename="api-loan")
register_feedback(router)  # /loans/{id}/repayments/, balances/, write-off/, close/
register_outreach(router)  # /outreach/candidates/, push/, leads/, leads/{id}/contacted/
router.register("events", EventViewSet, basename="api-event")  # matchmaking events (lending.api.events)
router.register("intents", IntentViewSet, basename="api-intent")
# recommendations (lending.api.matching): /recommendations/products/, /institution-products/{id}/matches/...
router.register("recommendations", RecommendationViewSet, basename="api-recommendation")
router.register("institution-products", ProductMatchViewSet, basename="api-product-match")

urlpatterns = [
    path("stats/summary/", StatsSummaryView.as_view(), name="api-stats-summary"),
    path("stats/kpis/", StatsKpisView.as_view(), name="api-stats-kpis"),
    path("stats/series/", StatsSeriesView.as_view(), name="api-stats-series"),
    path("stats/breakdown/<str:dim>/", StatsBreakdownView.as_view(), name="api-stats-breakdown"),
    *router.urls,
]
