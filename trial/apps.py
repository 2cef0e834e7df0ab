from django.apps import AppConfig


class TrialConfig(AppConfig):
    name = "trial"
    verbose_name = "Trial: sites, screening and treatment"

    def ready(self) -> None:
        # The schema extension for the API token scheme registers itself on import.
        from trial import api_schema  # noqa: F401
