from django.urls import path

from randomization import apis

urlpatterns = [
    path(
        "patients/<int:patient_id>/randomize/",
        apis.PatientRandomizeApi.as_view(),
        name="api-patient-randomize",
    ),
    path(
        "patients/<int:patient_id>/randomization/",
        apis.PatientRandomizationApi.as_view(),
        name="api-patient-randomization",
    ),
    path(
        "patients/<int:patient_id>/randomization/corrections/",
        apis.RandomizationCorrectApi.as_view(),
        name="api-randomization-correct",
    ),
    path(
        "randomization/report/",
        apis.RandomizationReportApi.as_view(),
        name="api-randomization-report",
    ),
    path("allocation-lists/", apis.AllocationListListApi.as_view(), name="api-allocation-lists"),
    path(
        "allocation-lists/import/",
        apis.AllocationListImportApi.as_view(),
        name="api-allocation-list-import",
    ),
    path(
        "allocation-lists/<int:list_id>/",
        apis.AllocationListDetailApi.as_view(),
        name="api-allocation-list",
    ),
]
