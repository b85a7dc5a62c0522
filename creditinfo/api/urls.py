"""Enterprise and authorization endpoints under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from creditinfo.api.objections import ObjectionViewSet, RepairRequestViewSet
from creditinfo.api.records import CreditRecordListView, EvaluationView, QueryLogListView
from creditinfo.api.reports import CreditReportViewSet
from creditinfo.api.views import AuthorizationViewSet, EnterpriseViewSet, MyEnterpriseView

router = SimpleRouter()
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")
router.register("authorizations", AuthorizationViewSet, basename="api-authorization")
router.register("objections", ObjectionViewSet, basename="api-objection")
router.register("repair-requests", RepairRequestViewSet, basename="api-repair-request")
router.register("credit-reports", CreditReportViewSet, basename="api-credit-report")

urlpatterns = [
    path("enterprise/", MyEnterpriseView.as_view(), name="api-enterprise-mine"),
    path("enterprises/<str:id>/credit-records/", CreditRecordListView.as_view(), name="api-enterprise-credit-records"),
    path("enterprises/<str:id>/evaluation/", EvaluationView.as_view(), name="api-enterprise-evaluation"),
    path("query-log/", QueryLogListView.as_view(), name="api-query-log"),
    *router.urls,
]
