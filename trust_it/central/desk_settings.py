"""Desk settings for trust administrators: categories, the service catalogue, SLA targets and
per-school overrides.

A trust with nothing set up yet is offered "Start with the suggested…" — a POST — rather than
having defaults written on its first GET: looking at a page must never change data, and the
administrator sees what they are adopting. Until then tickets still get the suggested SLA
targets (sla.targets_for falls back to them), and this page shows them as such.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from services.desk import catalogue
from services.desk import settings as settings_service
from services.desk.clock import DEFAULT_TARGETS
from services.desk.errors import DeskError
from services.directory import schools as school_service
from services.directory.models import School, User
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.desk_forms import (
    PRIORITY_LABELS,
    TARGET_HINT,
    CategoryForm,
    ServiceForm,
    TargetsForm,
    fill_targets,
    format_working_time,
    read_targets,
)
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error, current_trust
from trust_it.extensions import db
from trust_it.ids import db_int
from trust_it.tenancy import get_or_404

ADMIN = "trust_admin"


def _page_values() -> dict:
    return {"PRIORITY_LABELS": PRIORITY_LABELS, "TARGET_HINT": TARGET_HINT, "DEFAULT_TARGETS": DEFAULT_TARGETS,
            "fmt": format_working_time, "describe": settings_service.describe_minutes}


def _owner_choices(trust_id: int) -> list[tuple[str, str]]:
    return [("", "— no owner yet —")] + [(str(u.id), f"{u.display_name} ({u.email})")
                                        for u in settings_service.owner_choices(trust_id)]


def _owner_from(form: ServiceForm, trust_id: int) -> User | None:
    value = (form.owner_id.data or "").strip()
    if not value:
        return None
    owner = db.session.get(User, db_int(value)) if value.isascii() and value.isdigit() else None
    if owner is None or owner.trust_id != trust_id:
        raise DeskError("Choose someone from the trust's central team.", "owner_id")
    return owner


def _settings_page(*, category_form=None, service_form=None, targets_form=None, status=200):
    trust = current_trust()
    service_form = service_form or ServiceForm(prefix="service")
    service_form.owner_id.choices = _owner_choices(trust.id)
    trust_targets = settings_service.trust_targets(trust.id)
    if targets_form is None:
        targets_form = TargetsForm(prefix="sla")
        fill_targets(targets_form, {p: (r, s) for p, (r, s, _) in trust_targets.items()})
    return render_template(
        "central/desk/settings.html", trust=trust, empty=settings_service.is_empty(trust.id),
        categories=catalogue.categories(trust.id, active_only=False),
        services=catalogue.services(trust.id, active_only=False),
        trust_targets=trust_targets, overrides=settings_service.school_overrides(trust.id),
        schools=school_service.schools_of_trust(trust.id),
        category_form=category_form or CategoryForm(prefix="category"), service_form=service_form,
        targets_form=targets_form, **_page_values()), status


@bp.get("/desk/settings")
@requires_trust_role(ADMIN)
def desk_settings_page():
    return _settings_page()


@bp.post("/desk/settings/start")
@requires_trust_role(ADMIN)
def desk_settings_start():
    if not ActionForm().validate_on_submit():
        abort(400)
    settings_service.start_with_defaults(current_trust(), by=current_user)
    flash("The suggested categories, services and SLA targets are in place: change them as you need.", "success")
    return redirect(url_for(".desk_settings_page"))


# --- categories ----------------------------------------------------------------------------------

@bp.post("/desk/settings/categories")
@requires_trust_role(ADMIN)
def desk_category_add():
    form = CategoryForm(prefix="category")
    if form.validate_on_submit():
        try:
            category = settings_service.add_category(current_trust(), name=form.name.data, by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Category “{category.name}” added.", "success")
            return redirect(url_for(".desk_settings_page") + "#categories")
    return _settings_page(category_form=form, status=422)


def _category_or_404(category_id: int):
    category = settings_service.category_of(current_trust().id, category_id)
    if category is None:
        abort(404)
    return category


@bp.route("/desk/settings/categories/<int:category_id>", methods=["GET", "POST"])
@requires_trust_role(ADMIN)
def desk_category(category_id):
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category) if request.method == "GET" else CategoryForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            settings_service.rename_category(category, name=form.name.data, by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Category renamed “{category.name}”.", "success")
            return redirect(url_for(".desk_settings_page") + "#categories")
    return render_template("central/desk/category.html", category=category, form=form,
                           **_page_values()), 422 if form.errors else 200


@bp.post("/desk/settings/categories/<int:category_id>/active")
@requires_trust_role(ADMIN)
def desk_category_active(category_id):
    category = _category_or_404(category_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    settings_service.set_category_active(category, active, by=current_user)
    flash(f"“{category.name}” {'is back in the list' if active else 'is retired: staff no longer see it'}.",
          "success")
    return redirect(url_for(".desk_settings_page") + "#categories")


# --- services ------------------------------------------------------------------------------------

@bp.post("/desk/settings/services")
@requires_trust_role(ADMIN)
def desk_service_add():
    trust = current_trust()
    form = ServiceForm(prefix="service")
    if form.validate_on_submit():
        try:
            service = settings_service.add_service(trust, name=form.name.data, description=form.description.data,
                                                owner=_owner_from(form, trust.id), by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Service “{service.name}” added to the catalogue.", "success")
            return redirect(url_for(".desk_settings_page") + "#services")
    return _settings_page(service_form=form, status=422)


def _service_or_404(service_id: int):
    service = settings_service.service_of(current_trust().id, service_id)
    if service is None:
        abort(404)
    return service


@bp.route("/desk/settings/services/<int:service_id>", methods=["GET", "POST"])
@requires_trust_role(ADMIN)
def desk_service(service_id):
    trust = current_trust()
    service = _service_or_404(service_id)
    form = ServiceForm(obj=service) if request.method == "GET" else ServiceForm()
    choices = _owner_choices(trust.id)
    if service.owner is not None and str(service.owner_id) not in {value for value, _ in choices}:
        choices.append((str(service.owner_id), f"{service.owner.display_name} (no longer in the central team)"))
    form.owner_id.choices = choices
    if request.method == "GET":
        form.owner_id.data = str(service.owner_id or "")
    elif form.validate_on_submit():
        try:
            settings_service.update_service(service, name=form.name.data, description=form.description.data,
                                         owner=_owner_from(form, trust.id), by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Service “{service.name}” saved.", "success")
            return redirect(url_for(".desk_settings_page") + "#services")
    return render_template("central/desk/service.html", service=service, form=form,
                           **_page_values()), 422 if form.errors else 200


@bp.post("/desk/settings/services/<int:service_id>/active")
@requires_trust_role(ADMIN)
def desk_service_active(service_id):
    service = _service_or_404(service_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    settings_service.set_service_active(service, active, by=current_user)
    flash(f"“{service.name}” {'is back in the catalogue' if active else 'is retired from the catalogue'}.",
          "success")
    return redirect(url_for(".desk_settings_page") + "#services")


# --- SLA targets ---------------------------------------------------------------------------------

def _saved_message(changed: list[int], where: str) -> str:
    if not changed:
        return f"Nothing changed for {where}."
    return (f"SLA targets saved for {where} ({', '.join(f'P{p}' for p in changed)}). "
            "Open tickets of those priorities are being given the new targets.")


@bp.post("/desk/settings/targets")
@requires_trust_role(ADMIN)
def desk_targets_save():
    trust = current_trust()
    form = TargetsForm(prefix="sla")
    targets = read_targets(form, blank_means_trust=False) if form.validate_on_submit() else None
    if targets is not None:
        try:
            changed = settings_service.set_targets(trust, targets, by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(_saved_message(changed, "the trust"), "success")
            return redirect(url_for(".desk_settings_page") + "#sla")
    return _settings_page(targets_form=form, status=422)


@bp.get("/desk/settings/school")
@requires_trust_role(ADMIN)
def desk_school_choose():
    """The "choose a school" form posts here by GET; its answer is the school's own page."""
    school_id = request.args.get("school", type=db_int)
    if not school_id:
        flash("Choose a school first.", "error")
        return redirect(url_for(".desk_settings_page") + "#overrides")
    return redirect(url_for(".desk_school_targets", school_id=school_id))


def _school_page(school: School, form: TargetsForm | None = None, status: int = 200):
    trust = current_trust()
    overrides = {t.priority: t for t, _ in settings_service.school_overrides(trust.id, school.id)}
    if form is None:
        form = TargetsForm(prefix="sla")
        fill_targets(form, {p: (t.response_minutes, t.resolution_minutes) for p, t in overrides.items()})
    return render_template("central/desk/school_targets.html", school=school, form=form, overrides=overrides,
                           trust_targets=settings_service.trust_targets(trust.id), **_page_values()), status


@bp.get("/desk/settings/schools/<int:school_id>")
@requires_trust_role(ADMIN)
def desk_school_targets(school_id):
    return _school_page(get_or_404(School, school_id))


@bp.post("/desk/settings/schools/<int:school_id>")
@requires_trust_role(ADMIN)
def desk_school_targets_save(school_id):
    school = get_or_404(School, school_id)
    form = TargetsForm(prefix="sla")
    targets = read_targets(form, blank_means_trust=True) if form.validate_on_submit() else None
    if targets is not None:
        try:
            changed = settings_service.set_targets(current_trust(), targets, school=school, by=current_user)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(_saved_message(changed, school.name), "success")
            return redirect(url_for(".desk_settings_page") + "#overrides")
    return _school_page(school, form, 422)


@bp.post("/desk/settings/targets/<int:target_id>/delete")
@requires_trust_role(ADMIN)
def desk_override_remove(target_id):
    target = settings_service.override_of(current_trust().id, target_id)
    if target is None or not ActionForm().validate_on_submit():
        abort(404)
    settings_service.remove_override(target, by=current_user)
    flash(f"P{target.priority} override removed: the trust's target applies again.", "success")
    if request.form.get("back") == "school":
        return redirect(url_for(".desk_school_targets", school_id=target.school_id))
    return redirect(url_for(".desk_settings_page") + "#overrides")
