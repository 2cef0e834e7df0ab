"""Labels the cached report holds in English, shown in the reader's language.

The report of a cut-off is derived once per version of the data, in the trial's language
(`analysis.language`): its tables hold the labels of the model choices (arm, sex, disease
status, cytogenetic risk, regimen, mutation result, reasons) and the analysis's own words
(characteristics, endpoints), in English; the rates hold the arm by its code. A page shows each through `label_now`: a choice
label becomes the same choice's label in the active language (the models decide the words),
any other text its translation in the catalogue (the analysis marks its words with
gettext_noop where it writes them).
"""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext

from analysis.tables import MUTATION_ROW
from randomization.models import Randomization
from treatment.models import EndOfTreatment
from trial.models import Baseline, BaselineMutation, Patient

# The choices whose labels the report shows (analysis/gather.py).
LABELLED_FIELDS: tuple[tuple[type[models.Model], str], ...] = (
    (Randomization, "arm"),
    (Patient, "sex"),
    (Patient, "screen_failure_reason"),
    (Baseline, "disease_status"),
    (Baseline, "cytogenetic_risk"),
    (Baseline, "planned_regimen"),
    (BaselineMutation, "result"),
    (EndOfTreatment, "reason"),
)
_MUTATION = re.compile(
    "^" + re.escape(MUTATION_ROW).replace(re.escape("%(gene)s"), "(?P<gene>.+)") + "$"
)


def _labels() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for model, name in LABELLED_FIELDS:
        field = model._meta.get_field(name)
        assert isinstance(field, models.Field)
        pairs.update((str(code), str(label)) for code, label in field.flatchoices)
    return pairs


@cache
def _choice_labels(language: str) -> dict[str, str]:
    """English label → label in `language`, over the labelled choices."""
    with translation.override(settings.LANGUAGE_CODE):
        english = _labels()
    with translation.override(language):
        here = _labels()
    shown = {english[code]: here[code] for code in english}
    # The rates and adverse-event tables hold the arm by its code (DEX, CTRL).
    arms = Randomization._meta.get_field("arm")
    assert isinstance(arms, models.Field)
    with translation.override(language):
        shown.update((str(code), str(label)) for code, label in arms.flatchoices)
    return shown


def label_now(text: str) -> str:
    """A label of the cached report (English) in the active language."""
    if not text:
        return text
    language = translation.get_language() or settings.LANGUAGE_CODE
    found = _choice_labels(language).get(text)
    if found is not None:
        return found
    mutation = _MUTATION.match(text)
    if mutation:
        return gettext(MUTATION_ROW) % {"gene": mutation["gene"]}
    return gettext(text)
