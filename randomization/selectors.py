"""Reads of the randomisation app: stratification values, list verification, reports."""

from __future__ import annotations

import csv
import io
import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from randomization import allocation, external
from randomization.models import (
    TRIAL_CALENDAR_KEY,
    AllocationList,
    AllocationSlot,
    Arm,
    Method,
    Randomization,
    Stratum,
    TrialCalendar,
    factor_level_label,
)
from trial.models import (
    Baseline,
    Consent,
    DiseaseStatus,
    Patient,
    PatientStatus,
    Regimen,
    Site,
    User,
)
from trial.permissions import Action

CSV_COLUMNS = (
    "stratum",
    "regimen",
    "disease_status",
    "site",
    "position",
    "block_number",
    "block_size",
    "arm",
    "append_round",
)


def study_end_get() -> TrialCalendar | None:
    """The trial's end of study, once the first randomisation has fixed it."""
    return TrialCalendar.objects.filter(key=TRIAL_CALENDAR_KEY).first()


def stratification_values(patient: Patient) -> dict[str, str]:
    """The patient's level of every possible factor; empty where it is not recorded.

    Read from the annotations of `with_randomization_inputs` when the patient carries them."""
    if hasattr(patient, "baseline_regimen"):
        regimen = patient.baseline_regimen
        status = patient.baseline_disease_status  # type: ignore[attr-defined]
    else:
        baseline = Baseline.objects.filter(
            patient=patient, entered_in_error=False, draft=False
        ).first()
        regimen = baseline.planned_regimen if baseline else ""
        status = baseline.disease_status if baseline else ""
    return {"regimen": regimen or "", "disease_status": status or "", "site": patient.site.code}


def with_randomization_inputs(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """Annotate patients with everything randomisation checks (the baseline's stratification
    values, whether consent is recorded), so that one statement reads it all. A draft baseline
    counts as no data (trial/services/drafts.py)."""
    live = Baseline.objects.filter(patient=OuterRef("pk"), entered_in_error=False)
    baseline = live.filter(draft=False)
    consent = Consent.objects.filter(patient=OuterRef("pk"), entered_in_error=False)
    return patients.select_related("site").annotate(
        baseline_regimen=Subquery(baseline.values("planned_regimen")[:1]),
        baseline_disease_status=Subquery(baseline.values("disease_status")[:1]),
        baseline_draft=Exists(live.filter(draft=True)),
        consent_recorded=Exists(consent),
    )


def stratification_labels(values: dict[str, str]) -> dict[str, str]:
    """The patient's stratification values as people read them, by factor name."""
    not_recorded = _("not recorded")
    return {
        _("Salvage regimen"): factor_level_label("regimen", values["regimen"]) or not_recorded,
        _("Disease status"): factor_level_label("disease_status", values["disease_status"])
        or not_recorded,
        _("Site"): values["site"],
    }


BASELINE_DRAFT = gettext_lazy("The baseline record is a draft: complete it before randomisation.")
NOT_ENROLLED = gettext_lazy("Only an enrolled patient can be randomised.")
NOT_CONFIRMED = gettext_lazy("An investigator must confirm eligibility before randomisation.")


# Problems of the patient's state (a conflict, 409) rather than of missing data (400).
def state_problems() -> frozenset[str]:
    """The state problems in the active language (the problems are given translated)."""
    return frozenset({str(NOT_ENROLLED), str(NOT_CONFIRMED)})


def randomization_problems(patient: Patient, values: dict[str, str] | None = None) -> list[str]:
    """Why the patient cannot be randomised now; empty when nothing stands in the way."""
    problems: list[str] = []
    if patient.status != PatientStatus.ENROLLED:
        problems.append(str(NOT_ENROLLED))
    if not patient.eligibility_confirmed:
        problems.append(str(NOT_CONFIRMED))
    consent_recorded = getattr(patient, "consent_recorded", None)
    if consent_recorded is None:
        consent_recorded = Consent.objects.filter(patient=patient, entered_in_error=False).exists()
    if not consent_recorded:
        problems.append(_("Informed consent is not recorded."))
    draft = getattr(patient, "baseline_draft", None)
    if draft is None:
        live = Baseline.objects.filter(patient=patient, entered_in_error=False)
        draft = live.filter(draft=True).exists()
    if draft:
        problems.append(str(BASELINE_DRAFT))
    values = values or stratification_values(patient)
    if not values["regimen"]:
        problems.append(_("The planned salvage regimen (baseline) is not recorded."))
    if not values["disease_status"]:
        problems.append(_("The disease status (baseline) is not recorded."))
    return problems


def levels(factor: str) -> list[str]:
    """The levels of a stratification factor, in a fixed order."""
    if factor == "regimen":
        return list(Regimen.values)
    if factor == "disease_status":
        return list(DiseaseStatus.values)
    if factor == "site":
        return list(
            Site.objects.filter(active=True).order_by("code").values_list("code", flat=True)
        )
    raise ValueError(f"Unknown stratification factor: {factor}")


def strata_keys(factors: list[str]) -> list[tuple[str, dict[str, str]]]:
    """Every stratum of a list (key and levels), in key order."""
    combos = itertools.product(*(levels(f) for f in factors))
    strata = [dict(zip(factors, combo, strict=True)) for combo in combos]
    return sorted(((allocation.stratum_key(s, factors), s) for s in strata), key=lambda x: x[0])


def slot_rows(allocation_list: AllocationList) -> list[tuple[object, ...]]:
    """Every slot of the list in canonical order, as in the checksum and the CSV."""
    slots = (
        AllocationSlot.objects.filter(stratum__allocation_list=allocation_list)
        .select_related("stratum__site")
        .order_by("stratum__key", "position")
    )
    return [
        (
            s.stratum.key,
            s.stratum.regimen,
            s.stratum.disease_status,
            s.stratum.site.code if s.stratum.site else "",
            s.position,
            s.block_number,
            s.block_size,
            s.arm,
            s.append_round,
        )
        for s in slots
    ]


def list_checksum(allocation_list: AllocationList) -> str:
    return allocation.checksum(allocation_list.parameters(), slot_rows(allocation_list))


@dataclass
class StratumUsage:
    """A stratum of a list: slots used and unused, and the arms of all its slots (balance)."""

    key: str
    used: int
    unused: int
    dex: int
    ctrl: int
    factors: tuple[str, ...] = ()  # the list's factors, in the order of the key's levels

    @property
    def difference(self) -> int:
        return abs(self.dex - self.ctrl)

    @property
    def label(self) -> str:
        """The stratum as people read it: each level's label, in the active language."""
        levels = self.key.split("|")
        if len(levels) != len(self.factors):
            return self.key
        return " · ".join(
            factor_level_label(f, v) for f, v in zip(self.factors, levels, strict=True)
        )


@dataclass
class VerifyReport:
    """The same report for a generated and an imported list; `balance_rule` says what the
    list's balance was checked against."""

    allocation_list: AllocationList
    stored_checksum: str
    computed_checksum: str
    balance_rule: str = ""
    problems: list[str] = field(default_factory=list)
    strata: list[StratumUsage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def strata_usage(allocation_list: AllocationList) -> list[StratumUsage]:
    rows = (
        Stratum.objects.filter(allocation_list=allocation_list)
        .annotate(
            total=Count("slots"),
            used=Count("slots", filter=Q(slots__randomization__isnull=False)),
            dex=Count("slots", filter=Q(slots__arm=Arm.DEXAMETHASONE)),
            ctrl=Count("slots", filter=Q(slots__arm=Arm.CONTROL)),
        )
        .order_by("key")
    )
    factors = tuple(allocation_list.factors)
    return [StratumUsage(r.key, r.used, r.total - r.used, r.dex, r.ctrl, factors) for r in rows]


def balance_rule(allocation_list: AllocationList) -> str:
    """What the list's balance is checked against, in words."""
    sizes = ", ".join(str(s) for s in allocation_list.block_sizes)
    if allocation_list.method == Method.MINIMIZATION:
        return _("minimization: each allocation is replayed from the seed, no list to check")
    if not allocation_list.imported:
        return _(
            "every block 1:1, block sizes %(sizes)s, and every slot as drawn from the seed"
        ) % {"sizes": sizes}
    if allocation_list.block_sizes:
        return _("every complete block 1:1, declared block sizes %(sizes)s") % {"sizes": sizes}
    return _(
        "no blocks declared: DEX and CTRL of each stratum differ by at most "
        "%(tolerance)s (the tolerance stated at import)"
    ) % {"tolerance": allocation_list.balance_tolerance}


def _regeneration_problems(allocation_list: AllocationList) -> list[str]:
    """Draw each stratum again from the seed and compare with what is stored."""
    problems = []
    by_round: dict[tuple[str, int], list[allocation.SlotDraft]] = defaultdict(list)
    for row in slot_rows(allocation_list):
        key, position, block, size, arm, round_number = (
            str(row[0]),
            int(row[4]),  # type: ignore[call-overload]
            int(row[5]),  # type: ignore[call-overload]
            int(row[6]),  # type: ignore[call-overload]
            str(row[7]),
            int(row[8]),  # type: ignore[call-overload]
        )
        by_round[(key, round_number)].append(allocation.SlotDraft(position, block, size, arm))
    for (key, round_number), drafts in sorted(by_round.items()):
        again = allocation.blocks_draw(
            seed=allocation_list.seed,
            key=key,
            block_sizes=allocation_list.block_sizes,
            slots=len(drafts),
            start_position=drafts[0].position,
            start_block=drafts[0].block_number,
            round_number=round_number,
        )
        if again != drafts:
            problems.append(
                _("stratum %(key)s: slots differ from those drawn from the seed") % {"key": key}
            )
    return problems


def _imported_problems(allocation_list: AllocationList) -> list[str]:
    """An imported list against its own declared structure: it has no seed to draw from."""
    slots = (
        AllocationSlot.objects.filter(stratum__allocation_list=allocation_list)
        .values_list("stratum__key", "position", "block_number", "block_size", "arm")
        .order_by("stratum__key", "position")
    )
    rows = [
        external.Row(None, (), key, allocation.SlotDraft(position, number, size, arm))
        for key, position, number, size, arm in slots
    ]
    problems = external.structure_problems(
        rows,
        strata=[key for key, _ in strata_keys(allocation_list.factors)],
        block_sizes=allocation_list.block_sizes,
        tolerance=allocation_list.balance_tolerance,
    )
    return [str(p) for p in problems]


def allocation_list_verify(allocation_list: AllocationList) -> VerifyReport:
    """Recompute the checksum, then check the list's structure: a generated list block by block
    and against a new draw from its seed, an imported list against what it declares."""
    report = VerifyReport(
        allocation_list=allocation_list,
        stored_checksum=allocation_list.checksum,
        computed_checksum=list_checksum(allocation_list),
        balance_rule=balance_rule(allocation_list),
        strata=strata_usage(allocation_list),
    )
    if report.stored_checksum != report.computed_checksum:
        report.problems.append(_("checksum does not match the stored one"))
    if allocation_list.imported:
        report.problems.extend(_imported_problems(allocation_list))
        return report
    if allocation_list.method == Method.MINIMIZATION:
        return report
    for stratum in Stratum.objects.filter(allocation_list=allocation_list).order_by("key"):
        drafts = [
            allocation.SlotDraft(s.position, s.block_number, s.block_size, s.arm)
            for s in stratum.slots.order_by("position")
        ]
        positions = [d.position for d in drafts]
        if positions != list(range(1, len(drafts) + 1)):
            report.problems.append(
                _("stratum %(key)s: positions are not 1..%(count)s")
                % {"key": stratum.key, "count": len(drafts)}
            )
        for problem in allocation.blocks_problems(drafts, allocation_list.block_sizes):
            report.problems.append(f"stratum {stratum.key}: {problem}")
    report.problems.extend(_regeneration_problems(allocation_list))
    return report


def allocation_list_csv(allocation_list: AllocationList) -> str:
    """The list as CSV: its parameters and checksum in leading '#' lines, then one row a slot."""
    out = io.StringIO()
    for name, value in sorted(allocation_list.parameters().items()):
        out.write(f"# {name}={value}\n")
    out.write(f"# purpose={allocation_list.purpose}\n")
    out.write(f"# checksum={allocation_list.checksum}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(slot_rows(allocation_list))
    return out.getvalue()


def lists_for(user: User) -> list[AllocationList]:
    """Allocation lists, for the statistician and sponsor administrator only."""
    if not user.can(Action.MANAGE_ALLOCATION):
        return []
    lists = AllocationList.objects.select_related("generated_by", "imported_by")
    return list(lists.order_by(Coalesce("generated_at", "imported_at").desc(), "-pk"))


# ---- Reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    regimen: str
    disease_status: str
    site: str
    dex: int
    ctrl: int

    @property
    def total(self) -> int:
        return self.dex + self.ctrl

    @property
    def regimen_label(self) -> str:
        return factor_level_label("regimen", self.regimen)

    @property
    def disease_status_label(self) -> str:
        return factor_level_label("disease_status", self.disease_status)


def balance_report(user: User) -> list[BalanceRow]:
    """Allocations by stratum (as randomised, ITT) × site × arm, for the sites the user may see."""
    rows = (
        Randomization.objects.for_user(user, Action.VIEW_REPORTS)
        .filter(entered_in_error=False)
        .values("stratum_regimen", "stratum_disease_status", "patient__site__code")
        .annotate(
            dex=Count("id", filter=Q(arm=Arm.DEXAMETHASONE)),
            ctrl=Count("id", filter=Q(arm=Arm.CONTROL)),
        )
        .order_by("stratum_regimen", "stratum_disease_status", "patient__site__code")
    )
    return [
        BalanceRow(
            r["stratum_regimen"],
            r["stratum_disease_status"],
            r["patient__site__code"],
            r["dex"],
            r["ctrl"],
        )
        for r in rows
    ]


def consort_counts(user: User) -> dict[str, int]:
    """CONSORT flow up to allocation: screened, excluded, enrolled, randomised per arm."""
    patients = Patient.objects.for_user(user, Action.VIEW_REPORTS).filter(entered_in_error=False)
    counts = patients.aggregate(
        screened=Count("id"),
        screen_failed=Count("id", filter=Q(status=PatientStatus.SCREEN_FAILED)),
        enrolled=Count("id", filter=Q(status=PatientStatus.ENROLLED)),
        randomized=Count("id", filter=Q(randomization__isnull=False)),
        allocated_dex=Count("id", filter=Q(randomization__arm=Arm.DEXAMETHASONE)),
        allocated_ctrl=Count("id", filter=Q(randomization__arm=Arm.CONTROL)),
    )
    counts["enrolled_not_randomized"] = counts["enrolled"] - counts["randomized"]
    return counts


@dataclass(frozen=True)
class RandomizationReport:
    balance: list[BalanceRow]
    consort: dict[str, int]


def randomization_report(user: User) -> RandomizationReport:
    """The balance report and CONSORT counts for the sites the user may see in reports."""
    return RandomizationReport(balance=balance_report(user), consort=consort_counts(user))
