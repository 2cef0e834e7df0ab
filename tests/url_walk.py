"""Every URL pattern of the project, so tests cover the pages and endpoints added later too."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_KWARG = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
# A regex group, named or not (the admin's history form uses positional groups).
_REGEX_GROUP = re.compile(r"\((?:\?P<(?P<name>\w+)>)?[^()]*\)")


@dataclass(frozen=True)
class Route:
    """One URL pattern with the prefixes of the resolvers that include it."""

    parts: tuple[str, ...]  # each level's route (path()) or regular expression (re_path())
    regex_parts: tuple[bool, ...]
    namespaces: tuple[str, ...]
    name: str | None
    callback: Callable[..., object]

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def kwargs(self) -> list[str]:
        """Names of the parameters, in order; positional regex groups are named `_<index>`."""
        names: list[str] = []
        for part, is_regex in zip(self.parts, self.regex_parts, strict=True):
            if is_regex:
                names += [m["name"] or f"_{len(names)}" for m in _REGEX_GROUP.finditer(part)]
            else:
                names += [m["name"] for m in _ROUTE_KWARG.finditer(part)]
        return names

    @property
    def in_admin(self) -> bool:
        return "admin" in self.namespaces

    def openapi_path(self) -> str:
        """The path as an OpenAPI schema writes it: `<int:patient_id>` → `{patient_id}`."""
        return "/" + _ROUTE_KWARG.sub(lambda m: "{" + m["name"] + "}", self.text)

    def url(self, value_of: Callable[[str], object]) -> str:
        """The URL with each parameter replaced by `value_of(name)`."""
        counter = iter(range(1000))
        pieces = []
        for part, is_regex in zip(self.parts, self.regex_parts, strict=True):
            if is_regex:
                piece = _REGEX_GROUP.sub(
                    lambda m: str(value_of(m["name"] or f"_{next(counter)}")), part
                )
                piece = piece.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
                pieces.append(piece.replace("\\", ""))
            else:
                pieces.append(
                    _ROUTE_KWARG.sub(lambda m: (next(counter), str(value_of(m["name"])))[1], part)
                )
        return "/" + "".join(pieces)


def _walk(
    patterns: list[URLPattern | URLResolver],
    parts: tuple[str, ...],
    regex_parts: tuple[bool, ...],
    namespaces: tuple[str, ...],
) -> Iterator[Route]:
    for entry in patterns:
        pattern = entry.pattern
        if not isinstance(pattern, RoutePattern | RegexPattern):  # e.g. i18n prefixes
            raise TypeError(f"Unexpected URL pattern type {type(pattern).__name__}")
        here = (*parts, str(pattern))
        regex_here = (*regex_parts, isinstance(pattern, RegexPattern))
        if isinstance(entry, URLResolver):
            ns = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, here, regex_here, ns)
        else:
            yield Route(here, regex_here, namespaces, entry.name, entry.callback)


def all_routes() -> list[Route]:
    """Every URL pattern reachable from the root URLconf."""
    return list(_walk(get_resolver().url_patterns, (), (), ()))
