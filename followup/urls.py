"""Pages of follow-up, mounted at /followup/: patients by `<int:patient_id>`, visits by `<int:pk>`."""

from django.urls import URLPattern, path

from followup import views

app_name = "followup"

urlpatterns: list[URLPattern] = [
    path("", views.worklist, name="worklist"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient"),
    path(
        "patients/<int:patient_id>/visits/<int:pk>/record/",
        views.visit_record,
        name="visit_record",
    ),
    path(
        "patients/<int:patient_id>/visits/<int:pk>/not-done/",
        views.visit_not_done,
        name="visit_not_done",
    ),
    path("patients/<int:patient_id>/death/", views.death_record, name="death"),
    path("patients/<int:patient_id>/withdrawal/", views.withdrawal_record, name="withdrawal"),
    path(
        "patients/<int:patient_id>/contact-attempts/new/",
        views.contact_attempt_record,
        name="contact_attempt",
    ),
    path(
        "patients/<int:patient_id>/lost-to-follow-up/",
        views.loss_to_followup_declare,
        name="loss_to_followup",
    ),
]
