"""The database refuses, for every user and every code path, to change or delete a used slot or
a randomisation's allocation (docs/protocol.md "Randomisation": a randomisation is never
undone): triggers on PostgreSQL and on SQLite, the embedded default."""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION randomization_slot_immutable() RETURNS trigger AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM randomization_randomization WHERE slot_id = OLD.id) THEN
    RAISE EXCEPTION 'A used allocation slot cannot be changed or deleted.';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER randomization_slot_immutable BEFORE UPDATE OR DELETE
  ON randomization_allocationslot FOR EACH ROW EXECUTE FUNCTION randomization_slot_immutable();

CREATE OR REPLACE FUNCTION randomization_allocation_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'A randomisation is never deleted.';
  END IF;
  IF NEW.arm <> OLD.arm OR NEW.slot_id IS DISTINCT FROM OLD.slot_id
     OR NEW.patient_id <> OLD.patient_id OR NEW.randomized_at <> OLD.randomized_at
     OR NEW.randomization_number <> OLD.randomization_number THEN
    RAISE EXCEPTION 'A randomisation''s allocation cannot be changed.';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER randomization_allocation_immutable BEFORE UPDATE OR DELETE
  ON randomization_randomization FOR EACH ROW EXECUTE FUNCTION randomization_allocation_immutable();
"""

POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS randomization_allocation_immutable ON randomization_randomization;
DROP FUNCTION IF EXISTS randomization_allocation_immutable();
DROP TRIGGER IF EXISTS randomization_slot_immutable ON randomization_allocationslot;
DROP FUNCTION IF EXISTS randomization_slot_immutable();
"""


SQLITE_FORWARD = [
    """
CREATE TRIGGER randomization_slot_immutable_update BEFORE UPDATE ON randomization_allocationslot
FOR EACH ROW WHEN EXISTS (SELECT 1 FROM randomization_randomization WHERE slot_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'A used allocation slot cannot be changed or deleted.'); END;
""",
    """
CREATE TRIGGER randomization_slot_immutable_delete BEFORE DELETE ON randomization_allocationslot
FOR EACH ROW WHEN EXISTS (SELECT 1 FROM randomization_randomization WHERE slot_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'A used allocation slot cannot be changed or deleted.'); END;
""",
    """
CREATE TRIGGER randomization_allocation_never_deleted BEFORE DELETE
ON randomization_randomization FOR EACH ROW
BEGIN SELECT RAISE(ABORT, 'A randomisation is never deleted.'); END;
""",
    """
CREATE TRIGGER randomization_allocation_immutable BEFORE UPDATE ON randomization_randomization
FOR EACH ROW WHEN NEW.arm <> OLD.arm OR NEW.slot_id IS NOT OLD.slot_id
  OR NEW.patient_id <> OLD.patient_id OR NEW.randomized_at <> OLD.randomized_at
  OR NEW.randomization_number <> OLD.randomization_number
BEGIN SELECT RAISE(ABORT, 'A randomisation''s allocation cannot be changed.'); END;
""",
]

SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "randomization_slot_immutable_update",
        "randomization_slot_immutable_delete",
        "randomization_allocation_never_deleted",
        "randomization_allocation_immutable",
    )
]


def _run(postgresql, sqlite):
    def apply(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            schema_editor.execute(postgresql)
        elif vendor == "sqlite":
            for statement in sqlite:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("randomization", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run(POSTGRESQL_FORWARD, SQLITE_FORWARD), _run(POSTGRESQL_BACKWARD, SQLITE_BACKWARD)
        )
    ]
