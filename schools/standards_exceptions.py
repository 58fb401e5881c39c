"""A school's exceptions to the standards (a ticket from a drift is in standards.py).

/s/<school>/standards/exceptions                         the school's exceptions, newest first
/s/<school>/standards/items/<item_id>/exception          ask for one (justification, end date)
/s/<school>/standards/exceptions/<id>/withdraw           take back a request, or end one early (POST)

Recommending and deciding happen on the trust's side, on the request's ticket (the decisions page).
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired

from schools import bp
from schools.views import EVERYONE
from services.base import utcnow
from services.desk import permissions as desk_permissions
from services.errors import NotAllowed
from services.standards import exceptions, permissions
from services.standards.assessments import item_for
from services.standards.errors import StandardsError
from services.standards.models import StandardException
from trust_it.access import requires_school_role
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error
from trust_it.extensions import db
from trust_it.ids import db_int
from trust_it.tenancy import current_scope

PAGE = 50
EXCEPTION_TAGS = {"requested": "blue", "recommended": "yellow", "approved": "green", "rejected": "red",
                  "expired": "grey", "withdrawn": "grey"}


class ExceptionForm(FlaskForm):
    justification = TextAreaField(
        "Why the school cannot meet this for now",
        validators=[InputRequired("Say why the school cannot meet this item for now, and what it does instead.")],
        description="What stops it, what the school does instead meanwhile, and what will change by the end date.",
        render_kw={"rows": 6})
    ends_on = DateField("Until", validators=[InputRequired("Give the date the exception ends.")],
                        description="The last day the exception holds. The IT director may agree a shorter time.")


class WithdrawForm(ActionForm):
    pass


def _item_or_404(item_id):
    try:
        return item_for(g.school, item_id)
    except StandardsError:
        abort(404)


@bp.get("/standards/exceptions")
@requires_school_role(*EVERYONE)  # everyone with a role at the school reads them
def standard_exceptions():
    stmt = exceptions.exceptions_of([g.school.id]).order_by(StandardException.id.desc()).limit(PAGE + 1)
    before = request.args.get("before", type=db_int)
    if before:
        stmt = stmt.where(StandardException.id < before)
    rows = db.session.execute(stmt).unique().scalars().all()
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template("schools/standards/exceptions.html", school=g.school, rows=rows, tags=EXCEPTION_TAGS,
                           form=WithdrawForm(), next_before=rows[-1].id if more and rows else None,
                           reads_tickets=desk_permissions.may_read_all(current_scope(), g.school.id),
                           may_request=permissions.may_request_exception(current_scope(), g.school.id))


@bp.route("/standards/items/<int:item_id>/exception", methods=["GET", "POST"])
@requires_school_role(*permissions.ASSESSORS)
def standard_exception_new(item_id):
    item = _item_or_404(item_id)
    form = ExceptionForm()
    if form.validate_on_submit():
        try:
            exception = exceptions.request_exception(g.school, item, justification=form.justification.data,
                                                     ends_on=form.ends_on.data, by=current_user._get_current_object(),
                                                     now=utcnow(), scope=current_scope())
        except NotAllowed:
            abort(403)
        except StandardsError as exc:
            attach_error(form, exc)
        else:
            flash(f"Exception to {item.code} requested: the trust's technical team has it "
                  f"({exception.ticket.reference}).", "success")
            return redirect(url_for(".standard_exceptions"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("schools/standards/exception_new.html", school=g.school, item=item, form=form), status


@bp.post("/standards/exceptions/<int:exception_id>/withdraw")
@requires_school_role(*permissions.ASSESSORS)
def standard_exception_withdraw(exception_id):
    exception = exceptions.get(exception_id, [g.school.id])
    if exception is None:
        abort(404)
    if not WithdrawForm().validate_on_submit():
        abort(400)
    try:
        exceptions.withdraw(exception, by=current_user._get_current_object(), now=utcnow(), scope=current_scope())
    except NotAllowed:
        abort(403)
    except StandardsError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Exception to {exception.item.code} withdrawn.", "success")
    return redirect(url_for(".standard_exceptions"))
