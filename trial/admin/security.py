"""Failed and locked-out logins (django-axes), for the sponsor administrator to see and unlock.

Axes' own admin needs Django's model permissions, which role-based sponsor administrators do
not hold; these are the same pages under the sponsor-administrator rule of trial/admin/base.py.
Deleting an access attempt unlocks its username (as `manage.py axes_reset_username` does).
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from trial.admin.base import is_sponsor_admin


class _SponsorReads:
    """Visible to sponsor administrators; the records are written by axes only."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_sponsor_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class SponsorAccessAttemptAdmin(_SponsorReads, AccessAttemptAdmin):
    """Current failure counts and lockouts; delete one to unlock its username."""

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)


class SponsorAccessFailureLogAdmin(_SponsorReads, AccessFailureLogAdmin):
    """Every failed login, including those refused because the username was locked out."""


class SponsorAccessLogAdmin(_SponsorReads, AccessLogAdmin):
    """Every successful login and logout."""


for model, model_admin in (
    (AccessAttempt, SponsorAccessAttemptAdmin),
    (AccessFailureLog, SponsorAccessFailureLogAdmin),
    (AccessLog, SponsorAccessLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
