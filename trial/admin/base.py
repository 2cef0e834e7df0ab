"""The admin, for sponsor administrators only: configuration is edited here, clinical records
are only read (they are entered through the services, with reasons, and never deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.forms import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from trial.permissions import Action


def is_sponsor_admin(user: Any) -> bool:
    """Superusers and holders of the sponsor-administrator role; `is_staff` is not enough."""
    if not (user.is_active and user.is_authenticated):
        return False
    return bool(user.is_superuser or user.can(Action.ADMINISTER))


def _admin_site_has_permission(request: HttpRequest) -> bool:
    return is_sponsor_admin(request.user)


class SponsorAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in form accepts sponsor administrators, whatever their `is_staff` flag."""

    def confirm_login_allowed(self, user: Any) -> None:
        if not is_sponsor_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


admin.site.has_permission = _admin_site_has_permission  # type: ignore[method-assign]
admin.site.login_form = SponsorAdminAuthenticationForm
admin.site.site_header = _("DEXAML-03 administration")
admin.site.site_title = _("DEXAML-03 administration")


class SponsorAdmin(SimpleHistoryAdmin):
    """Configuration edited by sponsor administrators; only a superuser deletes."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_sponsor_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_sponsor_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        # Sites, users and versions are referenced by history; deactivate rather than delete.
        return bool(getattr(request.user, "is_superuser", False))


class SponsorInline(admin.TabularInline):
    extra = 0

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_sponsor_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


class ClinicalRecordAdmin(SimpleHistoryAdmin):
    """Clinical records are read here, never written: entered through services with a reason."""

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

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if getattr(request.user, "is_superuser", False):
            return queryset
        return queryset.filter(pk__in=self.model.objects.for_user(request.user).values("pk"))

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # The history view would fall back to the history of records outside the queryset.
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Reverting to an old version would be a write without a reason: read only.
        if request.method != "GET":
            raise PermissionDenied
        self._require_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _require_visible(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404


# --- configuration -----------------------------------------------------------------------------
