"""/api/v1: flask-smorest blueprints calling the same service functions as the web pages."""
from __future__ import annotations

from api.auth import install as install_auth


def register(app, api) -> None:
    from api import (
        articles,
        assessments,
        asset_export,
        asset_import,
        assets,
        assets_licences,
        assets_locations,
        baselines,
        compliance,
        drift,
        exceptions,
        forecast,
        mail,
        me,
        schools,
        sync_runs,
        tickets,
        tokens,
        transfers,
        users,
        visits,
    )
    from trust_it.extensions import csrf
    for module in (schools, users, me, tokens, tickets, articles, visits, mail, assets, assets_locations,
                   assets_licences, transfers, forecast, sync_runs, asset_import, asset_export, baselines, assessments,
                   compliance, exceptions, drift):
        if not hasattr(module, "blp"):
            continue
        # Bearer calls carry no CSRF token; session writes are checked in api/auth.py instead.
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix=f"/api/v1{module.PREFIX}")
    install_auth(app)
