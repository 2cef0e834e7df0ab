"""Reads of the treatment period: the patient timeline, derived best response, flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from randomization.models import Randomization
from treatment.models import (
    RESPONSE_RANK,
    SAE_ALERT,
    AdverseEvent,
    Cycle,
    DrugAdministration,
    EndOfTreatment,
    ProtocolDeviation,
    Relapse,
    RelapseFoundAt,
    Response,
    ResponseAssessment,
    Signature,
    Transplant,
)
from treatment.rules import TreatmentRules
from trial.models import OutboundMessage, Patient, Regimen, User


def best_response(patient: Patient) -> ResponseAssessment | None:
    """The best ELN 2017 response after salvage (CR > CRi > MLFS > PR > SD > PD), the earliest
    one on ties; derived from the assessments, never typed."""
    assessments = ResponseAssessment.objects.filter(patient=patient, entered_in_error=False)
    ranked = sorted(assessments, key=lambda a: (RESPONSE_RANK[a.response], a.assessment_date))
    return ranked[0] if ranked else None


REMISSION = (Response.CR, Response.CRI)


def relapse_of(patient: Patient) -> Relapse | None:
    """The patient's relapse after CR/CRi, if one is recorded (never one entered in error)."""
    return Relapse.objects.filter(patient=patient, entered_in_error=False).first()


def first_remission(
    patient: Patient, *, before: dt.date | None = None, on_or_before: dt.date | None = None
) -> ResponseAssessment | None:
    """The patient's first CR or CRi, optionally only among those dated before a day."""
    rows = ResponseAssessment.objects.filter(
        patient=patient, entered_in_error=False, response__in=REMISSION
    )
    if before is not None:
        rows = rows.filter(assessment_date__lt=before)
    if on_or_before is not None:
        rows = rows.filter(assessment_date__lte=on_or_before)
    return rows.order_by("assessment_date", "pk").first()


def in_remission_on(patient: Patient, day: dt.date) -> ResponseAssessment | None:
    """The first CR/CRi when the patient is in remission on `day` (a CR/CRi on or before it and
    no relapse recorded on or before it), else None (docs/protocol.md "Relapse")."""
    remission = first_remission(patient, on_or_before=day)
    relapse = relapse_of(patient)
    if remission is None or (relapse is not None and relapse.relapse_date <= day):
        return None
    return remission


@dataclass(frozen=True)
class DiseaseCourse:
    """Where the patient stands after salvage: never in CR/CRi, in remission, or relapsed.

    Read from the responses and the relapse record only, for every page that shows it.
    """

    remission: ResponseAssessment | None
    relapse: Relapse | None

    @property
    def in_remission(self) -> bool:
        return self.remission is not None and self.relapse is None

    @property
    def summary(self) -> str:
        if self.relapse is not None:
            return _("Relapse on %(date)s (%(how)s)") % {
                "date": f"{self.relapse.relapse_date:%Y-%m-%d}",
                "how": self.relapse.established_by,
            }
        if self.remission is not None:
            return _("In remission: %(response)s since %(date)s") % {
                "response": self.remission.get_response_display(),
                "date": f"{self.remission.assessment_date:%Y-%m-%d}",
            }
        return _("Never in CR/CRi")

    @property
    def flags(self) -> list[str]:
        """Relapse records that need a correction, with what to do."""
        relapse, flags = self.relapse, list[str]()
        if relapse is None:
            return flags
        if self.remission is None or self.remission.assessment_date >= relapse.relapse_date:
            flags.append(
                _(
                    "The relapse of %(date)s has no CR/CRi before it: by ELN 2017 that is "
                    "refractory or progressive disease, and no endpoint counts it. Correct the "
                    "relapse or mark it entered in error."
                )
                % {"date": f"{relapse.relapse_date:%Y-%m-%d}"}
            )
        if relapse.found_at == RelapseFoundAt.MIGRATED and not relapse.established:
            flags.append(
                _(
                    "How the relapse of %(date)s was established is not recorded (it came from a "
                    "follow-up visit): correct the relapse to give it."
                )
                % {"date": f"{relapse.relapse_date:%Y-%m-%d}"}
            )
        return flags


def disease_course(patient: Patient) -> DiseaseCourse:
    return DiseaseCourse(remission=first_remission(patient), relapse=relapse_of(patient))


def aza_response_due(patient: Patient) -> str:
    """Return why a response assessment is overdue for an AZA patient, or "" when none is.

    Due once the patient has had `AZA_RESPONSE_DUE_CYCLE` azacitidine cycles and no assessment
    is dated on or after the start of that cycle (docs/protocol.md "Responses": 3 cycles, then evaluation).
    """
    due_cycle = TreatmentRules.from_settings().aza_response_due_cycle
    aza = list(
        Cycle.objects.filter(patient=patient, entered_in_error=False, regimen=Regimen.AZA)
        .order_by("number")
        .values_list("start_date", flat=True)
    )
    if len(aza) < due_cycle:
        return ""
    anchor = aza[due_cycle - 1]
    assessed = ResponseAssessment.objects.filter(
        patient=patient, entered_in_error=False, assessment_date__gte=anchor
    ).exists()
    if assessed:
        return ""
    return _(
        "A response assessment is due after azacitidine cycle %(cycle)s (started %(date)s) and "
        "none is recorded."
    ) % {"cycle": due_cycle, "date": f"{anchor:%Y-%m-%d}"}


def sae_overdue(*, user: User, now: dt.datetime) -> QuerySet[AdverseEvent]:
    """Serious adverse events of the user's sites whose report is past its deadline: not sent
    yet, or sent late (a late report stays visible to the data manager)."""
    return (
        AdverseEvent.objects.for_user(user)
        .filter(
            serious=True,
            entered_in_error=False,
            report_due_at__lt=now,
        )
        .filter(Q(reported_at__isnull=True) | Q(reported_at__gt=F("report_due_at")))
        .select_related("patient__site", "term")
        .order_by("report_due_at")
    )


def sae_alerts_undelivered(*, user: User) -> QuerySet[AdverseEvent]:
    """Serious adverse events of the user's sites whose alert has not reached the sponsor yet
    (the mail server or the broker is down), with the latest alert's state read from the outbox:
    `alert_queued_at`, `alert_attempts`, `alert_last_error`."""
    alerts = OutboundMessage.objects.filter(
        kind=SAE_ALERT,
        related_type=ContentType.objects.get_for_model(AdverseEvent),
        related_id=OuterRef("pk"),
    ).order_by("-pk")
    return (
        AdverseEvent.objects.for_user(user)
        .filter(serious=True, entered_in_error=False, sponsor_notified_at__isnull=True)
        .annotate(
            alert_queued_at=Subquery(alerts.values("created_at")[:1]),
            alert_attempts=Subquery(alerts.values("attempts")[:1]),
            alert_last_error=Subquery(alerts.values("last_error")[:1]),
        )
        .select_related("patient__site", "term")
        .order_by("awareness_at", "pk")
    )


def sae_is_overdue(event: AdverseEvent, now: dt.datetime) -> bool:
    if not event.serious or event.report_due_at is None:
        return False
    done = event.reported_at
    return (done or now) > event.report_due_at


def current_signature(patient: Patient) -> Signature | None:
    """The latest signature of the patient's treatment period, valid or broken."""
    return Signature.objects.filter(patient=patient).order_by("-signed_at", "-pk").first()


@dataclass
class TreatmentTimeline:
    patient: Patient
    randomization: Randomization | None
    cycles: list[Cycle]
    responses: list[ResponseAssessment]
    adverse_events: list[AdverseEvent]
    transplants: list[Transplant]
    deviations: list[ProtocolDeviation]
    end_of_treatment: EndOfTreatment | None
    signature: Signature | None
    best_response: ResponseAssessment | None
    course: DiseaseCourse
    flags: list[str] = field(default_factory=list)


def patient_treatment(*, patient: Patient, now: dt.datetime) -> TreatmentTimeline:
    """Everything recorded in the patient's treatment period, in date order, with flags."""
    live = Q(entered_in_error=False)
    drugs = Prefetch("drugs", queryset=DrugAdministration.objects.filter(live).order_by("drug"))
    events = list(
        AdverseEvent.objects.filter(live, patient=patient)
        .select_related("term")
        .order_by("start_date", "pk")
    )
    course = disease_course(patient)
    flags = [m for m in [aza_response_due(patient)] if m] + course.flags
    flags += [
        _("SAE report overdue: %(term)s (due %(due)s)")
        % {
            "term": e.term_label,
            "due": formats.date_format(timezone.localtime(e.report_due_at), "DATETIME_FORMAT"),
        }
        for e in events
        if e.reported_at is None and sae_is_overdue(e, now)
    ]
    return TreatmentTimeline(
        patient=patient,
        randomization=Randomization.objects.filter(patient=patient).first(),
        cycles=list(
            Cycle.objects.filter(live, patient=patient).prefetch_related(drugs).order_by("number")
        ),
        responses=list(
            ResponseAssessment.objects.filter(live, patient=patient)
            .select_related("cycle")
            .order_by("assessment_date", "pk")
        ),
        adverse_events=events,
        transplants=list(
            Transplant.objects.filter(live, patient=patient).order_by("transplant_date", "pk")
        ),
        deviations=list(
            ProtocolDeviation.objects.filter(live, patient=patient)
            .select_related("cycle")
            .order_by("detected_at", "pk")
        ),
        end_of_treatment=EndOfTreatment.objects.filter(live, patient=patient).first(),
        signature=current_signature(patient),
        best_response=best_response(patient),
        course=course,
        flags=flags,
    )


def aza_response_due_patients(*, user: User) -> list[tuple[Patient, str]]:
    """Patients of the user's sites for whom an AZA response assessment is overdue."""
    due_cycle = TreatmentRules.from_settings().aza_response_due_cycle
    candidates = (
        Patient.objects.for_user(user)
        .filter(cycles__regimen=Regimen.AZA, cycles__number__gte=due_cycle)
        .distinct()
        .order_by("subject_id")
    )
    result = [(p, aza_response_due(p)) for p in candidates]
    return [(p, why) for p, why in result if why]
