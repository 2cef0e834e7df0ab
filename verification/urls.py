"""Pages of verification, mounted at the root: under a patient (/patients/<id>/verification/…,
the casebook) and /verification/… (progress, locks, a site's casebooks)."""

from django.urls import URLPattern, path

from verification import views

app_name = "verification"

_P = "patients/<int:patient_id>"
_R = f"{_P}/records/<str:record_type>/<int:pk>"

urlpatterns: list[URLPattern] = [
    path(f"{_P}/verification/", views.patient_forms, name="patient_forms"),
    path(f"{_P}/verification/lock/", views.patient_lock, name="patient_lock"),
    path(f"{_P}/casebook.pdf", views.patient_casebook, name="patient_casebook"),
    path(f"{_R}/verify/", views.record_verify, name="record_verify"),
    path(f"{_R}/lock/", views.record_lock, name="record_lock"),
    path("verification/", views.progress, name="progress"),
    path("verification/locks/", views.lock_list, name="locks"),
    path("verification/locks/<int:lock_id>/unlock/", views.lock_release, name="lock_release"),
    path("verification/casebooks/", views.casebook_builds, name="casebooks"),
    path("verification/casebooks/<int:build_id>/", views.casebook_build, name="casebook_build"),
    path(
        "verification/casebooks/<int:build_id>/download/",
        views.casebook_build_download,
        name="casebook_build_download",
    ),
]
