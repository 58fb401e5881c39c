"""/trust/assets/transfers: devices moved between the trust's schools, and moving a batch.

Moving is two steps: the form is checked and the page says exactly what will happen (which
devices, from where to where, rooms and people cleared), then "Move" does it."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from services.assets import permissions
from services.assets import transfers as transfer_service
from services.assets.errors import AssetError
from services.base import utcnow
from services.directory import schools as school_service
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import attach_error, current_trust, school_choices
from trust_it.ids import db_int
from trust_it.tenancy import current_scope, scoped_get

PAGE = 50


class TransferForm(FlaskForm):
    from_school_id = SelectField("From school", validate_choice=False,
                                 validators=[DataRequired("Choose the school the devices are at.")])
    to_school_id = SelectField("To school", validate_choice=False,
                               validators=[DataRequired("Choose the school the devices are going to.")])
    tags = TextAreaField("Asset tags or serial numbers", render_kw={"rows": 10, "spellcheck": "false"},
                         validators=[DataRequired("Enter the asset tags or serial numbers of the devices to move.")],
                         description="One a line, as a label scanner types them. Every device must be at the "
                                     "school it comes from: if any is not, nothing moves.")
    reason = TextAreaField("Reason", render_kw={"rows": 3},
                           validators=[DataRequired("Say why the devices are moving."), Length(max=2000)],
                           description="Both schools see it, e.g. “Year 7 laptops for the new cohort”.")
    confirmed = HiddenField()


def _school(value):
    try:
        return scoped_get(school_service.School, db_int(value)) if value else None
    except (TypeError, ValueError):
        return None


@bp.get("/assets/transfers")
@requires_trust_role(*permissions.READERS)
def asset_transfers():
    scope = current_scope()
    before = request.args.get("before", type=db_int)
    rows, next_before = transfer_service.page(transfer_service.visible(scope), scope, before_id=before, limit=PAGE)
    return render_template("central/assets/transfers.html", rows=rows, next_before=next_before,
                           may_transfer=permissions.may_transfer(scope))


@bp.route("/assets/transfers/new", methods=["GET", "POST"])
@requires_trust_role(*permissions.TRANSFERRERS)
def asset_transfer_new():
    trust = current_trust()
    form = TransferForm()
    choices = school_choices(school_service.schools_of_trust(trust.id), blank="Choose a school")
    form.from_school_id.choices = form.to_school_id.choices = choices
    if "change" in request.form:  # back from the confirmation, the list one a line again
        form.tags.data = "\n".join(transfer_service.parse_tags(form.tags.data))
    if request.method == "GET" or "change" in request.form or not form.validate_on_submit():
        status = 422 if request.method == "POST" and "change" not in request.form else 200
        return render_template("central/assets/transfer_new.html", form=form), status
    from_school, to_school = _school(form.from_school_id.data), _school(form.to_school_id.data)
    tags = transfer_service.parse_tags(form.tags.data)
    now = utcnow()
    try:
        if form.confirmed.data != "yes":
            plan = transfer_service.plan(from_school=from_school, to_school=to_school, reason=form.reason.data,
                                         tags=tags, by=current_user, now=now, scope=current_scope())
            return render_template("central/assets/transfer_confirm.html", form=form, plan=plan,
                                   tags=", ".join(tags))
        transfer = transfer_service.transfer(from_school=from_school, to_school=to_school, reason=form.reason.data,
                                             tags=tags, by=current_user, now=now, scope=current_scope())
    except AssetError as exc:
        attach_error(form, exc)
        return render_template("central/assets/transfer_new.html", form=form), 422
    flash(f"{transfer_service.devices(transfer.asset_count)} moved from {from_school.name} to {to_school.name}.",
          "success")
    return redirect(url_for("central.asset_transfers"))
