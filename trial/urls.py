"""Pages of screening and enrolment, and the history of any clinical record."""

from django.urls import URLPattern, path

from trial.views import history, screening

app_name = "trial"

_P = "patients/<int:patient_id>/"

urlpatterns: list[URLPattern] = [
    path("patients/new/", screening.patient_screen, name="patient_screen"),
    path(f"{_P}history/", screening.patient_history, name="patient_history"),
    path(f"{_P}edit/", screening.patient_edit, name="patient_edit"),
    path(f"{_P}consent/", screening.consent_edit, name="consent_edit"),
    path(f"{_P}consent/history/", screening.consent_history, name="consent_history"),
    path(f"{_P}baseline/", screening.baseline_edit, name="baseline_edit"),
    path(f"{_P}baseline/history/", screening.baseline_history, name="baseline_history"),
    path(f"{_P}eligibility/", screening.eligibility_edit, name="eligibility_edit"),
    path(f"{_P}eligibility/history/", screening.eligibility_history, name="eligibility_history"),
    path(f"{_P}eligibility/confirm/", screening.eligibility_confirm, name="eligibility_confirm"),
    path(f"{_P}enrol/", screening.patient_enrol, name="patient_enrol"),
    path(f"{_P}screen-failure/", screening.patient_screen_fail, name="screen_fail"),
    path(
        f"{_P}records/<str:record_type>/<int:pk>/history/",
        history.record_history_page,
        name="record_history",
    ),
]
