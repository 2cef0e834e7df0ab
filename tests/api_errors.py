"""Reading the API's one error shape (README "API"): {"type", "errors": [{code, detail, attr}]}."""

from __future__ import annotations

from typing import Any


def error_fields(response: Any) -> dict[str, list[str]]:
    """The messages of an error response by field (`attr`; "" when no field is at fault)."""
    fields: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        fields.setdefault(error["attr"] or "", []).append(error["detail"])
    return fields


def error_text(response: Any) -> str:
    """Every message of an error response, in order, joined by "; "."""
    return "; ".join(error["detail"] for error in response.json()["errors"])
