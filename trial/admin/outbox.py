"""The outbox, read only, for sponsor administrators: what was sent, what is still waiting and
why (attempts, last error). Messages are written and delivered by the services, never here."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from trial.admin.base import is_sponsor_admin
from trial.models import OutboundMessage


@admin.register(OutboundMessage)
class OutboundMessageAdmin(SimpleHistoryAdmin):
    list_display = [
        "created_at",
        "kind",
        "subject",
        "recipient_list",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["dedup_key", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        *("kind", "dedup_key", "recipients", "subject", "body", "related_type", "related_id"),
        *("status", "attempts", "last_error", "next_attempt_at", "claimed_at", "sent_at"),
        "created_at",
    ]

    @admin.display(description=_("Recipients"))
    def recipient_list(self, message: OutboundMessage) -> str:
        return ", ".join(message.recipients)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_sponsor_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
