from typing import Any

from django.conf import settings
from django.http import HttpRequest


def user_roles(request: HttpRequest) -> dict[str, Any]:
    """Name, role and sites of the signed-in user, shown on every page."""
    return {"study_id": settings.TRIAL["STUDY_ID"]}
