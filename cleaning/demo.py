"""Demo data for data cleaning: two queries raised by people on the demo's enrolled patients,
then every edit check over the demo, so the site teams and the data manager find work waiting.

Idempotent: the queries are raised once, and the edit checks' run changes nothing a second time.
"""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction

from cleaning.models import DataQuery, QueryCategory, QueryOrigin
from cleaning.services.edit_checks import RunResult, edit_checks_run
from cleaning.services.queries import query_raise
from trial.models import Baseline, Consent, PatientStatus, User

# (raiser, site, record kind, field, category, question)
QUERIES: list[tuple[str, str, type[models.Model], str, str, str]] = [
    (
        "monitor",
        "PAR",
        Consent,
        "form_version",
        QueryCategory.INCONSISTENT,
        "The signed form in the site file is ICF v2.0; please check the version recorded.",
    ),
    (
        "datamanager",
        "LYO",
        Baseline,
        "wbc",
        QueryCategory.OUT_OF_RANGE,
        "WBC looks high for this patient's blood blasts: please confirm it against the lab report.",
    ),
]


def _first_enrolled(model: type[models.Model], site: str) -> models.Model | None:
    return (
        model._default_manager.filter(
            patient__site__code=site, patient__status=PatientStatus.ENROLLED, entered_in_error=False
        )
        .order_by("patient__subject_id")
        .first()
    )


@transaction.atomic
def demo_seed_cleaning(*, now: dt.datetime) -> RunResult:
    """Raise the demo's queries unless some exist; run every edit check over the demo."""
    if not DataQuery.objects.filter(origin=QueryOrigin.MANUAL).exists():
        for username, site, model, field, category, text in QUERIES:
            raiser = User.objects.filter(username=username).first()
            record = _first_enrolled(model, site)
            if raiser is None or record is None:
                continue
            query_raise(
                record=record, field_name=field, category=category, text=text, by=raiser, now=now
            )
    return edit_checks_run(now=now)
