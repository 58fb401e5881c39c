"""Microsoft 365 sign-in through msal's authorization-code flow (PKCE, state and nonce).

msal builds the authorize URL and redeems the code; it no longer checks the ID token's
issuer, audience and expiry, so `trust_it.auth.id_token` does.
"""
from __future__ import annotations

import msal
import requests
from flask import current_app, url_for

from trust_it.auth import id_token

SCOPES: list[str] = []  # openid, profile and offline_access are added by msal itself


def http_client():
    # Tests hand msal a fake identity platform through its documented http_client hook.
    return current_app.config.get("ENTRA_HTTP_CLIENT") or _shared_session()


_session = None


def _shared_session():
    global _session
    if _session is None:
        _session = requests.Session()
    return _session


def msal_app() -> msal.ConfidentialClientApplication:
    cfg = current_app.config
    return msal.ConfidentialClientApplication(
        cfg["ENTRA_CLIENT_ID"], client_credential=cfg["ENTRA_CLIENT_SECRET"],
        authority=cfg["ENTRA_AUTHORITY"], http_client=http_client())


def redirect_uri() -> str:
    base = current_app.config.get("BASE_URL")
    path = url_for("auth.microsoft_callback")
    return base.rstrip("/") + path if base else url_for("auth.microsoft_callback", _external=True)


def begin() -> dict:
    """Start a flow; the caller keeps the returned dict in the session until the callback."""
    return msal_app().initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri(), prompt="select_account")


def complete(flow: dict, auth_response: dict) -> dict:
    """Redeem the code and return validated ID-token claims, or raise IdTokenError."""
    result = msal_app().acquire_token_by_auth_code_flow(flow, auth_response)
    if "error" in result:
        raise id_token.IdTokenError(
            "Microsoft did not complete the sign-in: " + (result.get("error_description") or result["error"]).split("\r\n")[0])
    raw = result.get("id_token")
    if not raw:
        raise id_token.IdTokenError("Microsoft returned no ID token.")
    cfg = current_app.config
    return id_token.verify(raw, http_client=http_client(), authority=cfg["ENTRA_AUTHORITY"],
                           client_id=cfg["ENTRA_CLIENT_ID"], nonce=flow.get("nonce"))
