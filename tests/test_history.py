"""Every model of every project app keeps its history (PROTOCOL.md: full history on every record)."""

from django.apps import apps
from simple_history.models import registered_models

PROJECT_APPS = ("trial", "randomization", "treatment", "followup", "cleaning", "analysis")


def _project_models() -> list[type]:
    return [
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical")
    ]


class TestEveryModelHasHistory:
    def test_the_project_has_models_to_check(self) -> None:
        assert len(_project_models()) >= 10

    def test_every_model_is_registered_with_simple_history(self) -> None:
        registered = set(registered_models.values())

        missing = [m.__name__ for m in _project_models() if m not in registered]

        assert missing == []

    def test_every_many_to_many_goes_through_a_model_with_history(self) -> None:
        registered = set(registered_models.values())

        implicit = [
            f"{m.__name__}.{f.name}"
            for m in _project_models()
            for f in m._meta.many_to_many
            if f.remote_field.through not in registered
        ]

        assert implicit == []
