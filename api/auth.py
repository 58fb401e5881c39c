"""Who is calling the API: a Bearer personal access token, or the browser's session."""
from __future__ import annotations

from flask import g, request
from flask_login import current_user
from flask_smorest import abort

from services.directory import tokens as token_service
from trust_it.extensions import csrf
from trust_it.tenancy import scope_for, set_scope, unscoped

OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")  # also covers /api/v1/docs-assets/


def install(app) -> None:
    @app.before_request
    def _authenticate_api():
        if not request.path.startswith("/api/") or request.path.startswith(OPEN_PATHS):
            return
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            with unscoped():
                found = token_service.user_for_secret(header[7:].strip())
            if found is None:
                abort(401, message="The API token is not valid, has expired or was revoked.")
            g.api_user, g.api_token = found
        elif current_user.is_authenticated:
            if request.method not in ("GET", "HEAD", "OPTIONS"):
                csrf.protect()  # a browser session must prove the request came from our pages
            g.api_user, g.api_token = current_user._get_current_object(), None
        else:
            abort(401, message="Sign in, or send a personal access token as 'Authorization: Bearer …'.")
        set_scope(scope_for(g.api_user))


def api_user():
    return g.api_user
