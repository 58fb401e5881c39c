"""People and their roles: list, invite, change roles, deactivate (trust administrators)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from services.directory import people as people_service
from services.directory import schools as school_service
from services.directory import tokens as token_service
from services.directory.errors import DirectoryError
from services.directory.models import ApiToken, Membership, School, User
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.forms import ActionForm, ChangeRoleForm, InviteForm, MembershipForm
from trust_it.central.helpers import attach_error, current_trust, school_choices
from trust_it.extensions import db
from trust_it.formatting import uk_to_utc
from trust_it.ids import db_int
from trust_it.tenancy import scoped_get

PAGE = 50


def _trust_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.trust_id != current_trust().id:
        abort(404)
    return user


def _school_from_form(value: str | None) -> School | None:
    if not value:
        return None
    school = scoped_get(School, db_int(value)) if value.isascii() and value.isdigit() else None
    if school is None:
        raise DirectoryError("Choose a school from the list.", "school")
    return school


@bp.get("/users")
@requires_trust_role("trust_admin")
def users():
    trust = current_trust()
    after = request.args.get("after", type=db_int)
    q = request.args.get("q", "").strip()
    school_id = request.args.get("school", type=db_int)
    rows = people_service.users_of_trust(trust.id, search=q or None, after_id=after, limit=PAGE + 1,
                                         school_ids=[school_id] if school_id else None)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template("central/users.html", users=rows, q=q, school_id=school_id,
                           schools=school_service.schools_of_trust(trust.id),
                           next_after=rows[-1].id if more else None)


@bp.route("/users/new", methods=["GET", "POST"])
@requires_trust_role("trust_admin")
def user_new():
    trust = current_trust()
    form = InviteForm()
    form.school.choices = school_choices(school_service.schools_of_trust(trust.id))
    if form.validate_on_submit():
        try:
            school = _school_from_form(form.school.data)
            # Savepoint: a refused membership must not leave an account behind.
            with db.session.begin_nested():
                user = people_service.create_user(trust_id=trust.id, email=form.email.data,
                                                  display_name=form.display_name.data, by=current_user)
                people_service.add_membership(user, role=form.role.data, school=school,
                                              expires_at=uk_to_utc(form.expires_at.data), by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            how = ("with Microsoft 365 as " + user.email) if current_app.config["ENTRA_ENABLED"] else (
                "once Microsoft 365 sign-in is set up, or with a password set by the command line")
            flash(f"{user.display_name} added. They can sign in {how}.", "success")
            return redirect(url_for(".user_detail", user_id=user.id))
    return render_template("central/user_new.html", form=form), 422 if form.errors else 200


@bp.get("/users/<int:user_id>")
@requires_trust_role("trust_admin")
def user_detail(user_id):
    user = _trust_user_or_404(user_id)
    return _user_page(user)


def _user_page(user, form=None, status=200):
    trust = current_trust()
    form = form or MembershipForm()
    form.school.choices = school_choices(school_service.schools_of_trust(trust.id), blank="— trust-wide —")
    return render_template("central/user_detail.html", user=user, form=form, action_form=ActionForm(),
                           role_form=ChangeRoleForm(), tokens=token_service.tokens_of(user)), status


@bp.post("/users/<int:user_id>/memberships")
@requires_trust_role("trust_admin")
def membership_add(user_id):
    user = _trust_user_or_404(user_id)
    form = MembershipForm()
    form.school.choices = school_choices(school_service.schools_of_trust(user.trust_id), blank="— trust-wide —")
    if form.validate_on_submit():
        try:
            people_service.add_membership(user, role=form.role.data, school=_school_from_form(form.school.data),
                                          expires_at=uk_to_utc(form.expires_at.data), by=current_user)
        except DirectoryError as exc:
            attach_error(form, exc)
        else:
            flash("Role added.", "success")
            return redirect(url_for(".user_detail", user_id=user.id))
    return _user_page(user, form, 422)


def _membership_or_404(user, membership_id) -> Membership:
    membership = next((m for m in user.memberships if m.id == membership_id), None)
    if membership is None:
        abort(404)
    return membership


@bp.post("/users/<int:user_id>/memberships/<int:membership_id>/role")
@requires_trust_role("trust_admin")
def membership_role(user_id, membership_id):
    user = _trust_user_or_404(user_id)
    membership = _membership_or_404(user, membership_id)
    form = ChangeRoleForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        people_service.change_role(membership, form.role.data, by=current_user)
    except DirectoryError as exc:
        flash(exc.message, "error")
        return _user_page(user, status=422)
    flash("Role changed.", "success")
    return redirect(url_for(".user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/memberships/<int:membership_id>/delete")
@requires_trust_role("trust_admin")
def membership_remove(user_id, membership_id):
    user = _trust_user_or_404(user_id)
    membership = _membership_or_404(user, membership_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    people_service.remove_membership(membership, by=current_user)
    flash("Role removed.", "success")
    return redirect(url_for(".user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@requires_trust_role("trust_admin")
def user_active(user_id):
    user = _trust_user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    want = request.form.get("active") == "1"
    try:
        people_service.set_active(user, want, by=current_user)
    except DirectoryError as exc:
        flash(exc.message, "error")
        return _user_page(user, status=422)
    flash(f"{user.display_name} {'reactivated' if want else 'deactivated: their sessions have ended'}.", "success")
    return redirect(url_for(".user_detail", user_id=user.id))


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@requires_trust_role("trust_admin")
def user_token_revoke(user_id, token_id):
    user = _trust_user_or_404(user_id)
    token = db.session.execute(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)).scalar()
    if token is None or not ActionForm().validate_on_submit():
        abort(404)
    token_service.revoke_token(token, by=current_user)
    flash(f"Token “{token.name}” revoked.", "success")
    return redirect(url_for(".user_detail", user_id=user.id))
