"""Relapses recorded at follow-up visits become relapse records (docs/protocol.md "Relapse").

Before relapse records, a visit with disease status "relapse" held its own relapse date. For
each patient, the relapse date that the endpoints counted — the earliest one of their visits
(not entered in error) after their first CR/CRi, else the earliest one, which no endpoint
counts and the treatment page flags — becomes the patient's relapse record, found at a follow-up visit before relapse records ("migrated"): how it
was established was not asked then, so it stays to be given on correction. Every visit that
reported the relapse links to it. Each record gets a history row saying so, with the user who
recorded the visit; the dates each visit gave are kept in the relapse's comment, and the
visits keep them too (the next migration renames the field `reported_relapse_date`).
"""

from __future__ import annotations

from itertools import groupby

from django.db import migrations
from django.utils import timezone

MIGRATED = "migrated"


def _history_row(model, historical, instance, *, kind: str, user_id, reason: str, now) -> None:
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields}
    historical.objects.create(
        **values,
        history_date=now,
        history_type=kind,
        history_user_id=user_id,
        history_change_reason=reason,
    )


def _recorded_by(historical_visit, visit):
    row = (
        historical_visit.objects.filter(id=visit.pk, history_user__isnull=False)
        .order_by("-history_date", "-history_id")
        .first()
    )
    return row.history_user_id if row else None


def _first_remissions(assessments) -> dict:
    rows = (
        assessments.objects.filter(entered_in_error=False, response__in=["CR", "CRi"])
        .order_by("assessment_date")
        .values_list("patient_id", "assessment_date")
    )
    first: dict = {}
    for patient_id, day in rows:
        first.setdefault(patient_id, day)
    return first


def relapses_from_visits(apps, schema_editor) -> None:
    Visit = apps.get_model("followup", "Visit")
    HistoricalVisit = apps.get_model("followup", "HistoricalVisit")
    Relapse = apps.get_model("treatment", "Relapse")
    HistoricalRelapse = apps.get_model("treatment", "HistoricalRelapse")
    remissions = _first_remissions(apps.get_model("treatment", "ResponseAssessment"))
    now = timezone.now()
    visits = (
        Visit.objects.filter(entered_in_error=False, disease_status="relapse", relapse__isnull=True)
        .exclude(relapse_date=None)
        .order_by("patient_id", "relapse_date", "number")
    )
    for patient_id, group in groupby(visits, key=lambda v: v.patient_id):
        reported = list(group)
        remission = remissions.get(patient_id)
        after = [v for v in reported if remission is not None and v.relapse_date > remission]
        first = (after or reported)[0]
        user_id = _recorded_by(HistoricalVisit, first)
        relapse = Relapse.objects.filter(patient_id=patient_id, entered_in_error=False).first()
        if relapse is None:
            relapse = Relapse.objects.create(
                patient_id=patient_id,
                relapse_date=first.relapse_date,
                found_at=MIGRATED,
                recorded_by_id=user_id,
                comment="Reported at follow-up visits before relapse records: "
                + "; ".join(
                    f"visit {v.number} (contact {v.contact_date:%Y-%m-%d}): relapse on "
                    f"{v.relapse_date:%Y-%m-%d}"
                    for v in reported
                )
                + ".",
            )
            _history_row(
                Relapse,
                HistoricalRelapse,
                relapse,
                kind="+",
                user_id=user_id,
                reason=f"Migrated from follow-up visit {first.number}: relapse records replace "
                "the visit's relapse date",
                now=now,
            )
        for visit in reported:
            visit.relapse_id = relapse.pk
            visit.save(update_fields=["relapse"])
            _history_row(
                Visit,
                HistoricalVisit,
                visit,
                kind="~",
                user_id=None,
                reason=f"Linked to the relapse record of {relapse.relapse_date:%Y-%m-%d} "
                "(relapse records replace the visit's relapse date)",
                now=now,
            )


def visits_from_relapses(apps, schema_editor) -> None:
    """Back: every visit linked to a relapse holds its date again; migrated records go."""
    Visit = apps.get_model("followup", "Visit")
    Relapse = apps.get_model("treatment", "Relapse")
    HistoricalRelapse = apps.get_model("treatment", "HistoricalRelapse")
    for visit in Visit.objects.filter(relapse__isnull=False).select_related("relapse"):
        visit.relapse_date = visit.relapse_date or visit.relapse.relapse_date
        visit.relapse_id = None
        visit.save(update_fields=["relapse_date", "relapse"])
    migrated = Relapse.objects.filter(found_at=MIGRATED)
    HistoricalRelapse.objects.filter(id__in=migrated.values("pk")).delete()
    migrated.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0003_visit_links_its_relapse"),
        ("treatment", "0004_relapse"),
    ]

    operations = [migrations.RunPython(relapses_from_visits, visits_from_relapses)]
