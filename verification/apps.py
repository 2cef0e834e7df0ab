from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "verification"
    verbose_name = _("Verification and locks")

    def ready(self) -> None:
        # The clinical apps come before this one and never import it: they save through
        # trial.audit.record_save (or call trial.audit.write_check), which asks the lock guard
        # registered here before any write and tells the SDV hook which fields a change touched.
        from trial.audit import after_change_register, write_guard_register
        from verification.services.locks import locks_write_guard
        from verification.services.sdv import sdv_after_change

        write_guard_register(locks_write_guard)
        after_change_register(sdv_after_change)
