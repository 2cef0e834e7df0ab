"""Bounds on what an API client may send or ask for (settings API_MAX_*): page size, offsets,
body size and JSON depth. Kept apart from trial/api.py, which DRF's settings import lazily
(parsers and pagination are loaded while rest_framework.views is still importing).
"""

from __future__ import annotations

import io
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, pagination, parsers
from rest_framework.request import Request


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


# --- pagination ---------------------------------------------------------------------------------

BIGINT_MAX = 2**63 - 1


class BoundedLimitOffsetPagination(pagination.LimitOffsetPagination):
    """`limit` at most MAX_LIMIT (larger values are capped); `offset` a bigint.

    A value that is not a whole number in range is a 400 naming the parameter, not a guess."""

    max_limit = int(settings.API_MAX_PAGE_SIZE)

    def get_limit(self, request: Request) -> int | None:
        raw = request.query_params.get(self.limit_query_param)
        if raw is None:
            return self.default_limit
        return min(self._whole(raw, self.limit_query_param, minimum=1), self.max_limit)

    def get_offset(self, request: Request) -> int:
        raw = request.query_params.get(self.offset_query_param)
        return 0 if raw is None else self._whole(raw, self.offset_query_param, minimum=0)

    @staticmethod
    def _whole(raw: str, name: str, *, minimum: int) -> int:
        value = int(raw) if re.fullmatch(r"\d{1,19}", raw.strip()) else -1
        if not minimum <= value <= BIGINT_MAX:
            raise exceptions.ValidationError(
                {
                    name: [
                        _("A whole number from %(minimum)d to %(maximum)d.")
                        % {"minimum": minimum, "maximum": BIGINT_MAX}
                    ]
                }
            )
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1)
                parameter["description"] = (
                    f"Number of results to return per page (at most {self.max_limit})."
                )
            else:
                parameter["schema"].update(minimum=0, maximum=BIGINT_MAX)
        return parameters


# --- request bodies -------------------------------------------------------------------------------

# Brackets and braces outside strings: what nests in JSON.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def _body_bounded(
    parser_context: dict[str, Any] | None, setting: str = "API_MAX_BODY_BYTES"
) -> None:
    """Refuse a body whose declared length is over the limit before reading it (413)."""
    request = (parser_context or {}).get("request")
    length = request.META.get("CONTENT_LENGTH") if request is not None else None
    limit = int(getattr(settings, setting))
    if length and length.isdigit() and int(length) > limit:
        raise RequestTooLarge(_too_large(limit))


def _too_large(limit: int) -> str:
    return _("The request body is larger than %(limit)d bytes.") % {"limit": limit}


class BoundedJSONParser(parsers.JSONParser):
    """JSON no larger than API_MAX_BODY_BYTES and nested no deeper than API_MAX_JSON_DEPTH.

    Depth is checked before parsing, so a body nested 10,000 deep never reaches the
    (recursive) decoder."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        _body_bounded(parser_context)
        limit = int(settings.API_MAX_BODY_BYTES)
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise RequestTooLarge(_too_large(limit))
        try:
            text = body.decode((parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from error
        _depth_check(text, int(settings.API_MAX_JSON_DEPTH))
        return super().parse(io.BytesIO(body), media_type, parser_context)


def _depth_check(text: str, limit: int) -> None:
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                raise exceptions.ParseError(
                    _("JSON nested deeper than %(limit)d levels.") % {"limit": limit}
                )
        elif token in "]}":
            depth -= 1


class BoundedFormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        _body_bounded(parser_context)
        return super().parse(stream, media_type, parser_context)


class BoundedMultiPartParser(parsers.MultiPartParser):
    """File uploads (an allocation list) may be larger than a JSON body, up to API_MAX_UPLOAD_BYTES."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        _body_bounded(parser_context, "API_MAX_UPLOAD_BYTES")
        return super().parse(stream, media_type, parser_context)
