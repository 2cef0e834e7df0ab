"""Survival derivations, analysis datasets, exports and figures (PROTOCOL.md "Endpoints")."""
