"""API routes of the trial app: accounts and configuration, screening, histories."""

from django.urls import URLPattern, path

from trial.apis import accounts, history, screening

_P = "patients/<int:patient_id>/"

urlpatterns: list[URLPattern] = [
    path("auth/token/", accounts.TokenObtainApi.as_view(), name="token"),
    path("auth/logout/", accounts.TokenLogoutApi.as_view(), name="logout"),
    path("auth/logout-all/", accounts.TokenLogoutAllApi.as_view(), name="logout_all"),
    path("me/", accounts.MeApi.as_view(), name="me"),
    path("sites/", accounts.SiteListApi.as_view(), name="site_list"),
    path("sites/<int:site_id>/", accounts.SiteDetailApi.as_view(), name="site_detail"),
    path(
        "protocol-versions/",
        accounts.ProtocolVersionListApi.as_view(),
        name="protocol_versions",
    ),
    path("patients/", screening.PatientListApi.as_view(), name="patient_list"),
    path(_P, screening.PatientDetailApi.as_view(), name="patient_detail"),
    path(f"{_P}eligibility/", screening.EligibilityApi.as_view(), name="eligibility"),
    path(
        f"{_P}eligibility/confirm/",
        screening.EligibilityConfirmApi.as_view(),
        name="eligibility_confirm",
    ),
    path(f"{_P}screen-failure/", screening.ScreenFailureApi.as_view(), name="screen_failure"),
    path(f"{_P}consent/", screening.ConsentApi.as_view(), name="consent"),
    path(
        f"{_P}consent/entered-in-error/",
        screening.ConsentEnteredInErrorApi.as_view(),
        name="consent_entered_in_error",
    ),
    path(f"{_P}baseline/", screening.BaselineApi.as_view(), name="baseline"),
    path(
        f"{_P}baseline/entered-in-error/",
        screening.BaselineEnteredInErrorApi.as_view(),
        name="baseline_entered_in_error",
    ),
    path(f"{_P}enrol/", screening.EnrolApi.as_view(), name="enrol"),
    path(f"{_P}history/", history.PatientHistoryApi.as_view(), name="patient_history"),
    path(
        f"{_P}eligibility/history/",
        history.EligibilityHistoryApi.as_view(),
        name="eligibility_history",
    ),
    path(f"{_P}consent/history/", history.ConsentHistoryApi.as_view(), name="consent_history"),
    path(f"{_P}baseline/history/", history.BaselineHistoryApi.as_view(), name="baseline_history"),
    path("record-types/", history.RecordTypesApi.as_view(), name="record_types"),
    path(
        f"{_P}records/<str:record_type>/<int:pk>/history/",
        history.RecordHistoryApi.as_view(),
        name="record_history",
    ),
]
