"""The pages that compose every app: home, the patient list and the patient page."""

from django.urls import URLPattern, path

from workspace import views
from workspace.selectors.listings import LISTINGS

app_name = "workspace"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient_detail"),
    path("settings/", views.user_settings, name="user_settings"),
    path("language/", views.set_language, name="set_language"),
    # One page per dashboard count (no identifier in the URL: the site is a filter, ?site=).
    *(
        path(
            f"listings/{listing.slug}/",
            views.listing,
            {"slug": listing.slug},
            name=f"listing_{listing.count}",
        )
        for listing in LISTINGS
    ),
]
