"""Pages of follow-up, mounted at /followup/: patients by `<int:patient_id>`, visits by `<int:pk>`."""

from django.urls import path

from followup import views

urlpatterns = [
    path("", views.worklist, name="followup-worklist"),
    path("patients/<int:patient_id>/", views.patient_detail, name="followup-patient"),
    path(
        "patients/<int:patient_id>/visits/<int:pk>/record/",
        views.visit_record,
        name="followup-visit-record",
    ),
    path("patients/<int:patient_id>/death/", views.death_record, name="followup-death"),
]
