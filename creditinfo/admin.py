"""Admin for enterprises, memberships, tags, authorizations and public credit information."""

from django.contrib import admin

from creditinfo.models import (
    Authorization,
    CreditRecord,
    CreditReport,
    DataSource,
    Enterprise,
    EnterpriseMembership,
    EnterpriseTag,
    Evaluation,
    Objection,
    QueryLog,
    RepairRequest,
)


@admin.register(EnterpriseTag)
class EnterpriseTagAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


class MembershipInline(admin.TabularInline):
    model = EnterpriseMembership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("uscc", "name", "region", "industry", "size_class", "is_skeleton", "created_at")
    list_filter = ("size_class", "is_skeleton", "tags")
    search_fields = ("uscc", "name")
    list_select_related = ("region", "industry")
    autocomplete_fields = ("region", "industry")
    inlines = [MembershipInline]
    show_full_result_count = False


@admin.register(Authorization)
class AuthorizationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "institution", "purpose", "valid_from", "valid_until", "revoked_at")
    list_filter = ("purpose",)
    search_fields = ("enterprise__name", "enterprise__uscc", "institution__name")
    list_select_related = ("enterprise", "institution")
    raw_id_fields = ("enterprise", "institution", "granted_by")
    show_full_result_count = False


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "category", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("code", "name", "department")


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    list_display = ("source_record_id", "enterprise", "category", "severity", "decision_date", "status")
    list_filter = ("category", "status", "severity", "source")
    search_fields = ("source_record_id", "enterprise__uscc", "title")
    list_select_related = ("enterprise", "source")
    raw_id_fields = ("enterprise", "batch")
    show_full_result_count = False


@admin.register(QueryLog)
class QueryLogAdmin(admin.ModelAdmin):
    """Read-only: the query log is evidence."""

    list_display = ("created_at", "enterprise", "institution", "user", "purpose", "what")
    list_filter = ("purpose", "what")
    search_fields = ("enterprise__uscc", "enterprise__name", "user__username")
    list_select_related = ("enterprise", "institution", "user")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "score", "grade", "model_version", "computed_at")
    list_filter = ("grade", "model_version")
    search_fields = ("enterprise__uscc", "enterprise__name")
    raw_id_fields = ("enterprise",)
    show_full_result_count = False


@admin.register(Objection)
class ObjectionAdmin(admin.ModelAdmin):
    list_display = ("record", "enterprise", "status", "due_on", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("record", "enterprise", "raised_by", "resolved_by")


@admin.register(RepairRequest)
class RepairRequestAdmin(admin.ModelAdmin):
    list_display = ("record", "enterprise", "status", "obligation_fulfilled_on", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("record", "enterprise", "requested_by", "decided_by")


@admin.register(CreditReport)
class CreditReportAdmin(admin.ModelAdmin):
    list_display = ("number", "enterprise", "status", "issued_at")
    list_filter = ("status",)
    search_fields = ("number", "verification_code", "enterprise__name")
    raw_id_fields = ("enterprise", "requested_by")
