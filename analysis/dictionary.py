"""The data dictionary of the analysis datasets: name, type, label, derivation rule, values.

Names have at most 8 characters and labels at most 40, so SAS transport version 5 takes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings

from analysis.derive import CNSR_DESCRIPTIONS, COMPETING_EVENT_DESCRIPTIONS, RELAPSE_TYPES

CHAR, NUM, DATE = "char", "num", "date"
CNSR_VALUES = {int(k): v for k, v in CNSR_DESCRIPTIONS.items()}
CIRSTAT_VALUES = {int(k): v for k, v in COMPETING_EVENT_DESCRIPTIONS.items()}
SAME_DAY = "A relapse on the day of death is the event: relapse, not death."


@dataclass(frozen=True)
class Variable:
    name: str
    kind: str
    label: str
    rule: str
    values: dict[int, str] = field(default_factory=dict)


_SUBJECT = [
    Variable("STUDYID", CHAR, "Study identifier", "Constant DEXAML-03."),
    Variable("USUBJID", CHAR, "Unique subject identifier", "STUDYID-subject identifier."),
    Variable("SITEID", CHAR, "Site identifier", "Code of the patient's site."),
    Variable("ARMCD", CHAR, "Randomised arm code", "DEX or CTRL, from the randomisation."),
    Variable("ARM", CHAR, "Randomised arm", "Label of the randomised arm (intention to treat)."),
    Variable("STRREG", CHAR, "Stratum: salvage regimen", "IC or AZA, as stratified."),
    Variable("STRDIS", CHAR, "Stratum: disease status", "first_relapse or refractory."),
]

AGE_CUT = 60  # PROTOCOL.md "Statistical analysis": the age subgroups are < 60 and ≥ 60 years
AGE = Variable("AGE", NUM, "Age at screening (years)", "From the screening record.")


@cache  # called for every gene of every patient of a dataset, with a handful of genes
def mutation_variable(gene: str) -> str:
    """The variable of a gene's baseline result: its code in letters and digits, 8 at most."""
    name = re.sub(r"[^A-Z0-9]", "", gene.upper())
    return (name if name[:1].isalpha() else f"M{name}")[:8]


SUBGROUP_MUTATIONS: list[str] = list(settings.TRIAL_ANALYSIS["SUBGROUP_MUTATIONS"])
_BASELINE = [
    Variable("AGEGR1", CHAR, "Age group (years)", f"<{AGE_CUT} or >={AGE_CUT}, from AGE."),
    Variable(
        "CYTORISK",
        CHAR,
        "Cytogenetic risk (ELN 2017)",
        "Favourable, Intermediate, Adverse or Not known, from the baseline.",
    ),
    *(
        Variable(
            mutation_variable(gene),
            CHAR,
            f"{gene} mutation at baseline"[:40],
            "Mutated, Not mutated or Not tested; empty when not recorded.",
        )
        for gene in SUBGROUP_MUTATIONS
    ),
]

ADTTE: list[Variable] = [
    *_SUBJECT,
    AGE,
    *_BASELINE,
    Variable(
        "PARAMCD", CHAR, "Parameter code", "OS, OSTC (OS censored at transplant), EFS or RFS."
    ),
    Variable("PARAM", CHAR, "Parameter", "Description of the parameter."),
    Variable(
        "STARTDT", DATE, "Time-to-event origin date", "Randomisation (OS, EFS); CR/CRi (RFS)."
    ),
    Variable("ADT", DATE, "Event or censoring date", "See EVNTDESC / CNSDTDSC."),
    Variable("AVAL", NUM, "Analysis value (days)", "ADT - STARTDT in days."),
    Variable("AVALM", NUM, "Analysis value (months)", "AVAL / 30.4375, 4 decimals."),
    Variable(
        "CNSR",
        NUM,
        "Censor (0 = event)",
        "0 event; a positive code per censoring reason.",
        CNSR_VALUES,
    ),
    Variable(
        "EVNTDESC",
        CHAR,
        "Event description",
        f"Death, Relapse (the relapse record, after CR/CRi), No CR/CRi after salvage. {SAME_DAY}",
    ),
    Variable("CNSDTDSC", CHAR, "Censor date description", "Reason for censoring (CNSR > 0)."),
    Variable("SRCDOM", CHAR, "Source domain", "Where ADT comes from."),
    Variable("SRCVAR", CHAR, "Source variable", "Variable of SRCDOM giving ADT."),
    Variable("DCUTDT", DATE, "Data cut-off date", "Date of the frozen data cut-off."),
]


def _tte(code: str, name: str) -> list[Variable]:
    rule = f"As PARAMCD={code} of ADTTE; missing when the patient has no {code} row."
    return [
        Variable(f"{code}AVAL", NUM, f"{name} (days)", rule),
        Variable(f"{code}MON", NUM, f"{name} (months)", rule),
        Variable(f"{code}CNSR", NUM, f"{name} censor (0 = event)", rule, CNSR_VALUES),
        Variable(f"{code}ADT", DATE, f"{name} event/censor date", rule),
    ]


WIDE: list[Variable] = [
    *_SUBJECT,
    Variable("SEX", CHAR, "Sex", "F or M, at screening."),
    AGE,
    *_BASELINE,
    Variable("RANDDT", DATE, "Date of randomisation", "Local date of the randomisation."),
    Variable("DCUTDT", DATE, "Data cut-off date", "Date of the frozen data cut-off."),
    Variable("LSTALVDT", DATE, "Last date known alive", "Latest dated record, capped at death."),
    Variable("DTHDT", DATE, "Date of death", "Death on or before the cut-off, else missing."),
    Variable("CRFL", CHAR, "CR/CRi after salvage (Y/N)", "Any CR or CRi on or before the cut-off."),
    Variable("CRDT", DATE, "Date of first CR/CRi", "First CR or CRi on or before the cut-off."),
    Variable(
        "RLPSDT",
        DATE,
        "Date of relapse after CR/CRi",
        "The relapse record, when dated after CRDT and on or before the cut-off; else missing.",
    ),
    Variable(
        "RLPSTYP",
        CHAR,
        "How the relapse was established",
        "Codes joined by +: "
        + "; ".join(f"{code} {label}" for code, label in RELAPSE_TYPES.items())
        + ". Empty when not recorded.",
    ),
    Variable("TRANSFL", CHAR, "Transplant (Y/N)", "Any transplant on or before the cut-off."),
    Variable("TRANSDT", DATE, "Date of first transplant", "Transplant or follow-up visit record."),
    *_tte("OS", "Overall survival"),
    *_tte("OSTC", "OS censored at SCT"),
    *_tte("EFS", "Event-free survival"),
    *_tte("RFS", "Relapse-free survival"),
    Variable(
        "CIRSTAT",
        NUM,
        "Relapse incidence status (0/1/2)",
        "With RFSAVAL, the cumulative incidence of relapse: 1 relapse, 2 death in remission "
        f"(competing), 0 censored; missing without an RFS row. {SAME_DAY}",
        CIRSTAT_VALUES,
    ),
]

DATASETS: dict[str, list[Variable]] = {"adtte": ADTTE, "adsurv": WIDE}
DATASET_LABELS = {
    "adtte": "Time-to-event analysis dataset",
    "adsurv": "Survival analysis, one row per patient",
}
