"""The same guard as 0004 for the embedded default: SQLite refuses, for every code path, to
change or delete a used slot or a randomisation's allocation (docs/protocol.md
"Randomisation": a randomisation is never undone)."""

from django.db import migrations

FORWARD = [
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

BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name};"
    for name in (
        "randomization_slot_immutable_update",
        "randomization_slot_immutable_delete",
        "randomization_allocation_never_deleted",
        "randomization_allocation_immutable",
    )
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("randomization", "0005_result_notice")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
