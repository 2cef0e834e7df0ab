"""The WSGI application of bench_load.py's gunicorn, with the URLconf and every view module it
names imported before the workers fork (`--preload`): each worker starts ready, instead of its
first request importing the analysis stack (scipy, statsmodels) while the clock runs, and all
of it kept out of the cycle collector as config/wsgi.py keeps what start-up made."""

import gc

from django.urls import get_resolver

from config.wsgi import application

get_resolver().url_patterns  # noqa: B018  (imports the URLconf and the views it names)
gc.freeze()  # they too live as long as the workers (config/wsgi.py)

__all__ = ["application"]
