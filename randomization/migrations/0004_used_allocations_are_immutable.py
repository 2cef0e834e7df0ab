"""PostgreSQL refuses, for every user and every code path, to change or delete a used slot or
a randomisation's allocation (PROTOCOL.md "Randomisation": a randomisation is never undone)."""

from django.db import migrations

FORWARD = """
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

BACKWARD = """
DROP TRIGGER IF EXISTS randomization_allocation_immutable ON randomization_randomization;
DROP FUNCTION IF EXISTS randomization_allocation_immutable();
DROP TRIGGER IF EXISTS randomization_slot_immutable ON randomization_allocationslot;
DROP FUNCTION IF EXISTS randomization_slot_immutable();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("randomization", "0003_allocation_lists_slots_corrections")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
