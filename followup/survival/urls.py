from django.urls import URLPattern, path

from followup.survival import views

urlpatterns: list[URLPattern] = [
    path("", views.analysis_home, name="analysis-home"),
    path("cutoffs/freeze/", views.cutoff_freeze, name="analysis-cutoff-freeze"),
    path("cutoffs/<int:cutoff_id>/export/", views.export_request, name="analysis-export-request"),
    path("exports/<int:export_id>/", views.export_detail, name="analysis-export"),
    path(
        "exports/<int:export_id>/files/<str:name>",
        views.export_download,
        name="analysis-export-download",
    ),
    path("cutoffs/<int:cutoff_id>/km/", views.km_plot, name="analysis-km"),
    path("cutoffs/<int:cutoff_id>/km/<str:name>", views.km_image, name="analysis-km-image"),
    path("cutoffs/<int:cutoff_id>/effects/", views.effects, name="analysis-effects"),
    path("cutoffs/<int:cutoff_id>/relapse/", views.relapse, name="analysis-relapse"),
    path(
        "cutoffs/<int:cutoff_id>/files/<str:name>",
        views.report_file,
        name="analysis-report-file",
    ),
    path("cutoffs/<int:cutoff_id>/table1/", views.table1, name="analysis-table1"),
    path("cutoffs/<int:cutoff_id>/consort/", views.consort, name="analysis-consort"),
    path("cutoffs/<int:cutoff_id>/endpoints/", views.endpoints, name="analysis-endpoints"),
]
