"""`{{ text|report_label }}`: a label of a cut-off's cached report, in the reader's language."""

from __future__ import annotations

from django import template

from analysis.labels import label_now

register = template.Library()


@register.filter
def report_label(text: object) -> str:
    return label_now(str(text)) if text is not None else ""
