"""Reads of the follow-up app: last date known alive, the coordinator's worklist, end of study."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import DateField, DateTimeField, F, Max, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import ngettext

from followup.models import Visit, VisitStatus
from treatment.models import Relapse
from trial.models import Death, Patient, User


@dataclass(frozen=True)
class AliveDateSource:
    """A dated record that shows the patient alive on that date."""

    model: str  # "app_label.Model"
    date_field: str
    patient_field: str = "patient_id"
    condition: Q = field(default_factory=Q)


# Every dated record of a patient that proves them alive on its date. Other apps' records
# (treatment cycles, adverse events, …) join this list as they are built.
ALIVE_DATE_SOURCES: list[AliveDateSource] = [
    AliveDateSource("randomization.Randomization", "randomized_at"),
    AliveDateSource("trial.Consent", "consent_date"),
    AliveDateSource("trial.Baseline", "assessment_date"),
    AliveDateSource("treatment.EndOfTreatment", "end_date", condition=~Q(reason="death")),
    AliveDateSource("treatment.Cycle", "start_date"),
    AliveDateSource("treatment.ResponseAssessment", "assessment_date"),
    AliveDateSource("treatment.AdverseEvent", "start_date"),
    AliveDateSource("treatment.Transplant", "transplant_date"),
    AliveDateSource(
        "followup.Visit",
        "contact_date",
        condition=Q(status=VisitStatus.DONE) & ~Q(vital_status="dead"),
    ),
    AliveDateSource(
        "followup.ContactAttempt", "attempted_on", condition=Q(outcome="reached_alive")
    ),
    AliveDateSource("trial.Withdrawal", "withdrawal_date"),
]


def last_known_alive_bulk(
    patient_ids: Iterable[int], *, read_all: bool = False
) -> dict[int, dt.date | None]:
    """The last date each patient is known alive, from every dated record, in two queries.

    Never later than a recorded death. Records entered in error do not count. `read_all`
    reads every patient's records and keeps those of `patient_ids`: for most of the trial's
    patients, cheaper than any filter on the patients in each query (thousands of ids cost
    more to send and plan than the rows cost to read, and a subquery is evaluated again in
    each query).

    Each source's latest date per patient is worked out by the database, and their latest
    too: a query per source would send a row per patient and source (over a million at
    100,000 patients) for Python to compare.
    """
    result: dict[int, dt.date | None] = dict.fromkeys(patient_ids)
    ids = None if read_all else list(result)

    def among(patient_field: str) -> Q:
        return Q() if ids is None else Q(**{f"{patient_field}__in": ids})

    latest: list[QuerySet[Any, Any]] = []
    for source in ALIVE_DATE_SOURCES:
        model: Any = apps.get_model(source.model)
        day: Any = F(source.date_field)
        if isinstance(model._meta.get_field(source.date_field), DateTimeField):
            # The day in the trial's time zone, worked out by the database: the latest day is
            # that of the latest time, and a date costs far less to read than a time stamp.
            day = TruncDate(source.date_field)
        latest.append(
            model.objects.filter(source.condition, among(source.patient_field))
            .filter(entered_in_error=False, **{f"{source.date_field}__isnull": False})
            .values(alive_patient=F(source.patient_field))
            .annotate(alive_last=Max(day))
            .order_by()
            .values_list("alive_patient", "alive_last")
        )
    # Django compiles each source's query and their union, but does not aggregate over a
    # union: the outer GROUP BY is written here, in SQL that SQLite and PostgreSQL both run.
    union, params = latest[0].union(*latest[1:], all=True).query.sql_with_params()
    patient, last = (connection.ops.quote_name(name) for name in ("alive_patient", "alive_last"))
    to_date = DateField().to_python  # SQLite returns the text of the date
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {patient}, MAX({last}) FROM ({union}) AS sources GROUP BY {patient}",
            params,
        )
        for pid, day in cursor.fetchall():
            if pid in result:
                result[pid] = to_date(day)
    deaths = Death.objects.filter(among("patient_id"), entered_in_error=False)
    for pid, death_date in deaths.values_list("patient_id", "death_date"):
        if pid in result:
            current = result[pid]
            result[pid] = death_date if current is None else min(current, death_date)
    return result


def last_known_alive(patient: Patient) -> dt.date | None:
    """The last date the patient is known to have been alive (for overall survival censoring)."""
    return last_known_alive_bulk([patient.pk])[patient.pk]


WORKLIST_STATUSES = (VisitStatus.DUE, VisitStatus.OVERDUE, VisitStatus.MISSED)


def worklist_for_user(
    *, user: User, status: str | None = None, site_code: str | None = None
) -> QuerySet[Visit]:
    """Due, overdue and missed visits of the sites the user may see: a coordinator's own
    sites, every site for a trial-wide role (a data manager follows the missed visits the
    dashboard counts). Whether the user may record them is a separate question
    (`Action.ENTER_FOLLOWUP`, asked per visit by the pages)."""
    statuses = [status] if status in WORKLIST_STATUSES else list(WORKLIST_STATUSES)
    visits = Visit.objects.for_user(user).filter(status__in=statuses, entered_in_error=False)
    if site_code:
        visits = visits.filter(patient__site__code=site_code)
    return visits.select_related("patient__site").order_by("target_date", "patient_id", "number")


def patient_visits(*, patient: Patient) -> QuerySet[Visit]:
    return Visit.objects.filter(patient=patient).select_related("relapse").order_by("number")


def visits_reporting_relapse(*, relapse: Relapse) -> str:
    """Why a relapse record cannot be marked entered in error: the visits that report it."""
    numbers = list(
        Visit.objects.filter(relapse=relapse, entered_in_error=False)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if not numbers:
        return ""
    listed = ", ".join(str(n) for n in numbers)
    return ngettext(
        "Follow-up visit %(visits)s reports this relapse: correct that visit first.",
        "Follow-up visits %(visits)s report this relapse: correct those visits first.",
        len(numbers),
    ) % {"visits": listed}
