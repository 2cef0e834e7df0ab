"""API routes of follow-up: patients by `<int:patient_id>`, their visits by `<int:pk>`."""

from django.urls import path

from followup import apis
from followup.survival import apis as survival_apis

_P = "patients/<int:patient_id>/followup/"

urlpatterns = [
    path("followup/worklist/", apis.WorklistApi.as_view(), name="api-followup-worklist"),
    path("followup/study-end/", apis.StudyEndApi.as_view(), name="api-followup-study-end"),
    path(f"{_P}visits/", apis.PatientVisitListApi.as_view(), name="api-followup-visits"),
    path(
        f"{_P}visits/<int:pk>/record/",
        apis.VisitRecordApi.as_view(),
        name="api-followup-visit-record",
    ),
    path(
        f"{_P}visits/<int:pk>/not-done/",
        apis.VisitNotDoneApi.as_view(),
        name="api-followup-visit-not-done",
    ),
    path(f"{_P}death/", apis.DeathRecordApi.as_view(), name="api-followup-death"),
    path(f"{_P}withdrawal/", apis.WithdrawalRecordApi.as_view(), name="api-followup-withdrawal"),
    path(
        f"{_P}contact-attempts/",
        apis.ContactAttemptApi.as_view(),
        name="api-followup-contact-attempt",
    ),
    path(
        f"{_P}loss-to-followup/",
        apis.LossToFollowUpDeclareApi.as_view(),
        name="api-followup-loss",
    ),
    path(
        f"{_P}last-known-alive/",
        apis.LastKnownAliveApi.as_view(),
        name="api-followup-last-known-alive",
    ),
]

# Analysis (trial-wide): data cut-offs and exports.

urlpatterns += [
    path(
        "analysis/cutoffs/",
        survival_apis.CutoffListFreezeApi.as_view(),
        name="api-analysis-cutoffs",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/exports/",
        survival_apis.ExportRequestApi.as_view(),
        name="api-analysis-export-request",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/estimates/",
        survival_apis.CutoffEstimatesApi.as_view(),
        name="api-analysis-estimates",
    ),
    path(
        "analysis/exports/<int:export_id>/",
        survival_apis.ExportDetailApi.as_view(),
        name="api-analysis-export",
    ),
]
