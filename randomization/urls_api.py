from django.urls import URLPattern, path

from randomization import apis

urlpatterns: list[URLPattern] = [
    path(
        "patients/<int:patient_id>/randomize/",
        apis.PatientRandomizeApi.as_view(),
        name="patient_randomize",
    ),
    path(
        "patients/<int:patient_id>/randomization/",
        apis.PatientRandomizationApi.as_view(),
        name="patient_randomization",
    ),
    path(
        "patients/<int:patient_id>/randomization/corrections/",
        apis.RandomizationCorrectApi.as_view(),
        name="randomization_correct",
    ),
    path(
        "randomization/report/",
        apis.RandomizationReportApi.as_view(),
        name="randomization_report",
    ),
    path("allocation-lists/", apis.AllocationListListApi.as_view(), name="allocation_lists"),
    path(
        "allocation-lists/import/",
        apis.AllocationListImportApi.as_view(),
        name="allocation_list_import",
    ),
    path(
        "allocation-lists/<int:list_id>/",
        apis.AllocationListDetailApi.as_view(),
        name="allocation_list",
    ),
]
