"""Credit report endpoints: request a report (generated in the background), list and read them, download the PDF.

An SME requests and downloads its own enterprise's reports; an officer requests and downloads only under a live
authorization for its institution tree, and both the request and every download are written to the query log.
Anyone else, and any report outside the caller's scope, answers 404.
"""

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from creditinfo.api.serializers import EnterpriseRefSerializer
from creditinfo.models import CreditReport
from creditinfo.services import reports as services
from xinyidai.api.serializers import OutputModelSerializer
from xinyidai.api.views import MAX_ID, ApiViewSet
from xinyidai.validators import PlainTextSerializerMixin


class CreditReportRequestInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    enterprise = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Id of the enterprise the report is about."
    )


class CreditReportOutputSerializer(OutputModelSerializer):
    enterprise = EnterpriseRefSerializer(read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    verify_url = serializers.SerializerMethodField(help_text="Public page that confirms the report (no login).")
    download_url = serializers.SerializerMethodField(help_text="The PDF, once `status` is `ready`.")

    class Meta:
        model = CreditReport
        fields = [
            "id",
            "number",
            "enterprise",
            "status",
            "requested_at",
            "issued_at",
            "content_hash",
            "verification_code",
            "verify_url",
            "download_url",
        ]
        ref_name = "CreditReport"

    def get_verify_url(self, report) -> str:
        request = self.context.get("request")
        base = request.build_absolute_uri("/") if request else ""
        return services.verify_url(code=report.verification_code, base_url=base)

    def get_download_url(self, report) -> str | None:
        if report.status != CreditReport.Status.READY:
            return None
        request = self.context.get("request")
        path = reverse("api-credit-report-download", args=[report.pk])
        return request.build_absolute_uri(path) if request else path


class PdfRenderer(BaseRenderer):
    """Lets a client ask for `Accept: application/pdf` on the download (the PDF itself bypasses rendering)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


def _reports(user):
    return CreditReport.objects.visible_to(user).select_related("enterprise")


@extend_schema(tags=["credit reports"])
class CreditReportViewSet(ApiViewSet):
    """Numbered PDF credit reports with a verification code; generation runs in the background (`pending` ->
    `ready` or `failed`): poll the report until it is ready, then download it."""

    queryset = CreditReport.objects.none()  # for schema introspection; requests use visible_to(user)
    serializer_class = CreditReportOutputSerializer

    def _one(self) -> CreditReport:
        report = _reports(self.request.user).filter(pk=self.pk).first()
        if report is None:
            raise NotFound()
        return report

    def list(self, request):
        """SME: its enterprise's reports; officer: the reports its institution tree requested."""
        page = self.paginate_queryset(_reports(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._one()).data)

    @extend_schema(request=CreditReportRequestInputSerializer, responses={202: CreditReportOutputSerializer})
    def create(self, request):
        """Request a report: accepted at once (202, `pending`), generated in the background. An officer needs a
        live authorization from the enterprise (else 404), and the request is written to its query log."""
        serializer = CreditReportRequestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.report_request(
            enterprise_id=serializer.validated_data["enterprise"],
            user=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        report = _reports(request.user).get(pk=report.pk)
        return Response(self.get_serializer(report).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report's PDF file.")}
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def download(self, request, pk=None):
        """The PDF of a ready report (404 before). An officer needs a live authorization at this moment; every
        officer download is written to the enterprise's query log."""
        report = services.report_download(report_id=self.pk, user=request.user)
        response = FileResponse(
            report.file.open("rb"), as_attachment=True, filename=f"{report.number}.pdf", content_type="application/pdf"
        )
        response["Cache-Control"] = "private, no-store"
        return response
