"""Sign-in and sign-out: local accounts and Microsoft 365."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user

from services.audit import log
from services.base import utcnow
from services.directory import people, signin
from trust_it.auth import guessing, microsoft, pending
from trust_it.auth import session as browser_session
from trust_it.auth.forms import LoginForm
from trust_it.auth.id_token import IdTokenError
from trust_it.extensions import csrf, db, limiter
from trust_it.jobs import run_deferred_inline
from trust_it.tenancy import unscoped

bp = Blueprint("auth", __name__)
logger = logging.getLogger(__name__)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _start_session(user, method: str) -> None:
    browser_session.begin(user, method)
    user.last_sign_in_at = utcnow()
    log.record("auth.sign_in", f"{user.email} signed in ({method})", actor=user, trust_id=user.trust_id,
               ip=request.remote_addr, detail={"method": method})


def _login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _submitted_account_and_address() -> str:
    return guessing.account_address_key(request.form.get("email"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"], deduct_when=lambda response: response.status_code != 302,
               error_message="Too many sign-in attempts. Wait a minute and try again.")
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"], methods=["POST"],
               key_func=_submitted_account_and_address, deduct_when=lambda response: response.status_code != 302,
               error_message="Too many sign-in attempts for this account. Wait a few minutes and try again.")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    if request.method == "GET" and _safe_next(request.args.get("next")):
        session["next"] = request.args["next"]
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        with unscoped():
            email = people.normalise_email(form.email.data)
            user = people.find_by_email(email)
            if not guessing.may_try(email, user, request.remote_addr):
                return _render_login(form, GUESSED_AT, 429)
            if user is None:
                people.check_password(None, form.password.data)  # same work as a real check: timing tells nothing
            elif user.active and people.check_password(user, form.password.data):
                next_url = _safe_next(session.get("next"))
                _start_session(user, "password")
                session.pop("next", None)
                return redirect(next_url or url_for("home.index"))
            log.record("auth.sign_in_failed", f"Failed sign-in for {form.email.data.strip().lower()[:200]}",
                       trust_id=user.trust_id if user else None, ip=request.remote_addr,
                       detail={"user_id": user.id if user else None})
            guessing.record_failure(email, user)
            db.session.commit()  # keep the record (and any warning to the owner) though the response is an error
            run_deferred_inline()
        error = "That email address and password do not match an active account."
    status = 401 if error else (422 if form.errors else 200)
    return _render_login(form, error, status)


GUESSED_AT = ("Someone has been trying many passwords for this account, so for a few minutes it can only be "
              "signed in to from a computer or phone that has signed in to it before. Try again later, "
              "or from a device you have used with trust-it.")


def _render_login(form, error, status):
    return render_template("auth/login.html", form=form, error=error,
                           entra_enabled=current_app.config["ENTRA_ENABLED"]), status


@bp.route("/login/microsoft")
def microsoft_login():
    if not current_app.config["ENTRA_ENABLED"]:
        flash("Microsoft 365 sign-in is not configured here.", "error")
        return redirect(url_for(".login"))
    flow = microsoft.begin()
    return pending.keep(redirect(flow["auth_uri"]), flow, _safe_next(session.get("next")))


@bp.route("/auth/microsoft/callback", methods=["GET", "POST"])
@csrf.exempt  # Microsoft POSTs here from its own site: msal's state, nonce and PKCE stand in for the token
def microsoft_callback():
    flow, next_url = pending.read()
    after_this_request(pending.forget)  # one answer per sign-in started
    if request.method != "POST" or not current_app.config["ENTRA_ENABLED"] or not flow:
        flash("That sign-in link has expired. Please sign in again.", "error")
        return redirect(url_for(".login"))
    answer = request.form.to_dict()
    if answer.get("error"):
        flash("Microsoft sign-in was cancelled or refused: "
              + (answer.get("error_description") or answer["error"])[:200], "error")
        return redirect(url_for(".login"))
    try:
        claims = microsoft.complete(flow, answer)
    except IdTokenError as exc:
        if exc.worth_recording:
            known = microsoft.facts(exc.claims)
            _record_refusal(microsoft.explain(exc, known), known)
        return _refuse(str(exc))
    except (ValueError, RuntimeError) as exc:  # msal: state or nonce mismatch
        logger.info("Microsoft sign-in refused by msal: %s", exc)
        return _refuse("The sign-in response did not match this sign-in attempt. Please try again.")
    try:
        with unscoped():
            user = signin.sign_in_microsoft(claims)
            _start_session(user, "microsoft")
    except signin.SignInRefused as exc:
        _record_refusal(str(exc), microsoft.facts(claims))
        return _refuse(str(exc))
    session.pop("next", None)
    return redirect(_safe_next(next_url) or url_for("home.index"))


def _record_refusal(reason: str, facts: dict) -> None:
    db.session.rollback()  # nothing of a refused sign-in is kept but the record of it
    with unscoped():
        signin.record_refusal(reason, facts, ip=request.remote_addr)
    db.session.commit()  # kept although the response is an error


def _refuse(message: str):
    return _render_login(LoginForm(), message, 403)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with unscoped():
            log.record("auth.sign_out", f"{current_user.email} signed out", actor=current_user,
                       trust_id=current_user.trust_id, ip=request.remote_addr)
        browser_session.end()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for(".login"))
