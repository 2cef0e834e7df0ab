"""Writes of the follow-up app. Import from the submodules: `from followup.services.refresh import ...`."""
