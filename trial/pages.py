"""How every server-rendered page works, written once for all apps.

- `page`: signed-in users only, GET and POST only. A refusal by the rules (the domain's
  `PermissionDenied`, or Django's) is the refusal page with status 403; a state conflict that
  escapes a page goes back to the patient (or home) with its message.
- `form_page`: a form bound to one service call. A role that may not submit sees the record
  read-only, without a button (the permission table decides both what is shown and what is
  allowed); on a valid POST the service is called once; its field errors go beside their
  fields, a state conflict on top of the form; success is a message and a redirect. A record
  closed to changes for everyone (`closed`, e.g. screening ended by a screen failure) is shown
  read-only with that reason, and a POST is refused with it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from trial.access import acting_user
from trial.audit import require
from trial.exceptions import ApplicationError, PermissionDenied, StateConflict
from trial.forms import service_errors_apply
from trial.models import Site
from trial.permissions import Action, not_allowed_message

View = Callable[..., HttpResponseBase]
T = TypeVar("T")

REFUSED_TEMPLATE = "refused.html"


def refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    """The one refusal page."""
    return render(request, REFUSED_TEMPLATE, {"message": message}, status=status)


def refusal_message(error: Exception) -> str:
    """What a refused user reads, whichever layer refused."""
    if isinstance(error, ApplicationError):
        return error.message
    return str(error) or "Your role does not allow this here."


def page(view: View) -> View:
    """Signed-in users only; refusals by the rules become the refusal page (403)."""

    @login_required
    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except (PermissionDenied, DjangoPermissionDenied) as error:
            return refused(request, refusal_message(error))
        except StateConflict as error:
            messages.error(request, error.message)
            if "patient_id" in kwargs:
                return redirect("workspace:patient_detail", patient_id=kwargs["patient_id"])
            return redirect("workspace:home")
        except ApplicationError as error:
            return refused(request, error.message, status=error.status)

    return wrapper


def require_action(request: HttpRequest, action: Action, site: Site | None = None) -> None:
    """Refuse (403 through `page`) unless a role of the user allows the action at the site."""
    require(user=acting_user(request), action=action, site=site)


def form_page(
    request: HttpRequest,
    *,
    form: forms.Form,
    submit: Callable[[], T],
    template: str,
    action: Action,
    site: Site | None,
    success: str | Callable[[T], str],
    next_url: str | Callable[[T], str],
    context: dict[str, Any] | None = None,
    closed: str = "",
) -> HttpResponse:
    """Render the form; on a valid POST make the one service call, then redirect with a message.

    A user whose roles do not allow `action` at `site` sees the form read-only (no button) and
    is refused on POST; so is everybody when `closed` gives why the record is closed.
    """
    may_submit = acting_user(request).can(action, site) and not closed
    if request.method == "POST":
        if closed:
            return refused(request, closed, status=StateConflict.status)
        if not may_submit:
            return refused(request, not_allowed_message(action))
        if form.is_valid():
            try:
                result = submit()
            except ValidationError as error:
                service_errors_apply(form, error)
            except StateConflict as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, success(result) if callable(success) else success)
                return redirect(next_url(result) if callable(next_url) else next_url)
    if not may_submit:
        for field in form.fields.values():
            field.disabled = True
    page_context = {**(context or {}), "form": form, "may_submit": may_submit, "closed": closed}
    return render(request, template, page_context)
