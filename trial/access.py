"""Who is acting and which patient they may reach: the one lookup every page and API view uses.

A patient of a site outside the user's roles is a 404, never a 403 or a leak (issue 2: site
isolation), because the lookup goes through `Patient.objects.for_user`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from trial.models import Patient, User


def acting_user(request: Any) -> User:
    """The signed-in user of a Django or DRF request (login is required before any view)."""
    user = request.user
    assert isinstance(user, User)
    return user


def patient_for(
    request: Any,
    patient_id: int,
    *,
    annotate: Callable[[QuerySet[Patient]], QuerySet[Patient]] | None = None,
) -> Patient:
    """The patient, if the user may see the patient's site; otherwise 404. `annotate` adds what
    the page shows of the patient to the same query."""
    patients = Patient.objects.for_user(acting_user(request)).select_related(
        "site", "protocol_version", "eligibility_confirmed_by", "enrolled_by"
    )
    return get_object_or_404(annotate(patients) if annotate else patients, pk=patient_id)
