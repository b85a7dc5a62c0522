"""Admin for products (listing review), demands, applications and loans; history is read-only."""

from django.contrib import admin

from lending.models import Application, ApplicationEvent, CreditDecision, DemandClaim, FinancingDemand, Loan, Product
from lending.models.feedback import BalanceSnapshot, FeedbackBatch, LoanEvent, Repayment
from lending.models.targets import Target


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "institution", "product_type", "guarantee_mode", "status", "created_at")
    list_filter = ("status", "product_type", "guarantee_mode")
    search_fields = ("name", "institution__name")
    list_select_related = ("institution",)
    raw_id_fields = ("institution", "created_by")
    filter_horizontal = ("regions", "industries", "tags")


@admin.register(FinancingDemand)
class FinancingDemandAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "amount", "term_months", "status", "region", "created_at")
    list_filter = ("status",)
    search_fields = ("enterprise__name", "enterprise__uscc")
    list_select_related = ("enterprise", "region")
    raw_id_fields = ("enterprise", "region", "created_by")
    show_full_result_count = False


@admin.register(DemandClaim)
class DemandClaimAdmin(admin.ModelAdmin):
    list_display = ("demand", "institution", "officer", "claimed_at", "deadline", "status")
    list_filter = ("status",)
    list_select_related = ("demand", "institution", "officer")
    raw_id_fields = ("demand", "institution", "officer")


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "from_status", "to_status", "actor", "note", "data", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    """Applications change only through their services; the admin shows them."""

    list_display = ("number", "enterprise", "institution", "amount", "status", "submitted_at")
    list_filter = ("status",)
    search_fields = ("number", "enterprise__name", "enterprise__uscc")
    list_select_related = ("enterprise", "institution")
    inlines = [EventInline]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(CreditDecision)
class CreditDecisionAdmin(admin.ModelAdmin):
    list_display = ("application", "outcome", "amount", "annual_rate", "term_months", "reason_code", "decided_at")
    list_filter = ("outcome", "reason_code")
    raw_id_fields = ("application", "decided_by")


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    list_display = ("contract_number", "enterprise", "institution", "principal", "outstanding_balance", "status")
    list_filter = ("status", "guarantee_mode", "first_loan_attested")
    search_fields = ("contract_number", "enterprise__name", "enterprise__uscc")
    list_select_related = ("enterprise", "institution")
    raw_id_fields = ("application", "enterprise", "institution", "product", "disbursed_by")
    show_full_result_count = False


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("metric", "value", "deadline", "region", "created_by", "created_at")
    list_filter = ("metric",)
    search_fields = ("region__name", "region__code", "note")
    list_select_related = ("region", "created_by")
    raw_id_fields = ("region", "created_by")


@admin.register(Repayment)
class RepaymentAdmin(admin.ModelAdmin):
    list_display = ("loan", "paid_on", "principal_amount", "interest", "reference", "reported_by")
    search_fields = ("loan__contract_number", "reference")
    raw_id_fields = ("loan", "reported_by", "batch")
    show_full_result_count = False


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(admin.ModelAdmin):
    list_display = ("loan", "month", "balance", "reported_by")
    search_fields = ("loan__contract_number",)
    raw_id_fields = ("loan", "reported_by", "batch")
    show_full_result_count = False


@admin.register(FeedbackBatch)
class FeedbackBatchAdmin(admin.ModelAdmin):
    list_display = ("id", "institution", "original_name", "status", "rows_read", "applied_count", "error_count")
    list_filter = ("status",)
    raw_id_fields = ("institution", "uploaded_by")


@admin.register(LoanEvent)
class LoanEventAdmin(admin.ModelAdmin):
    """Read-only: the loan's feedback history is evidence for the figures."""

    list_display = ("loan", "kind", "amount", "on_date", "balance_after", "actor", "created_at")
    list_filter = ("kind",)
    search_fields = ("loan__contract_number",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
