"""Every API route under /api/v1/, one namespace ("api"), composed from the apps' urls_api."""

from analysis import urls_api as analysis
from cleaning import urls_api as cleaning
from followup import urls_api as followup
from randomization import urls_api as randomization
from treatment import urls_api as treatment
from trial import urls_api as trial
from verification import urls_api as verification

app_name = "api"

urlpatterns = [
    *trial.urlpatterns,
    *randomization.urlpatterns,
    *treatment.urlpatterns,
    *followup.urlpatterns,
    *cleaning.urlpatterns,
    *verification.urlpatterns,
    *analysis.urlpatterns,
]
