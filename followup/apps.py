from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = "Post-treatment follow-up"

    def ready(self) -> None:
        # Django's place for wiring that needs the models loaded: recording an end of treatment
        # plans the follow-up visits (treatment/events.py).
        from followup.services.refresh import patient_schedule_refresh
        from treatment.events import end_of_treatment_listen

        end_of_treatment_listen(patient_schedule_refresh)
