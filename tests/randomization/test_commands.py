"""Allocation list commands: generate, verify, export/import, append, activate, report; demo."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from randomization.demo import demo_seed_randomization
from randomization.models import AllocationList, Randomization
from tests.factories import NOW, enrolled_patient
from tests.randomization.conftest import HAND_MADE_LIST

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


class TestAllocationListCommands:
    def test_generate_verify_export_import_append_and_activate(
        self, statistician, tmp_path
    ) -> None:
        _run(
            "allocation_list_generate", "--code", "P1", "--purpose", "production",
            "--seed", "s-42", "--block-sizes", "2,4,6", "--factors", "regimen,disease_status",
            "--slots-per-stratum", "12", "--by", "stat",
        )  # fmt: skip
        verified = _run("allocation_list_verify", "--code", "P1")
        exported = tmp_path / "p1.csv"
        _run("allocation_list_export", "--code", "P1", "--output", str(exported))
        AllocationList.objects.filter(code="P1").update(code="OLD", seed="old")
        _run("allocation_list_import", str(exported), "--by", "stat")
        appended = _run(
            "allocation_list_append", "--code", "P1", "--slots", "4",
            "--reason", "More patients", "--by", "stat",
        )  # fmt: skip
        activated = _run(
            "allocation_list_activate", "--code", "P1", "--reason", "Go", "--by", "stat"
        )

        assert "OK" in verified and "IC|first_relapse" in verified
        assert "Appended" in appended
        assert "Active list: P1" in activated
        assert "OK" in _run("allocation_list_verify", "--code", "P1")

    def test_verify_fails_on_a_tampered_list(self, statistician) -> None:
        _run(
            "allocation_list_generate", "--code", "P1", "--purpose", "production",
            "--seed", "s-1", "--block-sizes", "4", "--slots-per-stratum", "4", "--by", "stat",
        )  # fmt: skip
        AllocationList.objects.filter(code="P1").update(seed="other")

        with pytest.raises(CommandError, match="problem"):
            _run("allocation_list_verify", "--code", "P1")

    def test_report_prints_balance_and_consort(
        self, site_a, coordinator, investigator, statistician, production_list
    ) -> None:
        from randomization import services

        services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )

        output = _run("randomization_report", "--by", "stat")

        assert "IC" in output and "PAR" in output and "randomized" in output


class TestDemoSeedRandomization:
    def test_creates_lists_and_randomises_enrolled_patients_once(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        enrolled_patient(site_a, coordinator, investigator)
        enrolled_patient(site_a, coordinator, investigator, regimen="AZA")

        first = demo_seed_randomization(now=NOW)
        second = demo_seed_randomization(now=NOW)

        assert (first, second) == (2, 0)
        assert Randomization.objects.count() == 2
        active = AllocationList.objects.get(active=True)
        assert (active.code, active.purpose) == ("P1", "production")
        assert AllocationList.objects.filter(purpose="test").exists()


class TestAllocationListImportOfAnExternalList:
    def _import(self, tmp_path, text: str, *extra: str, err: StringIO | None = None) -> str:
        path = tmp_path / "list.csv"
        path.write_text(text, encoding="utf-8")
        out = StringIO()
        call_command(
            "allocation_list_import", str(path), "--code", "EXT1", "--purpose", "production",
            "--stated-method", "Permuted blocks, R blockrand 1.5", "--block-sizes", "2,4",
            "--by", "stat", *extra, stdout=out, stderr=err or StringIO(),
        )  # fmt: skip
        return out.getvalue()

    def test_dry_run_prints_the_report_and_writes_nothing_then_the_import_verifies(
        self, statistician, tmp_path
    ) -> None:
        dry_run = self._import(tmp_path, HAND_MADE_LIST, "--dry-run")
        written_by_dry_run = AllocationList.objects.count()
        self._import(tmp_path, HAND_MADE_LIST)

        verified = _run("allocation_list_verify", "--code", "EXT1")

        assert "Dry run" in dry_run and "IC|first_relapse" in dry_run
        assert written_by_dry_run == 0
        assert "stated method: Permuted blocks, R blockrand 1.5" in verified
        assert "declared block sizes 2, 4" in verified and "OK" in verified
        stratum = next(line for line in verified.splitlines() if "IC|first_relapse" in line)
        assert stratum.split()[1:] == ["0", "6", "3", "3"]

    @pytest.mark.parametrize("dry_run", [["--dry-run"], []])
    def test_a_malformed_list_exits_non_zero_with_its_rows_and_writes_nothing(
        self, statistician, tmp_path, dry_run
    ) -> None:
        text = HAND_MADE_LIST.replace("IC,refractory,2,1,2,CTRL", "IC,refractory,2,1,2,DEX")
        err = StringIO()

        with pytest.raises(CommandError, match=r"(?i)nothing imported"):
            self._import(tmp_path, text, *dry_run, err=err)

        assert "rows 8–9: stratum IC|refractory, block 1" in err.getvalue()
        assert AllocationList.objects.count() == 0
