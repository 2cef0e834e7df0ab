"""API of the treatment period, under /api/v1/patients/<patient_id>/..., by subdomain."""

from trial.apis.treatment import cycles, outcomes, safety, signing

urlpatterns = [
    *signing.urlpatterns,
    *cycles.urlpatterns,
    *outcomes.urlpatterns,
    *safety.urlpatterns,
]
