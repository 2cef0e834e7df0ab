from django.urls import URLPattern, path

from analysis import views

app_name = "analysis"

urlpatterns: list[URLPattern] = [
    path("", views.analysis_home, name="home"),
    path("cutoffs/freeze/", views.cutoff_freeze, name="cutoff_freeze"),
    path("cutoffs/<int:cutoff_id>/lock/", views.cutoff_lock, name="cutoff_lock"),
    path("cutoffs/<int:cutoff_id>/unlock/", views.cutoff_unlock, name="cutoff_unlock"),
    path("cutoffs/<int:cutoff_id>/export/", views.export_request, name="export_request"),
    path("exports/<int:export_id>/", views.export_detail, name="export"),
    path(
        "exports/<int:export_id>/files/<str:name>",
        views.export_download,
        name="export_download",
    ),
    path("cutoffs/<int:cutoff_id>/km/", views.km_plot, name="km"),
    path("cutoffs/<int:cutoff_id>/km/<str:name>", views.km_image, name="km_image"),
    path("cutoffs/<int:cutoff_id>/effects/", views.effects, name="effects"),
    path("cutoffs/<int:cutoff_id>/relapse/", views.relapse, name="relapse"),
    path("cutoffs/<int:cutoff_id>/files/<str:name>", views.report_file, name="report_file"),
    path("cutoffs/<int:cutoff_id>/table1/", views.table1, name="table1"),
    path("cutoffs/<int:cutoff_id>/consort/", views.consort, name="consort"),
    path("cutoffs/<int:cutoff_id>/endpoints/", views.endpoints, name="endpoints"),
]
