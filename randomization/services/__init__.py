"""Writes of the randomisation app (docs/protocol.md "Randomisation"), by subdomain."""

from randomization.services.corrections import randomization_correct
from randomization.services.imports import ImportReport, allocation_list_import_external
from randomization.services.lists import (
    allocation_list_activate,
    allocation_list_append,
    allocation_list_generate,
    allocation_list_import,
)
from randomization.services.randomize import patient_randomize

__all__ = [
    "ImportReport",
    "allocation_list_activate",
    "allocation_list_append",
    "allocation_list_generate",
    "allocation_list_import",
    "allocation_list_import_external",
    "patient_randomize",
    "randomization_correct",
]
