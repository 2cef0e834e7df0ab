from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.views import healthz

# The last resort for an exception no view handled: a 503 when the database cannot be reached,
# JSON under /api/ (config/views.py).
handler500 = "config.views.server_error"
handler404 = "config.views.page_not_found"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # A person opening the docs signs in first (the schema itself stays 401/403 for clients).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api_docs",
    ),
    path("api/v1/", include("config.urls_api")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("randomization/", include("randomization.urls")),
    path("followup/", include("followup.urls")),
    path("analysis/", include("analysis.urls")),
    path("", include("trial.urls")),
    path("", include("treatment.urls")),
    path("", include("cleaning.urls")),
    path("", include("verification.urls")),
    path("", include("workspace.urls")),
]
