"""The trust's directory of schools: list, add, edit, and each school's calendar."""
from datetime import date, time

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from services.directory import schools as school_service
from services.directory.errors import DirectoryError
from services.directory.models import WEEKDAYS, Closure, School, Term
from trust_it.access import TRUST_STAFF, requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm, BankHolidayForm, ClosureForm, SchoolForm, TermForm
from trust_it.central.helpers import attach_error, current_trust
from trust_it.tenancy import get_or_404

FIELDS = ("name", "slug", "urn", "la_estab", "phase", "pupils", "support_model", "email_domains", "timezone")


@bp.get("/schools")
@requires_trust_role(*TRUST_STAFF)
def schools():
    trust = current_trust()
    return render_template("central/schools.html", trust=trust, schools=school_service.schools_of_trust(trust.id))


@bp.route("/schools/new", methods=["GET", "POST"])
@requires_trust_role("trust_admin")
def school_new():
    form = SchoolForm()
    if form.validate_on_submit():
        try:
            school = school_service.create_school(current_trust(), by=current_user,
                                                  **{f: getattr(form, f).data for f in FIELDS})
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash(f"{school.name} added. Set its term dates next.", "success")
            return redirect(url_for(".school_calendar", school_id=school.id))
    return render_template("central/school_form.html", form=form, school=None), 422 if form.errors else 200


@bp.route("/schools/<int:school_id>/edit", methods=["GET", "POST"])
@requires_trust_role("trust_admin")
def school_edit(school_id):
    school = get_or_404(School, school_id)
    form = SchoolForm(obj=school)
    if request.method == "GET":
        form.email_domains.data = ", ".join(school.email_domains or [])
    if form.validate_on_submit():
        try:
            school_service.update_school(school, by=current_user, **{f: getattr(form, f).data for f in FIELDS})
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash(f"{school.name} saved.", "success")
            return redirect(url_for(".schools"))
    return render_template("central/school_form.html", form=form, school=school), 422 if form.errors else 200


@bp.get("/schools/<int:school_id>/calendar")
@requires_trust_role(*TRUST_STAFF)
def school_calendar(school_id):
    school = get_or_404(School, school_id)
    return _calendar_page(school)


def _calendar_page(school, status=200, term_form=None, closure_form=None, holiday_form=None, hours_errors=None):
    today = date.today()
    year_start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    holiday_form = holiday_form or BankHolidayForm(starts_on=year_start, ends_on=date(year_start.year + 1, 8, 31))
    return render_template("central/calendar.html", school=school, cal=school_service.calendar_of(school),
                           weekdays=WEEKDAYS, term_form=term_form or TermForm(prefix="term"),
                           closure_form=closure_form or ClosureForm(prefix="closure"),
                           holiday_form=holiday_form, action_form=ActionForm(),
                           hours_errors=hours_errors or {}), status


@bp.post("/schools/<int:school_id>/calendar/hours")
@requires_trust_role("trust_admin")
def school_hours(school_id):
    school = get_or_404(School, school_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    hours, errors = {}, {}
    for n, name in enumerate(WEEKDAYS):
        if not request.form.get(f"open_{n}"):
            hours[n] = None
            continue
        try:
            opens = time.fromisoformat(request.form.get(f"opens_{n}", ""))
            closes = time.fromisoformat(request.form.get(f"closes_{n}", ""))
        except ValueError:
            errors[n] = f"Enter opening and closing times for {name}, like 08:00 and 16:30."
            continue
        hours[n] = (opens, closes)
    if not errors:
        try:
            school_service.set_working_hours(school, hours, by=current_user)
        except DirectoryError as exc:
            errors[int(exc.field.rsplit("_", 1)[1])] = exc.message
    if errors:
        return _calendar_page(school, 422, hours_errors=errors)
    flash("Working hours saved.", "success")
    return redirect(url_for(".school_calendar", school_id=school.id))


@bp.post("/schools/<int:school_id>/calendar/terms")
@requires_trust_role("trust_admin")
def school_term_add(school_id):
    school = get_or_404(School, school_id)
    form = TermForm(prefix="term")
    if form.validate_on_submit():
        try:
            school_service.add_term(school, name=form.name.data, starts_on=form.starts_on.data,
                                    ends_on=form.ends_on.data, by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash(f"{form.name.data} added.", "success")
            return redirect(url_for(".school_calendar", school_id=school.id))
    return _calendar_page(school, 422, term_form=form)


@bp.post("/schools/<int:school_id>/calendar/closures")
@requires_trust_role("trust_admin")
def school_closure_add(school_id):
    school = get_or_404(School, school_id)
    form = ClosureForm(prefix="closure")
    if form.validate_on_submit():
        try:
            school_service.add_closure(school, day=form.day.data, name=form.name.data, kind=form.kind.data,
                                       by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash("Closure day added.", "success")
            return redirect(url_for(".school_calendar", school_id=school.id))
    return _calendar_page(school, 422, closure_form=form)


@bp.post("/schools/<int:school_id>/calendar/bank-holidays")
@requires_trust_role("trust_admin")
def school_bank_holidays(school_id):
    school = get_or_404(School, school_id)
    form = BankHolidayForm()
    if form.validate_on_submit():
        try:
            added = school_service.add_bank_holidays(school, form.starts_on.data, form.ends_on.data,
                                                     by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash(f"{added} bank holidays for England and Wales added." if added
                  else "Those bank holidays were already in the calendar.", "success")
            return redirect(url_for(".school_calendar", school_id=school.id))
    return _calendar_page(school, 422, holiday_form=form)


@bp.post("/schools/<int:school_id>/calendar/terms/<int:term_id>/delete")
@requires_trust_role("trust_admin")
def school_term_delete(school_id, term_id):
    return _delete_entry(school_id, Term, term_id)


@bp.post("/schools/<int:school_id>/calendar/closures/<int:closure_id>/delete")
@requires_trust_role("trust_admin")
def school_closure_delete(school_id, closure_id):
    return _delete_entry(school_id, Closure, closure_id)


def _delete_entry(school_id, model, entry_id):
    school = get_or_404(School, school_id)
    entry = get_or_404(model, entry_id)
    if entry.school_id != school.id or not ActionForm().validate_on_submit():
        abort(404)
    school_service.delete_calendar_entry(entry, by=current_user)
    flash(f"{entry.name} removed.", "success")
    return redirect(url_for(".school_calendar", school_id=school.id))
