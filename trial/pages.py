"""How every server-rendered page works, written once for all apps.

- `page`: signed-in users only, GET and POST only. A refusal by the rules (the domain's
  `PermissionDenied`, or Django's) is the refusal page with status 403; a state conflict that
  escapes a page goes back to the patient (or home) with its message.
- `form_page`: a form bound to one service call. A role that may not submit sees the record
  read-only, without a button (the permission table decides both what is shown and what is
  allowed); on a valid POST the service is called once; its field errors go beside their
  fields, a state conflict on top of the form; success is a message and a redirect. A record
  closed to changes for everyone (`closed`, e.g. screening ended by a screen failure) is shown
  read-only with that reason, and a POST is refused with it. A create
  (`once=True`) carries a token rendered with the form: the same rendered form submitted again
  (a double click, a retry after a timeout) creates nothing and goes where the first went.
- A correction made for a data query is reached with `?query=<id>&next=<the query's page>`:
  the reason for change starts with, and always names, the query (so the record's history
  shows which query the change answers), and saving leads back to the query.
"""

from __future__ import annotations

import re
import uuid
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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods

from trial.access import acting_user
from trial.audit import require
from trial.exceptions import ApplicationError, PermissionDenied, StateConflict
from trial.forms import service_errors_apply
from trial.idempotency import request_once, request_replayed
from trial.models import Site
from trial.permissions import Action, not_allowed_message

View = Callable[..., HttpResponseBase]
T = TypeVar("T")

REFUSED_TEMPLATE = "refused.html"

FORM_TOKEN = "form_token"
_FORM_TOKEN_PATTERN = re.compile(r"[0-9a-f]{32}")
ALREADY_SAVED = gettext_lazy("This form was already submitted and saved: here is what it recorded.")


def refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    """The one refusal page."""
    return render(request, REFUSED_TEMPLATE, {"message": message}, status=status)


def refusal_message(error: Exception) -> str:
    """What a refused user reads, whichever layer refused."""
    if isinstance(error, ApplicationError):
        return error.message
    return str(error) or gettext("Your role does not allow this here.")


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


def linked_query(request: HttpRequest) -> int | None:
    """The id of the data query a correction answers (`?query=<id>`), if any."""
    value = request.GET.get("query", "")
    return int(value) if value.isdigit() else None


def query_reason(reason: str, query_id: int) -> str:
    """A reason for change that names the query it answers."""
    reference = f"query #{query_id}"
    reason = reason.strip()
    if reference in reason.lower():
        return reason
    return f"{reason} ({reference})" if reason else f"Answer to {reference}"


def _next_url(request: HttpRequest) -> str | None:
    """A local page to go back to after saving (`?next=`), never another site."""
    target = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else None


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
    once: bool = False,
) -> HttpResponse:
    """Render the form; on a valid POST make the one service call, then redirect with a message.

    A user whose roles do not allow `action` at `site` sees the form read-only (no button) and
    is refused on POST; so is everybody when `closed` gives why the record is closed. With
    `once`, a second submission of the same rendered form makes no second call: it goes where
    the first one went, with a message saying so.
    """
    may_submit = acting_user(request).can(action, site) and not closed
    posted_token = _posted_token(request) if once else ""
    query_id = linked_query(request) if "reason" in form.fields else None
    if query_id is not None and not form.is_bound:
        form.initial["reason"] = f"Answer to query #{query_id}: "
    if request.method == "POST":
        if closed:
            return refused(request, closed, status=StateConflict.status)
        if not may_submit:
            return refused(request, not_allowed_message(action))
        earlier = posted_token and _earlier_location(request, posted_token)
        if earlier:
            messages.info(request, ALREADY_SAVED)
            return redirect(earlier)
        if form.is_valid():
            if query_id is not None:
                form.cleaned_data["reason"] = query_reason(form.cleaned_data["reason"], query_id)
            try:
                result, location = _submit(request, posted_token, submit, next_url)
            except ValidationError as error:
                service_errors_apply(form, error)
            except StateConflict as error:
                form.add_error(None, error.message)
            else:
                if result is _REPLAYED:
                    messages.info(request, ALREADY_SAVED)
                else:
                    messages.success(request, success(result) if callable(success) else success)
                return redirect(_next_url(request) or location)
    if not may_submit:
        for field in form.fields.values():
            field.disabled = True
    page_context = {
        **(context or {}),
        "form": form,
        "may_submit": may_submit,
        "closed": closed,
        "linked_query": query_id,
    }
    if once:
        page_context["form_token"] = posted_token or uuid.uuid4().hex
    return render(request, template, page_context)


_REPLAYED: Any = object()


def _posted_token(request: HttpRequest) -> str:
    token = request.POST.get(FORM_TOKEN, "") if request.method == "POST" else ""
    return token if _FORM_TOKEN_PATTERN.fullmatch(token) else ""


def _operation(request: HttpRequest) -> str:
    return f"page:{request.path}"


def _earlier_location(request: HttpRequest, token: str) -> str:
    earlier = request_replayed(user=acting_user(request), operation=_operation(request), key=token)
    return str(earlier.body["location"]) if earlier else ""


def _submit(
    request: HttpRequest, token: str, submit: Callable[[], T], next_url: str | Callable[[T], str]
) -> tuple[Any, str]:
    """Make the service call, once per token when there is one; return its result (or
    `_REPLAYED`) and where to go."""
    results: list[T] = []

    def run() -> tuple[int, Any]:
        results.append(submit())
        return 303, {"location": next_url(results[0]) if callable(next_url) else next_url}

    if not token:
        _, body = run()
        return results[0], body["location"]
    outcome = request_once(
        user=acting_user(request), operation=_operation(request), key=token, fingerprint="", run=run
    )
    return (results[0] if results else _REPLAYED), outcome.body["location"]
