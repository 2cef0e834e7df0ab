"""`{% trial_status patient as st %}`: where the patient stands in the whole trial, for the
patient header that frames every app's patient pages (it reads randomisation, treatment and
follow-up, so it lives in the top layer)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from workspace.selectors.status import patient_trial_status, status_label

register = template.Library()


@register.simple_tag
def trial_status(patient: Any) -> dict[str, str]:
    """Where the patient stands (st.key, st.label); read unless the page's patient already
    carries it (`with_trial_status`)."""
    annotated: Any = (
        patient
        if hasattr(patient, "trial_status")
        else patient_trial_status(patient, today=timezone.localdate())
    )
    return {"key": annotated.trial_status, "label": status_label(annotated)}
