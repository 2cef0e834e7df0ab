"""Admin of data queries: read only, like the clinical records (they change through the
services, and their messages and state changes are never edited)."""

from __future__ import annotations

from django.contrib import admin

from cleaning.models import DataQuery
from trial.admin.base import ClinicalRecordAdmin


@admin.register(DataQuery)
class DataQueryAdmin(ClinicalRecordAdmin):
    list_display = ["pk", "patient", "content_type", "field_name", "origin", "rule_id", "state"]
    list_filter = ["state", "origin", "category", "patient__site"]
    search_fields = ["patient__subject_id", "patient__screening_number", "rule_id"]
