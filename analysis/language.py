"""The language of what the analysis writes: the trial's default (settings.LANGUAGE_CODE).

Datasets, tables, figures and the report a cut-off's pages read are files of the trial, the
same whoever asked for them: built under a French request they would otherwise take the labels
of the model choices (arm, sex, disease status …) in French, and an ADaM dataset's values and
the cached report would depend on who came first. The pages show the cached labels in the
reader's language (`analysis.presentation.label_now`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.conf import settings
from django.utils import translation

P = ParamSpec("P")
R = TypeVar("R")


def in_trial_language(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` with the trial's default language active."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translation.override(settings.LANGUAGE_CODE):
            return func(*args, **kwargs)

    return wrapper
