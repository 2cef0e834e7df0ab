from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Post-treatment follow-up")

    def ready(self) -> None:
        # Django's place for wiring that needs the models loaded: recording an end of treatment
        # plans the follow-up visits, and a relapse that a visit reports stays until the visit
        # is corrected (treatment/events.py); a death, withdrawal, loss to follow-up or end of
        # treatment marked entered in error brings the visits it had cancelled or moved back
        # (trial/services/records.py).
        from followup.selectors import visits_reporting_relapse
        from followup.services.refresh import (
            patient_schedule_refresh,
            schedule_refresh_after_entered_in_error,
        )
        from treatment.events import end_of_treatment_listen, relapse_withdrawal_check
        from trial.services.records import entered_in_error_listen

        end_of_treatment_listen(patient_schedule_refresh)
        entered_in_error_listen(schedule_refresh_after_entered_in_error)
        relapse_withdrawal_check(visits_reporting_relapse)
