"""HTML forms of the trial app, one module per subdomain, and what every form view shares."""

from typing import Any

from django.http import HttpRequest


def submitted(request: HttpRequest) -> Any:
    """The data to bind a form to: the POST, even an empty one (so its errors show), else None.

    `request.POST or None` would leave a form unbound, and silent, on an empty submission.
    """
    return request.POST if request.method == "POST" else None
