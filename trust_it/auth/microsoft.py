"""Microsoft 365 sign-in through msal's authorization-code flow (PKCE, state and nonce).

msal builds the authorize URL and redeems the code; it no longer checks the ID token's
issuer, audience and expiry, so `trust_it.auth.id_token` does.
"""
from __future__ import annotations

import jwt
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
    """Start a flow; the caller keeps the returned dict (`trust_it.auth.pending`) until the callback."""
    # form_post: the code comes back in a POST body, never in a URL that access logs would keep.
    return msal_app().initiate_auth_code_flow(SCOPES, redirect_uri=redirect_uri(), prompt="select_account",
                                              response_mode="form_post")


def complete(flow: dict, auth_response: dict) -> dict:
    """Redeem the code and return validated ID-token claims, or raise IdTokenError."""
    result = msal_app().acquire_token_by_auth_code_flow(flow, auth_response)
    if "error" in result:
        first_line = (result.get("error_description") or result["error"]).split("\r\n")[0]
        error = id_token.IdTokenError("Microsoft did not complete the sign-in: " + first_line)
        # A made-up code gets invalid_grant; only this site's own credentials being refused says
        # something is misconfigured.
        error.worth_recording = result["error"] in ("invalid_client", "unauthorized_client")
        raise error
    raw = result.get("id_token")
    if not raw:
        raise id_token.IdTokenError("Microsoft returned no ID token.")
    cfg = current_app.config
    try:
        return id_token.verify(raw, http_client=http_client(), authority=cfg["ENTRA_AUTHORITY"],
                               client_id=cfg["ENTRA_CLIENT_ID"], nonce=flow.get("nonce"))
    except id_token.IdTokenError as exc:
        exc.claims = _unverified_claims(raw)  # for the audit record only: nothing here is trusted
        raise


def _unverified_claims(raw: str) -> dict:
    try:
        claims = jwt.decode(raw, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def facts(claims: dict) -> dict:
    """What an administrator needs to see why a sign-in was refused, from the token's claims."""
    aud = claims.get("aud")
    found = {
        "sign_in_name": claims.get("preferred_username") or claims.get("upn"),
        "tenant_id": claims.get("tid"),
        "issuer": claims.get("iss"),
        "audience_received": ", ".join(map(str, aud)) if isinstance(aud, list) else aud,
        "audience_expected": current_app.config["ENTRA_CLIENT_ID"],
        "identity_provider": claims.get("idp"),
    }
    return {k: str(v)[:200] for k, v in found.items() if v}


# In plain words, for the trust administrator reading the audit log.
_EXPLAINED = {
    id_token.WRONG_AUDIENCE: ("the token was issued for another application ({audience_received}) than the one "
                              "this site is set up as ({audience_expected}). Check that TRUST_IT_ENTRA_CLIENT_ID is "
                              "the Application (client) ID of the app registration in Entra."),
    id_token.EXPIRED: "the token had expired: this server's clock may be wrong, or the sign-in took too long.",
    id_token.NOT_YET_VALID: "the token was not valid yet: this server's clock may be slow.",
    id_token.BAD_SIGNATURE: "the token's signature does not verify against Microsoft's published keys.",
    id_token.WRONG_ISSUER: ("the token's issuer ({issuer}) is not Microsoft's issuer for its tenant "
                            "({tenant_id})."),
    id_token.WRONG_NONCE: "the token belongs to another sign-in attempt (its nonce differs): a replayed response?",
    id_token.MALFORMED: "the token could not be read.",
    id_token.MISSING_IDENTITY: "the token does not say which organisation and account signed in.",
    id_token.UNAVAILABLE: "Microsoft's signing keys could not be fetched, so no token could be checked.",
}


def explain(exc: id_token.IdTokenError, known: dict) -> str:
    template = _EXPLAINED.get(exc.message)
    if template is None:
        return exc.message
    return template.format_map({"audience_received": "none", "audience_expected": "none", "issuer": "none",
                                "tenant_id": "unknown", **known})
