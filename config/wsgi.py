import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
# What start-up made (settings, apps, models, libraries) lives as long as the process: kept out
# of the cycle collector, whose full collections otherwise walk all of it, 150-550 ms a time, a
# few times a minute per worker under load (bench/run load).
gc.freeze()
