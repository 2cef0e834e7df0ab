"""API of the treatment period, under /api/v1/patients/<patient_id>/..., by subdomain."""
