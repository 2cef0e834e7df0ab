"""Admin of verification: read only, like the clinical records (marks, locks and builds change
through the services, with their history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from trial.admin.base import ClinicalRecordAdmin
from verification.models import CasebookBuild, Lock, SdvMark


@admin.register(SdvMark)
class SdvMarkAdmin(ClinicalRecordAdmin):
    list_display = ["pk", "patient", "content_type", "object_id", "field_name", "verified_by"]
    list_filter = ["patient__site"]


@admin.register(Lock)
class LockAdmin(ClinicalRecordAdmin):
    list_display = ["pk", "scope", "patient", "cutoff_date", "locked_at", "unlocked_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Locks are not site-scoped (a database lock covers every site): the admin reads all.
        return admin.ModelAdmin.get_queryset(self, request)


@admin.register(CasebookBuild)
class CasebookBuildAdmin(ClinicalRecordAdmin):
    list_display = ["pk", "site", "state", "done", "total", "requested_at"]
