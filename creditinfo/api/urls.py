"""Enterprise and authorization endpoints under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from creditinfo.api.views import AuthorizationViewSet, EnterpriseViewSet, MyEnterpriseView

router = SimpleRouter()
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")
router.register("authorizations", AuthorizationViewSet, basename="api-authorization")

urlpatterns = [
    path("enterprise/", MyEnterpriseView.as_view(), name="api-enterprise-mine"),
    *router.urls,
]
