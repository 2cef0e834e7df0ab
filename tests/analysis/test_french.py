"""The labels of the cached report (English) shown in the reader's language (issue 18); Table 1
in French is tested with the report pages (tests/analysis/test_report_pages.py)."""

from __future__ import annotations

import importlib

import pytest
from django.utils import translation

from analysis import labels, subgroups
from analysis.inference import Estimate
from analysis.labels import label_now
from analysis.presentation import gray_test_title, median_text
from followup.models import Visit
from randomization.models import Randomization

pytestmark = pytest.mark.django_db


def _label(model: type, field: str, code: str, language: str) -> str:
    with translation.override(language):
        return str(dict(model._meta.get_field(field).flatchoices)[code])


class TestLabelNow:
    def test_a_choice_label_is_shown_as_the_same_choice_in_the_readers_language(
        self, monkeypatch
    ) -> None:
        monkeypatch.setattr(labels, "LABELLED_FIELDS", ((Visit, "vital_status"),))
        labels._choice_labels.cache_clear()

        with translation.override("fr"):
            shown = [label_now(t) for t in ("Alive", "Sex", "FLT3-ITD mutation", "DEX", "—")]
        labels._choice_labels.cache_clear()

        dex = _label(Randomization, "arm", "DEX", "fr")
        assert shown == ["Vivant", "Sexe", "Mutation FLT3-ITD", dex, "—"]


class TestGrayTestTitle:
    def test_the_cached_english_method_is_named_in_the_readers_language(self) -> None:
        stratified = Estimate(
            endpoint="RFS",
            analysis="gray_test_stratified",
            group="DEX-CTRL",
            method="Gray's test of the cumulative incidence of relapse (rho 0), "
            "stratified by STRREG, STRDIS",
        )
        plain = Estimate(endpoint="RFS", analysis="gray_test", group="DEX-CTRL", method="x")

        with translation.override("fr"):
            shown = [gray_test_title(stratified), gray_test_title(plain)]

        assert shown == [
            "Test de Gray de l’incidence cumulée de rechute (rho 0), stratifié sur STRREG, STRDIS",
            "Test de Gray de l’incidence cumulée de rechute (rho 0)",
        ]
        assert gray_test_title(stratified) == stratified.method


class TestMedianText:
    def test_a_median_not_reached_is_said_in_the_readers_language(self) -> None:
        median = Estimate(
            endpoint="OS", analysis="km_median", group="DEX", estimate=None, lower=304.4, upper=None
        )

        with translation.override("fr"):
            french = median_text(median)

        assert french == "NA (10.0–NA)"
        assert median_text(median) == "NR (10.0–NR)"


class TestSubgroups:
    def test_levels_keep_the_datasets_english_labels_when_loaded_in_french(self) -> None:
        """A worker or a page of a trial whose language is French loads the module in French;
        the levels are still the English labels the datasets hold, and shown in French."""
        try:
            with translation.override("fr"):
                importlib.reload(subgroups)
                keyed, shown = subgroups.subgroups(), subgroups.subgroups_shown()
        finally:
            importlib.reload(subgroups)

        assert [list(sub.levels) for sub in keyed[3:5]] == [
            ["Favourable", "Intermediate", "Adverse"],
            ["Mutated", "Not mutated"],
        ]
        assert list(shown[4].levels.values()) == ["Muté", "Non muté"]
