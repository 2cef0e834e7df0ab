"""`{% history_url record %}`: the history page of any clinical record;
`{% entered_in_error_url record as url %}`: its page to mark it entered in error, for a user
whose roles may (empty otherwise, and for a record already marked)."""

from typing import Any

from django import template
from django.db import models
from django.urls import reverse

from trial.selectors.history import patient_path
from trial.services.records import entered_in_error_action, record_site

register = template.Library()


def _record_kwargs(record: models.Model) -> dict[str, Any]:
    patient: models.Model = record
    for step in patient_path(type(record)).split("__"):
        if step != "pk":
            patient = getattr(patient, step)
    return {"patient_id": patient.pk, "record_type": record._meta.model_name, "pk": record.pk}


@register.simple_tag
def history_url(record: models.Model) -> str:
    return reverse("trial:record_history", kwargs=_record_kwargs(record))


@register.simple_tag(takes_context=True)
def entered_in_error_url(context: dict[str, Any], record: Any) -> str:
    action = entered_in_error_action(record)
    user = getattr(context.get("request"), "user", None)
    if action is None or record.entered_in_error or user is None or not user.is_authenticated:
        return ""
    if not user.can(action, record_site(record)):
        return ""
    return reverse("trial:record_entered_in_error", kwargs=_record_kwargs(record))
