"""Materia settings: one module, driven by environment variables.

With no environment at all (and DEBUG=true) the site runs on the embedded default:
a SQLite file under var/, Celery tasks executed eagerly in-process, a local-memory cache
and e-mail printed to the console. Production points the same variables at PostgreSQL,
Redis and SMTP; nothing exists only in "production settings". See README.md.
"""

from __future__ import annotations

import zoneinfo
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured

from config.environment import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

# A development key is only acceptable while DEBUG is on; a production site must bring its own.
_DEV_SECRET_KEY = "django-insecure-materia-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (set DEBUG=true for local development, "
            "or generate a key with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "surveys",
    "materiality",
    "materiality.double",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (its 400 page is in it), before anything reads the form.
    "config.middleware.RequestBodyMiddleware",
    # Inside the language's middleware too: the page is in the visitor's language.
    "config.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Widgets render with the project's templates too (templates/includes/...).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------
_DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'materia.sqlite3'}"
_database_url = env_str("DATABASE_URL", _DEFAULT_DATABASE_URL).strip() or _DEFAULT_DATABASE_URL
try:
    _database = dj_database_url.parse(
        _database_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:  # unknown scheme, bad port, ...
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if not _database.get("ENGINE"):
    raise ImproperlyConfigured(f"DATABASE_URL names no known database engine: {_database_url!r}")
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if _database["NAME"] != ":memory:":
        # A fresh clone has no var/ yet: SQLite creates the file, not its folder.
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the runserver read while a submit writes; IMMEDIATE takes the write lock
    # at BEGIN so two concurrent submits queue instead of failing with "database is locked".
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _database["ENGINE"] == "django.db.backends.postgresql":
    # A database host that stops answering (lost in a failover, cut off by the network)
    # must cost a request seconds, not the kernel's quarter of an hour of retransmissions
    # while the process is blocked: a connection attempt gives up after
    # DATABASE_CONNECT_TIMEOUT, and a kept connection whose data goes unacknowledged, or
    # whose keepalive probes go unanswered, after DATABASE_TCP_TIMEOUT_MS. A slow query
    # on a live server is not cut short: its kernel keeps acknowledging.
    # The same parameters given in DATABASE_URL's query string (?connect_timeout=30)
    # win: an operator who tuned them for a distant database keeps them.
    _tcp_timeout_ms = env_int("DATABASE_TCP_TIMEOUT_MS", 10_000, minimum=1_000)
    _connection_defaults = {
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=2),
        "keepalives": 1,
        # Probes start on a connection idle for half the time-out; once they have begun,
        # tcp_user_timeout, not the count, decides when the kernel gives up.
        "keepalives_idle": max(1, _tcp_timeout_ms // 2000),
        "keepalives_interval": 1,
        "keepalives_count": 3,
        "tcp_user_timeout": _tcp_timeout_ms,
    }
    _database["OPTIONS"] = {**_connection_defaults, **_database.get("OPTIONS", {})}
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (also backs rate limits) ---------------------------------------------------
# Redis down, restarting or unreachable must not hold requests: every client of Redis
# (this cache, the Celery broker and result backend below) gives up on connecting, and
# on each command, after REDIS_TIMEOUT_MS. A healthy Redis answers in about a millisecond.
REDIS_TIMEOUT_SECONDS = env_int("REDIS_TIMEOUT_MS", 500, minimum=1) / 1000
REDIS_CLIENT_OPTIONS = {
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
}
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "materia"),
            # One attempt per access (redis-py retries nothing on a pooled client); the
            # rate limits are off while Redis is away (surveys/ratelimits.py).
            "OPTIONS": REDIS_CLIENT_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_url(
    "CELERY_BROKER_URL", schemes=("redis", "rediss", "amqp", "amqps", "pyamqp", "memory")
)
# No broker configured: run tasks in-process so the embedded default needs no services
# (the in-memory transport only keeps Celery from looking for a broker on localhost).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = (
    env_url("CELERY_RESULT_BACKEND", schemes=("redis", "rediss", "rpc", "db+postgresql", "cache"))
    or None
)
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down or hangs costs a request at most two attempts of REDIS_TIMEOUT_MS
# each (the second, on a new connection, saves a send when Redis restarted and closed a
# pooled one); then the sender gives up and leaves the work to the sweep
# (materiality/dispatch.py). Workers keep retrying their own connection as before.
CELERY_BROKER_TRANSPORT_OPTIONS = dict(REDIS_CLIENT_OPTIONS)  # Redis; AMQP ignores them
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS  # AMQP's connect time-out
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# Tasks are sent without asking for their result (dispatch.send), so sending never
# touches the result backend; a caller that waits for one (check_worker) gets the same
# bounded attempts instead of Celery's 20 reconnections, a second apart.
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
}
# The queue tasks go to and workers read (Celery's "celery" unless set): sites that share
# one broker each name their own (docs/operations.md, "Several machines").
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Celery beat (`celery -A config beat`, or a worker started with -B) resends aggregation
# runs that could not reach the broker when they were requested, and those whose worker
# died (materiality/runs/sweep.py).
CELERY_BEAT_SCHEDULE = {
    "sweep-aggregation-runs": {"task": "materiality.tasks.sweep_runs", "schedule": 60.0},
    "expire-idempotent-requests": {
        "task": "materiality.tasks.expire_idempotent_requests",
        "schedule": 3600.0,
    },
    # RESPONSE_RETENTION_DAYS (materiality/privacy.py): daily, at 03:15 UTC, off hours in
    # China; safe to run again, a no-op while the setting keeps replies for ever.
    "expire-personal-data": {
        "task": "materiality.tasks.expire_personal_data",
        "schedule": crontab(hour=3, minute=15),
    },
}

# --- E-mail ---------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Materia <materia@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages ------------------------------------------------------------------------
# Content (topic names, questions, ...) is stored per language code, so adding a
# language here needs no schema change.
_language_codes = env_list("LANGUAGES", ["zh-hans", "en"])
for _code in _language_codes:
    if _code not in LANG_INFO or "name_local" not in LANG_INFO[_code]:
        raise ImproperlyConfigured(f"LANGUAGES contains an unknown language code: {_code!r}.")
if not _language_codes:
    raise ImproperlyConfigured("LANGUAGES must name at least one language.")
LANGUAGES = [(code, LANG_INFO[code]["name_local"]) for code in _language_codes]
LANGUAGE_CODE = env_str("LANGUAGE_CODE", _language_codes[0])
if LANGUAGE_CODE not in _language_codes:
    raise ImproperlyConfigured(
        f"LANGUAGE_CODE {LANGUAGE_CODE!r} must be one of LANGUAGES ({', '.join(_language_codes)})."
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True

TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
if TIME_ZONE not in zoneinfo.available_timezones():
    raise ImproperlyConfigured(f"TIME_ZONE is not a known time zone: {TIME_ZONE!r}.")
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# In development static files are served straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Authentication -------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security (production values unless DEBUG) -----------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Proxies in front of the site that append to X-Forwarded-For (0: clients connect
# directly). Rate limits key on the client's address, which behind a proxy is in that
# header; entries further left than the proxies' own can be forged, so only these count.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Failed sign-ins (page, admin, API) per window, per address and name and per address:
# past either limit the address waits for the window to end (materiality/signin.py).
SIGNIN_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 10, minimum=1)
SIGNIN_ADDRESS_FAILURE_LIMIT = env_int("SIGNIN_ADDRESS_FAILURE_LIMIT", 50, minimum=1)
SIGNIN_WINDOW_SECONDS = env_int("SIGNIN_WINDOW_SECONDS", 900, minimum=1)
if env_bool("USE_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself (never trust it from clients).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# The Content-Security-Policy comes from config/middleware.py; the error pages, in the
# visitor's language, from config/errors.py (the others are named in config/urls.py).
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

# --- REST API -------------------------------------------------------------------------
# The API (docs/api.md). A personal token comes first among the schemes so that a call
# without credentials gets 401 with WWW-Authenticate; HTTP Basic only where switched on.
API_BASIC_AUTH = env_bool("API_BASIC_AUTH", False)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "materiality.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        *(["materiality.signin.LimitedBasicAuthentication"] if API_BASIC_AUTH else []),
    ],
    "DEFAULT_PERMISSION_CLASSES": ["materiality.api.permissions.ActionPermission"],
    "DEFAULT_SCHEMA_CLASS": "materiality.api.schema.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "materiality.api.pagination.BoundedPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "materiality.api.renderers.BrowsableAPI",
    ],
    # JSON only, unless a view takes a file (it names MultiPartParser itself): texts in
    # two languages are objects, which no form encoding can carry.
    "DEFAULT_PARSER_CLASSES": ["materiality.api.parsers.TextJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "materiality.api.parsers.FormRefusingNegotiation",
    "EXCEPTION_HANDLER": "materiality.api.problems.problem_exception_handler",
    # Counted in the shared cache (Redis in production), so every worker sees one count.
    "DEFAULT_THROTTLE_RATES": {
        "respond": env_str("API_RESPOND_RATE", "120/minute"),
        "feedback": env_str("API_FEEDBACK_RATE", "30/minute"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Materia API",
    "DESCRIPTION": (
        "Everything a person can do in Materia's pages, for scripts and other systems: "
        "the vocabulary, assessments, invitations, responses, scores and the matrix, "
        "confirmation, imports, exports, reports and reader feedback. Sign in with a "
        "personal API token (`Authorization: Bearer mat_…`, created at /account/tokens/). "
        "Every error is a problem-details object (RFC 9457) in the language of "
        "Accept-Language. Query parameters an operation does not list are ignored. "
        "A walkthrough is in docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description of a self-hosted site's API is for its users, not for anyone who
    # finds the address: the schema and its pages ask for a sign-in like the endpoints.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Swagger UI's files come from our own static files (drf-spectacular-sidecar): the
    # docs page works on a network with no way out.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would send the schema's address to validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Several components have a `status` of their own choices: each set named once.
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "materiality.models.RunStatus",
        "ExportStatusEnum": "materiality.models.ExportStatus",
        "SurveyStatusEnum": "surveys.models.SurveyStatus",
        "ResponseStatusEnum": "surveys.models.ResponseStatus",
        "InvitationStatusEnum": "surveys.selectors.INVITATION_STATUSES",
    },
}

# --- Logging --------------------------------------------------------------------------
# Every handler masks the invitation and resume tokens in the URLs it writes
# (config/logs.py); gunicorn's own handlers get the same filter from config/gunicorn.py.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "mask_tokens": {"()": "config.logs.TokenMaskFilter"},
        "client_error": {"()": "config.logs.ClientErrorFilter"},
        "database_outage": {"()": "config.logs.DatabaseOutageFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default handlers (the console in DEBUG, runserver's request lines, mail
        # to ADMINS, which is empty) would write paths unmasked: Django's records go to
        # the root's handler instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        # A body over a size limit: a warning, no traceback (config/logs.py).
        **{
            f"django.security.{name}": {"filters": ["client_error"]}
            for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
        },
        # A 503 for a database that cannot be reached: one line per request.
        "django.request": {"filters": ["database_outage"]},
        # fontTools reports every font subset it writes into a PDF at INFO.
        "fontTools": {"level": "WARNING"},
        # Celery logs every task it ran at INFO: a worker's log needs that; with tasks run
        # in-process (the embedded default) it buries the web log and the demo's output.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

# --- Materia --------------------------------------------------------------------------
# Called (dotted paths, with survey id and response id) after a response is submitted
# and committed: how the ESG layer learns about new replies without the engine knowing it.
SURVEYS_SUBMIT_HOOKS: list[str] = ["materiality.runs.requests.on_response_submitted"]
# Called (dotted paths, with {survey id: responses erased} and the user who erased them)
# inside the transaction that erases responses: the assessment's audit trail notes it.
SURVEYS_ERASE_HOOKS: list[str] = ["materiality.privacy.on_responses_erased"]
# Days after which the personal fields of an assessment's responses are stripped, once
# its result is confirmed (`manage.py respondent_data expire`); 0 or unset: kept.
RESPONSE_RETENTION_DAYS: int | None = env_int("RESPONSE_RETENTION_DAYS", 0, minimum=0) or None
# A RUNNING aggregation run beats every MATERIA_RUN_HEARTBEAT_SECONDS; one silent for
# MATERIA_RUN_STALE_SECONDS has lost its worker and is taken over by the next delivery of
# its task (the sweep sends one). See materiality/runs/heartbeat.py.
MATERIA_RUN_HEARTBEAT_SECONDS = env_int("MATERIA_RUN_HEARTBEAT_SECONDS", 10, minimum=1)
MATERIA_RUN_STALE_SECONDS = env_int("MATERIA_RUN_STALE_SECONDS", 30, minimum=1)
if MATERIA_RUN_STALE_SECONDS < 2 * MATERIA_RUN_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "MATERIA_RUN_STALE_SECONDS must be at least twice MATERIA_RUN_HEARTBEAT_SECONDS: "
        "a run that missed one beat is not dead."
    )
