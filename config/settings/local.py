"""Local development and the embedded demo: SQLite, console email, filesystem Celery broker."""

from config.settings.base import *  # noqa: F403
from config.settings.base import env

SECRET_KEY = env("SECRET_KEY", "local-development-only-not-secret")
DEBUG = env("DEBUG", "1") == "1"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the finders here; no collected STATIC_ROOT is needed.
STATIC_ROOT = None
