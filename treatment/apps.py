from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TreatmentConfig(AppConfig):
    name = "treatment"
    verbose_name = _("Treatment period")

    def ready(self) -> None:
        # The outbox (base app) never imports treatment: treatment registers here what a
        # delivered SAE alert records on the event (sponsor_notified_at).
        from treatment.models import SAE_ALERT
        from treatment.services.safety import sae_alert_delivered
        from trial.outbox import delivered_listen

        delivered_listen(SAE_ALERT, sae_alert_delivered)
