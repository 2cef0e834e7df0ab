"""Survival derivations, analysis datasets, exports and figures (docs/protocol.md "Endpoints")."""
