"""Pages of the treatment period, under /patients/<patient_id>/treatment/, and the SAE list."""

from django.urls import URLPattern, path

from treatment import views

app_name = "treatment"

_P = "patients/<int:patient_id>/treatment"

urlpatterns: list[URLPattern] = [
    path(f"{_P}/", views.treatment_timeline, name="timeline"),
    path(f"{_P}/cycles/new/", views.cycle_edit, name="cycle_new"),
    path(f"{_P}/cycles/<int:pk>/edit/", views.cycle_edit, name="cycle_edit"),
    path(f"{_P}/responses/new/", views.response_edit, name="response_new"),
    path(f"{_P}/responses/<int:pk>/edit/", views.response_edit, name="response_edit"),
    path(f"{_P}/adverse-events/new/", views.adverse_event_edit, name="adverse_event_new"),
    path(
        f"{_P}/adverse-events/<int:pk>/edit/", views.adverse_event_edit, name="adverse_event_edit"
    ),
    path(f"{_P}/adverse-events/<int:pk>/report/", views.sae_report, name="sae_report"),
    path(f"{_P}/transplants/new/", views.transplant_edit, name="transplant_new"),
    path(f"{_P}/transplants/<int:pk>/edit/", views.transplant_edit, name="transplant_edit"),
    path(f"{_P}/end/", views.end_of_treatment_edit, name="end"),
    path(f"{_P}/relapse/", views.relapse_edit, name="relapse"),
    path(f"{_P}/relapse/entered-in-error/", views.relapse_withdraw, name="relapse_withdraw"),
    path(f"{_P}/sign/", views.treatment_sign, name="sign"),
    path("safety/overdue/", views.safety_overdue, name="sae_overdue"),
]
