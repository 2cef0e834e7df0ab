from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialConfig(AppConfig):
    name = "trial"
    verbose_name = _("Trial: sites, screening and treatment")

    def ready(self) -> None:
        # The schema extension for the API token scheme registers itself on import.
        from trial import api_schema  # noqa: F401
