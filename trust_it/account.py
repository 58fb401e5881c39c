"""The signed-in person's own account: their roles, API tokens, password and open sessions."""
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from services.audit import log
from services.directory import people, sessions
from services.directory import tokens as token_service
from services.directory.errors import DirectoryError
from services.directory.models import ApiToken
from trust_it.auth import guessing
from trust_it.auth import session as browser_session
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error
from trust_it.extensions import db, limiter

bp = Blueprint("account", __name__, url_prefix="/account")


class TokenForm(FlaskForm):
    name = StringField("What will use this token?", validators=[DataRequired("Name the token."), Length(max=100)])
    expires_on = DateField("Expires on", validators=[Optional()])


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    secret = None
    status = 200
    if form.validate_on_submit():
        from datetime import datetime, time
        expires = datetime.combine(form.expires_on.data, time(23, 59)) if form.expires_on.data else None
        try:
            _, secret = token_service.create_token(current_user, name=form.name.data, expires_at=expires)
        except DirectoryError as exc:
            if exc.field == "expires_at":
                exc.field = "expires_on"
            attach_error(form, exc)
            status = 422
        else:
            form = TokenForm(formdata=None)
    elif form.errors:
        status = 422
    return render_template("account/tokens.html", form=form, secret=secret, action_form=ActionForm(),
                           tokens=token_service.tokens_of(current_user),
                           open_sessions=sessions.open_count(
                               current_user, lifetime=current_app.permanent_session_lifetime)), status


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id):
    token = db.session.execute(select(ApiToken).where(ApiToken.id == token_id,
                                                      ApiToken.user_id == current_user.id)).scalar()
    if token is None or not ActionForm().validate_on_submit():
        abort(404)
    token_service.revoke_token(token, by=current_user)
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for(".tokens"))


class PasswordForm(FlaskForm):
    current_password = PasswordField("Your current password", validators=[DataRequired("Enter your current password.")])
    password = PasswordField("New password", validators=[DataRequired("Enter a new password.")],
                             description=f"At least {people.MIN_PASSWORD} characters.")
    confirm = PasswordField("New password again", validators=[DataRequired("Enter the new password again."),
                                                              EqualTo("password", "The two new passwords differ.")])


@bp.route("/password", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_ADDRESS_RATE_LIMIT"], methods=["POST"],
               key_func=lambda: guessing.account_address_key(current_user.email),
               deduct_when=lambda response: g.get("wrong_password", False),
               error_message="Too many wrong passwords for this account. Wait a few minutes and try again.")
def password():
    if not current_user.password_hash:
        abort(404)  # Microsoft 365 accounts change their password with Microsoft
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        if not people.check_password(current_user, form.current_password.data):
            # Guessing the password here is guessing a sign-in: counted, and recorded, the same way.
            g.wrong_password = True
            guessing.record_failure(current_user.email, current_user)
            log.record("auth.password_refused", f"A wrong current password was given for {current_user.email} "
                       "on the change-password page", actor=current_user, trust_id=current_user.trust_id,
                       ip=request.remote_addr)
            db.session.commit()  # keep the record (and any warning to the owner) though the response is an error
            form.current_password.errors = ["That is not your current password."]
            status = 422
        else:
            try:
                people.set_password(current_user, form.password.data)  # ends every session
            except DirectoryError as exc:
                attach_error(form, exc)
                status = 422
            else:
                log.record("auth.password_changed", f"{current_user.email} changed their password; "
                           "every other browser was signed out", actor=current_user, trust_id=current_user.trust_id)
                browser_session.begin(current_user, "password")  # this browser carries on, in a new session
                flash("Your password has been changed. Every other browser has been signed out.", "success")
                return redirect(url_for(".tokens"))
    elif form.errors:
        status = 422
    return render_template("account/password.html", form=form), status


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if not ActionForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    ended = sessions.end_all(user)
    log.record("auth.signed_out_everywhere", f"{user.email} signed out everywhere ({ended} sessions ended)",
               actor=user, trust_id=user.trust_id)
    browser_session.end()
    flash("You have been signed out on every browser and device.", "info")
    return redirect(url_for("auth.login"))
