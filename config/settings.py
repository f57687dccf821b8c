"""The one settings module, read from the environment.

Local use needs no variables at all: DEBUG is off unless asked for, the database is the
project-local PostGIS cluster that `make run` starts. Production fails fast when SECRET_KEY is
missing. Documented in README.md, section "Configuration".
"""

import datetime
import os
from pathlib import Path
from urllib.parse import quote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment for production, "
            "or DEBUG=1 for local development. / 未设置 SECRET_KEY。"
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "leaflet",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "registry",
    "gis",
    "transfer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (login, language switch).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Attaches the acting user and the request URL to every row-history event (pghistory).
    "pghistory.middleware.HistoryMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "registry.context_processors.todo",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------------------------
# Default: the project-local cluster of scripts/db.sh (socket under var/pg/run, port 5544).
_local_db = (
    f"postgis://atlas@{quote(str(BASE_DIR / 'var' / 'pg' / 'run'), safe='')}"
    f":{os.environ.get('ATLAS_PGPORT', '5544')}/{os.environ.get('ATLAS_DBNAME', 'relief_atlas')}"
)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _local_db),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- users --------------------------------------------------------------------------------------
AUTH_USER_MODEL = "registry.User"
# django-axes first: it refuses a locked-out account before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "registry.auth.AreaModelBackend"]
# Login throttling per account (DESIGN.md §3): after AXES_FAILURE_LIMIT wrong passwords in a row
# the account is locked for AXES_COOLOFF_TIME; an administrator lifts it sooner in the admin
# (Axes > Access attempts) or with `manage.py axes_reset_username NAME`.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "gis:map"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and media ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
# Front-end packages come from npm (package.json) and are served by us: county networks are
# often offline, so no CDN. The npm copy of Leaflet shadows the one bundled in django-leaflet.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vectorgrid", BASE_DIR / "node_modules" / "leaflet.vectorgrid" / "dist"),
    ("html-to-image", BASE_DIR / "node_modules" / "html-to-image" / "dist"),
    ("tom-select", BASE_DIR / "node_modules" / "tom-select" / "dist"),
]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # After `collectstatic` (production) files get hashed, compressed, cache-forever names;
    # before it (local use, tests) they are served as they are from the finders.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if (STATIC_ROOT / "staticfiles.json").exists()
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Serve straight from the finders when there is no collectstatic run (local use, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- caches -----------------------------------------------------------------------------------
# Map tiles are cached on disk, shared by every server process of the host; each key carries the
# data version, so a change to the register is visible on the next request.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "tiles": {
        "BACKEND": "gis.cache.TileFileCache",
        "LOCATION": os.environ.get("TILE_CACHE_DIR", str(BASE_DIR / "var" / "cache" / "tiles")),
        "TIMEOUT": 7 * 24 * 3600,
        "OPTIONS": {"MAX_ENTRIES": 200_000},
    },
    # Progress of running jobs, shared by the worker and the web processes; kept out of the
    # database so that a job writing inside one long transaction can still report it.
    "jobs": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("JOBS_CACHE_DIR", str(BASE_DIR / "var" / "cache" / "jobs")),
        "TIMEOUT": 24 * 3600,
    },
}

# --- background jobs ----------------------------------------------------------------------------
# Jobs (imports) are rows in the database; `manage.py db_worker` (started by `make run`) runs
# them in its own process, so a job survives a restart of the web server.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

# A job (import check, import, export) that runs longer than this is stopped and marked failed;
# its transaction is rolled back. 100,000 rows import in under a minute here (README).
JOB_TIME_LIMIT = int(os.environ.get("JOB_TIME_LIMIT", "900"))

# Exports of more rows than this are written by the worker instead of inside the request.
EXPORT_INLINE_MAX_ROWS = int(os.environ.get("EXPORT_INLINE_MAX_ROWS", "20000"))

# --- income distribution -----------------------------------------------------------------------
# A distribution plan that pays more than this share (per cent) of its money straight to
# households as cash is warned against, while it is written and once saved: income is not to be
# simply handed out (发钱发物、一分了之). Local policy: a county sets its own.
HOUSEHOLD_CASH_WARN_PERCENT = float(os.environ.get("HOUSEHOLD_CASH_WARN_PERCENT", "30"))

# --- imports ------------------------------------------------------------------------------------
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(100 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "200000"))
# Cells of a worksheet's grid (last row x last column): the Excel reader holds the grid.
IMPORT_MAX_CELLS = int(os.environ.get("IMPORT_MAX_CELLS", "12000000"))
# Uploads above this size go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# --- maps ---------------------------------------------------------------------------------------
# Geometry is stored in CGCS2000 (EPSG:4490); Leaflet shows Web Mercator. The default basemap is
# none: our own boundaries work offline. BASEMAP_URL may name any XYZ tile service (for example
# Tianditu with its key, which is CGCS2000 and needs no offset).
BASEMAP_URL = os.environ.get("BASEMAP_URL", "")
BASEMAP_ATTRIBUTION = os.environ.get("BASEMAP_ATTRIBUTION", "")
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (30.8, 108.4),
    "DEFAULT_ZOOM": 9,
    "MIN_ZOOM": 5,
    "MAX_ZOOM": 18,
    "TILES": [(_("Basemap"), BASEMAP_URL, {"attribution": BASEMAP_ATTRIBUTION})]
    if BASEMAP_URL
    else [],
    "ATTRIBUTION_PREFIX": "Leaflet",
    "SCALE": "metric",
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# Content-Security-Policy (django-csp): scripts only from us or inline with the request's nonce
# (django-leaflet's map set-up takes it too); styles may be inline (Leaflet and VectorGrid write
# style attributes); images also as data:/blob: (markers, the PNG export) and from the basemap.
_basemap_origin = (
    "{0.scheme}://{0.netloc}".format(urlsplit(BASEMAP_URL.replace("{s}", "*")))
    if os.environ.get("BASEMAP_URL")
    else None
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:", *([_basemap_origin] if _basemap_origin else [])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}


# Debian 12 ships GDAL 3.6, which cannot block file and network access from within spatial
# reference definitions. Our imports parse user files with pyogrio's own newer GDAL and accept
# only EPSG codes for coordinate systems, so the warning is known and handled, not ignored.
# axes.W006 asks to lock by IP address too; we lock per account on purpose (DESIGN.md §3: county
# offices share one public IP, so an IP lock would shut out a whole township).
SILENCED_SYSTEM_CHECKS = ["gis.W001", "axes.W006"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
