"""Find user-facing text that is not marked for translation.

Templates: text outside `{% translate %}` / `{% blocktranslate %}` that contains a letter, the
values of the `title`, `aria-label`, `placeholder` and `alt` attributes, and literal words given
to `{% include ... with label="..." %}` or to the `default` / `yesno` filters.

Python: string literals given to `label=`, `help_text=`, `verbose_name=`,
`verbose_name_plural=`, a model field's first argument (its verbose name),
`messages.<level>(request, "...")`, TextChoices labels, `add_error(..., "...")`,
`ValidationError("...")` and the domain exceptions of trial/exceptions.py, unless wrapped in a
gettext call.

    python -m tests.i18n_scan [paths]     # prints file:line: text, exits 1 when anything is found
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from django.template.base import Lexer, Token, TokenType

ROOT = Path(__file__).resolve().parent.parent

# Where the interface lives: the apps, the project package and the templates.
DEFAULT_PATHS = [
    "config",
    "trial",
    "randomization",
    "treatment",
    "followup",
    "cleaning",
    "verification",
    "analysis",
    "workspace",
    "templates",
]
# Never scanned: generated or developer-only code, and what stays English on purpose.
EXCLUDED_PARTS = {"migrations", "tests", "bench", ".venv", "__pycache__", "drf_spectacular"}
EXCLUDED_FILES = {
    # CDISC / ODM / ADaM variable names and labels stay English (the rule).
    "analysis/dictionary.py",
    "analysis/datasets.py",
    "analysis/odm.py",
    "analysis/formats.py",
    # The settings' names of things (API title, e-mail sender) are for operators.
    "config/settings/base.py",
}
# The API's schema (serializer help texts) documents the API for programmers, in English like
# its field names.
EXCLUDED_NAMES = re.compile(r"^(api|apis|api_[a-z_]+|apis_[a-z_]+)\.py$")
EXCLUDED_DIRS = {"apis", "management"}

# Template text that is not language: the study's name, symbols and punctuation, and the
# technical names and units written the same in French (file formats, statistics, CTCAE grades,
# the arms' codes, which the statistician reads as codes).
ALLOWED_TEXT = {"DEXAML-03"}
ALLOWED_WORDS = re.compile(
    r"\b(PNG|SVG|PDF|CSV|SHA-256|CONSORT|G[1-5]|p|χ²|cm|kg|DEX|CTRL|HR|CI|ID)\b", re.UNICODE
)
LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
TRANSLATED_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
INCLUDE_TEXT_ARGUMENTS = {"label", "title", "heading", "legend", "caption", "text", "empty"}
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
    "npgettext_lazy",
    "format_lazy",
}
TEXT_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural"}
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField", "GenericRelation"}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def scan(paths: Iterable[str | Path] = DEFAULT_PATHS) -> list[Finding]:
    """Every unmarked text in the templates and Python modules under `paths`."""
    findings: list[Finding] = []
    for file in _files(paths):
        name = _relative(file)
        source = file.read_text(encoding="utf-8")
        if file.suffix == ".html":
            findings += [Finding(name, line, text) for line, text in template_findings(source)]
        elif file.suffix == ".py":
            findings += [Finding(name, line, text) for line, text in python_findings(source)]
    return sorted(findings)


def _relative(file: Path) -> str:
    try:
        return file.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return file.as_posix()


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for entry in paths:
        path = Path(entry) if Path(entry).is_absolute() else ROOT / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*"))
        for file in candidates:
            if file.suffix in {".html", ".py"} and file.is_file() and not _excluded(file):
                yield file


def _excluded(file: Path) -> bool:
    relative = _relative(file)
    parts = set(Path(relative).parts[:-1])
    return (
        bool(parts & EXCLUDED_PARTS)
        or relative in EXCLUDED_FILES
        or (file.suffix == ".py" and bool(parts & EXCLUDED_DIRS))
        or (file.suffix == ".py" and bool(EXCLUDED_NAMES.match(file.name)))
    )


# Templates ------------------------------------------------------------------------------------

# Stands for a template tag or variable in the HTML the parser reads: a space, which keeps
# `<body{% if %} data-x="…"{% endif %}>` a tag the parser can read.
HOLE = " "


def template_findings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every unmarked text of a Django template."""
    skeleton, tag_findings = _skeleton(source)
    parser = _TextParser()
    parser.feed(skeleton)
    parser.close()
    return sorted(tag_findings + parser.findings)


def _skeleton(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template's HTML with every tag and variable replaced by a hole (keeping line
    numbers) and the text of translate blocks and comments left out; with the findings in
    the tags themselves."""
    pieces: list[str] = []
    findings: list[tuple[int, str]] = []
    skipping: str | None = None  # the end tag of a block whose text is not looked at
    for token in Lexer(source).tokenize():
        raw = _raw(token)
        lines = "\n" * raw.count("\n")
        if token.token_type == TokenType.BLOCK:
            command = token.contents.split(" ", 1)[0]
            if skipping:
                if command == skipping:
                    skipping = None
                pieces.append(lines)
                continue
            if command in {"blocktranslate", "blocktrans"}:
                skipping = "end" + command
            elif command == "comment":
                skipping = "endcomment"
            elif command == "verbatim":
                skipping = "endverbatim"
            findings += [(token.lineno, text) for text in _tag_texts(token.contents)]
            pieces.append(HOLE + lines)
        elif skipping:
            pieces.append(lines)
        elif token.token_type == TokenType.TEXT:
            pieces.append(token.contents)
        elif token.token_type == TokenType.VAR:
            findings += [(token.lineno, text) for text in _filter_texts(token.contents)]
            pieces.append(HOLE + lines)
        else:  # a {# comment #}
            pieces.append(lines)
    return "".join(pieces), findings


def _raw(token: Token) -> str:
    contents: str = token.contents
    if token.token_type == TokenType.TEXT:
        return contents
    return "{{ " + contents + " }}"  # the newlines a tag spans are all in its contents


_LITERAL_ARGUMENT = re.compile(r"""\b(\w+)=(["'])(.*?)\2""")
_FILTER_LITERAL = re.compile(r"""\|(default|yesno):(["'])(.*?)\2""")


def _tag_texts(contents: str) -> list[str]:
    texts = [f"{{% {contents} %}}" for text in _filter_literals(contents)]
    if contents.startswith(("include ", "with ")):
        for name, _quote, value in _LITERAL_ARGUMENT.findall(contents):
            if name in INCLUDE_TEXT_ARGUMENTS and _is_words(value):
                texts.append(f'{name}="{value}"')
    return texts


def _filter_texts(contents: str) -> list[str]:
    return [f"{{{{ {contents} }}}}" for _text in _filter_literals(contents)]


def _filter_literals(contents: str) -> list[str]:
    """Words given to `default` (a reader's words, not a code such as a CSS class: capitalised
    or several words) or `yesno`."""
    return [
        value
        for name, _q, value in _FILTER_LITERAL.findall(contents)
        if _is_words(value) and (name == "yesno" or " " in value.strip() or value[:1].isupper())
    ]


def _is_words(text: str) -> bool:
    for allowed in ALLOWED_TEXT:
        text = text.replace(allowed, " ")
    return bool(LETTER.search(ALLOWED_WORDS.sub(" ", text)))


class _TextParser(HTMLParser):
    """Collects the words of the page a reader sees: text and a few attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[tuple[int, str]] = []
        self._raw_text = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._raw_text += 1
        for name, value in attrs:
            if name in TRANSLATED_ATTRIBUTES and value and _is_words(value):
                self.findings.append((self.getpos()[0], f'{name}="{_clean(value)}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._raw_text:
            self._raw_text -= 1

    def handle_data(self, data: str) -> None:
        if self._raw_text or not _is_words(data):
            return
        leading = data[: len(data) - len(data.lstrip())]
        self.findings.append((self.getpos()[0] + leading.count("\n"), _clean(data)))


def _clean(text: str) -> str:
    return " ".join(text.split())


# Python ---------------------------------------------------------------------------------------


def python_findings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every unmarked user-facing literal of a Python module."""
    visitor = _PythonVisitor(_domain_exceptions())
    visitor.visit(ast.parse(source))
    return sorted(visitor.findings)


def _domain_exceptions() -> set[str]:
    """The names of the domain errors (trial/exceptions.py), whose messages users read."""
    tree = ast.parse((ROOT / "trial" / "exceptions.py").read_text(encoding="utf-8"))
    names = {"ValidationError"}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.add(node.name)
    return names


def _literal(node: ast.AST | None) -> str | None:
    """The text of an unmarked string literal (plain, f-string, or "..." % x), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if LETTER.search(node.value) else None
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "{…}" for part in node.values
        )
        return text if LETTER.search(text) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _literal(node.left) or _literal(node.right)
    return None


def _literals(node: ast.AST | None) -> list[str]:
    """The unmarked literals of a message argument: a string, or a dict / list of them (the
    shapes ValidationError takes)."""
    if isinstance(node, ast.Dict):
        return [text for value in node.values for text in _literals(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return [text for item in node.elts for text in _literals(item)]
    text = _literal(node)
    return [text] if text else []


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


class _PythonVisitor(ast.NodeVisitor):
    def __init__(self, exceptions: set[str]) -> None:
        self.exceptions = exceptions
        self.findings: list[tuple[int, str]] = []

    def _add(self, node: ast.AST, texts: Iterable[str]) -> None:
        for text in texts:
            self.findings.append((getattr(node, "lineno", 0), " ".join(text.split())))

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        if name in GETTEXT_NAMES:
            return  # marked: nothing inside is looked at
        for keyword in node.keywords:
            if keyword.arg in TEXT_KEYWORDS:
                self._add(keyword.value, _literals(keyword.value))
        self._call_arguments(node, name)
        self.generic_visit(node)

    def _call_arguments(self, node: ast.Call, name: str) -> None:
        args = node.args
        is_messages = isinstance(node.func, ast.Attribute) and _name(node.func.value) == "messages"
        if is_messages and name in MESSAGE_LEVELS and len(args) >= 2:
            self._add(node, _literals(args[1]))
        elif is_messages and name == "add_message" and len(args) >= 3:
            self._add(node, _literals(args[2]))
        elif name == "add_error" and len(args) >= 2:
            self._add(node, _literals(args[-1]))
        elif name in self.exceptions:
            message = args[0] if args else _keyword(node, "message")
            self._add(node, _literals(message))
        elif _is_model_field(node, name) and args:
            self._add(node, _literals(args[0]))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = {_name(base) for base in node.bases}
        if bases & {"TextChoices", "IntegerChoices", "Choices"}:
            self._choices(node)
        if node.name == "Meta" or bases & {"AppConfig"}:
            for statement in node.body:
                if isinstance(statement, ast.Assign) and any(
                    _name(target) in {"verbose_name", "verbose_name_plural"}
                    for target in statement.targets
                ):
                    self._add(statement, _literals(statement.value))
        self.generic_visit(node)

    def _choices(self, node: ast.ClassDef) -> None:
        for statement in node.body:
            if not isinstance(statement, ast.Assign) or not isinstance(
                statement.targets[0], ast.Name
            ):
                continue
            member = statement.targets[0].id
            value = statement.value
            if isinstance(value, ast.Tuple) and len(value.elts) >= 2:
                self._add(statement, _literals(value.elts[-1]))
            elif isinstance(value, ast.Constant) and not member.startswith("_"):
                # No label given: Django makes an English one from the member's name.
                self.findings.append((statement.lineno, f"{member} (label made from its name)"))


def _is_model_field(node: ast.Call, name: str) -> bool:
    """`models.<X>Field(...)`, whose first argument is its verbose name (not a relation's)."""
    on_models = isinstance(node.func, ast.Attribute) and _name(node.func.value) == "models"
    return on_models and name.endswith("Field") and name not in RELATION_FIELDS


def _keyword(node: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def main(argv: list[str]) -> int:
    import django

    django.setup()
    findings = scan(argv or DEFAULT_PATHS)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} unmarked text(s).", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")
    sys.exit(main(sys.argv[1:]))
