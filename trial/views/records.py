"""Pages that apply to any clinical record: marking it entered in error."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.access import acting_user, patient_for
from trial.forms import EnteredInErrorForm, submitted
from trial.pages import form_page, page
from trial.selectors.history import clinical_record_get
from trial.services.records import entered_in_error_action, record_mark_entered_in_error


@page
def record_entered_in_error(
    request: HttpRequest, patient_id: int, record_type: str, pk: int
) -> HttpResponse:
    """Mark a record entered in error, with a reason (roles from `ENTERED_IN_ERROR_ACTIONS`)."""
    user = acting_user(request)
    patient = patient_for(request, patient_id)
    record = clinical_record_get(user=user, patient_id=patient_id, record_type=record_type, pk=pk)
    action = entered_in_error_action(record)  # type: ignore[arg-type]
    if action is None:
        raise Http404("This kind of record is corrected on its own page.")
    title = f"{str(record._meta.verbose_name).capitalize()} {record}"
    form = EnteredInErrorForm(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: record_mark_entered_in_error(
            record=record,  # type: ignore[arg-type]
            by=user,
            reason=form.cleaned_data["reason"],
            today=timezone.localdate(),
        ),
        template="trial/entered_in_error.html",
        action=action,
        site=patient.site,
        success=_("%(record)s marked as entered in error.") % {"record": title},
        next_url=reverse("workspace:patient_detail", kwargs={"patient_id": patient.pk}),
        context={"patient": patient, "record": record, "title": title},
    )
