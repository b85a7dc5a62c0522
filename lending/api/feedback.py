"""Bank feedback on a loan through the API: repayments, monthly balances, write-off and closure.

Every post carries an `Idempotency-Key` (xinyidai.api.idempotency): a bank's system can retry safely. The loan
is fetched through Loan.objects.visible_to first (outside: 404), then only officers may post (403).
"""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from lending.api.serializers import LoanOutputSerializer
from lending.models import BalanceSnapshot, IdempotencyRecord, Loan, Repayment
from lending.selectors import loan_detail
from lending.services import feedback as feedback_services
from xinyidai.api.idempotency import IDEMPOTENCY_PARAMETER, IDEMPOTENCY_RESPONSES, idempotent
from xinyidai.api.permissions import require_role
from xinyidai.api.serializers import OutputModelSerializer
from xinyidai.api.views import ApiViewSet, parse_id
from xinyidai.ratelimits import FEEDBACK_API_LIMITS, limited_api
from xinyidai.validators import PlainTextSerializerMixin

MONEY = {"max_digits": 18, "decimal_places": 2}
LOAN_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The loan's id.")
feedback_idempotent = idempotent(model=IdempotencyRecord)


# --- serializers ------------------------------------------------------------------------------------------


class RepaymentInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    paid_on = serializers.DateField(help_text="Repayment date, YYYY-MM-DD; not in the future.")
    principal_amount = serializers.DecimalField(min_value=Decimal("0.01"), help_text="Principal repaid, yuan.", **MONEY)
    interest = serializers.DecimalField(
        min_value=Decimal("0"), default=Decimal("0"), help_text="Interest paid with it, yuan.", **MONEY
    )
    reference = serializers.CharField(max_length=64, help_text="The bank's reference; unique per loan.")

    class Meta:
        ref_name = "RepaymentInput"


class BalanceInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    month = serializers.DateField(
        input_formats=["%Y-%m-%d", "%Y-%m"], help_text="The month, YYYY-MM (or any date in it, YYYY-MM-DD)."
    )
    balance = serializers.DecimalField(
        min_value=Decimal("0"), help_text="Outstanding balance at the month's end, yuan.", **MONEY
    )

    class Meta:
        ref_name = "BalanceInput"


class LoanDateInputSerializer(PlainTextSerializerMixin, serializers.Serializer):
    on_date = serializers.DateField(required=False, help_text="Date of the write-off or closure; today if left out.")

    class Meta:
        ref_name = "LoanDateInput"


class RepaymentOutputSerializer(OutputModelSerializer):
    loan = serializers.IntegerField(source="loan_id", read_only=True)

    class Meta:
        model = Repayment
        fields = ["id", "loan", "paid_on", "principal_amount", "interest", "reference", "created_at"]
        ref_name = "Repayment"


class BalanceOutputSerializer(OutputModelSerializer):
    loan = serializers.IntegerField(source="loan_id", read_only=True)

    class Meta:
        model = BalanceSnapshot
        fields = ["id", "loan", "month", "balance", "created_at", "updated_at"]
        ref_name = "BalanceSnapshot"


class RepaymentResultSerializer(serializers.Serializer):
    repayment = RepaymentOutputSerializer(read_only=True)
    loan = LoanOutputSerializer(read_only=True)

    class Meta:
        ref_name = "RepaymentResult"


class BalanceResultSerializer(serializers.Serializer):
    balance = BalanceOutputSerializer(read_only=True)
    loan = LoanOutputSerializer(read_only=True)

    class Meta:
        ref_name = "BalanceResult"


# --- views ------------------------------------------------------------------------------------------------


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LoanFeedbackViewSet(ApiViewSet):
    """Base: the loan named in the URL, visible to the caller or 404."""

    @property
    def loan_id(self) -> int:
        return parse_id(self.kwargs["id"])

    def visible_loan_id(self) -> int:
        if not Loan.objects.visible_to(self.request.user).filter(pk=self.loan_id).exists():
            raise NotFound()
        return self.loan_id

    def officer_loan_id(self) -> int:
        loan_id = self.visible_loan_id()
        require_role(self.request.user, "officer")
        return loan_id

    def loan_output(self, loan_id: int) -> dict:
        return LoanOutputSerializer(loan_detail(user=self.request.user, pk=loan_id)).data


def _post_schema(request, responses, summary):
    return extend_schema(
        request=request,
        responses={**responses, **IDEMPOTENCY_RESPONSES},
        parameters=[LOAN_PARAMETER, IDEMPOTENCY_PARAMETER],
        description=summary,
    )


@extend_schema(tags=["loans"], parameters=[LOAN_PARAMETER])
class RepaymentViewSet(LoanFeedbackViewSet):
    """A loan's repayments, newest first; officers of the lending institution tree record new ones."""

    queryset = Repayment.objects.none()
    serializer_class = RepaymentOutputSerializer

    def list(self, request, **kwargs):
        rows = Repayment.objects.filter(loan_id=self.visible_loan_id()).order_by("-paid_on", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(RepaymentOutputSerializer(page, many=True).data)

    @_post_schema(
        RepaymentInputSerializer,
        {201: RepaymentResultSerializer},
        "Record a principal repayment. It lowers the balance unless it falls in a month whose balance is already "
        "reported (that balance includes it). 409 `exceeds_balance` if it would take the balance below zero, "
        "`duplicate_reference` if the reference is already recorded for this loan, `loan_not_live` after closure.",
    )
    @limited_api(*FEEDBACK_API_LIMITS)  # per officer: a runaway feed gets 429, not the database
    @feedback_idempotent
    def create(self, request, **kwargs):
        loan_id = self.officer_loan_id()
        data = _valid(RepaymentInputSerializer, request.data)
        repayment = feedback_services.repayment_record(loan_id=loan_id, officer=request.user, **data)
        body = {"repayment": RepaymentOutputSerializer(repayment).data, "loan": self.loan_output(loan_id)}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=["loans"], parameters=[LOAN_PARAMETER])
class BalanceViewSet(LoanFeedbackViewSet):
    """A loan's monthly balances, newest month first; officers report a month's balance (again, to correct it)."""

    queryset = BalanceSnapshot.objects.none()
    serializer_class = BalanceOutputSerializer

    def list(self, request, **kwargs):
        rows = BalanceSnapshot.objects.filter(loan_id=self.visible_loan_id()).order_by("-month", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(BalanceOutputSerializer(page, many=True).data)

    @_post_schema(
        BalanceInputSerializer,
        {201: BalanceResultSerializer, 200: BalanceResultSerializer},
        "Report the balance at the end of a month: 201 for a new month, 200 when it replaces the month's earlier "
        "report. For the latest reported month it sets the loan's balance (less repayments dated after it).",
    )
    @limited_api(*FEEDBACK_API_LIMITS)  # per officer: a runaway feed gets 429, not the database
    @feedback_idempotent
    def create(self, request, **kwargs):
        loan_id = self.officer_loan_id()
        data = _valid(BalanceInputSerializer, request.data)
        snapshot, created = feedback_services.balance_report(loan_id=loan_id, officer=request.user, **data)
        body = {"balance": BalanceOutputSerializer(snapshot).data, "loan": self.loan_output(loan_id)}
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema(tags=["loans"])
class WriteOffViewSet(LoanFeedbackViewSet):
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @_post_schema(
        LoanDateInputSerializer,
        {200: LoanOutputSerializer},
        "Write the loan off: its status becomes written off and its balance zero (the amount is kept on the event).",
    )
    @limited_api(*FEEDBACK_API_LIMITS)  # per officer: a runaway feed gets 429, not the database
    @feedback_idempotent
    def create(self, request, **kwargs):
        loan_id = self.officer_loan_id()
        data = _valid(LoanDateInputSerializer, request.data)
        feedback_services.loan_write_off(loan_id=loan_id, officer=request.user, **data)
        return Response(self.loan_output(loan_id))


@extend_schema(tags=["loans"])
class CloseViewSet(LoanFeedbackViewSet):
    queryset = Loan.objects.none()
    serializer_class = LoanOutputSerializer

    @_post_schema(
        LoanDateInputSerializer,
        {200: LoanOutputSerializer},
        "Close a fully repaid loan; 409 `balance_not_zero` while any balance is outstanding.",
    )
    @limited_api(*FEEDBACK_API_LIMITS)  # per officer: a runaway feed gets 429, not the database
    @feedback_idempotent
    def create(self, request, **kwargs):
        loan_id = self.officer_loan_id()
        data = _valid(LoanDateInputSerializer, request.data)
        feedback_services.loan_close(loan_id=loan_id, officer=request.user, **data)
        return Response(self.loan_output(loan_id))


def register(router) -> None:
    """Add the feedback routes to the lending router (/api/v1/loans/{id}/...)."""
    loan = r"loans/(?P<id>[^/.]+)"
    router.register(f"{loan}/repayments", RepaymentViewSet, basename="api-loan-repayment")
    router.register(f"{loan}/balances", BalanceViewSet, basename="api-loan-balance")
    router.register(f"{loan}/write-off", WriteOffViewSet, basename="api-loan-write-off")
    router.register(f"{loan}/close", CloseViewSet, basename="api-loan-close")
