"""Endpoint derivations on hand-worked patients: every time below is counted on a calendar.
The endpoints are those `derive.endpoint_columns` derives, as the datasets are built from them.

Cut-off 2025-06-30. 2024 is a leap year: 2024-01-01 → 2025-01-01 is 366 days, and
2025-01-01 → 2025-06-30 is 31+28+31+30+31+29 = 180 days, so randomisation on 2024-01-01 and
censoring at the cut-off gives 546 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd

from analysis.datasets import adtte_frame
from analysis.derive import (
    AdverseEventFact,
    Cnsr,
    CompetingEvent,
    PatientFacts,
    adverse_events_by_arm,
    remission_rate,
    transplant_rate,
)
from tests.analysis.endpoints import patient_competing_event, patient_endpoints
from tests.analysis.survival_rows import TimeToEvent

CUTOFF = dt.date(2025, 6, 30)
JAN1 = dt.date(2024, 1, 1)


def patient(pid: int = 1, arm: str = "DEX", **facts: object) -> PatientFacts:
    base = PatientFacts(
        patient_id=pid,
        usubjid=f"DEXAML-03-{pid:03d}",
        siteid="A",
        arm=arm,
        strat_regimen="IC",
        strat_disease_status="first_relapse",
        randomized_on=JAN1,
        last_known_alive=JAN1,
    )
    return replace(base, **facts)


def endpoint(paramcd: str, p: PatientFacts) -> TimeToEvent:
    """The patient's endpoint as `derive.endpoint_columns` derives it."""
    return patient_endpoints(p, CUTOFF)[paramcd]


def adtte_row(paramcd: str, p: PatientFacts) -> pd.Series:
    """The patient's ADTTE row of the endpoint: months and the censoring's description."""
    frame = adtte_frame([p], CUTOFF)
    return frame[frame["PARAMCD"] == paramcd].iloc[0]


class TestOverallSurvival:
    def test_a_death_before_the_cut_off_is_an_event_on_its_date(self) -> None:
        p = patient(death_date=dt.date(2024, 3, 1), last_known_alive=dt.date(2024, 3, 1))

        row = endpoint("OS", p)

        assert (row.adt, row.aval, row.cnsr, row.evntdesc) == (dt.date(2024, 3, 1), 60, 0, "Death")
        assert adtte_row("OS", p)["CNSDTDSC"] == ""

    def test_a_death_on_the_cut_off_day_counts(self) -> None:
        p = patient(randomized_on=dt.date(2025, 6, 1), death_date=CUTOFF)

        row = endpoint("OS", p)

        assert (row.aval, row.cnsr) == (29, 0)

    def test_a_living_patient_is_censored_at_the_last_date_known_alive(self) -> None:
        p = patient(last_known_alive=dt.date(2025, 1, 15))

        row = endpoint("OS", p)

        assert (row.adt, row.aval, row.cnsr) == (dt.date(2025, 1, 15), 380, Cnsr.LAST_KNOWN_ALIVE)
        assert adtte_row("OS", p)["CNSDTDSC"] == "Censored at the last date known alive"

    def test_a_death_after_the_cut_off_is_censored_at_the_cut_off(self) -> None:
        p = patient(death_date=dt.date(2025, 8, 1), last_known_alive=dt.date(2025, 7, 20))

        row = endpoint("OS", p)

        assert (row.adt, row.aval, row.cnsr) == (CUTOFF, 546, Cnsr.DEATH_AFTER_CUTOFF)

    def test_a_patient_seen_alive_after_the_cut_off_is_censored_at_the_cut_off(self) -> None:
        p = patient(last_known_alive=dt.date(2025, 9, 1))

        row = endpoint("OS", p)

        assert (row.adt, row.aval, row.cnsr) == (CUTOFF, 546, Cnsr.ALIVE_AFTER_CUTOFF)

    def test_months_are_days_over_the_mean_month(self) -> None:
        p = patient(last_known_alive=dt.date(2025, 1, 15))

        assert adtte_row("OS", p)["AVALM"] == round(380 / 30.4375, 4)


class TestEventFreeSurvival:
    def test_relapse_after_remission_is_the_event(self) -> None:
        p = patient(
            responses=((dt.date(2024, 2, 15), "CR"),),
            relapse_date=dt.date(2024, 6, 1),
            death_date=dt.date(2024, 9, 1),
        )

        row = endpoint("EFS", p)

        # 31 + 29 + 31 + 30 + 31 days from 1 January to 1 June 2024.
        assert (row.adt, row.aval, row.cnsr, row.evntdesc) == (
            dt.date(2024, 6, 1),
            152,
            0,
            "Relapse",
        )

    def test_no_remission_after_salvage_is_an_event_at_randomisation(self) -> None:
        p = patient(
            responses=((dt.date(2024, 2, 10), "PR"),),
            end_of_treatment_date=dt.date(2024, 3, 1),
            last_known_alive=dt.date(2024, 12, 1),
        )

        row = endpoint("EFS", p)

        assert (row.adt, row.aval, row.cnsr) == (JAN1, 0, 0)
        assert row.evntdesc == "No CR/CRi after salvage"

    def test_a_remission_after_the_cut_off_does_not_count(self) -> None:
        p = patient(
            responses=((dt.date(2025, 7, 10), "CR"),),
            end_of_treatment_date=dt.date(2025, 5, 1),
        )

        rows = patient_endpoints(p, CUTOFF)

        assert (rows["EFS"].aval, rows["EFS"].cnsr) == (0, 0)
        assert "RFS" not in rows

    def test_a_patient_still_on_salvage_is_censored_with_its_own_reason(self) -> None:
        p = patient(last_known_alive=dt.date(2024, 1, 20))

        row = endpoint("EFS", p)

        assert (row.aval, row.cnsr) == (19, Cnsr.RESPONSE_NOT_YET_KNOWN)


class TestRelapseFreeSurvival:
    def test_starts_at_remission_and_ends_at_relapse(self) -> None:
        p = patient(
            responses=((dt.date(2024, 2, 1), "PR"), (dt.date(2024, 2, 15), "CR")),
            relapse_date=dt.date(2024, 6, 1),
        )

        row = endpoint("RFS", p)

        # 15 February → 1 March 2024 is 15 days (29 February), then 31 + 30 + 31 to 1 June.
        assert (row.startdt, row.aval, row.cnsr) == (dt.date(2024, 2, 15), 107, 0)

    def test_death_in_remission_is_an_event(self) -> None:
        p = patient(responses=((dt.date(2024, 3, 1), "CRi"),), death_date=dt.date(2024, 5, 1))

        row = endpoint("RFS", p)

        assert (row.aval, row.cnsr, row.evntdesc) == (61, 0, "Death")

    def test_a_relapse_after_the_cut_off_is_censored_at_the_cut_off(self) -> None:
        p = patient(
            responses=((dt.date(2024, 2, 1), "CR"),),
            relapse_date=dt.date(2025, 7, 15),
            last_known_alive=dt.date(2025, 8, 1),
        )

        row = endpoint("RFS", p)

        # 1 February 2024 → 1 February 2025 is 366 days, then 28+31+30+31+29 to 30 June.
        assert (row.adt, row.aval, row.cnsr) == (CUTOFF, 515, Cnsr.ALIVE_AFTER_CUTOFF)

    def test_a_patient_never_in_remission_has_no_relapse_free_survival(self) -> None:
        assert list(patient_endpoints(patient(), CUTOFF)) == ["OS", "OSTC", "EFS"]


class TestOverallSurvivalCensoredAtTransplant:
    def test_a_transplant_before_death_censors_on_the_transplant_day(self) -> None:
        p = patient(
            transplant_dates=(dt.date(2024, 2, 1),),
            death_date=dt.date(2024, 3, 1),
            last_known_alive=dt.date(2024, 3, 1),
        )

        row = endpoint("OSTC", p)

        assert (row.paramcd, row.adt, row.aval, row.cnsr) == (
            "OSTC",
            dt.date(2024, 2, 1),
            31,
            Cnsr.TRANSPLANT,
        )
        assert adtte_row("OSTC", p)["CNSDTDSC"] == (
            "Transplanted: censored at the transplant (sensitivity analysis)"
        )

    def test_without_a_transplant_it_is_overall_survival(self) -> None:
        p = patient(death_date=dt.date(2024, 3, 1), last_known_alive=dt.date(2024, 3, 1))

        row = endpoint("OSTC", p)

        assert (row.paramcd, row.aval, row.cnsr, row.evntdesc) == ("OSTC", 60, 0, "Death")

    def test_a_transplant_after_the_cut_off_or_on_the_day_of_death_does_not_censor(self) -> None:
        after_cutoff = patient(
            transplant_dates=(dt.date(2025, 7, 15),), last_known_alive=dt.date(2025, 8, 1)
        )
        same_day = patient(
            transplant_dates=(dt.date(2024, 3, 1),),
            death_date=dt.date(2024, 3, 1),
            last_known_alive=dt.date(2024, 3, 1),
        )

        rows = [endpoint("OSTC", p) for p in (after_cutoff, same_day)]

        assert [(r.cnsr, r.aval) for r in rows] == [
            (Cnsr.ALIVE_AFTER_CUTOFF, 546),
            (Cnsr.EVENT, 60),
        ]


class TestRelapseOnTheDayOfDeath:
    """CR on 2024-02-15, relapse and death both on 2024-06-01: the relapse is the first event.

    1 January → 1 June 2024 is 31 + 29 + 31 + 30 + 31 = 152 days; 15 February → 1 June is
    14 + 1 (to 1 March, 2024 being a leap year) + 31 + 30 + 31 = 107 days.
    """

    p = patient(
        responses=((dt.date(2024, 2, 15), "CR"),),
        relapse_date=dt.date(2024, 6, 1),
        death_date=dt.date(2024, 6, 1),
        last_known_alive=dt.date(2024, 6, 1),
    )

    def test_efs_ends_with_the_relapse(self) -> None:
        row = endpoint("EFS", self.p)

        assert (row.adt, row.aval, row.cnsr, row.evntdesc) == (
            dt.date(2024, 6, 1),
            152,
            0,
            "Relapse",
        )
        assert (row.srcdom, row.srcvar) == ("RELAPSE", "RLPSDT")

    def test_rfs_and_the_relapse_incidence_count_a_relapse_not_a_death_in_remission(
        self,
    ) -> None:
        row = endpoint("RFS", self.p)

        assert (row.aval, row.evntdesc) == (107, "Relapse")
        assert patient_competing_event(self.p, CUTOFF) == CompetingEvent.RELAPSE
        assert endpoint("OS", self.p).evntdesc == "Death"


class TestCompetingEvent:
    def test_a_death_without_relapse_competes_and_an_open_row_is_censored(self) -> None:
        cr = ((dt.date(2024, 3, 1), "CRi"),)
        dead = patient(responses=cr, death_date=dt.date(2024, 5, 1))
        alive = patient(responses=cr, last_known_alive=dt.date(2024, 9, 1))

        assert patient_competing_event(dead, CUTOFF) == CompetingEvent.DEATH_IN_REMISSION
        assert patient_competing_event(alive, CUTOFF) == CompetingEvent.CENSORED

    def test_a_relapse_not_after_the_remission_is_not_counted(self) -> None:
        p = patient(
            responses=((dt.date(2024, 3, 1), "CR"),),
            relapse_date=dt.date(2024, 3, 1),
            death_date=dt.date(2024, 5, 1),
        )

        row = endpoint("RFS", p)

        assert (row.evntdesc, patient_competing_event(p, CUTOFF)) == (
            "Death",
            CompetingEvent.DEATH_IN_REMISSION,
        )


class TestRates:
    def test_remission_and_transplant_rates_count_every_randomised_patient_by_arm(self) -> None:
        cr = ((dt.date(2024, 2, 1), "CR"),)
        patients = [
            patient(1, "DEX", responses=cr, transplant_dates=(dt.date(2024, 5, 1),)),
            patient(2, "DEX"),
            patient(3, "CTRL", responses=((dt.date(2024, 2, 1), "CRi"),)),
            patient(4, "CTRL", transplant_dates=(dt.date(2025, 8, 1),)),
            patient(5, "CTRL", randomized_on=dt.date(2025, 7, 1)),
        ]

        remission = {r.arm: (r.n, r.events, r.percent) for r in remission_rate(patients, CUTOFF)}
        transplant = {r.arm: (r.n, r.events) for r in transplant_rate(patients, CUTOFF)}

        assert remission == {"CTRL": (2, 1, 50.0), "DEX": (2, 1, 50.0)}
        assert transplant == {"CTRL": (2, 0), "DEX": (2, 1)}


class TestAdverseEventsByArm:
    def test_each_patient_counts_once_per_term_at_the_worst_grade(self) -> None:
        patients = [patient(1, "DEX"), patient(2, "DEX"), patient(3, "CTRL")]
        day = dt.date(2024, 2, 1)
        events = [
            AdverseEventFact(1, "Nausea", 1, day),
            AdverseEventFact(1, "Nausea", 3, day),
            AdverseEventFact(1, "Fever", 2, day),
            AdverseEventFact(2, "Nausea", 2, day),
            AdverseEventFact(3, "Nausea", 4, dt.date(2025, 7, 1)),
        ]

        rows = adverse_events_by_arm(patients, events, CUTOFF)

        assert [(r.arm, r.term, r.patients, r.by_worst_grade) for r in rows] == [
            ("DEX", "Fever", 1, {2: 1}),
            ("DEX", "Nausea", 2, {2: 1, 3: 1}),
        ]
