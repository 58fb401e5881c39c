"""trust-it: the application factory."""
from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from trust_it import logs
from trust_it.config import PROJECT_ROOT, build_config
from trust_it.extensions import api, csrf, db, limiter, login_manager, migrate
from trust_it.ids import MAX_ID


def create_app(config_overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("TRUST_IT_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(build_config(app.instance_path, config_overrides))
    app.url_map.converters["int"] = BoundedInt
    logs.configure()

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.session_protection = "basic"

    # Central first: its knowledge pages borrow the school guidance form, and that module imports
    # central's helpers, so loading schools first would meet the form half-defined.
    from trust_it.central import bp as central_bp

    # isort: split
    from schools import bp as schools_bp
    from trust_it.account import bp as account_bp
    from trust_it.auth.views import bp as auth_bp
    from trust_it.home import bp as home_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(central_bp)
    app.register_blueprint(schools_bp)

    from api import register as register_api
    api.init_app(app)
    register_api(app, api)

    from trust_it import cli, formatting
    from trust_it import requests as request_cycle
    request_cycle.install(app)
    formatting.install(app)
    cli.register(app)

    import swagger_ui_bundle
    from flask import send_from_directory

    @app.get("/api/v1/docs-assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @app.get("/healthz")
    def healthz():
        db.session.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


class BoundedInt(IntegerConverter):
    """Ids in URLs fit the database's integer: a longer number is simply not found (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _import_models() -> None:
    """Every model module, so metadata (and Alembic's autogenerate) sees all tables."""
    import services.assets.models  # noqa: F401
    import services.audit.models  # noqa: F401
    import services.desk.models  # noqa: F401
    import services.directory.models  # noqa: F401
    import services.standards.models  # noqa: F401
