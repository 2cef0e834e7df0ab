"""Admin of the treatment period: clinical data are view-only here (they change only through
the services, with a reason); every record shows its history. The CTCAE list is editable."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from treatment.models import (
    AdverseEvent,
    CtcaeTerm,
    Cycle,
    DrugAdministration,
    EndOfTreatment,
    ProtocolDeviation,
    Relapse,
    ResponseAssessment,
    Signature,
    Transplant,
)
from trial.admin.base import ClinicalRecordAdmin, SponsorAdmin


class DrugInline(admin.TabularInline):
    model = DrugAdministration
    extra = 0
    can_delete = False
    fields = readonly_fields = ("drug", "planned_dose", "given_dose", "unit", "reduction_reason")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cycle)
class CycleAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "number", "kind", "regimen", "start_date", "bsa_m2"]
    list_filter = ["regimen", "kind", "patient__site"]
    search_fields = ["patient__subject_id"]
    inlines = [DrugInline]


@admin.register(DrugAdministration)
class DrugAdministrationAdmin(ClinicalRecordAdmin):
    list_display = ["cycle", "drug", "planned_dose", "given_dose", "unit"]
    list_filter = ["drug"]


@admin.register(ResponseAssessment)
class ResponseAssessmentAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "assessment_date", "response", "marrow_blast_pct"]
    list_filter = ["response"]


@admin.register(Relapse)
class RelapseAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "relapse_date", "established_by", "found_at", "entered_in_error"]
    list_filter = ["found_at", "patient__site"]
    list_select_related = ["patient"]


@admin.register(AdverseEvent)
class AdverseEventAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "term_label", "grade", "start_date", "serious", "report_due_at"]
    list_filter = ["serious", "grade", "patient__site"]


@admin.register(Transplant)
class TransplantAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "transplant_date", "donor_type", "disease_status"]


@admin.register(ProtocolDeviation)
class ProtocolDeviationAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "cycle", "kind", "detected_at", "entered_in_error"]
    list_filter = ["kind"]


@admin.register(Signature)
class SignatureAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "signer_name", "signed_at", "meaning", "broken_at"]


@admin.register(CtcaeTerm)
class CtcaeTermAdmin(SponsorAdmin):
    list_display = ["term", "soc", "active"]
    list_filter = ["soc", "active"]
    search_fields = ["term"]


@admin.register(EndOfTreatment)
class EndOfTreatmentAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "end_date", "reason"]
    list_select_related = ["patient"]
