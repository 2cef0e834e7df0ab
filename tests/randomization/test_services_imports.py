"""Importing a list made by an independent statistician: checked in full, written all or nothing,
verified and used exactly like a generated list."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError

from randomization import external, selectors, services
from randomization.models import AllocationList, AllocationSlot, Source, Stratum
from tests.factories import NOW, enrolled_patient
from tests.randomization.conftest import (
    HAND_MADE_IC_FIRST_RELAPSE,
    HAND_MADE_LIST,
    UNBLOCKED_LIST,
    active_list,
    import_external,
)
from trial.exceptions import PermissionDenied, StateConflict

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (
        AllocationList.objects.count(),
        AllocationList.history.count(),
        Stratum.objects.count(),
        AllocationSlot.objects.count(),
    )


def _edit(text: str, row: int, old: str, new: str) -> str:
    """The file with `old` replaced by `new` in one row (the header is row 1)."""
    lines = text.splitlines()
    assert old in lines[row - 1]
    lines[row - 1] = lines[row - 1].replace(old, new)
    return "\n".join(lines) + "\n"


def _without(text: str, *rows: int) -> str:
    lines = text.splitlines()
    return "\n".join(line for i, line in enumerate(lines, 1) if i not in rows) + "\n"


MALFORMED = {
    "missing stratum": (_without(HAND_MADE_LIST, 12, 13), "stratum AZA|refractory: no row"),
    "unknown arm": (
        _edit(HAND_MADE_LIST, 3, "CTRL", "PLACEBO"),
        "row 3: arm 'PLACEBO' is not one of DEX, CTRL",
    ),
    "unknown level": (
        _edit(HAND_MADE_LIST, 8, "refractory", "relapse"),
        "row 8: disease_status 'relapse' is not one of first_relapse, refractory",
    ),
    "duplicate position": (
        _edit(HAND_MADE_LIST, 3, "IC,first_relapse,2", "IC,first_relapse,1"),
        "rows 2–3: stratum IC|first_relapse: position 1 appears twice",
    ),
    "gap": (
        _edit(HAND_MADE_LIST, 7, "IC,first_relapse,6", "IC,first_relapse,7"),
        "row 7: stratum IC|first_relapse: position(s) 6 missing before position 7",
    ),
    "bad block ratio": (
        _edit(HAND_MADE_LIST, 3, "CTRL", "DEX"),
        "rows 2–5: stratum IC|first_relapse, block 1 (positions 1–4): 3 DEX and 1 CTRL; "
        "a complete block is 1:1",
    ),
    "incomplete block before the end": (
        _edit(HAND_MADE_LIST, 5, "4,1,4,DEX", "4,2,2,DEX"),
        "rows 2–4: stratum IC|first_relapse, block 1 (positions 1–3): 3 slots in a block of 4; "
        "only a stratum's last block may be incomplete",
    ),
    "undeclared block size": (
        _edit(_edit(HAND_MADE_LIST, 8, "1,2,DEX", "1,6,DEX"), 9, "1,2,CTRL", "1,6,CTRL"),
        "rows 8–9: stratum IC|refractory, block 1 (positions 1–2): size 6 is not a declared "
        "size (2, 4)",
    ),
    "bad header": (
        _edit(HAND_MADE_LIST, 1, "block_number", "block"),
        "row 1: missing column(s) block_number",
    ),
    "stratum column contradicts the levels": (
        _edit(UNBLOCKED_LIST, 5, "IC|refractory,", "AZA|refractory,"),
        "row 5: stratum 'AZA|refractory' does not match its levels (IC|refractory)",
    ),
}


class TestAllocationListImportExternal:
    def test_a_hand_made_list_imports_with_its_provenance_and_verifies(self, statistician) -> None:
        report = import_external(statistician)

        imported = AllocationList.objects.get(code="EXT1")
        assert report.ok and report.written and report.rows == 12
        assert imported.source == Source.IMPORTED
        assert (imported.imported_by, imported.imported_at) == (statistician, NOW)
        assert imported.file_sha256 == hashlib.sha256(HAND_MADE_LIST.encode()).hexdigest()
        assert "PROC PLAN" in imported.stated_method
        assert imported.block_sizes == [2, 4]
        assert (imported.seed, imported.active) == ("", False)
        verified = selectors.allocation_list_verify(imported)
        assert verified.ok, verified.problems
        assert "declared block sizes 2, 4" in verified.balance_rule
        balance = {s.key: (s.used, s.unused, s.dex, s.ctrl) for s in verified.strata}
        assert balance == {
            "AZA|first_relapse": (0, 2, 1, 1),
            "AZA|refractory": (0, 2, 1, 1),
            "IC|first_relapse": (0, 6, 3, 3),
            "IC|refractory": (0, 2, 1, 1),
        }

    def test_an_imported_list_randomises_patients_in_exactly_its_order(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        import_external(statistician)
        imported = services.allocation_list_activate(
            allocation_list=AllocationList.objects.get(code="EXT1"),
            by=statistician,
            reason="The independent statistician's list",
        )
        patients = [enrolled_patient(site_a, coordinator, investigator) for _ in range(7)]

        allocations = [
            services.patient_randomize(patient=p, by=coordinator, now=NOW) for p in patients[:6]
        ]

        assert [r.arm for r in allocations] == HAND_MADE_IC_FIRST_RELAPSE
        assert [r.slot.position for r in allocations] == [1, 2, 3, 4, 5, 6]
        assert [r.randomization_number for r in allocations][:2] == ["EXT1-0001", "EXT1-0002"]
        assert {r.allocation_list_id for r in allocations} == {imported.pk}
        with pytest.raises(StateConflict, match="no allocation is available"):
            services.patient_randomize(patient=patients[6], by=coordinator, now=NOW)
        usage = {
            s.key: (s.used, s.unused) for s in selectors.allocation_list_verify(imported).strata
        }
        assert usage["IC|first_relapse"] == (6, 0)

    @pytest.mark.parametrize("case", MALFORMED)
    def test_a_malformed_list_is_refused_with_its_row_numbers_and_nothing_is_written(
        self, statistician, case
    ) -> None:
        text, expected = MALFORMED[case]
        tolerance = 1 if text.startswith("stratum,") else None
        before = _counts()

        with pytest.raises(ValidationError) as refused:
            import_external(
                statistician,
                text,
                block_sizes=() if tolerance is not None else (2, 4),
                balance_tolerance=tolerance,
            )

        assert any(expected in m for m in refused.value.message_dict["file"]), (
            refused.value.message_dict
        )
        assert _counts() == before

    def test_an_unbalanced_list_without_blocks_is_refused_beyond_the_stated_tolerance(
        self, statistician
    ) -> None:
        before = _counts()

        with pytest.raises(ValidationError) as refused:
            import_external(statistician, UNBLOCKED_LIST, block_sizes=(), balance_tolerance=0)

        assert refused.value.message_dict["file"] == [
            "row 6: stratum AZA|first_relapse: 1 DEX and 0 CTRL, a difference of 1 beyond the "
            "stated tolerance of 0",
            "row 7: stratum AZA|refractory: 0 DEX and 1 CTRL, a difference of 1 beyond the "
            "stated tolerance of 0",
            "rows 2–4: stratum IC|first_relapse: 2 DEX and 1 CTRL, a difference of 1 beyond "
            "the stated tolerance of 0",
            "row 5: stratum IC|refractory: 0 DEX and 1 CTRL, a difference of 1 beyond the "
            "stated tolerance of 0",
        ]
        assert _counts() == before

    def test_a_list_without_blocks_within_its_tolerance_is_activatable(self, statistician) -> None:
        import_external(statistician, UNBLOCKED_LIST, block_sizes=(), balance_tolerance=1)
        imported = AllocationList.objects.get(code="EXT1")

        activated = services.allocation_list_activate(
            allocation_list=imported, by=statistician, reason="Trial opens"
        )

        assert activated.active
        verified = selectors.allocation_list_verify(imported)
        assert "differ by at most 1" in verified.balance_rule
        assert [(s.key, s.dex, s.ctrl) for s in verified.strata][2] == ("IC|first_relapse", 2, 1)

    def test_a_dry_run_reports_the_same_problems_and_writes_nothing(self, statistician) -> None:
        text = _edit(HAND_MADE_LIST, 3, "CTRL", "PLACEBO")
        before = _counts()

        report = import_external(statistician, text, dry_run=True)

        with pytest.raises(ValidationError) as refused:
            import_external(statistician, text)
        assert not report.ok and not report.written
        assert report.errors == refused.value.message_dict
        assert _counts() == before

    def test_a_dry_run_of_a_good_list_shows_its_balance_and_writes_nothing(
        self, statistician
    ) -> None:
        before = _counts()

        report = import_external(statistician, dry_run=True)

        assert report.ok and not report.written
        assert [(s.key, s.unused, s.dex, s.ctrl) for s in report.strata][2] == (
            "IC|first_relapse", 6, 3, 3,
        )  # fmt: skip
        assert _counts() == before

    def test_parameters_are_checked_with_the_file_and_reported_by_field(self, statistician) -> None:
        active_list(statistician, code="P1")
        before = _counts()

        with pytest.raises(ValidationError) as refused:
            services.allocation_list_import_external(
                content=HAND_MADE_LIST.encode(),
                code="P1",
                purpose="production",
                stated_method=" ",
                block_sizes=[],
                balance_tolerance=None,
                by=statistician,
                now=NOW,
            )

        errors = refused.value.message_dict
        assert set(errors) == {"code", "stated_method", "balance_tolerance", "file"}
        assert _counts() == before

    def test_the_same_file_is_not_imported_twice(self, statistician) -> None:
        import_external(statistician)

        with pytest.raises(ValidationError, match="already imported as list EXT1"):
            import_external(statistician, code="EXT2")

    def test_a_site_role_cannot_import(self, coordinator) -> None:
        with pytest.raises(PermissionDenied):
            import_external(coordinator)

        assert AllocationList.objects.count() == 0


class TestImportedListVerification:
    def test_a_tampered_imported_list_fails_verification_and_cannot_be_activated(
        self, statistician
    ) -> None:
        import_external(statistician)
        imported = AllocationList.objects.get(code="EXT1")
        slot = AllocationSlot.objects.get(
            stratum__allocation_list=imported, stratum__key="IC|refractory", position=1
        )
        AllocationSlot.objects.filter(pk=slot.pk).update(arm="CTRL")

        report = selectors.allocation_list_verify(imported)

        assert report.problems == [
            "checksum does not match the stored one",
            "stratum IC|refractory, block 1 (positions 1–2): 0 DEX and 2 CTRL; a complete "
            "block is 1:1",
        ]
        with pytest.raises(ValidationError, match="checksum"):
            services.allocation_list_activate(
                allocation_list=imported, by=statistician, reason="Try"
            )

    def test_an_imported_list_is_not_redrawn_from_a_seed_nor_extended_by_the_system(
        self, statistician
    ) -> None:
        import_external(statistician)
        imported = AllocationList.objects.get(code="EXT1")

        with pytest.raises(ValidationError, match="extended by importing a new list"):
            services.allocation_list_append(
                allocation_list=imported, slots=2, reason="More patients", by=statistician
            )

        assert not any("seed" in p for p in selectors.allocation_list_verify(imported).problems)

    def test_the_export_of_an_imported_list_is_not_restored_as_a_generated_one(
        self, statistician
    ) -> None:
        import_external(statistician)
        text = selectors.allocation_list_csv(AllocationList.objects.get(code="EXT1"))

        with pytest.raises(ValidationError, match="original file"):
            services.allocation_list_import(text=text, by=statistician, now=NOW)


class TestFileRead:
    def test_a_semicolon_separated_file_is_refused_with_a_hint(self) -> None:
        text = HAND_MADE_LIST.replace(",", ";").encode()

        reading = external.file_read(
            text,
            factors=["regimen", "disease_status"],
            levels={"regimen": ["AZA", "IC"], "disease_status": ["first_relapse", "refractory"]},
            blocks_declared=True,
        )

        assert not reading.readable and reading.rows == []
        hint = "row 1: the values are separated by semicolons: save the file with commas"
        assert hint in [str(p) for p in reading.problems]

    def test_consecutive_rows_are_written_as_ranges(self) -> None:
        assert external.rows_text([9, 2, 3, 4, 5]) == "rows 2–5, 9"
        assert external.rows_text([7]) == "row 7"
