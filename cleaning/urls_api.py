"""API routes of data queries and edit checks."""

from django.urls import URLPattern, path

from cleaning import apis

_Q = "queries/<int:query_id>/"

urlpatterns: list[URLPattern] = [
    path("queries/", apis.QueryListApi.as_view(), name="query_list"),
    path(_Q, apis.QueryDetailApi.as_view(), name="query_detail"),
    path(f"{_Q}history/", apis.QueryHistoryApi.as_view(), name="query_history"),
    path(f"{_Q}answer/", apis.QueryAnswerApi.as_view(), name="query_answer"),
    path(f"{_Q}close/", apis.QueryCloseApi.as_view(), name="query_close"),
    path(f"{_Q}reopen/", apis.QueryReopenApi.as_view(), name="query_reopen"),
    path(
        "patients/<int:patient_id>/records/<str:record_type>/<int:pk>/queries/",
        apis.RecordQueriesApi.as_view(),
        name="record_queries",
    ),
    path("edit-checks/", apis.EditCheckListApi.as_view(), name="edit_checks"),
]
