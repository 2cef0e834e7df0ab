"""Adverse events and the 24-hour reporting of serious ones (docs/protocol.md "Treatment period")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from treatment.models import SAE_ALERT, AdverseEvent, CtcaeTerm
from treatment.rules import TreatmentRules
from treatment.services.common import (
    local_date,
    require_entry,
    treatment_signature_break,
)
from trial.audit import record_save
from trial.dates import in_time_zone
from trial.exceptions import StateConflict
from trial.models import Death, OutboundMessage, Patient, User
from trial.outbox import queue_by_language
from trial.validation import Errors, add_error, model_errors, not_in_future, raise_if


@transaction.atomic
def adverse_event_record(
    *,
    patient: Patient,
    term: CtcaeTerm | None,
    term_text: str,
    grade: int,
    start_date: dt.date,
    end_date: dt.date | None,
    relation_dexamethasone: str,
    relation_salvage: str,
    serious: bool,
    by: User,
    now: dt.datetime,
    awareness_at: dt.datetime | None = None,
    event: AdverseEvent | None = None,
    reason: str = "",
) -> AdverseEvent:
    """Record (or correct, with a reason) an adverse event.

    When the event is (or becomes) serious, an alert to the sponsor is queued with it (the
    outbox sends it at once and `sponsor_notified_at` is stamped when it is delivered) and the
    report is due `SAE_REPORT_HOURS` after the site became aware (awareness_at, default now).

    :raises ValidationError: no term, dates out of order or in the future, or a grade 5 event
        that does not agree with the patient's death record.
    """
    require_entry(patient=patient, by=by)
    errors = adverse_event_errors(
        patient=patient,
        now=now,
        term=term,
        term_text=term_text,
        grade=grade,
        start_date=start_date,
        end_date=end_date,
        serious=serious,
        awareness_at=awareness_at,
    )
    # An existing event is locked: the outbox stamps sponsor_notified_at on it concurrently.
    event = (
        AdverseEvent.objects.select_for_update().get(pk=event.pk)
        if event is not None
        else AdverseEvent(patient=patient)
    )
    changing, becomes_serious = event.pk is not None, serious and not event.serious
    event.term, event.term_text, event.grade = term, term_text.strip(), grade
    event.start_date, event.end_date = start_date, end_date
    event.relation_dexamethasone, event.relation_salvage = relation_dexamethasone, relation_salvage
    event.serious = serious
    raise_if(model_errors(errors, event, exclude=["patient"]))
    if becomes_serious:
        event.awareness_at = awareness_at or now
        event.report_due_at = event.awareness_at + dt.timedelta(
            hours=TreatmentRules.from_settings().sae_report_hours
        )
        event.sponsor_notified_at = None  # stamped when the alert is delivered
    record_save(instance=event, by=by, reason=reason)
    if becomes_serious:
        _sponsor_alert_queue(event, now=now)
    what = f"Adverse event {event.term_label} {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return event


def adverse_event_errors(
    *,
    patient: Patient,
    now: dt.datetime,
    term: CtcaeTerm | None,
    term_text: str,
    grade: int | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    serious: bool,
    awareness_at: dt.datetime | None,
) -> Errors:
    """Every rule on an adverse event that its values allow checking (None: not known yet)."""
    errors: Errors = {}
    if term is None and not term_text.strip():
        add_error(errors, "term", _("Choose a CTCAE v5 term from the list or describe the event."))
    if term is not None and not term.active:
        add_error(
            errors, "term", _("“%(term)s” is no longer in the reference list.") % {"term": term}
        )
    not_in_future(errors, today=local_date(now), start_date=start_date, end_date=end_date)
    if start_date is not None and end_date is not None and end_date < start_date:
        add_error(errors, "end_date", _("The event cannot end before it starts."))
    if awareness_at is not None and awareness_at > now:
        add_error(errors, "awareness_at", _("The site cannot become aware in the future."))
    if grade == 5:
        _fatal_check(errors, patient, serious, start_date, end_date)
    return errors


def adverse_event_form_errors(
    *, patient: Patient, now: dt.datetime, values: dict[str, Any]
) -> Errors:
    """The rules of `adverse_event_record` on the values a form could read."""
    errors = adverse_event_errors(
        patient=patient,
        now=now,
        term=values.get("term"),
        term_text=values.get("term_text") or "",
        grade=values.get("grade"),
        start_date=values.get("start_date"),
        end_date=values.get("end_date"),
        serious=bool(values.get("serious")),
        awareness_at=values.get("awareness_at"),
    )
    if "term" not in values:
        errors.pop("term", None)  # the term could not be read: its rules wait
    return errors


# In English where an edit check stores it (cleaning), in the user's language on a form.
FATAL_WITHOUT_DEATH = gettext_noop(
    "A grade 5 (fatal) event needs the patient's death record; record the death first."
)


def _fatal_check(
    errors: Errors, patient: Patient, serious: bool, start: dt.date | None, end: dt.date | None
) -> None:
    """A grade 5 (fatal) event agrees with the death record (CTCAE v5: grade 5 is death)."""
    if not serious:
        add_error(errors, "serious", _("A fatal (grade 5) event is a serious adverse event."))
    death = Death.objects.filter(patient=patient, entered_in_error=False).first()
    if death is None:
        add_error(errors, "grade", _(FATAL_WITHOUT_DEATH))
        return
    if start is not None and start > death.death_date:
        add_error(
            errors,
            "start_date",
            _("The patient died on %(date)s, before this.")
            % {"date": f"{death.death_date:%Y-%m-%d}"},
        )
    if end is not None and end != death.death_date:
        add_error(
            errors,
            "end_date",
            _("A fatal event ends on the date of death (%(date)s).")
            % {"date": f"{death.death_date:%Y-%m-%d}"},
        )


def _sponsor_alert_queue(event: AdverseEvent, *, now: dt.datetime) -> None:
    """Queue the alert to the sponsor's safety desk with the event (no names: subject id).

    One alert each time the event becomes serious: the key counts the event's alerts."""
    patient = event.patient
    assert event.report_due_at is not None and event.awareness_at is not None
    earlier = OutboundMessage.objects.filter(
        kind=SAE_ALERT,
        related_type=ContentType.objects.get_for_model(AdverseEvent),
        related_id=event.pk,
    ).count()
    site = patient.site

    def compose() -> tuple[str, str]:
        values = {
            "site": site.code,
            "site_name": site,
            "patient": patient,
            "term": event.term_label,
            "grade": event.grade,
            "start": f"{event.start_date:%Y-%m-%d}",
            "dexamethasone": event.get_relation_dexamethasone_display(),
            "salvage": event.get_relation_salvage_display(),
            "aware": in_time_zone(event.awareness_at, site),  # type: ignore[arg-type]
            "due": in_time_zone(event.report_due_at, site),  # type: ignore[arg-type]
        }
        subject = _("[%(site)s] SAE %(patient)s: %(term)s, grade %(grade)s") % values
        body = "\n".join(
            [
                _(
                    "A serious adverse event was recorded for patient %(patient)s at site %(site_name)s."
                )
                % values,
                _("Term (CTCAE v5): %(term)s; grade %(grade)s.") % values,
                _("Start date: %(start)s.") % values,
                _("Relation to dexamethasone: %(dexamethasone)s; to salvage: %(salvage)s.")
                % values,
                _("Site aware at: %(aware)s.") % values,
                _("Full SAE report due by: %(due)s.") % values,
            ]
        )
        return subject, body

    queue_by_language(
        kind=SAE_ALERT,
        key=f"{SAE_ALERT}:{event.pk}:{earlier + 1}",
        addresses=[TreatmentRules.from_settings().sponsor_safety_email],
        compose=compose,
        now=now,
        related=event,
    )


def sae_alert_delivered(*, message: OutboundMessage) -> None:
    """Stamp `sponsor_notified_at` when the outbox has delivered an SAE alert.

    Registered at start-up (treatment/apps.py) with the outbox, which runs it in the transaction
    that records the delivery. Only the one column is written, so that nothing about the event
    can refuse it."""
    if message.related_id is None:
        return
    event = AdverseEvent.objects.select_for_update().filter(pk=message.related_id).first()
    if event is None or event.sponsor_notified_at is not None or not event.serious:
        return
    event.sponsor_notified_at = message.sent_at
    event._change_reason = "Alert delivered to the sponsor"  # type: ignore[attr-defined]
    event.save(update_fields=["sponsor_notified_at"])


@transaction.atomic
def sae_report_record(
    *,
    event: AdverseEvent,
    reported_at: dt.datetime,
    by: User,
    now: dt.datetime,
    confirmation: str = "",
) -> AdverseEvent:
    """Record when the full report of a serious adverse event was sent to the sponsor.

    :raises StateConflict: the event is not serious or its report is already recorded.
    :raises ValidationError: a report time in the future or before the site was aware.
    """
    require_entry(patient=event.patient, by=by)
    event = AdverseEvent.objects.select_for_update().get(pk=event.pk)
    if not event.serious:
        raise StateConflict(_("Only a serious adverse event has a report to record."))
    if event.reported_at is not None:
        raise StateConflict(
            _("The report was already recorded as sent at %(at)s.")
            % {"at": formats.date_format(timezone.localtime(event.reported_at), "DATETIME_FORMAT")}
        )
    errors: Errors = {}
    if reported_at > now:
        add_error(errors, "reported_at", _("The report cannot be sent in the future."))
    if event.awareness_at and reported_at < event.awareness_at:
        add_error(errors, "reported_at", _("The report cannot precede awareness of the event."))
    raise_if(errors)
    event.reported_at = reported_at
    record_save(
        instance=event, by=by, reason="SAE report sent to the sponsor", confirmation=confirmation
    )
    treatment_signature_break(
        patient=event.patient, by=by, now=now, what=f"SAE {event.term_label} report recorded"
    )
    return event
