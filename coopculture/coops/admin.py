from django.contrib import admin

from coopculture.coops.models import Coop


@admin.register(Coop)
class CoopAdmin(admin.ModelAdmin):
    """Coops themselves are global rows. Coop-owned data (teams, invitations, audit) is
    deliberately not in the admin: it is scoped, and changed only through the services."""

    list_display = ["name", "slug", "legal_form", "is_active"]
    list_filter = ["legal_form", "is_active"]
    search_fields = ["name", "slug"]
    readonly_fields = ["uuid", "created_at", "updated_at"]

    # Read-only: coops are created and changed in the federation space and the back
    # office, whose services validate, audit and send the first admin's invitation.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
