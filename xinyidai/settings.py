"""Settings for the Xinyidai platform, read from the environment.

Development (`make run`) runs on SQLite with Celery tasks inline; production and CI set
DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis). Every variable is listed in
.env.example and in the README.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105 (debug only)  # nosec B105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_ratelimit",
    "xinyidai",
    "creditinfo",
    "lending",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "xinyidai.audit_middleware.AuditRequestMiddleware",  # the client's address for the audit trail
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "xinyidai.middleware.DatabaseUnavailableMiddleware",  # a database outage: 503 + Retry-After, not a traceback
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "xinyidai.session_expiry.SessionExpiryMiddleware",  # idle and absolute session limits (XINYIDAI_SESSION_*)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes requires: turns a lockout into xinyidai.lockout's answer
]

ROOT_URLCONF = "xinyidai.urls"
WSGI_APPLICATION = "xinyidai.wsgi.application"
ASGI_APPLICATION = "xinyidai.asgi.application"

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
                "xinyidai.context_processors.notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "xinyidai.User"
AUTHENTICATION_BACKENDS = [
    "xinyidai.lockout.LockoutBackend",  # django-axes' AxesStandaloneBackend: refuses locked-out logins first
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # The project's subclass: Django 5.2's wording of this message has no Chinese translation (see the module).
    {"NAME": "xinyidai.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end libraries come from npm (package.json, installed by the set-up), never a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "DJANGO_STATICFILES_STORAGE", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
if DEBUG:
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
MEDIA_ROOT = BASE_DIR / "media"

# Security switches: on by default when debug is off, each overridable from the environment.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # load balancers probe over plain HTTP inside the network
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", False)
# Idle limit of a logged-in session, minutes (0: none); xinyidai.session_expiry says why not SAVE_EVERY_REQUEST.
XINYIDAI_SESSION_IDLE_MINUTES = int(os.environ.get("XINYIDAI_SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Cache: Redis in production (rate-limit counters must be shared by every server process); without a URL, a
# per-process LocMemCache (development, tests).
CACHE_URL = os.environ.get("DJANGO_CACHE_URL") or os.environ.get("REDIS_URL", "")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit 4.1 lists only django-redis and memcached as supported; Django's own RedisCache increments
    # atomically (INCR) as well, so its "not officially supported" warning does not apply.
    "django_ratelimit.W001",
]
if not CACHE_URL:
    # LocMemCache counts per process: right for development and tests (one process). A production deployment
    # (one with CELERY_BROKER_URL) without DJANGO_CACHE_URL is caught by `check --deploy` (xinyidai/checks.py).
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# Login lockout (django-axes, xinyidai/lockout.py): a username from one address, after this many failures, is
# refused for the cool-off; a successful login clears the count. Answers 429 (page or API JSON error).
AXES_FAILURE_LIMIT = int(os.environ.get("XINYIDAI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("XINYIDAI_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "xinyidai.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "xinyidai.ratelimits.client_ip"
AXES_DISABLE_ACCESS_LOG = True  # successful logins and logouts are in the audit trail (AuditEvent)
AXES_VERBOSE = False  # no start-up banner in every manage.py command; failures and lockouts still log
XINYIDAI_BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY")

# Rate limits (xinyidai/ratelimits.py), "count/period" with period s, m, h or d; POSTs only, 429 beyond.
RATELIMIT_ENABLE = env_bool("XINYIDAI_RATELIMIT_ENABLE", True)
XINYIDAI_RATELIMIT_LOGIN_IP = os.environ.get("XINYIDAI_RATELIMIT_LOGIN_IP", "60/m")  # login page; token apart
XINYIDAI_RATELIMIT_LOGIN_USERNAME = os.environ.get("XINYIDAI_RATELIMIT_LOGIN_USERNAME", "10/m")
XINYIDAI_RATELIMIT_IMPORT = os.environ.get("XINYIDAI_RATELIMIT_IMPORT", "30/h")  # file uploads, per user
XINYIDAI_RATELIMIT_FEEDBACK_API = os.environ.get("XINYIDAI_RATELIMIT_FEEDBACK_API", "600/m")  # per user

# Celery: without a broker, tasks run inline (the embedded default of `make run`).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "release-expired-demand-claims": {
        "task": "lending.tasks.demand_claims_release_expired",
        "schedule": 15 * 60,
    },
    "flag-overdue-applications": {
        "task": "lending.tasks.applications_flag_overdue",
        "schedule": 15 * 60,
    },
    "expire-credit-records": {
        "task": "creditinfo.tasks.credit_records_expire",
        "schedule": crontab(hour=1, minute=30),  # CELERY_TIMEZONE: 01:30 Asia/Shanghai, after the day turns
    },
    # Statistics rollups (lending.rollups): what changed since the last refresh, every 5 minutes (feedback also
    # asks for one as it commits); a beat run not started within its interval is dropped, the next one covers it.
    "refresh-statistics": {
        "task": "lending.tasks.stats_refresh",
        "schedule": 5 * 60,
        "options": {"expires": 5 * 60},
    },
    # Everything from the raw tables, nightly: an enterprise that moved region or size class, a new calendar.
    "rebuild-statistics": {
        "task": "lending.tasks.stats_rebuild",
        "schedule": crontab(hour=2, minute=30),  # 02:30 Asia/Shanghai, after the 01:30 record expiry
    },
}

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "xinyidai.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "xinyidai.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "xinyidai.api.errors.exception_handler",
    # Bounded JSON with a translated 400 (xinyidai/api/parsers.py); forms as DRF parses them by default.
    "DEFAULT_PARSER_CLASSES": [
        "xinyidai.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Xinyidai API",
    "DESCRIPTION": "Henan SME financing credit service platform (信易贷) API for banks' systems.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "lending.models.Product.Status",
        "DemandStatusEnum": "lending.models.FinancingDemand.Status",
        "DemandClaimStatusEnum": "lending.models.DemandClaim.Status",
        "ApplicationStatusEnum": "lending.models.Application.Status",
        "LoanStatusEnum": "lending.models.Loan.Status",
        # matchmaking events (lending.api.events)
        "EventKindEnum": "lending.models.MatchmakingEvent.Kind",
        "EventStatusEnum": "lending.models.MatchmakingEvent.Status",
        "EventParticipantStatusEnum": "lending.models.EventParticipant.Status",
        "IntentStatusEnum": "lending.models.Intent.Status",
        "IntentDropReasonEnum": "lending.models.IntentDropReason",
        "CreditGradeEnum": "creditinfo.models.Evaluation.Grade",
        "GuaranteeModeEnum": "lending.models.GuaranteeMode",
        "SizeClassEnum": "creditinfo.models.SizeClass",
    },
}

# Platform rules that operators may tune (working days, official holidays respected).
XINYIDAI_DEMAND_CLAIM_WORKING_DAYS = int(os.environ.get("XINYIDAI_DEMAND_CLAIM_WORKING_DAYS", "3"))
XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS = int(os.environ.get("XINYIDAI_APPLICATION_RESPONSE_WORKING_DAYS", "5"))
XINYIDAI_CONSENT_DAYS = int(os.environ.get("XINYIDAI_CONSENT_DAYS", "90"))
# Seconds between a feedback commit and the statistics refresh it asks for: posts within the window share one.
XINYIDAI_STATS_REFRESH_DELAY_SECONDS = int(os.environ.get("XINYIDAI_STATS_REFRESH_DELAY_SECONDS", "30"))
# The public address printed in credit reports' QR codes (/verify/<code>/); empty: the requesting host.
PUBLIC_BASE_URL = os.environ.get("XINYIDAI_PUBLIC_BASE_URL", "").rstrip("/")

# Request size limits, bytes. A form or JSON body above DATA_UPLOAD_MAX_MEMORY_SIZE answers 400 (templates/400.html,
# or the API's JSON error); files are bounded per page below, each with its own message. Uploads above
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file instead of memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("XINYIDAI_DATA_UPLOAD_MAX_BYTES", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("XINYIDAI_FILE_UPLOAD_MAX_MEMORY_BYTES", str(2_621_440)))
CREDIT_IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("XINYIDAI_CREDIT_IMPORT_MAX_UPLOAD_BYTES", str(256 * 1024 * 1024)))
FEEDBACK_MAX_UPLOAD_BYTES = int(os.environ.get("XINYIDAI_FEEDBACK_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
