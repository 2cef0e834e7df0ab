from typing import Any

from django.http import HttpRequest

from trial.rules import TrialRules


def user_roles(request: HttpRequest) -> dict[str, Any]:
    """Name, role and sites of the signed-in user, shown on every page."""
    return {"study_id": TrialRules.from_settings().study_id}
