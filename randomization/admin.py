"""Admin: read-only. Lists and slots are shown only to the statistician and sponsor
administrator (whatever other flags the account has); nothing here can be added, changed or
deleted: lists change only through the audited services and commands."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from randomization.models import (
    AllocationList,
    AllocationSlot,
    Randomization,
    RandomizationCorrection,
    Stratum,
    TrialCalendar,
)
from trial.permissions import Action


class _ReadOnlyAdmin(admin.ModelAdmin):
    action: Action = Action.MANAGE_ALLOCATION

    def _allowed(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_authenticated and user.can(self.action))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


@admin.register(AllocationList)
class AllocationListAdmin(_ReadOnlyAdmin):
    list_display = ["code", "purpose", "source", "method", "active", "entered_at", "checksum"]
    list_filter = ["purpose", "source", "method", "active"]


@admin.register(Stratum)
class StratumAdmin(_ReadOnlyAdmin):
    list_display = ["allocation_list", "key", "appended_rounds"]
    list_filter = ["allocation_list"]


@admin.register(AllocationSlot)
class AllocationSlotAdmin(_ReadOnlyAdmin):
    list_display = ["stratum", "position", "block_number", "block_size", "arm", "append_round"]
    list_filter = ["stratum__allocation_list", "stratum__key"]
    ordering = ["stratum__allocation_list", "stratum__key", "position"]


@admin.register(Randomization)
class RandomizationAdmin(_ReadOnlyAdmin):
    list_display = ["randomization_number", "patient", "arm", "randomized_at", "randomized_by"]


@admin.register(RandomizationCorrection)
class RandomizationCorrectionAdmin(_ReadOnlyAdmin):
    action = Action.CORRECT_RANDOMIZATION
    list_display = ["randomization", "kind", "recorded_at", "recorded_by"]


@admin.register(TrialCalendar)
class TrialCalendarAdmin(SimpleHistoryAdmin):
    list_display = ("first_randomized_on", "end_of_study")
    readonly_fields = ("first_randomized_on", "end_of_study")

    def has_delete_permission(self, request, obj=None):
        return False
