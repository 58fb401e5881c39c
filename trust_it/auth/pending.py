"""The Microsoft sign-in in progress, kept in a cookie of its own until Microsoft answers.

Microsoft answers with `response_mode=form_post`: the browser POSTs the code to our callback
from login.microsoftonline.com, so the code never appears in a URL (nor in access logs,
browser history or a Referer). A cross-site POST does not carry SameSite=Lax cookies, and the
session cookie stays Lax (it guards every other form). So msal's flow (state, nonce, PKCE
verifier) and the page to return to travel in this cookie instead: signed, HttpOnly,
SameSite=None (so it comes back on that POST), Secure (browsers refuse SameSite=None
otherwise; Entra accepts only https redirect addresses, or http on localhost, which browsers
treat as secure), limited to the callback's path, and good for ten minutes, once.
"""
from __future__ import annotations

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "trust_it_microsoft_sign_in"
LIFETIME = 600  # seconds; Microsoft's codes last about as long


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="microsoft-sign-in")


def _path() -> str:
    return url_for("auth.microsoft_callback")


def keep(response, flow: dict, next_url: str | None):
    # The authorize URL is not needed again and would only make the cookie larger.
    state = {"flow": {k: v for k, v in flow.items() if k != "auth_uri"}, "next": next_url}
    response.set_cookie(COOKIE, _serializer().dumps(state), max_age=LIFETIME, path=_path(), secure=True,
                        httponly=True, samesite="None")
    return response


def forget(response):
    response.delete_cookie(COOKIE, path=_path(), secure=True, httponly=True, samesite="None")
    return response


def read() -> tuple[dict | None, str | None]:
    """The flow and next page of the sign-in this browser started, or (None, None)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None, None
    try:
        state = _serializer().loads(raw, max_age=LIFETIME)
    except BadSignature:  # also SignatureExpired
        return None, None
    if not isinstance(state, dict) or not isinstance(state.get("flow"), dict):
        return None, None
    return state["flow"], state.get("next")
