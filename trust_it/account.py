"""The signed-in person's own account: their roles and API tokens."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from services.directory import tokens as token_service
from services.directory.errors import DirectoryError
from services.directory.models import ApiToken
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error
from trust_it.extensions import db

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
                           tokens=token_service.tokens_of(current_user)), status


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
