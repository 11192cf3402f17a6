from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from coopculture.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Technical administration of accounts (federation only, see docs/decisions)."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_federation_staff", "is_active", "last_login"]
    list_filter = ["is_federation_staff", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identity"), {"fields": ["full_name"]}),
        (_("Access"), {"fields": ["is_active", "is_federation_staff", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # An account the federation creates here: its address is the one they typed
            # (trusted like an invitation); passwords sign in through verified addresses.
            from allauth.account.models import EmailAddress

            EmailAddress.objects.update_or_create(
                user=obj, email=obj.email, defaults={"primary": True, "verified": True}
            )

    def has_delete_permission(self, request, obj=None):
        # Deleting would drop team memberships without the audit log or the "last
        # administrator" rule: deactivate the account instead.
        return False
