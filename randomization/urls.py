from django.urls import URLPattern, path

from randomization import views

app_name = "randomization"

urlpatterns: list[URLPattern] = [
    path("patients/<int:patient_id>/randomize/", views.patient_randomize, name="randomize"),
    path("patients/<int:patient_id>/", views.randomization_result, name="result"),
    path("patients/<int:patient_id>/correct/", views.randomization_correct, name="correct"),
    path("report/", views.randomization_report, name="report"),
    path("lists/", views.allocation_lists, name="lists"),
    path("lists/import/", views.allocation_list_import, name="list_import"),
    path("lists/<int:list_id>/", views.allocation_list_detail, name="list"),
]
