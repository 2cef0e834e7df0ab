"""The admin, for sponsor administrators only: configuration is edited here, clinical records
are only read (they are entered through the services, with reasons, and never deleted)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from trial.admin.base import ClinicalRecordAdmin, SponsorAdmin, SponsorInline
from trial.models import (
    Baseline,
    BaselineMutation,
    Consent,
    EligibilityAnswer,
    EligibilityCriterion,
    Membership,
    MutationGene,
    Patient,
    ProtocolVersion,
    Site,
    User,
)


@admin.register(Site)
class SiteAdmin(SponsorAdmin):
    list_display = ["code", "name", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name"]
    readonly_fields = ["next_screening_number", "next_subject_number"]


class MembershipInline(SponsorInline):
    model = Membership
    fields = ["role", "site", "active"]


@admin.register(User)
class UserAdmin(SponsorAdmin, BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not getattr(request.user, "is_superuser", False):
            # Roles come from memberships; Django's superuser and permissions stay with superusers.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly


@admin.register(Membership)
class MembershipAdmin(SponsorAdmin):
    list_display = ["user", "role", "site", "active"]
    list_filter = ["role", "site", "active"]
    search_fields = ["user__username", "user__last_name"]
    list_select_related = ["user", "site"]


class CriterionInline(SponsorInline):
    model = EligibilityCriterion
    fields = ["position", "code", "kind", "text", "editable"]


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(SponsorAdmin):
    list_display = ["number", "effective_date"]
    inlines = [CriterionInline]


@admin.register(EligibilityCriterion)
class EligibilityCriterionAdmin(SponsorAdmin):
    list_display = ["code", "protocol_version", "kind", "text", "position"]
    list_filter = ["protocol_version", "kind"]
    list_select_related = ["protocol_version"]


@admin.register(MutationGene)
class MutationGeneAdmin(SponsorAdmin):
    list_display = ["code", "name", "active", "position"]
    list_filter = ["active"]


# --- clinical records (read only) ----------------------------------------------------------------


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    list_display = ["screening_number", "subject_id", "site", "status", "screening_date"]
    list_filter = ["site", "status"]
    search_fields = ["screening_number", "subject_id"]
    list_select_related = ["site"]


@admin.register(Consent)
class ConsentAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "consent_date", "form_version", "entered_in_error"]
    list_select_related = ["patient"]


@admin.register(Baseline)
class BaselineAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "assessment_date", "disease_status", "planned_regimen"]
    list_filter = ["disease_status", "planned_regimen"]
    list_select_related = ["patient"]


@admin.register(EligibilityAnswer)
class EligibilityAnswerAdmin(ClinicalRecordAdmin):
    list_display = ["patient", "criterion", "answer", "entered_in_error"]
    list_select_related = ["patient", "criterion"]


@admin.register(BaselineMutation)
class BaselineMutationAdmin(ClinicalRecordAdmin):
    list_display = ["baseline", "gene", "result"]
    list_select_related = ["baseline__patient", "gene"]
