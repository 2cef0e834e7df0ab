"""Where a record a query points at is shown, and where it is corrected (its ordinary form,
which asks for the reason for change)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models
from django.urls import reverse

from trial.selectors.history import patient_id_of

Url = Callable[[Any, int], str]  # (record, patient id) → URL


def _page(name: str, *, pk: Callable[[Any], int] | None = None) -> Url:
    def url(record: Any, patient_id: int) -> str:
        kwargs = {"patient_id": patient_id}
        if pk is not None:
            kwargs["pk"] = pk(record)
        return reverse(name, kwargs=kwargs)

    return url


_TIMELINE = _page("treatment:timeline")
_FOLLOWUP = _page("followup:patient")
_PATIENT = _page("workspace:patient_detail")

# model label → (where it is shown, where it is corrected)
RECORD_PAGES: dict[str, tuple[Url, Url | None]] = {
    "trial.patient": (_PATIENT, _page("trial:patient_edit")),
    "trial.consent": (_page("trial:consent_edit"), _page("trial:consent_edit")),
    "trial.baseline": (_page("trial:baseline_edit"), _page("trial:baseline_edit")),
    "trial.baselinemutation": (_page("trial:baseline_edit"), _page("trial:baseline_edit")),
    "trial.eligibilityanswer": (_page("trial:eligibility_edit"), _page("trial:eligibility_edit")),
    "treatment.cycle": (_TIMELINE, _page("treatment:cycle_edit", pk=lambda r: r.pk)),
    "treatment.drugadministration": (
        _TIMELINE,
        _page("treatment:cycle_edit", pk=lambda r: r.cycle_id),
    ),
    "treatment.responseassessment": (
        _TIMELINE,
        _page("treatment:response_edit", pk=lambda r: r.pk),
    ),
    "treatment.adverseevent": (
        _TIMELINE,
        _page("treatment:adverse_event_edit", pk=lambda r: r.pk),
    ),
    "treatment.transplant": (_TIMELINE, _page("treatment:transplant_edit", pk=lambda r: r.pk)),
    "treatment.endoftreatment": (_TIMELINE, _page("treatment:end")),
    "followup.visit": (_FOLLOWUP, _page("followup:visit_record", pk=lambda r: r.pk)),
    "trial.death": (_FOLLOWUP, _page("followup:death")),
    "trial.withdrawal": (_FOLLOWUP, _page("followup:withdrawal")),
}


def record_page_url(record: models.Model) -> str:
    """The page that shows the record."""
    pages = RECORD_PAGES.get(record._meta.label_lower)
    patient_id = patient_id_of(record)
    return pages[0](record, patient_id) if pages else _PATIENT(record, patient_id)


def record_edit_url(record: models.Model) -> str | None:
    """The form that corrects the record, if it has one."""
    pages = RECORD_PAGES.get(record._meta.label_lower)
    if pages is None or pages[1] is None:
        return None
    return pages[1](record, patient_id_of(record))
