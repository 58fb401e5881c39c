"""Defaults, overridden by TRUST_IT_* environment variables, then by create_app()'s overrides."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# (config key, environment variable, default, converter)
_ENV = [
    ("SQLALCHEMY_DATABASE_URI", "TRUST_IT_DATABASE_URL", None, str),
    ("REDIS_URL", "TRUST_IT_REDIS_URL", None, str),
    ("SECRET_KEY", "TRUST_IT_SECRET_KEY", None, str),
    ("SMTP_URL", "TRUST_IT_SMTP_URL", None, str),
    ("MAIL_FROM", "TRUST_IT_MAIL_FROM", "trust-it@localhost", str),
    ("BASE_URL", "TRUST_IT_BASE_URL", None, str),
    ("ENTRA_CLIENT_ID", "TRUST_IT_ENTRA_CLIENT_ID", None, str),
    ("ENTRA_CLIENT_SECRET", "TRUST_IT_ENTRA_CLIENT_SECRET", None, str),
    ("ENTRA_AUTHORITY", "TRUST_IT_ENTRA_AUTHORITY", "https://login.microsoftonline.com/organizations", str),
    ("INTUNE_CLIENT_ID", "TRUST_IT_INTUNE_CLIENT_ID", None, str),
    ("INTUNE_CLIENT_SECRET", "TRUST_IT_INTUNE_CLIENT_SECRET", None, str),
    ("INTUNE_AUTHORITY_HOST", "TRUST_IT_INTUNE_AUTHORITY_HOST", "https://login.microsoftonline.com", str),
    ("GRAPH_URL", "TRUST_IT_GRAPH_URL", "https://graph.microsoft.com", str),
    ("UPLOAD_DIR", "TRUST_IT_UPLOAD_DIR", None, str),
    ("PROXY_FIX", "TRUST_IT_PROXY_FIX", 0, int),
    ("LOGIN_RATE_LIMIT", "TRUST_IT_LOGIN_RATE_LIMIT", "10 per minute", str),
    ("LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT", "TRUST_IT_LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT", "20 per 10 minutes", str),
    ("LOGIN_ACCOUNT_RATE_LIMIT", "TRUST_IT_LOGIN_ACCOUNT_RATE_LIMIT", "100 per 10 minutes", str),
]


def _normalise_db_url(url: str) -> str:
    # Operators paste plain postgresql:// URLs; we drive PostgreSQL with psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def build_config(instance_path: str, overrides: dict | None = None) -> dict:
    config: dict = {
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 26 * 1024 * 1024,  # five 5 MB attachments and the form around them
        "WTF_CSRF_TIME_LIMIT": None,
        # flask-smorest / OpenAPI
        "API_TITLE": "trust-it",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs-assets/",  # served locally: schools' networks filter CDNs
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
        "JOB_INLINE": True,
        "ENTRA_HTTP_CLIENT": None,  # tests hand msal a fake identity platform here
        "INTUNE_SLEEP": None,  # how the Intune sync waits when Graph throttles it; tests do not wait
        "RATELIMIT_HEADERS_ENABLED": True,
    }
    for key, env, default, convert in _ENV:
        value = os.environ.get(env)
        config[key] = convert(value) if value not in (None, "") else default
    config.update(overrides or {})

    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(instance_path) / 'trust-it.db'}"
    config["SQLALCHEMY_DATABASE_URI"] = _normalise_db_url(config["SQLALCHEMY_DATABASE_URI"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance_path)
    if not config.get("UPLOAD_DIR"):
        config["UPLOAD_DIR"] = str(Path(instance_path) / "uploads")
    config.setdefault("RATELIMIT_STORAGE_URI", config["REDIS_URL"] or "memory://")
    config["JOB_INLINE"] = not config.get("REDIS_URL")
    # A school day, not Flask's 31 days; and cookies only over HTTPS when the site is served so.
    config.setdefault("PERMANENT_SESSION_LIFETIME", 10 * 3600)
    if (config.get("BASE_URL") or "").startswith("https://"):
        config.setdefault("SESSION_COOKIE_SECURE", True)
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
    config["ENTRA_ENABLED"] = bool(config.get("ENTRA_CLIENT_ID") and config.get("ENTRA_CLIENT_SECRET"))
    return config


def _instance_secret(instance_path: str) -> str:
    """A stable secret for the embedded mode, so sessions survive a restart of the demo."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
