"""Data volume for the benchmarks: a cooperative group's worth of patients, written with COPY.

`python bench/datagen.py [--patients 100000] [--sites 200] [--force]` fills the PostgreSQL
database `dexaml_bench_<patients>` on the server of DATABASE_URL (migrating it first) with five
years of records: screening (with screen failures), consent, baseline with mutations,
randomisation, cycles, responses, adverse events (some serious), relapses, transplants, end of
treatment, follow-up visits every three months (done up to the cut-off, the next one planned),
deaths, withdrawals and losses to follow-up; every record with the "created" history row that
entering it through the EDC would have left. Users: a coordinator and an investigator per site,
data managers, a monitor and a statistician, all with the password `bench-password`.

The database is kept: a second run (or another benchmark calling `database_ensure`) finds it
complete and reuses it; `--force` drops and regenerates it. PostgreSQL only: COPY
(psycopg 3's `cursor.copy`) is what makes 100,000 patients take minutes; there is no portable
path, as this is a benchmark and not part of the system. `bench/run` keeps the server's data
between runs when BENCH_PGDATA names a directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402

START = dt.date(2021, 7, 1)  # the first screening: five years before the cut-off
CUTOFF = dt.date(2026, 6, 30)
ENTERED_AT = dt.datetime(2021, 7, 1, 9, tzinfo=dt.UTC)
PASSWORD = "bench-password"
GENERATOR_VERSION = "1"
MARKER = "bench_datagen"
GENES = ("NPM1", "FLT3-ITD", "RUNX1", "TP53")


def database_name(patients: int) -> str:
    return f"dexaml_bench_{patients}"


def database_url(patients: int) -> str:
    """DATABASE_URL of the generated database on the server of the current DATABASE_URL."""
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + database_name(patients)


def _admin_execute(sql: str) -> list[tuple[Any, ...]]:
    """Run a statement on the server's maintenance connection (outside a transaction)."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall()) if cursor.description else []


def _is_complete(patients: int, sites: int) -> bool:
    name = database_name(patients)
    if not _admin_execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
        return False
    import psycopg

    with psycopg.connect(database_url(patients)) as conn:
        found = conn.execute("SELECT 1 FROM pg_tables WHERE tablename = %s", (MARKER,)).fetchone()
        if not found:
            return False
        row = conn.execute(f"SELECT version, patients, sites FROM {MARKER}").fetchone()
    return row == (GENERATOR_VERSION, patients, sites)


def database_ensure(*, patients: int, sites: int = 200, force: bool = False) -> str:
    """Return the URL of a complete generated database, generating it when absent or stale."""
    if not force and _is_complete(patients, sites):
        return database_url(patients)
    name = database_name(patients)
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{name}"')
    started = time.perf_counter()
    _in_database(name, lambda: _migrate_and_generate(patients, sites))
    print(f"Generated {name} in {time.perf_counter() - started:.0f} s", flush=True)
    return database_url(patients)


def _in_database(name: str, action: Any) -> None:
    default = connections["default"]
    old = default.settings_dict["NAME"]
    default.close()
    default.settings_dict["NAME"] = name
    try:
        action()
    finally:
        default.close()
        default.settings_dict["NAME"] = old


def _migrate_and_generate(patients: int, sites: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    print(f"  migrated in {time.perf_counter() - started:.0f} s", flush=True)
    counts = Generator(patients=patients, sites=sites).run()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute(f"CREATE TABLE {MARKER} (version text, patients int, sites int)")
        cursor.execute(
            f"INSERT INTO {MARKER} VALUES (%s, %s, %s)", [GENERATOR_VERSION, patients, sites]
        )
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)


class Table:
    """Rows of one model, with ids given here so that other rows can point at them."""

    def __init__(self, model: type[Model], start_id: int = 1) -> None:
        self.model = model
        self.fields = model._meta.concrete_fields
        self.rows: list[dict[str, Any]] = []
        self.next_id = start_id

    def add(self, **values: Any) -> int:
        values.setdefault("id", self.next_id)
        self.next_id = max(self.next_id, values["id"]) + 1
        self.rows.append(values)
        return int(values["id"])

    def tuples(self, fields: Any, extra: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        defaults = {f.attname: _default(f) for f in fields}
        names = [f.attname for f in fields]
        for row in self.rows:
            yield tuple(row[n] if n in row else extra.get(n, defaults[n]) for n in names)


_REQUIRED = object()


def _default(field: Any) -> Any:
    if field.has_default():
        return field.get_default()
    if getattr(field, "auto_now_add", False):
        return ENTERED_AT
    if field.null:
        return None
    if field.get_internal_type() in ("CharField", "TextField"):
        return ""
    return _REQUIRED


def copy_table(cursor: Any, table: Table) -> int:
    """COPY the rows into the model's table and its history table; reset the id sequence."""
    model = table.model
    _copy(cursor, model._meta.db_table, table.fields, table.tuples(table.fields, {}))
    history = getattr(model, "history", None)
    if history is not None:
        fields = [f for f in history.model._meta.concrete_fields if f.attname != "history_id"]
        extra = {"history_date": ENTERED_AT, "history_type": "+", "created_at": ENTERED_AT}
        _copy(cursor, history.model._meta.db_table, fields, table.tuples(fields, extra))
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{model._meta.db_table}', 'id'), "
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}), false)"
    )
    return len(table.rows)


def _copy(cursor: Any, db_table: str, fields: Any, rows: Iterator[tuple[Any, ...]]) -> None:
    columns = ", ".join(f'"{f.column}"' for f in fields)
    with cursor.copy(f'COPY "{db_table}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            if _REQUIRED in row:
                missing = [f.attname for f, v in zip(fields, row, strict=True) if v is _REQUIRED]
                raise ValueError(f"{db_table}: no value for {missing}")
            copy.write_row(row)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


class Generator:
    """Five years of a cooperative group's records, deterministic for a given size."""

    def __init__(self, *, patients: int, sites: int) -> None:
        self.count = patients
        self.site_count = sites
        self.rng = random.Random(20260630 + patients)
        self.t: dict[str, Table] = {}
        self.investigators: list[int] = []

    def table(self, label: str) -> Table:
        if label not in self.t:
            self.t[label] = Table(apps.get_model(label))
        return self.t[label]

    def run(self) -> dict[str, int]:
        started = time.perf_counter()
        self._configuration()
        for i in range(self.count):
            self._patient(i)
        print(f"  rows built in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        counts = {}
        # One transaction: the foreign keys (deferred) are checked once, at the commit.
        with transaction.atomic(), connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # psycopg's own cursor, for COPY
            for label, table in self.t.items():
                counts[label.split(".")[1]] = copy_table(cursor, table)
                table.rows.clear()
        print(f"  copied in {time.perf_counter() - started:.0f} s", flush=True)
        return counts

    def _configuration(self) -> None:
        from django.contrib.auth.hashers import make_password

        from randomization.services.calendar import end_of_study_for

        self.protocol = self.table("trial.ProtocolVersion").add(
            number="1.0", effective_date=dt.date(2021, 1, 1), created_at=ENTERED_AT
        )
        self.genes = [
            self.table("trial.MutationGene").add(code=c, name=c, position=n)
            for n, c in enumerate(GENES)
        ]
        self.sites = [
            (self.table("trial.Site").add(code=f"S{n:03d}", name=f"Centre {n:03d}"), f"S{n:03d}")
            for n in range(1, self.site_count + 1)
        ]
        self.password = make_password(PASSWORD)
        for site_id, code in self.sites:
            self._user(f"coord-{code.lower()}", "coordinator", site_id)
            self.investigators.append(self._user(f"inv-{code.lower()}", "investigator", site_id))
        for n in range(1, 6):
            self._user(f"dm-{n}", "data_manager", None)
        self._user("monitor-1", "monitor", None)
        self.statistician = self._user("stat-1", "statistician", None)
        self.table("randomization.TrialCalendar").add(
            key="trial", first_randomized_on=START, end_of_study=end_of_study_for(START)
        )
        self.screened = [0] * len(self.sites)
        self.enrolled = [0] * len(self.sites)

    def _user(self, username: str, role: str, site_id: int | None) -> int:
        user_id = self.table("trial.User").add(
            username=username,
            password=self.password,
            email=f"{username}@bench.invalid",
            is_active=True,
            date_joined=ENTERED_AT,
        )
        self.table("trial.Membership").add(user_id=user_id, role=role, site_id=site_id, active=True)
        return user_id

    def _patient(self, i: int) -> None:
        rng = self.rng
        site_index = i % len(self.sites)
        site_id, code = self.sites[site_index]
        self.screened[site_index] += 1
        days = (CUTOFF - START).days - 120
        screened = START + dt.timedelta(days=days * i // self.count)
        common = {"sex": rng.choice("FM"), "age_at_screening": rng.randint(18, 85)}
        number = f"S-{code}-{self.screened[site_index]:04d}"
        patients = self.table("trial.Patient")
        if rng.random() < 0.06:
            patients.add(
                site_id=site_id,
                screening_number=number,
                screening_date=screened,
                protocol_version_id=self.protocol,
                status="screen_failed",
                screen_failure_reason=rng.choice(["inclusion_not_met", "consent_refused"]),
                **common,
            )
            return
        self.enrolled[site_index] += 1
        investigator = self.investigators[site_index]
        randomized = screened + dt.timedelta(days=rng.randint(3, 14))
        pid = patients.add(
            site_id=site_id,
            screening_number=number,
            screening_date=screened,
            protocol_version_id=self.protocol,
            status="enrolled",
            subject_id=f"{code}-{self.enrolled[site_index]:03d}",
            eligibility_confirmed_by_id=investigator,
            eligibility_confirmed_at=_at(randomized, 9),
            enrolled_at=_at(randomized, 9),
            enrolled_by_id=investigator,
            **common,
        )
        regimen = "IC" if rng.random() < 0.6 else "AZA"
        status = "first_relapse" if rng.random() < 0.7 else "refractory"
        self._screening(pid, screened, investigator, regimen, status)
        self.table("randomization.Randomization").add(
            patient_id=pid,
            arm=rng.choice(["DEX", "CTRL"]),
            randomization_number=f"R{i + 1:06d}",
            randomized_at=_at(randomized),
            randomized_by_id=investigator,
            stratum_regimen=regimen,
            stratum_disease_status=status,
        )
        self._treatment_and_followup(pid, randomized, regimen)

    def _screening(self, pid: int, screened: dt.date, by: int, regimen: str, status: str) -> None:
        rng = self.rng
        self.table("trial.Consent").add(
            patient_id=pid, consent_date=screened, form_version="2.1", obtained_by_id=by
        )
        diagnosed = screened - dt.timedelta(days=rng.randint(200, 900))
        baseline = self.table("trial.Baseline").add(
            patient_id=pid,
            assessment_date=screened,
            disease_status=status,
            diagnosis_date=diagnosed,
            induction_start_date=diagnosed + dt.timedelta(days=7),
            prior_induction_cycles=rng.randint(1, 2),
            first_cr_date=diagnosed + dt.timedelta(days=40) if status == "first_relapse" else None,
            relapse_date=screened - dt.timedelta(days=5) if status == "first_relapse" else None,
            ecog=rng.randint(0, 2),
            wbc=Decimal(rng.randint(100, 5000)) / 100,
            blood_blast_pct=Decimal(rng.randint(0, 800)) / 10,
            marrow_blast_pct=Decimal(rng.randint(50, 900)) / 10,
            cytogenetic_risk=rng.choice(["favourable", "intermediate", "adverse", "unknown"]),
            planned_regimen=regimen,
        )
        mutations = self.table("trial.BaselineMutation")
        for gene in self.genes:
            result = rng.choice(["mutated", "not_mutated", "not_mutated", "not_tested"])
            mutations.add(baseline_id=baseline, gene_id=gene, result=result)

    def _treatment_and_followup(self, pid: int, randomized: dt.date, regimen: str) -> None:
        rng = self.rng
        death = randomized + dt.timedelta(days=rng.randint(20, 1900))
        dies = rng.random() < 0.55 and death <= CUTOFF
        last_day = death if dies else CUTOFF
        cycles = self.table("treatment.Cycle")
        responses = self.table("treatment.ResponseAssessment")
        day = randomized + dt.timedelta(days=2)
        remission = False
        cycle_count = rng.randint(1, 4)
        for number in range(1, cycle_count + 1):
            if day >= last_day:
                break
            kind = ("induction" if number == 1 else "consolidation") if regimen == "IC" else "aza"
            cycle = cycles.add(
                patient_id=pid,
                number=number,
                kind=kind,
                regimen=regimen,
                start_date=day,
                height_cm=Decimal(170),
                weight_kg=Decimal(70),
                bsa_m2=Decimal("1.82"),
            )
            assessed = day + dt.timedelta(days=28)
            if assessed < last_day and (number == 1 or rng.random() < 0.5):
                remission = remission or rng.random() < 0.45
                responses.add(
                    patient_id=pid,
                    cycle_id=cycle,
                    assessment_date=assessed,
                    response="CR" if remission else rng.choice(["PR", "NR"]),
                )
            day += dt.timedelta(days=35)
        self._adverse_events(pid, randomized, last_day)
        end = min(day, last_day)
        if end < CUTOFF:
            reason = "death" if dies and end == death else "completed"
            self.table("treatment.EndOfTreatment").add(patient_id=pid, end_date=end, reason=reason)
        if remission and rng.random() < 0.3 and end + dt.timedelta(days=60) < last_day:
            self.table("treatment.Transplant").add(
                patient_id=pid,
                transplant_date=end + dt.timedelta(days=60),
                donor_type="matched_unrelated",
                disease_status="CR",
            )
        self._visits(pid, end, last_day, remission, dies)
        if dies:
            self.table("trial.Death").add(
                patient_id=pid, death_date=death, cause=rng.choice(["leukaemia", "infection"])
            )

    def _adverse_events(self, pid: int, randomized: dt.date, last_day: dt.date) -> None:
        rng = self.rng
        events = self.table("treatment.AdverseEvent")
        for _ in range(rng.randint(1, 4)):
            start = randomized + dt.timedelta(days=rng.randint(1, 90))
            if start > last_day:
                continue
            serious = rng.random() < 0.1
            events.add(
                patient_id=pid,
                term_text=rng.choice(["Nausea", "Febrile neutropenia", "Hyperglycaemia"]),
                grade=rng.randint(3, 4) if serious else rng.randint(1, 2),
                start_date=start,
                end_date=start + dt.timedelta(days=rng.randint(1, 20)),
                relation_dexamethasone="possible",
                relation_salvage="possible",
                serious=serious,
                awareness_at=_at(start) if serious else None,
                report_due_at=_at(start + dt.timedelta(days=1)) if serious else None,
                sponsor_notified_at=_at(start, 11) if serious else None,
                reported_at=_at(start, 12) if serious else None,
            )

    def _visits(
        self, pid: int, anchor: dt.date, last_day: dt.date, remission: bool, dies: bool
    ) -> None:
        rng = self.rng
        visits = self.table("followup.Visit")
        relapse_at = rng.randint(1, 12) if remission and rng.random() < 0.5 else None
        relapse = None
        for number in range(1, 21):
            target = anchor + dt.timedelta(days=91 * number)
            if target >= last_day:
                if not dies and rng.random() < 0.995:
                    visits.add(patient_id=pid, **_window(anchor, number, target))
                elif not dies:
                    self._lost(pid, target)
                return
            if number == relapse_at:
                relapse = self.table("treatment.Relapse").add(
                    patient_id=pid,
                    relapse_date=target - dt.timedelta(days=10),
                    bone_marrow=True,
                    marrow_blast_pct=Decimal(30),
                    found_at="followup_visit",
                )
            visits.add(
                patient_id=pid,
                status="done",
                contact_date=target,
                vital_status="alive",
                disease_status="relapse" if relapse else "remission",
                relapse_id=relapse,
                new_treatment=False,
                transplant=False,
                **_window(anchor, number, target),
            )

    def _lost(self, pid: int, day: dt.date) -> None:
        if self.rng.random() < 0.5:
            self.table("trial.Withdrawal").add(
                patient_id=pid, withdrawal_date=day - dt.timedelta(days=30)
            )
        else:
            self.table("trial.LossToFollowUp").add(
                patient_id=pid,
                declared_on=day - dt.timedelta(days=20),
                missed_visits=2,
                contact_attempts=3,
            )


def _window(anchor: dt.date, number: int, target: dt.date) -> dict[str, Any]:
    return {
        "number": number,
        "month": 3 * number,
        "anchor_date": anchor,
        "target_date": target,
        "window_opens": target - dt.timedelta(days=14),
        "window_closes": target + dt.timedelta(days=15),
        "overdue_from": target + dt.timedelta(days=15),
        "missed_from": target + dt.timedelta(days=45),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--force", action="store_true", help="drop and regenerate")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL (COPY).", file=sys.stderr)
        return 2
    if settings.TRIAL_RANDOMIZATION["STUDY_DURATION_YEARS"] != 5:
        print("The dates assume a five-year study.", file=sys.stderr)
        return 2
    print(database_ensure(patients=args.patients, sites=args.sites, force=args.force))
    return 0


if __name__ == "__main__":
    sys.exit(main())
