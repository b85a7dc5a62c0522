"""Admin for enterprises, memberships, tags and authorizations."""

from django.contrib import admin

from creditinfo.models import Authorization, Enterprise, EnterpriseMembership, EnterpriseTag


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
