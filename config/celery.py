"""The Celery application and the one place where periodic tasks are declared."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dexaml")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task of the trial, in one place (STYLE.md "API and tasks").
app.conf.beat_schedule = {}
