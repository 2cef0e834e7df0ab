"""Pages of verification: a patient's forms with their status and SDV, a record's field-level
SDV, SDV progress and the monitor's worklist, locks, and casebooks (PDF per patient, a site's
built by the worker with its progress).

Patients and records are looked up through the site-scoped querysets: another site's is a 404.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.access import acting_user, patient_for
from trial.forms import submitted
from trial.models import Site
from trial.pages import form_page, page, require_action
from trial.permissions import Action
from trial.selectors.history import clinical_record_get
from verification import selectors
from verification.casebook import casebook_pdf
from verification.forms import (
    CasebookBuildForm,
    DatabaseLockForm,
    FieldsVerifyForm,
    LockForm,
    RecordsVerifyForm,
    UnlockForm,
)
from verification.models import CasebookBuild, Lock, LockScope
from verification.queueing import casebook_build_request
from verification.services import locks, sdv


@page
def patient_forms(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's form status matrix; a monitor ticks the records verified against source."""
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    rows = selectors.patient_form_matrix(patient)
    unverified = [r for row in rows for r in row.records if not r.verified]
    form = RecordsVerifyForm(submitted(request), choices=[(r.key, r.title) for r in unverified])

    def submit() -> object:
        records = [
            clinical_record_get(user=user, patient_id=patient.pk, record_type=t, pk=int(pk))
            for t, pk in (key.split(":") for key in form.cleaned_data["records"])
        ]
        return sdv.sdv_records_mark(records=records, by=user, now=timezone.now())

    here = reverse("verification:patient_forms", kwargs={"patient_id": patient.pk})
    patient_lock = Lock.objects.filter(
        scope=LockScope.PATIENT, patient=patient, unlocked_at=None
    ).first()
    return form_page(
        request,
        form=form,
        submit=submit,
        template="verification/patient_forms.html",
        action=Action.VERIFY_SOURCE,
        site=patient.site,
        success=_("Verified against source."),
        next_url=here,
        context={
            "patient": patient,
            "rows": rows,
            "progress": selectors.patient_sdv_progress(rows),
            "patient_lock": patient_lock,
            "lock_missing": selectors.patient_lock_missing(patient) if not patient_lock else [],
            "can_lock": user.can(Action.LOCK, patient.site),
            "tab": "verification",
        },
    )


@page
def record_verify(request: HttpRequest, patient_id: int, record_type: str, pk: int) -> HttpResponse:
    """Verify named fields of one record (or the whole record)."""
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    record = clinical_record_get(user=user, patient_id=patient.pk, record_type=record_type, pk=pk)
    names = selectors.sdv_fields(type(record))
    choices = [(n, str(getattr(record._meta.get_field(n), "verbose_name", n))) for n in names]
    form = FieldsVerifyForm(submitted(request), choices=choices)
    back = reverse("verification:patient_forms", kwargs={"patient_id": patient.pk})
    return form_page(
        request,
        form=form,
        submit=lambda: sdv.sdv_mark(
            record=record, by=user, now=timezone.now(), fields=form.cleaned_data["fields_verified"]
        ),
        template="verification/record_verify.html",
        action=Action.VERIFY_SOURCE,
        site=patient.site,
        success=_("Verified against source."),
        next_url=back,
        context={
            "patient": patient,
            "record": record,
            "marks": selectors.record_marks(record),
            "back": back,
        },
    )


@page
def progress(request: HttpRequest) -> HttpResponse:
    """SDV progress per site and per patient, and what the plan still requires."""
    require_action(request, Action.VIEW)
    sites = selectors.sdv_progress_by_site(acting_user(request))
    return render(request, "verification/progress.html", {"sites": sites})


@page
def lock_list(request: HttpRequest) -> HttpResponse:
    """Locks in force and past; a trial-wide data manager locks the database at a cut-off."""
    user = acting_user(request)
    form = DatabaseLockForm(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: locks.database_lock(by=user, now=timezone.now(), **form.cleaned_data),
        template="verification/locks.html",
        action=Action.LOCK,
        site=None,
        success=lambda lock: _("%(lock)s.") % {"lock": lock},
        next_url=reverse("verification:locks"),
        context={"locks": selectors.locks_for_user(user)},
    )


@page
def patient_lock(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    form = LockForm(submitted(request))
    back = reverse("verification:patient_forms", kwargs={"patient_id": patient.pk})
    return form_page(
        request,
        form=form,
        submit=lambda: locks.patient_lock(
            patient=patient, by=user, now=timezone.now(), **form.cleaned_data
        ),
        template="verification/lock_form.html",
        action=Action.LOCK,
        site=patient.site,
        success=_("Patient %(patient)s locked.") % {"patient": patient},
        next_url=back,
        context={
            "patient": patient,
            "what": _("patient %(patient)s") % {"patient": patient},
            "missing": selectors.patient_lock_missing(patient),
            "back": back,
        },
    )


@page
def record_lock(request: HttpRequest, patient_id: int, record_type: str, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    record = clinical_record_get(user=user, patient_id=patient.pk, record_type=record_type, pk=pk)
    form = LockForm(submitted(request))
    back = reverse("verification:patient_forms", kwargs={"patient_id": patient.pk})
    return form_page(
        request,
        form=form,
        submit=lambda: locks.record_lock(
            record=record, by=user, now=timezone.now(), **form.cleaned_data
        ),
        template="verification/lock_form.html",
        action=Action.LOCK,
        site=patient.site,
        success=_("%(record)s locked.") % {"record": record},
        next_url=back,
        context={"patient": patient, "what": str(record), "missing": [], "back": back},
    )


@page
def lock_release(request: HttpRequest, lock_id: int) -> HttpResponse:
    user = acting_user(request)
    lock = get_object_or_404(selectors.locks_for_user(user), pk=lock_id)
    form = UnlockForm(submitted(request))
    site = lock.patient.site if lock.patient is not None else None
    return form_page(
        request,
        form=form,
        submit=lambda: locks.lock_release(
            lock=lock, by=user, now=timezone.now(), **form.cleaned_data
        ),
        template="verification/unlock.html",
        action=Action.LOCK,
        site=site,
        success=_("Unlocked: %(lock)s.") % {"lock": lock},
        next_url=reverse("verification:locks"),
        context={"lock": lock},
    )


@page
def patient_casebook(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient's casebook as a PDF, for inspection and the site file."""
    patient = patient_for(request, patient_id)
    response = HttpResponse(
        casebook_pdf(patient, printed_at=timezone.now()), content_type="application/pdf"
    )
    name = f"casebook-{patient.subject_id or patient.screening_number}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _sites(request: HttpRequest) -> object:
    site_ids = acting_user(request).site_ids_for(Action.VIEW)
    sites = Site.objects.order_by("code")
    return sites if site_ids is None else sites.filter(pk__in=site_ids)


@page
def casebook_builds(request: HttpRequest) -> HttpResponse:
    """Start building every casebook of a site in the worker; the builds with their progress."""
    user = acting_user(request)
    form = CasebookBuildForm(submitted(request), sites=_sites(request))
    builds = CasebookBuild.objects.for_user(user).select_related("site").order_by("-pk")[:20]
    return form_page(
        request,
        form=form,
        submit=lambda: casebook_build_request(
            site=form.cleaned_data["site"], by=user, now=timezone.now()
        ),
        template="verification/casebooks.html",
        action=Action.VIEW,
        site=None,
        success=_("The casebooks are being built; this page shows their progress."),
        next_url=lambda build: reverse(
            "verification:casebook_build", kwargs={"build_id": build.pk}
        ),
        context={"builds": builds},
    )


@page
def casebook_build(request: HttpRequest, build_id: int) -> HttpResponse:
    build = get_object_or_404(CasebookBuild.objects.for_user(acting_user(request)), pk=build_id)
    return render(request, "verification/casebook_build.html", {"build": build})


@page
def casebook_build_download(request: HttpRequest, build_id: int) -> FileResponse:
    build = get_object_or_404(CasebookBuild.objects.for_user(acting_user(request)), pk=build_id)
    path = Path(settings.MEDIA_ROOT) / build.file_name
    if not build.file_name or not path.is_file():
        raise Http404(_("The casebooks are not built yet."))
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
