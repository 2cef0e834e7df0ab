"""API routes of follow-up: patients by `<int:patient_id>`, their visits by `<int:pk>`."""

from django.urls import URLPattern, path

from followup import apis

_P = "patients/<int:patient_id>/followup/"

urlpatterns: list[URLPattern] = [
    path("followup/worklist/", apis.WorklistApi.as_view(), name="followup_worklist"),
    path("followup/study-end/", apis.StudyEndApi.as_view(), name="followup_study_end"),
    path(f"{_P}visits/", apis.PatientVisitListApi.as_view(), name="followup_visits"),
    path(
        f"{_P}visits/<int:pk>/record/",
        apis.VisitRecordApi.as_view(),
        name="followup_visit_record",
    ),
    path(
        f"{_P}visits/<int:pk>/not-done/",
        apis.VisitNotDoneApi.as_view(),
        name="followup_visit_not_done",
    ),
    path(f"{_P}death/", apis.DeathRecordApi.as_view(), name="followup_death"),
    path(f"{_P}withdrawal/", apis.WithdrawalRecordApi.as_view(), name="followup_withdrawal"),
    path(
        f"{_P}contact-attempts/",
        apis.ContactAttemptApi.as_view(),
        name="followup_contact_attempt",
    ),
    path(
        f"{_P}loss-to-followup/",
        apis.LossToFollowUpDeclareApi.as_view(),
        name="followup_loss",
    ),
    path(
        f"{_P}last-known-alive/",
        apis.LastKnownAliveApi.as_view(),
        name="followup_last_known_alive",
    ),
]
