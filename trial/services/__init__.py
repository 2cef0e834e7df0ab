"""Writes of the trial app. Import from the submodules: `from trial.services.screening import ...`."""
