"""API routes of the treatment period, under /api/v1/patients/<patient_id>/..."""

from django.urls import URLPattern, path

from treatment.apis import cycles, outcomes, relapse, safety, signing

_P = "patients/<int:patient_id>"

urlpatterns: list[URLPattern] = [
    path(f"{_P}/treatment/", signing.TreatmentSummaryApi.as_view(), name="treatment"),
    path(f"{_P}/signatures/", signing.SignatureApi.as_view(), name="signatures"),
    path(f"{_P}/cycles/", cycles.CycleListApi.as_view(), name="cycles"),
    path(f"{_P}/cycles/<int:pk>/", cycles.CycleDetailApi.as_view(), name="cycle"),
    path(f"{_P}/responses/", outcomes.ResponseListApi.as_view(), name="responses"),
    path(f"{_P}/responses/<int:pk>/", outcomes.ResponseDetailApi.as_view(), name="response"),
    path(f"{_P}/transplants/", outcomes.TransplantListApi.as_view(), name="transplants"),
    path(f"{_P}/transplants/<int:pk>/", outcomes.TransplantDetailApi.as_view(), name="transplant"),
    path(f"{_P}/end-of-treatment/", outcomes.EndOfTreatmentApi.as_view(), name="end_of_treatment"),
    path(f"{_P}/deviations/", outcomes.DeviationListApi.as_view(), name="deviations"),
    path(f"{_P}/relapse/", relapse.RelapseApi.as_view(), name="relapse"),
    path(
        f"{_P}/relapse/entered-in-error/",
        relapse.RelapseWithdrawApi.as_view(),
        name="relapse_withdraw",
    ),
    path(f"{_P}/adverse-events/", safety.AdverseEventListApi.as_view(), name="adverse_events"),
    path(
        f"{_P}/adverse-events/<int:pk>/",
        safety.AdverseEventDetailApi.as_view(),
        name="adverse_event",
    ),
    path(f"{_P}/adverse-events/<int:pk>/report/", safety.SaeReportApi.as_view(), name="sae_report"),
    path("adverse-events/overdue/", safety.SaeOverdueListApi.as_view(), name="sae_overdue"),
    path(
        "adverse-events/alerts-undelivered/",
        safety.SaeAlertUndeliveredListApi.as_view(),
        name="sae_alerts_undelivered",
    ),
    path("ctcae-terms/", safety.CtcaeTermListApi.as_view(), name="ctcae_terms"),
]
