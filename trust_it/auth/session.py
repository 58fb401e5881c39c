"""The signed-in browser: the session cookie and the server-side record behind it.

The cookie (signed by Flask) names the user, their `session_token` (rotated when the account
is deactivated) and the key of a `UserSession` row (closed on sign-out, on "sign out
everywhere" and on a password change). A request is signed in only while all three hold, so a
copied cookie stops working the moment its session is ended, not when it expires.
"""
from __future__ import annotations

from flask import current_app, request, session
from flask_login import login_user, logout_user

from services.directory import sessions
from trust_it.extensions import login_manager
from trust_it.tenancy import unscoped

KEY = "sid"


@login_manager.user_loader
def _load_user(ident: str):
    user_id, _, token = (ident or "").partition(":")
    key = session.get(KEY)
    if not user_id.isdigit() or not token or not isinstance(key, str) or not key:
        return None
    with unscoped():
        found = sessions.user_for(int(user_id), key, lifetime=current_app.permanent_session_lifetime)
    if found is None or found[0].session_token != token or not found[0].active:
        return None
    return found[0]


def begin(user, method: str) -> None:
    """A fresh cookie and a fresh server-side session; nothing from before survives (no fixation).
    A pending `next` address is carried over."""
    next_url = session.get("next")
    session.clear()
    key = sessions.start(user, method=method, ip=request.remote_addr,
                         lifetime=current_app.permanent_session_lifetime)
    session[KEY] = key
    login_user(user)
    session.permanent = True
    if next_url:
        session["next"] = next_url


def end() -> None:
    """Sign this browser out, on the server as well as in the cookie."""
    key = session.get(KEY)
    if isinstance(key, str) and key:
        sessions.end(key)
    logout_user()
    session.clear()

