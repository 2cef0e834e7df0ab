"""API routes of the analysis (trial-wide): data cut-offs and exports."""

from django.urls import URLPattern, path

from analysis import apis

urlpatterns: list[URLPattern] = [
    path(
        "analysis/cutoffs/",
        apis.CutoffListFreezeApi.as_view(),
        name="analysis_cutoffs",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/lock/",
        apis.CutoffLockApi.as_view(),
        name="analysis_cutoff_lock",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/unlock/",
        apis.CutoffUnlockApi.as_view(),
        name="analysis_cutoff_unlock",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/exports/",
        apis.ExportRequestApi.as_view(),
        name="analysis_export_request",
    ),
    path(
        "analysis/cutoffs/<int:cutoff_id>/estimates/",
        apis.CutoffEstimatesApi.as_view(),
        name="analysis_estimates",
    ),
    path(
        "analysis/exports/<int:export_id>/",
        apis.ExportDetailApi.as_view(),
        name="analysis_export",
    ),
]
