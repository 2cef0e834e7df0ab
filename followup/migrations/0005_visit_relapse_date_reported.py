"""A visit's relapse is the relapse record it links to: the date a visit held before relapse
records is kept, renamed, as it was reported (nothing recorded is dropped, its history
neither), and a visit reporting a relapse must link to the record."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [("followup", "0004_relapse_records_from_visits")]

    operations = [
        migrations.RemoveConstraint(model_name="visit", name="visit_relapse_has_date"),
        migrations.RenameField(
            model_name="visit", old_name="relapse_date", new_name="reported_relapse_date"
        ),
        migrations.RenameField(
            model_name="historicalvisit", old_name="relapse_date", new_name="reported_relapse_date"
        ),
        migrations.AlterField(
            model_name="visit",
            name="reported_relapse_date",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The relapse date a visit held before relapse records, kept as it was "
                "reported; the relapse record holds the date.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalvisit",
            name="reported_relapse_date",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text="The relapse date a visit held before relapse records, kept as it was "
                "reported; the relapse record holds the date.",
                null=True,
            ),
        ),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.CheckConstraint(
                condition=~Q(disease_status="relapse")
                | Q(relapse__isnull=False)
                | Q(entered_in_error=True),
                name="visit_relapse_is_linked",
            ),
        ),
    ]
