"""`{% history_url record %}`: the history page of any clinical record."""

from django import template
from django.db import models
from django.urls import reverse

from trial.selectors.history import patient_path

register = template.Library()


@register.simple_tag
def history_url(record: models.Model) -> str:
    patient: models.Model = record
    for step in patient_path(type(record)).split("__"):
        if step != "pk":
            patient = getattr(patient, step)
    kwargs = {"patient_id": patient.pk, "record_type": record._meta.model_name, "pk": record.pk}
    return reverse("trial:record_history", kwargs=kwargs)
