"""Writes of the workspace: a user's own settings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from trial.audit import record_save
from trial.models import User

# Stored in the user's history (kept stable, not translated).
LANGUAGE_REASON = "Interface language chosen by the user"


@transaction.atomic
def user_language_set(*, user: User, language: str, by: User) -> User:
    """Record the interface language a user chose ("" = the browser's), with its history.

    :raises ValidationError: the language is not one the interface speaks.
    """
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError({"language": [gettext("Choose a language of the list.")]})
    if user.language == language:
        return user
    user.language = language
    record_save(instance=user, by=by, reason=LANGUAGE_REASON)
    return user
