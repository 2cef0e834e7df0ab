# Production image: one image for web (gunicorn), Celery worker and Celery beat.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY pyproject.toml ./
COPY config ./config
COPY trial ./trial
COPY randomization ./randomization
COPY followup ./followup
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only-collectstatic ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 dexaml && mkdir -p /app/var/media && chown -R dexaml /app/var
USER dexaml
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
