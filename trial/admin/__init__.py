"""Admin for sponsor administrators: configuration editable, clinical records view-only."""

from trial.admin import screening, security

__all__ = ["screening", "security"]
