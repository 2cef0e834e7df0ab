"""Sites, users and their roles (docs/protocol.md "Who uses it")."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken
from simple_history.models import HistoricalRecords

from trial.dates import is_time_zone
from trial.models.base import AuditedModel
from trial.permissions import Action, Role, roles_for

# Roles that always belong to a site; the others may be trial-wide (membership without a site).
SITE_BOUND_ROLES = (Role.SITE_COORDINATOR, Role.INVESTIGATOR)


class Site(AuditedModel):
    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        help_text=_("Short upper-case code; prefix of the site's subject identifiers."),
    )
    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Paris",
        help_text=_("IANA time zone in which the site's users see times (e.g. Europe/Paris)."),
    )
    # Counters only ever go up, so a number is never given twice, even after an error.
    next_screening_number = models.PositiveIntegerField(
        _("next screening number"), default=1, editable=False
    )
    next_subject_number = models.PositiveIntegerField(
        _("next subject number"), default=1, editable=False
    )

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{2,8}$"), name="site_code_format"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def clean(self) -> None:
        """Refuse a time zone that is not an IANA zone (the site's users would see wrong times)."""
        if not is_time_zone(self.time_zone):
            message = gettext("Enter an IANA time zone such as Europe/Paris or America/New_York.")
            raise ValidationError({"time_zone": [message]})


class User(AbstractUser):
    """A person using the system; what they may do comes from their memberships."""

    # The interface language the user chose (settings.LANGUAGES); blank: the browser's.
    language = models.CharField(_("language"), max_length=8, blank=True, default="")

    history = HistoricalRecords(m2m_fields=["groups", "user_permissions"])

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; a new password (set_password, on any path: page, admin, command, reset)
        revokes every API token of the user, as it ends their other sessions."""
        password_changed = self._password is not None  # type: ignore[attr-defined]
        super().save(*args, **kwargs)
        if password_changed:
            AuthToken.objects.filter(user=self).delete()

    def memberships_for(self, action: Action) -> list[Membership]:
        allowed = roles_for(action)
        return [m for m in self.active_memberships if m.role in allowed]

    @property
    def active_memberships(self) -> list[Membership]:
        cached = getattr(self, "_memberships_cache", None)
        if cached is None:
            cached = list(self.memberships.filter(active=True).select_related("site"))
            self._memberships_cache = cached
        return cached

    def can(self, action: Action, site: Site | None = None) -> bool:
        """Return whether a role of this user allows the action at the site (or trial-wide)."""
        if not self.is_active:
            return False
        for membership in self.memberships_for(action):
            if membership.site_id is None or site is None or membership.site_id == site.pk:
                return True
        return False

    def site_ids_for(self, action: Action) -> set[int] | None:
        """Return the sites where the action is allowed, or None for all sites."""
        site_ids: set[int] = set()
        for membership in self.memberships_for(action):
            if membership.site_id is None:
                return None
            site_ids.add(membership.site_id)
        return site_ids

    @property
    def role_labels(self) -> list[str]:
        return sorted({m.get_role_display() for m in self.active_memberships})

    @property
    def site_labels(self) -> list[str]:
        if any(m.site_id is None for m in self.active_memberships):
            return [gettext("All sites")]
        return sorted({m.site.code for m in self.active_memberships if m.site})


class Membership(AuditedModel):
    """A user's role at one site, or trial-wide when no site is given."""

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("site"),
        help_text=_("Leave empty for a trial-wide role."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "site"], name="membership_unique_per_site"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(site__isnull=True),
                name="membership_unique_trial_wide",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=[r.value for r in SITE_BOUND_ROLES]) | Q(site__isnull=False),
                name="membership_site_bound_role_has_site",
            ),
        ]

    def __str__(self) -> str:
        if self.site:
            return gettext("%(user)s – %(role)s (%(site)s)") % {
                "user": self.user,
                "role": self.get_role_display(),
                "site": self.site.code,
            }
        return gettext("%(user)s – %(role)s (all sites)") % {
            "user": self.user,
            "role": self.get_role_display(),
        }
