"""Pages of data queries, mounted at the root: /queries/… and the raise page under a patient's
record (the same record path as its history page)."""

from django.urls import URLPattern, path

from cleaning import views

app_name = "cleaning"

urlpatterns: list[URLPattern] = [
    path("queries/", views.query_list, name="query_list"),
    path("queries/edit-checks/", views.edit_checks, name="edit_checks"),
    path("queries/<int:query_id>/", views.query_detail, name="query_detail"),
    path("queries/<int:query_id>/answer/", views.query_answer, name="query_answer"),
    path("queries/<int:query_id>/close/", views.query_close, name="query_close"),
    path("queries/<int:query_id>/reopen/", views.query_reopen, name="query_reopen"),
    path(
        "patients/<int:patient_id>/records/<str:record_type>/<int:pk>/queries/new/",
        views.query_new,
        name="query_new",
    ),
]
