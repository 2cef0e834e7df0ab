from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from randomization.selectors import study_end_get


def study_end(request: HttpRequest) -> dict[str, Any]:
    """The trial's end-of-study date for every page (queried only where a template shows it)."""
    return {"study_end": SimpleLazyObject(study_end_get)}
