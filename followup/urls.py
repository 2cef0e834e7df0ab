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
    path(
        "patients/<int:patient_id>/visits/<int:pk>/not-done/",
        views.visit_not_done,
        name="followup-visit-not-done",
    ),
    path("patients/<int:patient_id>/death/", views.death_record, name="followup-death"),
    path(
        "patients/<int:patient_id>/withdrawal/", views.withdrawal_record, name="followup-withdrawal"
    ),
    path(
        "patients/<int:patient_id>/contact-attempts/new/",
        views.contact_attempt_record,
        name="followup-contact-attempt",
    ),
    path(
        "patients/<int:patient_id>/lost-to-follow-up/",
        views.loss_to_followup_declare,
        name="followup-lost",
    ),
]
