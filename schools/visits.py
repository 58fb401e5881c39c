"""Visits to a school by technicians and MSP engineers, and the school's visits as a calendar feed."""
from datetime import datetime

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired

from schools import bp
from schools.guidance import ticket_url
from services.desk import permissions
from services.desk import visits as visit_service
from services.desk.errors import DeskError
from services.desk.models import Visit
from services.directory.models import User
from services.directory.schools import school_by_slug
from trust_it.access import requires_school_role
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error
from trust_it.extensions import db
from trust_it.formatting import uk_to_utc
from trust_it.ids import db_int
from trust_it.tenancy import get_or_404, scope_for, set_scope


class PlanVisitForm(FlaskForm):
    engineer_id = SelectField("Who is visiting", coerce=db_int, validate_choice=False)
    day = DateField("Date", validators=[DataRequired("Enter the date of the visit.")])
    starts_at = TimeField("From", validators=[DataRequired("Enter the time the visit starts, like 08:30.")],
                          description="UK time.")
    ends_at = TimeField("To", validators=[DataRequired("Enter the time the visit ends, like 12:30.")],
                        description="UK time.")
    notes = TextAreaField("Notes", description="What the visit is for, or anything the school should prepare.")


class DoneForm(FlaskForm):
    notes = TextAreaField("What was done", render_kw={"rows": 5})
    tickets = StringField("Requests worked on", description="References separated by commas, e.g. OAK-000012, "
                                                           "OAK-000015.")


def _visit_or_404(visit_id) -> Visit:
    visit = get_or_404(Visit, visit_id)
    if visit.school_id != g.school.id:
        abort(404)
    return visit


def _feed_url() -> str:
    key = visit_service.feed_key(current_app.config["SECRET_KEY"], g.school, current_user)
    return url_for(".visits_feed", key=key, _external=True)


@bp.get("/visits")
@requires_school_role(*permissions.VISIT_READERS)
def visits():
    planned, past = visit_service.visits_of(g.school)
    feed = _feed_url()
    return render_template("schools/visits/index.html", school=g.school, planned=planned, past=past,
                           worked=visit_service.references_by_visit([v.id for v in past]),
                           feed_url=feed, webcal_url="webcal://" + feed.split("://", 1)[1], form=ActionForm())


@bp.route("/visits/new", methods=["GET", "POST"])
@requires_school_role(*permissions.VISIT_PLANNERS)
def visit_new():
    form = PlanVisitForm()
    people = visit_service.engineer_choices(g.school, current_user._get_current_object())
    form.engineer_id.choices = [(p.id, p.display_name) for p in people]
    if request.method == "GET":
        form.engineer_id.data = current_user.id
    if form.validate_on_submit():
        allowed = {p.id for p in people}
        engineer = db.session.get(User, form.engineer_id.data) if form.engineer_id.data in allowed else None
        try:
            visit = visit_service.plan_visit(
                g.school, engineer=engineer, notes=form.notes.data, by=current_user,
                starts_at=uk_to_utc(datetime.combine(form.day.data, form.starts_at.data)),
                ends_at=uk_to_utc(datetime.combine(form.day.data, form.ends_at.data)))
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Visit planned for {visit.engineer.display_name}.", "success")
            return redirect(url_for(".visits"))
    return render_template("schools/visits/new.html", school=g.school, form=form), 422 if form.errors else 200


def _detail(visit: Visit, form: DoneForm | None = None, status: int = 200):
    form = form or DoneForm(notes=visit.notes)
    prefix = g.school.ticket_prefix
    form.tickets.description = f"References separated by commas, e.g. {prefix}-000012, {prefix}-000015."
    return render_template("schools/visits/detail.html", school=g.school, visit=visit, form=form,
                           action_form=ActionForm(), tickets=visit_service.linked_tickets(visit),
                           ticket_url=ticket_url), status


@bp.get("/visits/<int:visit_id>")
@requires_school_role(*permissions.VISIT_READERS)
def visit(visit_id):
    return _detail(_visit_or_404(visit_id))


@bp.post("/visits/<int:visit_id>/done")
@requires_school_role(*permissions.VISIT_PLANNERS)
def visit_done(visit_id):
    visit = _visit_or_404(visit_id)
    form = DoneForm()
    if form.validate_on_submit():
        try:
            visit_service.complete_visit(visit, g.school, notes=form.notes.data, tickets=form.tickets.data,
                                         by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash("Visit marked as done.", "success")
            return redirect(url_for(".visits"))
    return _detail(visit, form, 422)


@bp.post("/visits/<int:visit_id>/cancel")
@requires_school_role(*permissions.VISIT_PLANNERS)
def visit_cancel(visit_id):
    visit = _visit_or_404(visit_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        visit_service.cancel_visit(visit, by=current_user)
    except DeskError as exc:
        form = DoneForm(notes=visit.notes)
        form.form_errors.append(exc.message)
        return _detail(visit, form, 422)
    flash("Visit cancelled. Calendars that subscribe to the feed show it as cancelled.", "success")
    return redirect(url_for(".visits"))


@bp.get("/visits.ics")
def visits_feed():
    """The school's visits for a calendar app. No session: the signed key names the person and
    the school, and the feed answers only while that person is active and may see the school's
    visits. Every refusal is the same 404, so the feed never confirms that a school exists."""
    found = visit_service.read_feed_key(current_app.config["SECRET_KEY"], request.args.get("key"))
    if found is None:
        abort(404)
    user, school_id = found
    scope = scope_for(user)
    set_scope(scope)
    school = school_by_slug(g.school_slug)
    if school is None or school.id != school_id or not permissions.may_read_visits(scope, school.id):
        abort(404)
    body = visit_service.calendar(school, visit_service.feed_visits(school))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{school.slug}-visits.ics"',
        "Cache-Control": "private, max-age=300"})
