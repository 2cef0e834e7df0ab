"""Read-mostly admin: follow-up data is written through the services (pages, API)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from followup.models import Notification, TrialCalendar, Visit


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ("patient", "number", "month", "target_date", "status")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Visit._meta.fields]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(TrialCalendar)
class TrialCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("first_randomized_on", "end_of_study")
    readonly_fields = ("first_randomized_on", "end_of_study")

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "day", "scope", "recipients")
    list_filter = ("kind",)
