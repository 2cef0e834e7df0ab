"""What is left to do in screening, per patient and per user (docs/protocol.md "Screening and eligibility").

The order of the steps follows the protocol: consent comes before any study procedure
(inclusion criterion 4), the baseline record before the checklist that rests on it, and the
investigator's confirmation before enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, gettext_lazy

from randomization.models import Randomization
from treatment.models import AdverseEvent, Cycle, Signature
from trial.models import (
    Baseline,
    Consent,
    EligibilityAnswer,
    EligibilityCriterion,
    Patient,
    PatientStatus,
    User,
)
from trial.permissions import Action
from trial.services import drafts

NEXT_STEP_LABELS = {
    "consent": gettext_lazy("Awaiting informed consent"),
    "baseline": gettext_lazy("Awaiting baseline record"),
    "eligibility": gettext_lazy("Awaiting eligibility answers"),
    "confirmation": gettext_lazy("Awaiting investigator confirmation"),
    "enrolment": gettext_lazy("Ready for enrolment"),
}


def _count(queryset: QuerySet, group: str) -> Coalesce:
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_screening_progress(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate what each patient already has: consent, baseline, answers and criteria counts."""
    valid = {"patient": OuterRef("pk"), "entered_in_error": False}
    return patients.annotate(
        has_consent=Exists(Consent.objects.filter(**valid)),
        has_baseline=Exists(Baseline.objects.filter(**valid, draft=False)),
        answered=_count(EligibilityAnswer.objects.filter(**valid), "patient"),
        criteria_count=_count(
            EligibilityCriterion.objects.filter(protocol_version=OuterRef("protocol_version")),
            "protocol_version",
        ),
    )


def patient_next_step(patient: Patient) -> str | None:
    """Return the key of the first missing screening step of an annotated patient."""
    if patient.status != PatientStatus.SCREENING:
        return None
    p = patient
    checks = [
        ("consent", p.has_consent),  # type: ignore[attr-defined]
        ("baseline", p.has_baseline),  # type: ignore[attr-defined]
        ("eligibility", p.answered >= p.criteria_count),  # type: ignore[attr-defined]
        ("confirmation", p.eligibility_confirmed),
    ]
    return next((key for key, done in checks if not done), "enrolment")


@dataclass(frozen=True)
class WorkItem:
    patient: Patient
    step: str
    label: str


def screening_worklist(user: User, action: Action = Action.SCREEN) -> list[WorkItem]:
    """Return the patients in screening at the user's sites with their next step, oldest first."""
    patients = with_screening_progress(
        Patient.objects.for_user(user, action)
        .filter(status=PatientStatus.SCREENING)
        .select_related("site")
        .order_by("screening_date", "screening_number")
    )
    items = []
    for patient in patients:
        step = patient_next_step(patient) or ""
        items.append(WorkItem(patient, step, str(NEXT_STEP_LABELS.get(step, ""))))
    return items


def awaiting_confirmation(user: User) -> list[WorkItem]:
    """Patients whose data are complete and who wait for this investigator's confirmation."""
    items = screening_worklist(user, Action.CONFIRM_ELIGIBILITY)
    return [item for item in items if item.step == "confirmation"]


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    state: str  # "done", "todo", "waiting" (a prior step is missing) or "closed"
    detail: str


def _open_state(done: bool, ready: bool, status: str) -> str:
    if done:
        return "done"
    if status != PatientStatus.SCREENING:
        return "closed"
    return "todo" if ready else "waiting"


def _baseline_summary(baseline: Baseline | None) -> str:
    if baseline is None:
        return gettext("Not recorded")
    if baseline.draft:
        missing = ", ".join(str(label) for label in drafts.missing_labels(baseline))
        return gettext("Draft, incomplete (missing: %(missing)s)") % {"missing": missing}
    return gettext("Assessed %(date)s, %(status)s, planned %(regimen)s") % {
        "date": f"{baseline.assessment_date:%Y-%m-%d}",
        "status": baseline.get_disease_status_display().lower(),
        "regimen": baseline.get_planned_regimen_display(),
    }


def patient_steps(
    patient: Patient, *, consent: Consent | None, baseline: Baseline | None
) -> list[Step]:
    """The screening path of one patient, each step with its state and a one-line summary.

    `patient` carries `with_screening_progress`; `consent` and `baseline` are the patient's
    live records (None when there is none), as the page has read them.
    """
    answered, criteria_count = patient.answered, patient.criteria_count  # type: ignore[attr-defined]
    answered_all = answered >= criteria_count
    confirmed_by = patient.eligibility_confirmed_by
    draft = baseline is not None and baseline.draft  # a draft counts as no data yet
    data_ready = bool(consent and baseline and not draft and answered_all)
    rows = [
        (
            "consent",
            gettext("Informed consent"),
            consent is not None,
            True,
            gettext("Signed %(date)s (form %(version)s)")
            % {"date": f"{consent.consent_date:%Y-%m-%d}", "version": consent.form_version}
            if consent
            else gettext("Not recorded"),
        ),
        (
            "baseline",
            gettext("Baseline record"),
            baseline is not None and not draft,
            consent is not None,
            _baseline_summary(baseline),
        ),
        (
            "eligibility",
            gettext("Eligibility checklist"),
            answered_all,
            True,
            gettext("%(answered)s of %(total)s criteria answered")
            % {"answered": answered, "total": criteria_count},
        ),
        (
            "confirmation",
            gettext("Investigator confirmation"),
            patient.eligibility_confirmed,
            data_ready,
            gettext("Confirmed by %(name)s")
            % {"name": confirmed_by.get_full_name() or confirmed_by.get_username()}
            if confirmed_by
            else gettext("Not confirmed"),
        ),
        (
            "enrolment",
            gettext("Enrolment"),
            patient.status == PatientStatus.ENROLLED,
            patient.eligibility_confirmed,
            gettext("Subject %(subject)s") % {"subject": patient.subject_id}
            if patient.subject_id
            else gettext("Not enrolled"),
        ),
    ]
    steps = [
        Step(
            "screening",
            gettext("Screening"),
            "done",
            gettext("%(number)s on %(date)s")
            % {"number": patient.screening_number, "date": f"{patient.screening_date:%Y-%m-%d}"},
        )
    ]
    for key, title, done, ready, detail in rows:
        steps.append(Step(key, title, _open_state(done, ready, patient.status), detail))
    return steps


@dataclass(frozen=True)
class SignatureDue:
    patient: Patient
    broken: bool


def awaiting_randomization(user: User) -> list[Patient]:
    """Enrolled patients of the user's sites who have no allocation yet, oldest enrolment first."""
    allocated = Randomization.objects.filter(patient=OuterRef("pk"))
    return list(
        Patient.objects.for_user(user, Action.RANDOMIZE)
        .filter(status=PatientStatus.ENROLLED, entered_in_error=False)
        .exclude(Exists(allocated))
        .select_related("site")
        .order_by("enrolled_at", "pk")
    )


def signatures_due(user: User) -> list[SignatureDue]:
    """Patients with treatment records and no valid signature: never signed, or broken since."""
    signatures = Signature.objects.filter(patient=OuterRef("pk"))
    patients = (
        Patient.objects.for_user(user, Action.SIGN)
        .annotate(
            treated=Exists(Cycle.objects.filter(patient=OuterRef("pk"), entered_in_error=False)),
            signed=Exists(signatures.filter(broken_at__isnull=True)),
            broken=Exists(signatures.filter(broken_at__isnull=False)),
        )
        .filter(treated=True, signed=False)
        .select_related("site")
        .order_by("subject_id")
    )
    return [SignatureDue(p, p.broken) for p in patients]


def sae_reports_due(user: User) -> QuerySet[AdverseEvent]:
    """Serious adverse events of the user's sites whose report has not been sent yet."""
    return (
        AdverseEvent.objects.for_user(user, Action.ENTER_TREATMENT)
        .filter(serious=True, entered_in_error=False, reported_at__isnull=True)
        .select_related("patient__site", "term")
        .order_by("report_due_at", "pk")
    )
