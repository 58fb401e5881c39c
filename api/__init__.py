"""/api/v1: flask-smorest blueprints calling the same service functions as the web pages."""
from __future__ import annotations

from api.auth import install as install_auth


def register(app, api) -> None:
    from api import (
        articles,
        assets,
        assets_licences,
        assets_locations,
        mail,
        me,
        schools,
        tickets,
        tokens,
        users,
        visits,
    )
    from trust_it.extensions import csrf
    for module in (schools, users, me, tokens, tickets, articles, visits, mail, assets, assets_locations,
                   assets_licences):
        if not hasattr(module, "blp"):
            continue
        # Bearer calls carry no CSRF token; session writes are checked in api/auth.py instead.
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    install_auth(app)
