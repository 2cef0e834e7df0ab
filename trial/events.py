"""Domain events that other apps act on (sent by services inside their transaction)."""

from django.dispatch import Signal

# Sent by trial.services.treatment.end_of_treatment_record with end_of_treatment, created,
# by and now: recording the end of treatment starts post-treatment follow-up.
end_of_treatment_recorded = Signal()
