"""The WSGI application of bench_load.py's gunicorn, with the URLconf and every view module it
names imported before the workers fork (`--preload`): each worker starts ready, instead of its
first request importing the analysis stack (scipy, statsmodels) while the clock runs."""

from django.urls import get_resolver

from config.wsgi import application

get_resolver().url_patterns  # noqa: B018  (imports the URLconf and the views it names)

__all__ = ["application"]
