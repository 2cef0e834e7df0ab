"""Migrations that change labels alone are applied without touching the database
(trial/migration_operations.py): nothing that PostgreSQL or SQLite would see may hide in one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import models
from django.db.migrations import AlterField, AlterModelOptions
from django.db.migrations.loader import MigrationLoader
from django.db.models import Field

from trial.migration_operations import LabelsOnly

# What a field may change inside LabelsOnly: Django's own list of attributes the database never
# sees, less the column's name.
LABELS = frozenset(Field.non_db_attrs) - {"db_column"}


def _without_labels(field: Field) -> tuple[Any, ...]:
    _, path, args, kwargs = field.deconstruct()
    return path, args, {k: v for k, v in kwargs.items() if k not in LABELS}


def _labels_only_migrations() -> list[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(
        key
        for key, migration in loader.disk_migrations.items()
        if any(isinstance(op, LabelsOnly) for op in migration.operations)
    )


class TestLabelsOnly:
    def test_the_long_label_migrations_use_it(self) -> None:
        keys = _labels_only_migrations()
        assert ("trial", "0005_translatable_labels") in keys
        assert ("treatment", "0008_verbose_names") in keys

    @pytest.mark.parametrize("key", _labels_only_migrations(), ids=".".join)
    def test_each_change_inside_is_one_the_database_never_sees(self, key: tuple[str, str]) -> None:
        loader = MigrationLoader(None, ignore_no_migrations=True)
        state = loader.project_state(key, at_end=False)
        app_label, _ = key
        for op in loader.graph.nodes[key].operations:
            if not isinstance(op, LabelsOnly):
                continue
            for inner in op.state_operations:
                assert isinstance(inner, AlterField | AlterModelOptions), inner
                if isinstance(inner, AlterField):
                    before = state.models[app_label, inner.model_name_lower].fields[inner.name]
                    assert _without_labels(before) == _without_labels(inner.field), inner
                inner.state_forwards(app_label, state)

    def test_a_change_of_length_would_be_caught(self) -> None:
        before: Field[str, str] = models.CharField(max_length=20, verbose_name="code")
        assert _without_labels(before) == _without_labels(
            models.CharField(max_length=20, verbose_name="code of the site", help_text="as given")
        )
        assert _without_labels(before) != _without_labels(
            models.CharField(max_length=40, verbose_name="code")
        )
