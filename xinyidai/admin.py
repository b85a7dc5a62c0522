"""Admin for platform operators: users and roles, reference data, institutions."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from xinyidai.models import Industry, Institution, Region, SizeStandard, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "role", "institution", "region", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone", "email")
    list_select_related = ("institution", "region")
    autocomplete_fields = ("institution", "region")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Platform role"), {"fields": ("role", "full_name", "phone", "institution", "region")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Platform role"), {"fields": ("role", "full_name", "phone", "institution", "region")}),
    )


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "data_version")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)


@admin.register(SizeStandard)
class SizeStandardAdmin(admin.ModelAdmin):
    list_display = ("version", "title", "effective_from", "is_current")


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "region", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "short_name")
    list_select_related = ("parent", "region")
    autocomplete_fields = ("parent", "region")
