"""The pages that compose every app: home, the patient list and the patient page."""

from django.urls import URLPattern, path

from workspace import views

app_name = "workspace"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
]
