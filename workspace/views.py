"""The pages that compose every app: the home page by role, the patient list and the patient
page (overview, screening path, randomisation and the way on to treatment and follow-up), and
the patient-level listings behind the dashboard's counts."""

from __future__ import annotations

import csv
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views import i18n
from django.views.decorators.http import require_POST

from cleaning import selectors as cleaning_selectors
from followup import selectors as followup_selectors
from randomization.models import Randomization
from treatment import selectors as treatment_selectors
from trial.access import acting_user, patient_for
from trial.forms import service_errors_apply
from trial.models import Baseline, Consent, Patient, PatientStatus, Site, User
from trial.pages import page, require_action
from trial.permissions import Action
from verification.selectors import FormRow, patient_form_matrix
from workspace.forms import PatientSearchForm, UserSettingsForm
from workspace.selectors import dashboard, status, worklist
from workspace.selectors.listings import LISTINGS, listing_table, listing_url
from workspace.services import user_language_set

_M = TypeVar("_M", bound=Model)


def _screening_groups(user: User) -> list[tuple[str, list[worklist.WorkItem]]]:
    items = worklist.screening_worklist(user)
    groups = [
        (str(label), [item for item in items if item.step == step])
        for step, label in worklist.NEXT_STEP_LABELS.items()
    ]
    return [(label, group) for label, group in groups if group]


@page
def home(request: HttpRequest) -> HttpResponse:
    """What needs doing now, by role: each block shows only to the roles that can act on it."""
    user = acting_user(request)
    now = timezone.now()
    context: dict[str, Any] = {
        "can_screen": user.can(Action.SCREEN),
        "can_confirm": user.can(Action.CONFIRM_ELIGIBILITY),
        "can_followup": user.can(Action.ENTER_FOLLOWUP),
        "can_report": user.can(Action.VIEW_REPORTS),
        "can_export": user.can(Action.EXPORT),
        "can_answer": user.can(Action.ANSWER_QUERY),
        "can_raise": user.can(Action.RAISE_QUERY),
    }
    context.update(_queries(user, now, answer=context["can_answer"], raise_=context["can_raise"]))
    if context["can_screen"]:
        context["groups"] = _screening_groups(user)
        context["to_randomize"] = worklist.awaiting_randomization(user)
    if context["can_followup"]:
        context["visits"] = list(followup_selectors.worklist_for_user(user=user)[:25])
    if context["can_confirm"]:
        context["confirmations"] = worklist.awaiting_confirmation(user)
        context["signatures"] = worklist.signatures_due(user)
        context["aza_due"] = treatment_selectors.aza_response_due_patients(user=user)
        context["sae_due"] = list(worklist.sae_reports_due(user))
        context["now"] = now
    if context["can_report"]:
        context["dashboard"] = _with_listing_urls(dashboard.trial_dashboard(user=user, now=now))
    return render(request, "workspace/home.html", context)


def _queries(user: User, now: Any, *, answer: bool, raise_: bool) -> dict[str, Any]:
    """The data queries a site team answers, and those a raiser has to review."""
    if not (answer or raise_):
        return {}
    counts = cleaning_selectors.query_counts(user=user)
    wanted = "open" if answer else "answered"
    filters = cleaning_selectors.QueryFilters(state=wanted)
    rows = cleaning_selectors.queries_for_user(user=user, filters=filters, now=now)
    return {"query_counts": counts, "queries": list(rows[:10])}


def _with_listing_urls(board: dashboard.Dashboard) -> dashboard.Dashboard:
    """Every count of the dashboard links to its patient-level listing, by site and for all."""
    # Each URL reversed once, not once per site (200 sites: thousands of reverse() calls).
    bases = {listing.count: listing_url(listing.count) for listing in LISTINGS}
    bases["open_queries"] = reverse("cleaning:query_list")
    for row, code in [*((r, r.code) for r in board.sites), (board.totals, "")]:
        row.urls = {count: f"{url}?site={code}" if code else url for count, url in bases.items()}
    return board


def _report_sites(user: User) -> list[Site]:
    site_ids = user.site_ids_for(Action.VIEW_REPORTS)
    sites = Site.objects.order_by("code")
    return list(sites if site_ids is None else sites.filter(pk__in=site_ids))


@page
def listing(request: HttpRequest, slug: str) -> HttpResponse:
    """The patients behind one dashboard count, by site; ?format=csv downloads them."""
    require_action(request, Action.VIEW_REPORTS)
    user = acting_user(request)
    item = next(entry for entry in LISTINGS if entry.slug == slug)
    site = request.GET.get("site", "")
    table = listing_table(listing=item, user=user, site=site, now=timezone.now())
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{slug}{"-" + site if site else ""}.csv"'
        )
        writer = csv.writer(response)
        writer.writerow(table.columns)
        writer.writerows(row.cells for row in table.rows)
        return response
    context = {
        "listing": item,
        "table": table,
        "site": site,
        "sites": _report_sites(user),
        "csv_url": listing_url(item.count, site) + ("&" if site else "?") + "format=csv",
    }
    return render(request, "workspace/listing.html", context)


@page
def patient_list(request: HttpRequest) -> HttpResponse:
    """Patients of the user's sites with where they stand; htmx asks for the table alone."""
    search = PatientSearchForm(request.GET or None)
    today = timezone.localdate()
    patients: QuerySet[Patient] = Patient.objects.for_user(acting_user(request))
    if search.is_valid():
        if q := search.cleaned_data["q"].strip():
            patients = patients.filter(
                Q(screening_number__icontains=q) | Q(subject_id__icontains=q)
            )
        if wanted := search.cleaned_data["status"]:
            patients = status.with_trial_status(patients, today=today).filter(
                trial_status=wanted  # type: ignore[misc]
            )
    # The page's patients first (from the index on the list's order), then their statuses:
    # annotated before the LIMIT, the status lookups were planned for every patient of the
    # sites, each reading its whole table (bench/run load).
    ordered = patients.order_by("-screening_date", "-screening_number").values_list("pk", flat=True)
    paginated = Paginator(ordered, 50).get_page(request.GET.get("page"))
    shown = Patient.objects.filter(pk__in=list(paginated.object_list)).select_related("site")
    rows = {
        p.pk: p
        for p in worklist.with_screening_progress(status.with_trial_status(shown, today=today))
    }
    shown_rows: list[Patient] = [rows[pk] for pk in paginated.object_list]
    paginated.object_list = shown_rows  # type: ignore[assignment]
    for patient in shown_rows:
        patient.next_step = worklist.NEXT_STEP_LABELS.get(  # type: ignore[attr-defined]
            worklist.patient_next_step(patient) or "", ""
        )
        patient.status_text = status.status_label(patient)  # type: ignore[attr-defined]
        patient.arm_text = status.arm_label(patient.arm)  # type: ignore[attr-defined]
    context = {"search": search, "page": paginated, "query": _query_without_page(request)}
    if request.headers.get("HX-Request"):
        return render(request, "workspace/_patient_table.html", context)
    return render(request, "workspace/patient_list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient page: where the patient stands, the screening path, and the way on."""
    today = timezone.localdate()
    patient = patient_for(
        request,
        patient_id,
        # what the header and the screening path show, in the query that finds the patient
        annotate=lambda patients: worklist.with_screening_progress(
            status.with_trial_status(patients, today=today)
        ),
    )
    user = acting_user(request)
    forms = patient_form_matrix(patient)
    by_key = {row.key: row for row in forms}
    steps = worklist.patient_steps(
        patient,
        consent=_form_record(by_key, "consent", Consent),
        baseline=_form_record(by_key, "baseline", Baseline),
    )
    context = {
        "patient": patient,
        # each screening step with the status of its form (verification's matrix), if any
        "steps": [(step, by_key.get(step.key)) for step in steps],
        "rows": forms,
        "randomization": Randomization.objects.filter(patient=patient).first(),
        "can_screen": user.can(Action.SCREEN, patient.site),
        "can_confirm": user.can(Action.CONFIRM_ELIGIBILITY, patient.site),
        "can_randomize": user.can(Action.RANDOMIZE, patient.site),
        "can_treat": user.can(Action.ENTER_TREATMENT, patient.site),
        "in_screening": patient.status == PatientStatus.SCREENING,
        "enrolled": patient.status == PatientStatus.ENROLLED,
        "tab": "screening",
    }
    return render(request, "workspace/patient_detail.html", context)


def _form_record(rows: dict[str, FormRow], key: str, model: type[_M]) -> _M | None:
    """The live record of `model` among those of the patient's form `key`, if there is one."""
    row = rows.get(key)
    records = row.records if row else []
    return next((r.record for r in records if isinstance(r.record, model)), None)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch of the page header, signed in or not: Django's `set_language` sets
    the language cookie and goes back to `next` (a page of this site only); a signed-in user's
    choice is also kept in their settings, so it follows them to any computer."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user = _own_record(request)
        user_language_set(user=user, language=language, by=user)
    return response


@page
def user_settings(request: HttpRequest) -> HttpResponse:
    """A user's own settings: the language of the interface."""
    user = _own_record(request)
    form = UserSettingsForm(request.POST or None, initial={"language": user.language})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            user_language_set(user=user, language=language, by=user)
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            return _settings_saved(request, language)
    context = {"form": form, "may_submit": True, "cancel": reverse("workspace:home")}
    return render(request, "workspace/settings.html", context)


def _own_record(request: HttpRequest) -> User:
    """The signed-in user's own row, to change (request.user is a lazy stand-in)."""
    return User.objects.get(pk=acting_user(request).pk)


def _settings_saved(request: HttpRequest, language: str) -> HttpResponse:
    """Back to the settings in the language just chosen (the browser's for "")."""
    if language:
        translation.activate(language)
    else:
        translation.activate(translation.get_language_from_request(request))
    messages.success(request, gettext("Your settings were saved."))
    response = redirect("workspace:user_settings")
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response
