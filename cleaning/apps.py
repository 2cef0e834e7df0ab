from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CleaningConfig(AppConfig):
    name = "cleaning"
    verbose_name = _("Data cleaning: queries and edit checks")

    def ready(self) -> None:
        # Django's place for wiring that needs the models loaded. The clinical apps come before
        # this one and never import it: they save through trial.audit.record_save, which runs
        # the after-save checks registered here (the automatic edit checks), and their API shows
        # each record's open queries through the source registered in trial/data_queries.py.
        from cleaning.rules import baseline_fields_check
        from cleaning.selectors import open_queries_of_patients
        from cleaning.services.edit_checks import edit_checks_after_save
        from trial.audit import after_save_register
        from trial.data_queries import open_queries_source_register

        after_save_register(edit_checks_after_save)
        open_queries_source_register(open_queries_of_patients)
        checks.register(baseline_fields_check)
