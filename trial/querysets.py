"""Site isolation: the single way in to patient data for any user."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models

from trial.permissions import Action

if TYPE_CHECKING:
    from trial.models.sites import User

_M = TypeVar("_M", bound=models.Model)


class SiteScopedQuerySet(models.QuerySet[_M]):
    """Records that belong to a site through their model's `site_path` (e.g. "patient__site")."""

    def for_user(self, user: User, action: str = "view") -> SiteScopedQuerySet[_M]:
        """Return the records of the sites where the user's roles allow the action."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        site_ids = user.site_ids_for(Action(action))
        if site_ids is None:
            return self.all()
        site_path: str = getattr(self.model, "site_path")  # noqa: B009
        return self.filter(**{f"{site_path}__in": site_ids})
