"""The report pages at a cut-off (KM plots, hazard ratios and subgroups, relapse incidence, Table 1,
CONSORT, secondary endpoints) on the database, and the cache they read instead of deriving."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone, translation

from analysis import cache
from analysis.figures import render
from analysis.gather import (
    baseline_facts_gather,
    consort_facts_gather,
    stratification_factors_gather,
    trial_facts_gather,
)
from analysis.models import DataCutoff
from analysis.report import figure_drawings
from analysis.services import cutoff_freeze, export_build, export_create, export_path
from randomization.models import Randomization
from tests.factories import eligible_patient, randomized_patient, screened_patient
from trial.audit import record_save
from trial.models import Baseline, ClinicalRecord, Death, DeathCause, Patient, Site, User
from trial.services.screening import patient_screen_fail

NOW = timezone.make_aware(dt.datetime(2027, 7, 1, 12, 0))
PAGES = ("km", "effects", "relapse", "table1", "consort", "endpoints")
FILES = ("km_os.png", "forest_os.png", "forest_efs.svg", "cir.png", "estimates.csv")


@pytest.fixture
def trial(site_a: Site, coordinator: User, investigator: User) -> list[Patient]:
    dex = randomized_patient(site_a, coordinator, investigator, arm="DEX")
    ctrl = randomized_patient(site_a, coordinator, investigator, arm="CTRL", regimen="AZA")
    death = Death(patient=ctrl, death_date=dt.date(2027, 1, 10), cause=DeathCause.LEUKAEMIA)
    record_save(instance=death, by=investigator)
    failed = screened_patient(site_a, coordinator)
    patient_screen_fail(patient=failed, reason="consent_refused", reason_detail="", by=coordinator)
    return [dex, ctrl, failed]


@pytest.fixture
def cutoff(data_manager: User) -> DataCutoff:
    return cutoff_freeze(
        by=data_manager, cutoff_date=dt.date(2027, 6, 30), reason="Interim analysis", now=NOW
    )


class TestGatherTables:
    def test_reads_the_baseline_of_each_randomised_patient_with_labels(self, trial) -> None:
        facts = baseline_facts_gather(cutoff=dt.date(2027, 6, 30))

        assert sorted((f.arm, f.regimen, f.sex, f.mutations["NPM1"]) for f in facts) == [
            ("CTRL", "Azacitidine", "Female", "Mutated"),
            ("DEX", "Intensive chemotherapy (amsacrine–cytarabine)", "Female", "Mutated"),
        ]

    def test_reads_screen_failures_and_allocations_for_the_consort_flow(self, trial) -> None:
        facts = consort_facts_gather(cutoff=dt.date(2027, 6, 30))

        assert sorted((f.screen_failure_reason or "", f.arm or "") for f in facts) == [
            ("", "CTRL"),
            ("", "DEX"),
            ("Consent refused", ""),
        ]

    def test_tells_patients_still_being_screened_from_the_eligible(
        self, trial, site_a, coordinator, investigator
    ) -> None:
        screening = screened_patient(site_a, coordinator)
        eligible = eligible_patient(site_a, coordinator, investigator)

        facts = {f.patient_id: f for f in consort_facts_gather(cutoff=dt.date(2027, 6, 30))}

        assert facts[screening.pk].in_screening and not facts[eligible.pk].in_screening
        assert not any(facts[p.pk].in_screening for p in trial)


class TestReportPages:
    def test_a_data_manager_sees_every_page_and_the_km_image(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        pages = {name: client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/") for name in PAGES}
        png = client.get(f"/analysis/cutoffs/{cutoff.pk}/km/OS.png")
        svg = client.get(f"/analysis/cutoffs/{cutoff.pk}/km/EFS.svg")

        assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(PAGES, 200)
        assert b"Kaplan\xe2\x80\x93Meier plot of OS by arm" in pages["km"].content
        assert b"Log-rank test" in pages["km"].content
        assert "Consent refused: 1" in pages["consort"].content.decode()
        assert "Clopper–Pearson" in pages["endpoints"].content.decode()
        assert "1 (100.0%)" in pages["table1"].content.decode()
        assert (png["Content-Type"], png.content[:4]) == ("image/png", b"\x89PNG")
        assert svg["Content-Type"] == "image/svg+xml" and b"At risk" in svg.content
        assert client.get(f"/analysis/cutoffs/{cutoff.pk}/km/RFS.png").status_code == 404

    def test_a_coordinator_is_refused_every_report_page(
        self, client: Client, cutoff, coordinator
    ) -> None:
        client.force_login(coordinator)

        answers = [
            client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/").status_code for name in PAGES
        ]
        answers.append(client.get(f"/analysis/cutoffs/{cutoff.pk}/km/OS.png").status_code)

        assert answers == [403] * (len(PAGES) + 1)


class TestGatherAnalysis:
    def test_reads_cytogenetic_risk_and_mutations_of_each_randomised_patient(self, trial) -> None:
        patients = trial_facts_gather(cutoff=dt.date(2027, 6, 30)).patients

        assert [(p.arm, dict(p.mutations)["NPM1"]) for p in patients] == [
            ("DEX", "Mutated"),
            ("CTRL", "Mutated"),
        ]
        assert all(p.cytogenetic_risk for p in patients)

    def test_the_factors_are_the_configured_ones_when_no_allocation_list_is_recorded(
        self, trial, settings
    ) -> None:
        settings.TRIAL_RANDOMIZATION = {**settings.TRIAL_RANDOMIZATION, "FACTORS": ["regimen"]}

        assert stratification_factors_gather(cutoff=dt.date(2027, 6, 30)) == ["regimen"]


class TestPrimaryAnalysisPages:
    def test_the_hazard_ratio_table_forest_plots_and_estimates_are_shown(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        page = client.get(f"/analysis/cutoffs/{cutoff.pk}/effects/").content.decode()
        forest = client.get(f"/analysis/cutoffs/{cutoff.pk}/files/forest_os.png")
        estimates = client.get(f"/analysis/cutoffs/{cutoff.pk}/files/estimates.csv")

        assert 'data-testid="hr-table"' in page and "HR (95% CI), stratified" in page
        assert f"/analysis/cutoffs/{cutoff.pk}/files/forest_efs.png" in page
        assert "interaction p =" in page
        assert (forest["Content-Type"], forest.content[:4]) == ("image/png", b"\x89PNG")
        assert estimates.content.startswith(b"endpoint,analysis,group,estimate,lower,upper,p,")

    def test_the_relapse_page_shows_the_incidence_curves_and_grays_test(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        page = client.get(f"/analysis/cutoffs/{cutoff.pk}/relapse/").content.decode()
        curves = client.get(f"/analysis/cutoffs/{cutoff.pk}/files/cir.svg")

        assert f"/analysis/cutoffs/{cutoff.pk}/files/cir.png" in page
        assert "Gray&#x27;s test" in page or "Gray's test" in page
        assert (
            curves["Content-Type"] == "image/svg+xml" and b"Months since CR/CRi" in curves.content
        )

    def test_only_the_files_of_the_report_are_served(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        answers = [
            client.get(f"/analysis/cutoffs/{cutoff.pk}/files/{name}").status_code
            for name in ("adtte.csv", "page.json", "..", "km_rfs.png")
        ]

        assert answers == [404] * 4


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[dt.date]:
    """The cut-offs the report was derived at, in order: every derivation is counted."""
    made: list[dt.date] = []
    build = cache.analysis_report_build

    def counted(*, cutoff: dt.date):
        made.append(cutoff)
        return build(cutoff=cutoff)

    monkeypatch.setattr(cache, "analysis_report_build", counted)
    return made


class TestReportCache:
    def test_every_page_and_figure_reads_one_derivation_of_the_report(
        self, client: Client, trial, cutoff, data_manager, derivations
    ) -> None:
        client.force_login(data_manager)

        for _ in range(2):
            for name in PAGES:
                assert client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/").status_code == 200
            for name in FILES:
                assert client.get(f"/analysis/cutoffs/{cutoff.pk}/files/{name}").status_code == 200

        assert derivations == [cutoff.cutoff_date]

    def test_a_change_of_the_data_derives_the_report_anew(
        self, client: Client, trial, cutoff, data_manager, investigator, derivations
    ) -> None:
        client.force_login(data_manager)
        before = client.get(f"/analysis/cutoffs/{cutoff.pk}/effects/").content.decode()
        death = Death(patient=trial[0], death_date=dt.date(2027, 3, 1), cause=DeathCause.LEUKAEMIA)
        record_save(instance=death, by=investigator)

        after = client.get(f"/analysis/cutoffs/{cutoff.pk}/effects/").content.decode()

        assert len(derivations) == 2
        assert "<td>2 (1)</td>" in before and "<td>2 (2)</td>" in after

    def test_an_export_leaves_the_pages_nothing_to_derive(
        self, client: Client, trial, cutoff, data_manager, derivations
    ) -> None:
        export = export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW)
        export_build(export=export, now=NOW)
        client.force_login(data_manager)

        pages = [client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/").status_code for name in PAGES]

        assert pages == [200] * len(PAGES)
        assert derivations == []  # the pages read the export's files

    def test_the_data_version_covers_the_history_of_every_clinical_record(self) -> None:
        fingerprinted = {m._meta.label for m in cache._history_models()}
        clinical = {
            m.history.model._meta.label
            for m in apps.get_models()
            if issubclass(m, ClinicalRecord) and m._meta.app_label != "analysis"
        }

        assert clinical <= fingerprinted, clinical - fingerprinted


def _table1(client: Client, cutoff_id: int, language: str) -> str:
    return client.get(f"/analysis/cutoffs/{cutoff_id}/table1/", HTTP_ACCEPT_LANGUAGE=language).text


def _label(model: type, field: str, code: str, language: str) -> str:
    with translation.override(language):
        return str(dict(model._meta.get_field(field).flatchoices)[code])


class TestTable1InFrench:
    def test_shows_french_labels_not_codes(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        page = _table1(client, cutoff.pk, "fr")

        assert "Tableau 1 : caractéristiques initiales par bras" in page
        assert "Traitement de rattrapage prévu" in page and "Sexe" in page
        assert "Médiane (min–max)" in page and "Mutation NPM1" in page
        assert f"<td>{_label(Baseline, 'planned_regimen', 'AZA', 'fr')}</td>" in page
        assert "<td>AZA</td>" not in page and "<td>IC</td>" not in page

    def test_a_french_reader_first_leaves_the_report_in_english(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        _table1(client, cutoff.pk, "fr")
        report = cache.report_cache_get(cutoff=cutoff.cutoff_date)
        english = _table1(client, cutoff.pk, "en")

        stored = json.dumps(report.page["table1"], ensure_ascii=False)
        assert "Planned salvage regimen" in stored and "Traitement" not in stored
        assert "Planned salvage regimen" in english and "Azacitidine" in english


FIGURES = [
    f"{stem}.{fmt}"
    for stem in ("km_os", "km_efs", "forest_os", "forest_efs", "cir")
    for fmt in ("png", "svg")
]
# Words of each figure in French (the SVG keeps its text as text: svg.fonttype "none").
FRENCH = {
    "km_os": ["Survie globale par bras", "Mois depuis la randomisation", "Patients à risque"],
    "km_efs": ["Survie sans événement (probabilité)", "médiane", "Test du log-rank : p ="],
    "forest_os": ["Survie globale par sous-groupe", "Tous les patients", "en faveur du contrôle"],
    "forest_efs": ["n (événements)   HR (IC à 95 %)", "Traitement de rattrapage"],
    "cir": ["Mois depuis la RC/RCi", "Incidence cumulée", "Test de Gray (rechute) : p ="],
}


def _figure(client: Client, cutoff_id: int, name: str, language: str) -> bytes:
    answer = client.get(
        f"/analysis/cutoffs/{cutoff_id}/files/{name}", HTTP_ACCEPT_LANGUAGE=language
    )
    assert answer.status_code == 200, name
    return answer.content


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The languages figures were drawn in on a request, in order: every drawing is counted."""
    made: list[str] = []

    def counted(draw, formats=("png", "svg")):
        made.append(translation.get_language())
        return render(draw, formats)

    monkeypatch.setattr(cache, "render", counted)
    return made


class TestFiguresInTheReadersLanguage:
    def test_each_figure_is_drawn_in_french_for_a_french_reader(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        english = {name: _figure(client, cutoff.pk, name, "en") for name in FIGURES}
        french = {name: _figure(client, cutoff.pk, name, "fr") for name in FIGURES}

        assert [name for name in FIGURES if french[name] == english[name]] == []
        dex = _label(Randomization, "arm", "DEX", "fr")
        for stem, words in FRENCH.items():
            svg = french[f"{stem}.svg"].decode()
            assert [w for w in words if w not in svg] == [], stem
            assert french[f"{stem}.png"][:4] == b"\x89PNG"
        assert f"{dex} : médiane NA mois" in french["km_os.svg"].decode()
        assert "Overall survival by arm" in english["km_os.svg"].decode()
        assert "Survie" not in english["km_os.svg"].decode()

    def test_the_km_page_images_follow_the_readers_language(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)
        url = f"/analysis/cutoffs/{cutoff.pk}/km/OS.svg"

        french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        assert "Survie globale par bras" in french and "At risk" not in french
        assert "Overall survival by arm" in english and "At risk" in english

    def test_the_english_figures_are_the_exports_files(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        with translation.override("fr"):
            export = export_build(
                export=export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW),
                now=NOW,
            )
        client.force_login(data_manager)

        for name in FIGURES:
            _figure(client, cutoff.pk, name, "fr")
        english = {name: _figure(client, cutoff.pk, name, "en") for name in FIGURES}
        german = {name: _figure(client, cutoff.pk, name, "de") for name in FIGURES}

        exported = {name: (export_path(export) / name).read_bytes() for name in FIGURES}
        assert english == exported and german == exported
        assert "Overall survival by arm" in exported["km_os.svg"].decode()

    def test_a_french_figure_is_drawn_once_and_kept_beside_the_english_one(
        self, client: Client, trial, cutoff, data_manager, drawings
    ) -> None:
        client.force_login(data_manager)

        first = _figure(client, cutoff.pk, "km_os.png", "fr")
        kept = cache.report_cache_get(cutoff=cutoff.cutoff_date).directory / "fr" / "km_os.png"
        seen = kept.stat()
        again = [_figure(client, cutoff.pk, name, "fr") for name in ("km_os.png", "km_os.svg")]
        _figure(client, cutoff.pk, "km_os.png", "en")

        assert drawings == ["fr"]  # PNG and SVG at once; English read from the report
        assert again[0] == first == kept.read_bytes()
        assert (kept.stat().st_ino, kept.stat().st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns)
        assert [p.name for p in kept.parent.iterdir() if p.name.startswith(".")] == []

    def test_the_kept_rows_draw_the_very_english_figures(self, trial, cutoff) -> None:
        report = cache.report_cache_get(cutoff=cutoff.cutoff_date)
        adtte = pd.read_parquet(report.directory / cache.FIGURE_DATA)

        drawn = figure_drawings(adtte, report.estimates, cutoff.cutoff_date)

        for stem, draw in drawn.items():
            files = {
                fmt: (report.directory / f"{stem}.{fmt}").read_bytes() for fmt in ("png", "svg")
            }
            assert render(draw) == files, stem

    def test_a_change_of_the_data_draws_the_french_figures_anew(
        self, client: Client, trial, cutoff, data_manager, investigator, drawings
    ) -> None:
        client.force_login(data_manager)
        before = _figure(client, cutoff.pk, "forest_os.svg", "fr")
        death = Death(patient=trial[0], death_date=dt.date(2027, 3, 1), cause=DeathCause.LEUKAEMIA)
        record_save(instance=death, by=investigator)

        after = _figure(client, cutoff.pk, "forest_os.svg", "fr")

        assert drawings == ["fr", "fr"] and before != after
        assert "2 (2)" in after.decode() and "Tous les patients" in after.decode()


class TestFigureLanguage:
    @pytest.mark.parametrize(
        ("asked", "drawn"),
        [("fr", "fr"), ("fr-ca", "fr"), ("en-gb", "en"), ("de", "en"), (None, "en")],
    )
    def test_a_language_outside_the_trials_is_drawn_in_the_trials(self, asked, drawn) -> None:
        assert cache.figure_language(asked) == drawn
