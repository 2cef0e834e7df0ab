"""Settings shared by every environment; everything that varies comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required.")
    return value


def env_bool(name: str, default: bool) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Where the embedded default keeps its state (SQLite file, broker folders, media, beat
# schedule); a test or a second demo points it elsewhere so nothing is written into the checkout.
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env("SECRET_KEY", "")  # production.py requires it
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "simple_history",
    "axes",
    "csp",
    # The apps in the order of a patient's path; each imports only those before it
    # (pyproject.toml [tool.importlinter]).
    "trial",
    "randomization",
    "treatment",
    "followup",
    "cleaning",
    "verification",
    "analysis",
    "workspace",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Django's, except that a session holding nothing (a made-up cookie) is never written.
    "config.middleware.SessionMiddleware",
    # The language of the cookie the header's switch sets, else the browser's (Accept-Language).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Once the user is known: their own language, if they chose one, over the browser's; and
    # the time zone of their site for the times shown (config/middleware.py).
    "config.middleware.UserLanguageMiddleware",
    "config.middleware.SiteTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out login attempt into the lockout response (config/views.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "trial.context_processors.user_roles",
                "randomization.context_processors.study_end",
            ],
        },
    },
]

# SQLite is the embedded default for the demo; PostgreSQL whenever DATABASE_URL says so.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write to one file: a writer takes the lock when its
    # transaction begins (no deadlock upgrading a read lock) and others wait for it; readers
    # are not blocked by a writer (write-ahead log).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "trial.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "login"

# django-axes first: it refuses a locked-out username before any password is checked, on every
# login path (the sign-in page, the admin's, the API token endpoint).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins: after AXES_FAILURE_LIMIT failures for a username, further attempts for it are
# refused (even with the right password) for AXES_COOLOFF_MINUTES, or until an administrator
# unlocks it (admin "Access attempts", or `manage.py axes_reset_username NAME`). Every failure
# and every lockout is recorded (AccessAttempt, AccessFailureLog) and shown in the admin.
# By username, not by address: behind the reverse proxy every client has the proxy's address,
# and a hospital's users share one; locking addresses would let ten bad logins lock out a
# whole hospital (or everybody). Rotating addresses or user agents does not help an attacker
# against a username lockout, which is what axes.W006 warns about; hence silenced.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "config.views.login_locked_out"
# The lockouts are recorded in the database and shown in the admin; no banner on every command.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The interface speaks English and French (locale/fr/LC_MESSAGES/django.po, compiled by the
# set-up commands); codes stored in the database and CDISC variable names stay English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Paris")
USE_I18N = True
# Dates are ISO (YYYY-MM-DD) in every language (config/formats/).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d"]

STATIC_URL = "static/"
STATIC_ROOT: Path | None = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))

# Inactivity timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(30 * 60)))
# Renew a signed-in session on every request (config.middleware.SessionMiddleware writes
# nothing for an empty one); expired rows are removed by beat (config/celery.py).
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "dexaml-03@localhost")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A mail server that accepts the connection and then hangs must not hold a worker forever.
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "trial.api_auth.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "trial.api_inputs.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": [
        "trial.api_inputs.BoundedJSONParser",
        "trial.api_inputs.BoundedFormParser",
        "trial.api_inputs.BoundedMultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "trial.api_schema.AutoSchema",
    # One error shape for every API error (trial/api.py, README "API").
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    # The schema's path parameters keep the names the URLs use (patient_id, pk).
    "SCHEMA_COERCE_PATH_PK": False,
}
# API tokens (django-rest-knox): stored hashed, expire API_TOKEN_TTL_HOURS after they are
# issued; POST /api/v1/auth/logout/ revokes one, a password change revokes all of a user's.
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=int(env("API_TOKEN_TTL_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_LIMIT_PER_USER": None,
    "AUTO_REFRESH": False,
}

# Content-Security-Policy (django-csp): scripts and styles from this site only, no inline
# script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Bounds on what a client may send or ask for (trial/api.py): a larger `limit` is capped, a
# larger body is refused with 413, deeper JSON with 400.
API_MAX_PAGE_SIZE = int(env("API_MAX_PAGE_SIZE", "200"))
API_MAX_BODY_BYTES = int(env("API_MAX_BODY_BYTES", str(1024 * 1024)))
API_MAX_UPLOAD_BYTES = int(env("API_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
API_MAX_JSON_DEPTH = int(env("API_MAX_JSON_DEPTH", "32"))
_ERROR_STATUSES = [
    "400",
    "401",
    "403",
    "404",
    "405",
    "406",
    "409",
    "413",
    "415",
    "429",
    "500",
    "503",
]
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "trial.api.ApiExceptionHandler",
    "ALLOWED_ERROR_STATUS_CODES": _ERROR_STATUSES,
    "ERROR_SCHEMAS": {code: "trial.api_schema.ErrorResponseSerializer" for code in _ERROR_STATUSES},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DEXAML-03 trial API",
    "DESCRIPTION": "Screening, enrolment, randomisation, treatment, follow-up and survival data of the DEXAML-03 trial.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from this site's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-standardized-errors' copy of spectacular's enum hook, which leaves the error
    # components' enums alone.
    "POSTPROCESSING_HOOKS": ["drf_standardized_errors.openapi_hooks.postprocess_schema_enums"],
}

# Celery: Redis in production and in the test suite; the embedded default is a filesystem
# transport that needs no server, so the demo's worker and beat really run.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", env("REDIS_URL", "filesystem://localhost//"))
# Redis redelivers a task whose worker died before acknowledging it (acks_late) once it has
# been unacknowledged this many seconds (it must exceed the longest task and any countdown);
# workers look for such tasks every interval × throttle seconds.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", str(60 * 60))),
    "unacked_restore_interval": int(env("CELERY_UNACKED_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(env("CELERY_UNACKED_RESTORE_THROTTLE", "10")),
    # A broker that does not answer fails a publish in seconds, not after the system's TCP
    # timeout: the request that queued a message goes on, and the outbox's sweep sends it later.
    "socket_connect_timeout": int(env("CELERY_BROKER_CONNECT_TIMEOUT", "5")),
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# `seed_demo` (demo users with a published password) may run; production turns it off.
DEMO_DATA_ALLOWED = True

# The outbox (README "Messages: the outbox"): every e-mail is a row written with the record that
# causes it and delivered by a worker, tried again until it is sent.
TRIAL_OUTBOX: dict[str, Any] = {
    # A failed send is tried again RETRY_BASE_SECONDS × 2^(attempts − 1) later, at most
    # RETRY_MAX_SECONDS later; a message is never given up (it stays visible as undelivered).
    "RETRY_BASE_SECONDS": int(env("OUTBOX_RETRY_BASE_SECONDS", "30")),
    "RETRY_MAX_SECONDS": int(env("OUTBOX_RETRY_MAX_SECONDS", "3600")),
    # The delivery task retries itself this many times; beat's sweep takes over after that.
    "TASK_MAX_RETRIES": int(env("OUTBOX_TASK_MAX_RETRIES", "5")),
    # Beat's sweep runs every SWEEP_EVERY_SECONDS and hands to a worker (at most SWEEP_BATCH)
    # the pending messages due for SWEEP_GRACE_SECONDS: queued while the broker was down, lost
    # with a worker, or waiting for their next attempt.
    "SWEEP_EVERY_SECONDS": int(env("OUTBOX_SWEEP_EVERY_SECONDS", "60")),
    "SWEEP_GRACE_SECONDS": int(env("OUTBOX_SWEEP_GRACE_SECONDS", "60")),
    "SWEEP_BATCH": int(env("OUTBOX_SWEEP_BATCH", "500")),
    # A message a worker took but never recorded as sent (the worker died while sending) is
    # sent again this long after it was taken: at least once, never silently lost.
    "CLAIM_TIMEOUT_SECONDS": int(env("OUTBOX_CLAIM_TIMEOUT_SECONDS", "900")),
    # Once the mail server has accepted a message, recording it as sent waits this long for a
    # database that is briefly unavailable (a restart) rather than send it twice.
    "RECORD_WAIT_SECONDS": int(env("OUTBOX_RECORD_WAIT_SECONDS", "60")),
}

# Trial configuration that the protocol leaves open (docs/protocol.md: numbers are configuration).
TRIAL: dict[str, Any] = {
    "STUDY_ID": env("TRIAL_STUDY_ID", "DEXAML-03"),
    "MINIMUM_AGE": int(env("TRIAL_MINIMUM_AGE", "18")),
    # First relapse: 90 days to 24 months after first CR/CRi (docs/protocol.md "Screening").
    "FIRST_RELAPSE_MIN_DAYS": int(env("TRIAL_FIRST_RELAPSE_MIN_DAYS", "90")),
    "FIRST_RELAPSE_MAX_MONTHS": int(env("TRIAL_FIRST_RELAPSE_MAX_MONTHS", "24")),
    "MAX_PRIOR_INDUCTION_CYCLES": int(env("TRIAL_MAX_PRIOR_INDUCTION_CYCLES", "2")),
    "REFRACTORY_MIN_DAYS_AFTER_INDUCTION": int(env("TRIAL_REFRACTORY_MIN_DAYS", "28")),
    "MAX_ECOG": int(env("TRIAL_MAX_ECOG", "2")),
}

# Post-treatment follow-up (docs/protocol.md "Post-treatment follow-up"): the schedule, its windows
# and the scheduler's timing. Days and months count from the anchor (end of treatment).
TRIAL_FOLLOWUP: dict[str, Any] = {
    # A visit every EARLY_INTERVAL_MONTHS up to SWITCH_MONTH, then every LATE_INTERVAL_MONTHS.
    "EARLY_INTERVAL_MONTHS": int(env("FOLLOWUP_EARLY_INTERVAL_MONTHS", "3")),
    "SWITCH_MONTH": int(env("FOLLOWUP_SWITCH_MONTH", "24")),
    "LATE_INTERVAL_MONTHS": int(env("FOLLOWUP_LATE_INTERVAL_MONTHS", "6")),
    # Window: target ± WINDOW_DAYS. Overdue once the window has closed (+ grace days);
    # missed MISSED_AFTER_DAYS after the target date.
    "WINDOW_DAYS": int(env("FOLLOWUP_WINDOW_DAYS", "14")),
    "OVERDUE_GRACE_DAYS": int(env("FOLLOWUP_OVERDUE_GRACE_DAYS", "0")),
    "MISSED_AFTER_DAYS": int(env("FOLLOWUP_MISSED_AFTER_DAYS", "45")),
    # A visit is created (planned) this many days before its window opens.
    "CREATE_DAYS_BEFORE_WINDOW": int(env("FOLLOWUP_CREATE_DAYS_BEFORE_WINDOW", "14")),
    # No end-of-treatment record yet: follow from randomisation + this many months (provisional
    # anchor), re-anchored on the end-of-treatment date once it is recorded.
    "PROVISIONAL_ANCHOR_MONTHS": int(env("FOLLOWUP_PROVISIONAL_ANCHOR_MONTHS", "6")),
    # Loss to follow-up may be declared after this many missed visits and contact attempts.
    "MISSED_VISITS_FOR_LOSS": int(env("FOLLOWUP_MISSED_VISITS_FOR_LOSS", "2")),
    "CONTACT_ATTEMPTS_FOR_LOSS": int(env("FOLLOWUP_CONTACT_ATTEMPTS_FOR_LOSS", "3")),
    "REFRESH_BATCH_SIZE": int(env("FOLLOWUP_REFRESH_BATCH_SIZE", "500")),
    # Celery beat (config/celery.py): daily refresh and reminders, weekly digest (1 = Monday).
    "REFRESH_HOUR": int(env("FOLLOWUP_REFRESH_HOUR", "5")),
    "REFRESH_MINUTE": int(env("FOLLOWUP_REFRESH_MINUTE", "30")),
    "DIGEST_DAY_OF_WEEK": int(env("FOLLOWUP_DIGEST_DAY_OF_WEEK", "1")),
    "DIGEST_HOUR": int(env("FOLLOWUP_DIGEST_HOUR", "7")),
    # Only for the end-to-end scheduler test: run the refresh every N seconds instead of daily.
    "REFRESH_EVERY_SECONDS": int(env("FOLLOWUP_REFRESH_EVERY_SECONDS", "0")),
}

# Randomisation (docs/protocol.md "Randomisation"): method, stratification and list safety.
TRIAL_RANDOMIZATION: dict[str, Any] = {
    # "blocks" (stratified permuted blocks) or "minimization" (Pocock–Simon): default method of
    # new lists; each list keeps the method it was generated with.
    "METHOD": env("TRIAL_RANDOMIZATION_METHOD", "blocks"),
    "FACTORS": env_list("TRIAL_RANDOMIZATION_FACTORS", "regimen,disease_status"),
    "STRATIFY_BY_SITE": env_bool("TRIAL_RANDOMIZATION_STRATIFY_BY_SITE", False),
    "BLOCK_SIZES": [int(s) for s in env_list("TRIAL_RANDOMIZATION_BLOCK_SIZES", "2,4,6")],
    # Warn the data manager and statistician when a stratum has fewer unused slots than this.
    "LOW_SLOT_WARNING": int(env("TRIAL_RANDOMIZATION_LOW_SLOT_WARNING", "10")),
    "MINIMIZATION_PROBABILITY": float(env("TRIAL_RANDOMIZATION_MINIMIZATION_PROBABILITY", "0.8")),
    # A test list may be active only where this is on (never in production).
    "ALLOW_TEST_LIST": env_bool("TRIAL_RANDOMIZATION_ALLOW_TEST_LIST", False),
    # End of study: the first randomisation + this many years (one date for the trial).
    "STUDY_DURATION_YEARS": int(env("TRIAL_STUDY_DURATION_YEARS", "5")),
}

# Analysis (docs/protocol.md "Statistical analysis"): the pre-specified subgroups of the
# treatment effect besides regimen, disease status, age and cytogenetic risk: one per baseline
# mutation named here (gene codes of the baseline form).
TRIAL_ANALYSIS: dict[str, Any] = {
    "SUBGROUP_MUTATIONS": env_list("TRIAL_ANALYSIS_SUBGROUP_MUTATIONS", "NPM1,FLT3-ITD,RUNX1,TP53"),
}

# Treatment period (docs/protocol.md "Treatment period"): limits, SAE reporting and default doses.
TRIAL_TREATMENT: dict[str, Any] = {
    # IC: one induction and up to three consolidation cycles.
    "MAX_IC_CYCLES": int(env("TRIAL_MAX_IC_CYCLES", "4")),
    # AZA: a response assessment is due after this cycle.
    "AZA_RESPONSE_DUE_CYCLE": int(env("TRIAL_AZA_RESPONSE_DUE_CYCLE", "3")),
    "SAE_REPORT_HOURS": int(env("TRIAL_SAE_REPORT_HOURS", "24")),
    "SPONSOR_SAFETY_EMAIL": env("TRIAL_SPONSOR_SAFETY_EMAIL", "pharmacovigilance@sponsor.example"),
    # Dexamethasone planned per cycle in the dexamethasone arm (total dose, unit).
    "DEXAMETHASONE_PLANNED_DOSE": env("TRIAL_DEXAMETHASONE_PLANNED_DOSE", "160"),
    "DEXAMETHASONE_UNIT": env("TRIAL_DEXAMETHASONE_UNIT", "mg"),
}
# Data cleaning (docs/protocol.md "Data cleaning and locking"): the thresholds of the automatic
# edit checks, the nightly run of every check over the whole database, and the daily digest of
# data queries (one e-mail a day at most per person).
TRIAL_CLEANING: dict[str, Any] = {
    # A dose given above MAX or below MIN per cent of the planned dose opens a query.
    "DOSE_MAX_PERCENT": int(env("CLEANING_DOSE_MAX_PERCENT", "110")),
    "DOSE_MIN_PERCENT": int(env("CLEANING_DOSE_MIN_PERCENT", "50")),
    # A response assessed before this day of cycle 1 (day 1 = the cycle's start) opens a query.
    "RESPONSE_EARLIEST_DAY": int(env("CLEANING_RESPONSE_EARLIEST_DAY", "21")),
    # Baseline fields and mutation results the protocol needs for every enrolled patient
    # (marrow blasts for the response criteria; the genes of the subgroup analyses).
    "BASELINE_REQUIRED_FIELDS": env_list("CLEANING_BASELINE_REQUIRED_FIELDS", "marrow_blast_pct"),
    "BASELINE_REQUIRED_GENES": env_list(
        "CLEANING_BASELINE_REQUIRED_GENES", "NPM1,FLT3-ITD,RUNX1,TP53"
    ),
    "BATCH_SIZE": int(env("CLEANING_BATCH_SIZE", "500")),
    # Celery beat (config/celery.py): every edit check over the database nightly, the digest
    # of new queries and answers each morning.
    "RUN_HOUR": int(env("CLEANING_RUN_HOUR", "2")),
    "RUN_MINUTE": int(env("CLEANING_RUN_MINUTE", "30")),
    "DIGEST_HOUR": int(env("CLEANING_DIGEST_HOUR", "7")),
    "DIGEST_MINUTE": int(env("CLEANING_DIGEST_MINUTE", "15")),
}
# Source-data verification and locks (docs/protocol.md "Data cleaning and locking"): the
# targeted SDV plan and what locking a patient requires.
TRIAL_VERIFICATION: dict[str, Any] = {
    # Record kinds (app_label.model) a monitor verifies in full, at every site.
    "SDV_ALWAYS": env_list(
        "VERIFICATION_SDV_ALWAYS",
        "trial.consent,trial.eligibilityanswer,randomization.randomization,"
        "treatment.endoftreatment,trial.death",
    ),
    # Serious adverse events are always verified; other adverse events follow the sample.
    "SDV_ALWAYS_SAE": env_bool("VERIFICATION_SDV_ALWAYS_SAE", True),
    # Every other record is drawn into the plan with this chance, by a hash of the seed, its
    # site and the record: stable as data grow, different per site, reproducible.
    "SDV_SAMPLE_PERCENT": int(env("VERIFICATION_SDV_SAMPLE_PERCENT", "20")),
    "SDV_SEED": env("VERIFICATION_SDV_SEED", "DEXAML-03"),
    # What every form of a patient must be before the patient may be locked: any of
    # complete, verified (the forms the SDV plan requires), signed, no_open_queries.
    "LOCK_PATIENT_REQUIRES": env_list(
        "VERIFICATION_LOCK_PATIENT_REQUIRES", "complete,verified,signed"
    ),
}
# One name per choice set in the API schema where a set appears under several field names.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ScreenFailureReasonEnum": "trial.models.ScreenFailureReason",
    "RelatednessEnum": "treatment.models.Relatedness",
    "EndOfTreatmentReasonEnum": "treatment.models.EndOfTreatmentReason",
    "RegimenEnum": "trial.models.Regimen",
    "DiseaseStatusEnum": "trial.models.DiseaseStatus",
    "TransplantDiseaseStatusEnum": "treatment.models.TransplantDiseaseStatus",
    "FollowupDiseaseStatusEnum": "followup.models.FollowupDiseaseStatus",
    "AllocationMethodEnum": "randomization.models.Method",
    "ContactMethodEnum": "followup.models.ContactMethod",
    "QueryStateEnum": "cleaning.models.QueryState",
    "QueryOriginEnum": "cleaning.models.QueryOrigin",
}
