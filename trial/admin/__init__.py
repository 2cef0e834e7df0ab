"""Admin for sponsor administrators: configuration editable, clinical records view-only."""

from trial.admin import screening, treatment

__all__ = ["screening", "treatment"]
