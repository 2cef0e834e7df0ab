import base64
import binascii
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from randomization.external import MAX_FILE_BYTES
from randomization.models import CorrectionKind, Purpose
from trial.audit import REASON_MAX_LENGTH
from trial.models import DiseaseStatus, Regimen


class RandomizeConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have checked the stratification values above; randomise this patient now."),
        required=True,
    )


class RandomizationCorrectForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of error"), choices=CorrectionKind.choices)
    correct_regimen = forms.ChoiceField(
        choices=[("", "—"), *Regimen.choices],
        required=False,
        label=_("Regimen that should have been used"),
    )
    correct_disease_status = forms.ChoiceField(
        choices=[("", "—"), *DiseaseStatus.choices],
        required=False,
        label=_("Disease status that should have been used"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=True,
        max_length=REASON_MAX_LENGTH,
    )


class AllocationListImportForm(forms.Form):
    """A list made by an independent statistician: its file and what the statistician states.

    The check (dry run) reads the uploaded file; the import that follows takes the very file
    that was checked, carried in `content` (base64, so that no byte changes on the way)."""

    file = forms.FileField(
        required=False,
        label=_("Allocation list (CSV)"),
        help_text=_(
            "Header on row 1: regimen, disease_status (and site when the trial stratifies "
            "by site), position, arm (DEX or CTRL), and block_number, block_size when blocks are "
            "declared; an optional stratum column."
        ),
    )
    content = forms.CharField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        help_text=_("Short upper-case code, prefix of the randomisation numbers."),
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    stated_method = forms.CharField(
        label=_("Method as stated by the statistician"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Method, software and version, seed if any, date, who made the list."),
    )
    block_sizes = forms.CharField(
        required=False,
        label=_("Declared block sizes"),
        help_text=_("e.g. 4,6. Leave empty when the statistician declares no blocks."),
    )
    balance_tolerance = forms.IntegerField(
        required=False,
        min_value=0,
        label=_("Balance tolerance (no blocks declared)"),
        help_text=_("The largest difference between the arms' counts allowed in a stratum."),
    )

    def clean_block_sizes(self) -> list[int]:
        text = self.cleaned_data["block_sizes"]
        try:
            return [int(size) for size in text.replace(" ", "").split(",") if size]
        except ValueError as error:
            raise forms.ValidationError(
                gettext("Whole numbers separated by commas, e.g. 4,6.")
            ) from error

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.importing:
            try:
                cleaned["data"] = base64.b64decode(cleaned.get("content") or "", validate=True)
            except binascii.Error:
                cleaned["data"] = b""
            if not cleaned["data"]:
                self.add_error(
                    "file", gettext("The checked file did not come back: check it again.")
                )
            return cleaned
        upload = cleaned.get("file")
        if upload is None:
            self.add_error("file", gettext("Choose the CSV file of the list."))
        elif upload.size > MAX_FILE_BYTES:
            self.add_error(
                "file",
                gettext("The file is larger than %(size)s bytes.")
                % {"size": f"{MAX_FILE_BYTES:,}"},
            )
        else:
            cleaned["data"] = upload.read()
        return cleaned

    @property
    def importing(self) -> bool:
        """The statistician asked for the import of the file already checked."""
        return "import" in self.data

    def confirmation(self, data: bytes) -> dict[str, object]:
        """The values the import step posts back: the same parameters and the checked file."""
        cleaned = self.cleaned_data
        return {
            "code": cleaned["code"],
            "purpose": cleaned["purpose"],
            "stated_method": cleaned["stated_method"],
            "block_sizes": ",".join(str(s) for s in cleaned["block_sizes"]),
            "balance_tolerance": ""
            if cleaned["balance_tolerance"] is None
            else cleaned["balance_tolerance"],
            "content": base64.b64encode(data).decode("ascii"),
        }
