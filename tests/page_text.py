"""What a reader sees of a page, and the English or raw codes left in a French one.

Shared by the French page walk (tests/test_french_pages.py) and the French browser journey
(tests/browser/test_french_journey.py):

- `english_texts()`: every English message of the catalogue whose French differs, as a pattern
  matching the text a reader sees;
- `visible_text(html)`: the words of a page a reader sees (text and the `title`, `aria-label`,
  `placeholder` and `alt` attributes), without scripts, styles, the values of form fields, the
  protocol's own wording (`[data-protocol-text]`) and free text a user typed
  (`[data-user-text]`);
- `english_in(text)` and `raw_codes_in(text)`: what of these a French page should not show.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import translation

# Elements whose content is not the interface's words: code, and what the user typed.
_HIDDEN_ELEMENTS = {"script", "style", "template", "textarea", "noscript"}
_VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_SEEN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
# Marked elements whose words are not the interface's: the protocol's wording, and free text a
# user typed (or a reason stored in a record's history).
_LEFT_OUT = {"data-protocol-text", "data-user-text"}


def catalogue_path() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "fr" / "LC_MESSAGES" / "django.mo"


@cache
def english_texts() -> list[tuple[str, re.Pattern[str]]]:
    """Every English message of the catalogue whose French differs, as a pattern matching the
    text a reader sees (placeholders match anything, markup is left out). A plural message is
    its singular form; a message with hardly any words besides its placeholders
    ("%(opens)s to %(closes)s") would match any text and is left out, and so is one whose words
    all appear in its French ("patient %(patient)s": « le patient %(patient)s »)."""
    return [(english, pattern) for english, _longest, pattern in _english_patterns()]


@cache
def _english_patterns() -> list[tuple[str, str, re.Pattern[str]]]:
    """(English, its longest piece of text, pattern) of `english_texts()`."""
    with catalogue_path().open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog
    texts = []
    for key, french in catalogue.items():
        if isinstance(key, tuple) and key[1] != 0:
            continue  # the English plural form is not in the compiled catalogue
        english = (key[0] if isinstance(key, tuple) else key).split("\x04")[-1]
        visible = re.sub(r"<[^>]+>", "", english)
        parts = re.split(r"%\(\w+\)[sd]|%[sd]", visible)
        if english == french or sum(len(re.findall(r"[^\W\d_]", p)) for p in parts) < 4:
            continue
        words = set(re.findall(r"[^\W\d_]{2,}", " ".join(parts).lower()))
        if words <= set(re.findall(r"[^\W\d_]{2,}", french.lower())):
            continue  # words French shares ("patient", "mutation"): nothing English to see
        pattern = r"(?<!\w)" + r".+?".join(re.escape(part) for part in parts) + r"(?!\w)"
        texts.append((english, max(parts, key=len), re.compile(pattern)))
    return texts


def english_in(text: str, *, phrases_only: bool = False) -> list[str]:
    """The English messages of the catalogue found in `text`; with `phrases_only`, only those
    of two words or more or longer than 12 characters (a single short word, "Status", may be
    a code or a name the page rightly shows)."""
    return sorted(
        {
            english
            for english, longest, pattern in _english_patterns()
            if (not phrases_only or _is_phrase(english))
            and longest in text  # the plain search first: much faster than the pattern
            and pattern.search(text)
        }
    )


def _is_phrase(english: str) -> bool:
    return len(english.split()) >= 2 or len(english) > 12


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._skipping: tuple[str, int] | None = None  # (tag, depth) of a left-out element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_ELEMENTS:
            if self._skipping is None:
                self._attributes(tag, attrs)
            return
        if self._skipping is not None:
            if tag == self._skipping[0]:
                self._skipping = (tag, self._skipping[1] + 1)
            return
        if tag in _HIDDEN_ELEMENTS or any(name in _LEFT_OUT for name, _v in attrs):
            self._skipping = (tag, 1)
            return
        self._attributes(tag, attrs)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in _SEEN_ATTRIBUTES and value:
                self.pieces.append(f"\n{value}\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping is not None:
            if tag == self._skipping[0]:
                depth = self._skipping[1] - 1
                self._skipping = (tag, depth) if depth else None
            return
        self.pieces.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skipping is None:
            self.pieces.append(data)


def visible_text(html: str) -> str:
    """The words of a page a reader sees, one block of text a line."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.pieces).splitlines())
    return "\n".join(line for line in lines if line)


# Raw codes ------------------------------------------------------------------------------------

# Python's values of a boolean or a missing value, printed as they are.
_PYTHON_VALUES = ("True", "False", "None")


@cache
def raw_codes() -> dict[str, re.Pattern[str]]:
    """Codes a page must show as their label, each with the pattern that finds it as a word:
    Python's True/False/None, the snake_case codes of every model choice (`first_relapse`),
    and the short codes of capitals (`CR`, `CRi`, `IC`, `REL`) that no French label shows."""
    codes: set[str] = set(_PYTHON_VALUES)
    labels: list[str] = []
    with translation.override("fr"):
        for model in apps.get_models():
            if model.__module__.startswith(("django.", "simple_history.")):
                continue
            for field in model._meta.get_fields():
                if not isinstance(field, models.Field) or not field.choices:
                    continue
                for code, label in field.flatchoices:
                    labels.append(str(label))
                    if (
                        isinstance(code, str)
                        and code != str(label)
                        and ("_" in code or re.fullmatch(r"[A-Z][A-Za-z]{1,4}", code))
                    ):
                        codes.add(code)
    # A short code that a label shows ("… (MLFS)") is the label's, not a raw code.
    codes = {c for c in codes if "_" in c or c in _PYTHON_VALUES or not _shown_in(c, labels)}
    return {code: re.compile(r"(?<![\w/.#-])" + re.escape(code) + r"(?![\w/-])") for code in codes}


def _shown_in(code: str, labels: list[str]) -> bool:
    pattern = re.compile(r"(?<!\w)" + re.escape(code) + r"(?!\w)")
    return any(pattern.search(label) for label in labels)


def raw_codes_in(text: str, *, allowed: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The raw codes found in `text`, except those `allowed` (e.g. the arms' codes, which the
    statistician's tables show as codes)."""
    return sorted(
        code
        for code, pattern in raw_codes().items()
        if code not in allowed and pattern.search(text)
    )
