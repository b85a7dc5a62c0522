"""Lending pages: the product supermarket, demands and the pool, applications and loans."""

from django.urls import path, re_path

from lending.views import (
    applications,
    dashboard,
    demands,
    event_exports,
    event_intents,
    feedback,
    loans,
    products,
    targets,
)
from lending.views import events as event_views
from lending.views import matching as matching_views
from lending.views import outreach as outreach_views
from lending.views import overdue as overdue_views

app_name = "lending"

urlpatterns = [
    path("products/", products.product_list, name="product_list"),
    path("products/<int:pk>/", products.product_detail, name="product_detail"),
    path("products/<int:pk>/apply/", products.product_apply, name="product_apply"),
    path("institution/products/", products.officer_products, name="officer_products"),
    path("institution/products/new/", products.product_create, name="product_create"),
    path("institution/products/<int:pk>/edit/", products.product_edit, name="product_edit"),
    path("institution/products/<int:pk>/unlist/", products.product_unlist, name="product_unlist"),
    path("institution/products/<int:pk>/relist/", products.product_relist, name="product_relist"),
    # recommendations and matches (lending.views.matching)
    path("recommendations/", matching_views.recommendations, name="recommendations"),
    path("institution/products/<int:pk>/matches/", matching_views.product_matches, name="product_matches"),
    path("demands/", demands.demand_list, name="demand_list"),
    path("demands/new/", demands.demand_create, name="demand_create"),
    path("demands/<int:pk>/", demands.demand_detail, name="demand_detail"),
    path("demands/<int:pk>/close/", demands.demand_close, name="demand_close"),
    path("demands/<int:pk>/claim/", demands.demand_claim, name="demand_claim"),
    path("pool/", demands.demand_pool, name="demand_pool"),
    path("pool/claims/", demands.claim_list, name="claim_list"),
    path("claims/<int:pk>/apply/", demands.claim_apply, name="claim_apply"),
    path("claims/<int:pk>/release/", demands.claim_release, name="claim_release"),
    path("applications/", applications.application_list, name="application_list"),
    path("inbox/", applications.officer_inbox, name="officer_inbox"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path("applications/<int:pk>/accept/", applications.application_accept, name="application_accept"),
    path("applications/<int:pk>/approve/", applications.application_approve, name="application_approve"),
    path("applications/<int:pk>/reject/", applications.application_reject, name="application_reject"),
    path("applications/<int:pk>/disburse/", applications.application_disburse, name="application_disburse"),
    path("applications/<int:pk>/withdraw/", applications.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/decline/", applications.application_decline, name="application_decline"),
    path("loans/", loans.loan_list, name="loan_list"),
    path("loans/<int:pk>/", loans.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/feedback/", feedback.loan_feedback, name="loan_feedback"),
    path("loans/<int:pk>/feedback/<slug:kind>/", feedback.loan_feedback_post, name="loan_feedback_post"),
    path("loans/feedback/", feedback.feedback_batches, name="feedback_batches"),
    path("loans/feedback/<int:pk>/", feedback.feedback_batch, name="feedback_batch"),
    path("loans/feedback/<int:pk>/errors.csv", feedback.feedback_batch_errors_csv, name="feedback_batch_errors_csv"),
    path("targets/", targets.target_list, name="target_list"),
    path("targets/new/", targets.target_add, name="target_add"),
    path("overdue/", overdue_views.overdue_list, name="overdue"),
    path("overdue/export.csv", overdue_views.overdue_export, name="overdue_export"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/pdf/", dashboard.dashboard_pdf, name="dashboard_pdf"),
    re_path(
        r"^dashboard/export/(?P<table>[a-z_]+)\.(?P<fmt>csv|xlsx)$", dashboard.dashboard_export, name="dashboard_export"
    ),
    # matchmaking events and intents (lending.views.events)
    path("events/", event_views.event_list, name="event_list"),
    path("events/new/", event_views.event_create, name="event_create"),
    path("events/<int:pk>/", event_views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", event_views.event_edit, name="event_edit"),
    path("events/<int:pk>/cancel/", event_views.event_cancel, name="event_cancel"),
    path("events/<int:pk>/held/", event_views.event_held, name="event_held"),
    path("events/<int:pk>/invite/", event_views.event_invite, name="event_invite"),
    path("events/<int:pk>/attendance/", event_views.event_attendance, name="event_attendance"),
    path("events/<int:pk>/register/", event_views.event_register, name="event_register"),
    path("events/<int:pk>/decline/", event_views.event_decline, name="event_decline"),
    path("events/<int:pk>/intents/new/", event_intents.intent_add, name="event_intent_add"),
    path("events/<int:pk>/participants.csv", event_exports.event_participants_csv, name="event_participants_csv"),
    path("events/<int:pk>/intents.csv", event_exports.event_intents_csv, name="event_intents_csv"),
    path("intents/", event_intents.intent_list, name="intent_list"),
    path("intents/<int:pk>/<slug:action>/", event_intents.intent_action, name="intent_action"),
    # first-loan outreach (lending.views.outreach)
    path("outreach/", outreach_views.outreach_list, name="outreach_list"),
    re_path(r"^outreach/export\.(?P<fmt>csv|xlsx)$", outreach_views.outreach_export, name="outreach_export"),
    path("outreach/push/", outreach_views.outreach_push_view, name="outreach_push"),
    path("outreach/invite/", outreach_views.outreach_invite_view, name="outreach_invite"),
    path("outreach/leads/", outreach_views.outreach_leads, name="outreach_leads"),
    path(
        "outreach/leads/<int:pk>/contacted/",
        outreach_views.outreach_lead_contacted_view,
        name="outreach_lead_contacted",
    ),
]
