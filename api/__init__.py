"""/api/v1: flask-smorest blueprints calling the same service functions as the web pages."""
from __future__ import annotations

from api.auth import install as install_auth


def register(app, api) -> None:
    from api import me, schools, tokens, users

    for module in (schools, users, me, tokens):
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    install_auth(app)
