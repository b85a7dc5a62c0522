"""Enterprise and authorization pages."""

from django.urls import path

from creditinfo.views import authorizations, enterprises, profile
from creditinfo.views import imports as import_views
from creditinfo.views import objections as objection_views
from creditinfo.views import reports as report_views

app_name = "creditinfo"

urlpatterns = [
    path("enterprise/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprise/register/", enterprises.enterprise_register, name="enterprise_register"),
    path("enterprise/edit/", enterprises.enterprise_edit, name="enterprise_edit"),
    path("enterprise/region-hint/", enterprises.region_hint, name="region_hint"),
    path("enterprises/<int:pk>/", enterprises.enterprise_view, name="enterprise_view"),
    path("authorizations/", enterprises.authorization_list, name="authorization_list"),
    path("authorizations/<int:pk>/revoke/", enterprises.authorization_revoke, name="authorization_revoke"),
    path("authorizations/grant/", authorizations.authorization_grant_view, name="authorization_grant"),
    path("enterprises/<int:pk>/credit/", profile.profile, name="profile"),
    path("enterprise/credit/", profile.my_profile, name="my_profile"),
    path("enterprise/query-log/", profile.query_log, name="query_log"),
    # Objections (异议) and credit repair (信用修复)
    path("enterprise/objections/", objection_views.enterprise_objections, name="enterprise_objections"),
    path("enterprise/records/<int:pk>/dispute/", objection_views.record_dispute, name="record_dispute"),
    path("enterprise/records/<int:pk>/repair/", objection_views.record_repair, name="record_repair"),
    path("objections/", objection_views.objection_queue, name="objection_queue"),
    path("objections/<int:pk>/", objection_views.objection_detail, name="objection_detail"),
    path("objections/<int:pk>/resolve/", objection_views.objection_resolve_view, name="objection_resolve"),
    path("objections/<int:pk>/evidence/", objection_views.objection_evidence, name="objection_evidence"),
    path("repairs/", objection_views.repair_queue, name="repair_queue"),
    path("repairs/<int:pk>/", objection_views.repair_detail, name="repair_detail"),
    path("repairs/<int:pk>/decide/", objection_views.repair_decide, name="repair_decide"),
    path("repairs/<int:pk>/evidence/", objection_views.repair_evidence, name="repair_evidence"),
    # Credit reports (PDF) and their public verification
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/request/", report_views.report_request, name="report_request"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/status/", report_views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", report_views.report_download, name="report_download"),
    path("verify/", report_views.verify_lookup, name="verify_lookup"),
    path("verify/<str:code>/", report_views.verify, name="verify"),
    # Departmental credit-record files (platform admins)
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/upload/", import_views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.csv", import_views.import_errors_csv, name="import_errors_csv"),
]
