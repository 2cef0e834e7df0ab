"""Read-mostly admin: follow-up data is written through the services (pages, API)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from followup.models import Visit


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "number", "month", "target_date", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Visit._meta.fields]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
