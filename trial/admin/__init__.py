"""Admin for sponsor administrators: configuration editable, clinical records view-only."""

from trial.admin import outbox, screening

__all__ = ["outbox", "screening"]
