"""API routes of verification: form status, source-data verification, locks."""

from django.urls import URLPattern, path

from verification import apis

_P = "patients/<int:patient_id>/"
_R = f"{_P}records/<str:record_type>/<int:pk>/"

urlpatterns: list[URLPattern] = [
    path(f"{_P}forms/", apis.PatientFormsApi.as_view(), name="patient_forms"),
    path(f"{_P}lock/", apis.PatientLockApi.as_view(), name="patient_lock"),
    path(f"{_R}verify/", apis.RecordVerifyApi.as_view(), name="record_verify"),
    path(f"{_R}lock/", apis.RecordLockApi.as_view(), name="record_lock"),
    path("locks/", apis.LockListApi.as_view(), name="locks"),
    path("locks/database/", apis.DatabaseLockApi.as_view(), name="database_lock"),
    path("locks/<int:lock_id>/release/", apis.LockReleaseApi.as_view(), name="lock_release"),
]
