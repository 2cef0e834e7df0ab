"""Pages of data managers: cut-offs, exports with their progress, downloads (Action.EXPORT)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analysis import presentation, queueing, selectors, services
from analysis.cache import CachedReport
from analysis.forms import CutoffFreezeForm, CutoffLockForm, ExportForm
from analysis.relapse import TIMEPOINTS_MONTHS as RELAPSE_MONTHS
from analysis.report import ARM_LABELS, ARMS
from analysis.subgroups import SUBGROUP_ENDPOINTS
from trial.access import acting_user
from trial.exceptions import StateConflict
from trial.pages import page
from trial.permissions import Action


@page
def analysis_home(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context = {
        "cutoffs": selectors.cutoffs_list(user=user),
        "exports": selectors.exports_list(user=user)[:20],
        "freeze_form": CutoffFreezeForm(),
        "export_form": ExportForm(),
        "lock_form": CutoffLockForm(),
        "can_freeze": user.can(Action.MANAGE_CUTOFF),
    }
    return render(request, "analysis/home.html", context)


@page
@require_POST
def cutoff_freeze(request: HttpRequest) -> HttpResponse:
    form = CutoffFreezeForm(request.POST)
    if form.is_valid():
        try:
            services.cutoff_freeze(by=acting_user(request), now=timezone.now(), **form.cleaned_data)
            messages.success(request, _("Data cut-off frozen."))
        except ValidationError as error:
            messages.error(request, "; ".join(error.messages))
    else:
        messages.error(request, _("Give a date and a reason."))
    return redirect("analysis:home")


@page
@require_POST
def cutoff_lock(request: HttpRequest, cutoff_id: int) -> HttpResponse:
    """Lock a cut-off (its exports are then the files built now), or say why not."""
    cutoff = selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id)
    lock = partial(services.cutoff_lock, cutoff=cutoff, now=timezone.now())
    done = _("%(cutoff)s locked: its exports are final.") % {"cutoff": cutoff}
    return _lock_action(request, lock, done=done)


@page
@require_POST
def cutoff_unlock(request: HttpRequest, cutoff_id: int) -> HttpResponse:
    cutoff = selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id)
    unlock = partial(services.cutoff_unlock, cutoff=cutoff)
    done = _("%(cutoff)s unlocked: its exports are provisional.") % {"cutoff": cutoff}
    return _lock_action(request, unlock, done=done)


def _lock_action(request: HttpRequest, action: Callable[..., object], *, done: str) -> HttpResponse:
    form = CutoffLockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason."))
        return redirect("analysis:home")
    try:
        action(by=acting_user(request), **form.cleaned_data)
        messages.success(request, done)
    except (ValidationError, StateConflict) as error:
        messages.error(request, _message(error))
    return redirect("analysis:home")


def _message(error: ValidationError | StateConflict) -> str:
    return error.message if isinstance(error, StateConflict) else "; ".join(error.messages)


@page
@require_POST
def export_request(request: HttpRequest, cutoff_id: int) -> HttpResponse:
    cutoff = selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id)
    form = ExportForm(request.POST)
    formats = (
        [*form.cleaned_data["formats"], *form.cleaned_data["options"]] if form.is_valid() else None
    )
    export = queueing.export_request(
        by=acting_user(request), cutoff=cutoff, formats=formats, now=timezone.now()
    )
    return redirect("analysis:export", export_id=export.pk)


@page
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = selectors.export_get(user=acting_user(request), export_id=export_id)
    return render(request, "analysis/export.html", {"export": export})


@page
def export_download(request: HttpRequest, export_id: int, name: str) -> FileResponse:
    export = selectors.export_get(user=acting_user(request), export_id=export_id)
    if name not in {f["name"] for f in export.files}:
        raise Http404("No such file in this export.")
    path = services.export_path(export) / name
    if not path.is_file():
        raise Http404("The file is no longer on the server.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=name)


def _effects(report: CachedReport) -> dict[str, Any]:
    estimates = report.estimates
    return {
        "effects": presentation.effect_rows(estimates),
        "survival": presentation.survival_rows(estimates),
        "subgroups": {
            code: presentation.subgroup_rows(estimates, code) for code in SUBGROUP_ENDPOINTS
        },
    }


def _relapse(report: CachedReport) -> dict[str, Any]:
    estimates = report.estimates
    return {
        "relapse": presentation.relapse_rows(estimates),
        "gray_tests": [
            (e, presentation.gray_test_title(e), presentation.p_text(e.p))
            for e in presentation.gray_tests(estimates)
        ],
        "relapse_months": RELAPSE_MONTHS,
    }


def _report_page(
    template: str, extra: Callable[[CachedReport], dict[str, Any]] | None = None
) -> Callable[..., HttpResponseBase]:
    """A page of the report at a cut-off, read from the files of its current data version."""

    def report_page(request: HttpRequest, cutoff_id: int) -> HttpResponse:
        cutoff, report = selectors.cutoff_report(user=acting_user(request), cutoff_id=cutoff_id)
        context = {
            "cutoff": cutoff,
            "report": report.page,
            "data_version": report.version,
            "arm_labels": ARM_LABELS,
            "arms": ARMS,
            **(extra(report) if extra else {}),
        }
        return render(request, f"analysis/{template}.html", context)

    report_page.__name__ = template
    return page(report_page)


km_plot = _report_page("km")
effects = _report_page("effects", _effects)
relapse = _report_page("relapse", _relapse)
table1 = _report_page("table1")
consort = _report_page("consort")
endpoints = _report_page("endpoints")

_CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml", "csv": "text/csv; charset=utf-8"}


@page
def report_file(request: HttpRequest, cutoff_id: int, name: str) -> HttpResponse:
    """A figure (km_os.png, forest_efs.svg, cir.png …) in the reader's language, or estimates.csv
    of the report."""
    content = selectors.report_file_get(
        user=acting_user(request),
        cutoff_id=cutoff_id,
        name=name,
        language=translation.get_language(),
    )
    return HttpResponse(content, content_type=_CONTENT_TYPES[name.rpartition(".")[2]])


@page
def km_image(request: HttpRequest, cutoff_id: int, name: str) -> HttpResponse:
    """The figure file `OS.png`, `OS.svg`, `EFS.png` or `EFS.svg` at a cut-off, in the reader's
    language."""
    paramcd, _dot, fmt = name.partition(".")
    image = selectors.km_image(
        user=acting_user(request),
        cutoff_id=cutoff_id,
        paramcd=paramcd,
        fmt=fmt,
        language=translation.get_language(),
    )
    return HttpResponse(image, content_type=_CONTENT_TYPES[fmt])
