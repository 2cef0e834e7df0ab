"""Admin for sponsor administrators: configuration editable, clinical records view-only."""

from trial.admin import screening

__all__ = ["screening"]
