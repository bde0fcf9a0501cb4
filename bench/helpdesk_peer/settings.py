"""Django settings for the django-helpdesk peer (database from the environment)."""

from __future__ import annotations

import os

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
SITE_ID = 1
ROOT_URLCONF = "bench.helpdesk_peer.urls"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
STATIC_URL = "/static/"
MEDIA_ROOT = os.environ.get("PEER_MEDIA_ROOT", "/tmp/helpdesk-peer-media")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The peer sends no mail in the benchmark (Yiwen's outbox rows are still written):
# any difference here favours the peer.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
}
HELPDESK_TEAMS_MODE_ENABLED = False

_url = os.environ["PEER_DATABASE_URL"]
if _url.startswith("sqlite:///"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": _url.removeprefix("sqlite:///"),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
else:
    # postgresql://user@host:port/name
    _rest = _url.split("://", 1)[1]
    _auth, _where = _rest.rsplit("@", 1)
    _hostport, _name = _where.split("/", 1)
    _host, _port = _hostport.rsplit(":", 1)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _name.split("?", 1)[0],
            "USER": _auth.split(":", 1)[0],
            "PASSWORD": _auth.split(":", 1)[1] if ":" in _auth else "",
            "HOST": _host,
            "PORT": _port,
            "CONN_MAX_AGE": 600,
        }
    }
