"""The school's asset register: the list, one asset (and its phone form), adding and changing assets, rooms, licences.

/s/<school>/assets                 search, filters, counts, a page by tag
/s/<school>/assets/<id>            details, history, tickets about it; status/room/person at the top
/s/<school>/assets/new, …/edit     the full form
/s/<school>/assets/rooms           the school's rooms
/s/<school>/assets/licences        the school's licences (and the trust's, read-only)

Technicians (and the trust's IT people) change the register; school leads read it. Another
school's asset is a 404, like one that does not exist.
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schools import bp
from schools.assets_forms import (
    AssetForm,
    LicenceForm,
    QuickUpdateForm,
    RoomEditForm,
    RoomForm,
)
from services.assets import licences, listing, locations, permissions, register, search_args
from services.assets.errors import AssetError
from services.assets.models import DISPOSAL_METHODS, FUNDING, STATUSES, Asset, AssetCategory, Licence, Location
from services.base import utcnow
from services.desk.models import Ticket
from services.directory.models import Membership, User
from trust_it.access import requires_school_role
from trust_it.central.helpers import attach_error
from trust_it.extensions import db
from trust_it.tenancy import current_scope, get_or_404

STATUS_TAGS = {"in_stock": "blue", "deployed": "green", "in_repair": "yellow", "retired": "grey",
               "lost_stolen": "red", "disposed": "grey"}
NONE = ("", "— none —")


def may_edit() -> bool:
    return permissions.may_edit(current_scope(), g.school.id)


def _check_edit() -> None:
    permissions.check(may_edit(), "Only the school's technicians and the trust's IT team change the register.")


def _categories() -> list[AssetCategory]:
    return listing.trust_categories(g.school.trust_id)


def people_choices() -> list[tuple[str, str]]:
    """The school's current people, by name (one query)."""
    people = db.session.execute(
        select(User.id, User.display_name).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == g.school.id, Membership.current_at(utcnow()), User.active.is_(True))
        .distinct().order_by(User.display_name)).all()
    return [NONE] + [(str(i), name) for i, name in people]


def room_choices() -> list[tuple[str, str]]:
    return [NONE] + [(str(r.id), f"{r.name} ({r.building})" if r.building else r.name)
                     for r in locations.rooms_of(g.school.id)]


def _id(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def load_asset(asset_id: int) -> Asset:
    stmt = (select(Asset).where(Asset.id == asset_id, Asset.school_id == g.school.id)
            .options(joinedload(Asset.category), joinedload(Asset.assigned_user), joinedload(Asset.location)))
    asset = db.session.execute(stmt).unique().scalar_one_or_none()
    if asset is None:
        abort(404)
    return asset


def status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "grey")


def submit(form, action, done_url: str):
    """Run `action()` (it returns what to tell the person) once the form is valid, then go to `done_url`;
    None when the form or the service refused (the error is beside its field), so the view shows the form again."""
    if not form.validate_on_submit():
        return None
    try:
        message = action()
    except AssetError as exc:
        attach_error(form, exc)
        return None
    flash(message, "success")
    return redirect(done_url)


def subject_of(asset_text: str | None, room_text: str | None, school_id: int) -> tuple[Asset | None, Location | None]:
    """The device (tag or serial) and room (name) a ticket form names, each of the school; DeskError if unknown."""
    from services.desk.errors import DeskError
    asset = register.find(school_id, asset_text) if (asset_text or "").strip() else None
    if (asset_text or "").strip() and asset is None:
        raise DeskError("No device of this school has that asset tag or serial number.", "asset")
    room = locations.room_named(school_id, room_text) if (room_text or "").strip() else None
    if (room_text or "").strip() and room is None:
        raise DeskError("No room of this school has that name.", "room")
    return asset, room


# --- the list ---------------------------------------------------------------------------------

@bp.get("/assets")
@requires_school_role(*permissions.READERS)
def assets():
    today = date.today()
    f = search_args.filters_from_args(request.args, today=today, school_id=g.school.id)
    query = search_args.query_of(f, with_school=False)
    found = listing.page(f, after=request.args.get("after"))
    cats = _categories()
    return render_template(
        "schools/assets/list.html", school=g.school, page=found, f=f, query=query, counts=listing.counts(f),
        categories=cats, category_names={c.id: c.name for c in cats}, rooms=locations.rooms_of(g.school.id),
        first_page=not request.args.get("after"), CHOICES=listing.CHOICES, status_tag=status_tag,
        may_edit=may_edit(), today=today, asset_url=lambda a: url_for(".asset", asset_id=a.id),
        status_url=lambda key: url_for(".assets", **{**query, "status": key}))


# --- one asset --------------------------------------------------------------------------------

def _quick_form(asset: Asset, form: QuickUpdateForm | None = None) -> QuickUpdateForm:
    form = form or QuickUpdateForm(prefix="quick", status=asset.status, location_id=str(asset.location_id or ""),
                                   assigned_user_id=str(asset.assigned_user_id or ""))
    form.location_id.choices = room_choices()
    form.assigned_user_id.choices = people_choices()
    return form


def tickets_about(asset: Asset) -> list[Ticket]:
    stmt = select(Ticket).where(Ticket.asset_id == asset.id, Ticket.school_id == asset.school_id)
    return list(db.session.execute(stmt.order_by(Ticket.id.desc()).limit(50)).scalars())


def _asset_page(asset: Asset, quick: QuickUpdateForm | None = None, code: int = 200):
    editing = may_edit()
    return render_template(
        "schools/assets/show.html", school=g.school, asset=asset, events=register.history(asset),
        tickets=tickets_about(asset), quick=_quick_form(asset, quick) if editing else None, may_edit=editing,
        STATUSES=STATUSES, FUNDING=FUNDING, DISPOSAL_METHODS=DISPOSAL_METHODS, status_tag=status_tag,
        raise_url=url_for("schools.ticket_new", asset=asset.tag)), code


@bp.get("/assets/<int:asset_id>")
@requires_school_role(*permissions.READERS)
def asset(asset_id):
    return _asset_page(load_asset(asset_id))


@bp.post("/assets/<int:asset_id>/quick")
@requires_school_role(*permissions.EDITORS)
def asset_quick(asset_id):
    asset = load_asset(asset_id)
    _check_edit()
    form = _quick_form(asset, QuickUpdateForm(prefix="quick"))
    if form.validate_on_submit():
        changes = {"status": form.status.data, "location_id": _id(form.location_id.data),
                   "assigned_user_id": _id(form.assigned_user_id.data)}
        try:
            events = register.update_asset(asset, changes, by=current_user, now=utcnow(), note=form.note.data or "")
        except AssetError as exc:
            attach_error(form, exc)
        else:
            flash(f"{asset.tag} updated." if events else f"Nothing changed on {asset.tag}.", "success")
            return redirect(url_for(".asset", asset_id=asset.id))
    return _asset_page(asset, form, 422)


# --- adding and changing ----------------------------------------------------------------------

def _asset_form(form: AssetForm) -> AssetForm:
    form.category_id.choices = [("", "— choose —")] + [(str(c.id), c.name) for c in _categories() if c.active]
    form.assigned_user_id.choices = people_choices()
    form.location_id.choices = room_choices()
    return form


def _chosen_category(form: AssetForm, asset: Asset | None) -> AssetCategory | None:
    chosen = _id(form.category_id.data) or _id(request.args.get("category"))
    if chosen is None and asset is not None:
        chosen = asset.category_id
    return next((c for c in _categories() if c.id == chosen), None)


def _values(form: AssetForm, category: AssetCategory | None) -> dict:
    values = {name: getattr(form, name).data for name in register.EDITABLE if name != "custom" and hasattr(form, name)}
    for name in ("category_id", "assigned_user_id", "location_id"):
        values[name] = _id(values[name])
    for name in ("funding", "disposal_method"):
        values[name] = values[name] or None
    values["custom"] = {d["key"]: request.form.get(f"custom_{d['key']}", "").strip()
                        for d in (category.custom_fields if category else [])}
    return values


def _form_page(form: AssetForm, asset: Asset | None, custom_errors: dict, code: int):
    category = _chosen_category(form, asset)
    custom = dict(asset.custom if asset else {})
    if request.method == "POST" and category:
        custom = {d["key"]: request.form.get(f"custom_{d['key']}", "") for d in category.custom_fields}
    return render_template("schools/assets/form.html", school=g.school, form=form, asset=asset, category=category,
                           custom=custom, custom_errors=custom_errors), code


def _save(form: AssetForm, asset: Asset | None):
    custom_errors: dict = {}
    if form.validate_on_submit():
        category = _chosen_category(form, asset)
        try:
            if asset is None:
                asset = register.create_asset(g.school, _values(form, category), by=current_user, now=utcnow())
                flash(f"{asset.tag} added to the register.", "success")
            else:
                register.update_asset(asset, _values(form, category), by=current_user, now=utcnow())
                flash(f"{asset.tag} saved.", "success")
        except AssetError as exc:
            if exc.field and exc.field.startswith("custom_"):
                custom_errors[exc.field] = exc.message
                form.form_errors.append(exc.message)
            else:
                attach_error(form, exc)
        else:
            return redirect(url_for(".asset", asset_id=asset.id))
    return _form_page(form, asset, custom_errors, 422 if request.method == "POST" else 200)


@bp.route("/assets/new", methods=["GET", "POST"])
@requires_school_role(*permissions.EDITORS)
def asset_new():
    _check_edit()
    form = _asset_form(AssetForm())
    if request.method == "GET" and _id(request.args.get("category")):
        form.category_id.data = request.args["category"]
    return _save(form, None)


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@requires_school_role(*permissions.EDITORS)
def asset_edit(asset_id):
    asset = load_asset(asset_id)
    _check_edit()
    form = _asset_form(AssetForm(obj=asset) if request.method == "GET" else AssetForm())
    if request.method == "GET":
        for name in ("category_id", "assigned_user_id", "location_id"):
            getattr(form, name).data = str(getattr(asset, name) or "")
        form.funding.data = asset.funding or ""
        form.disposal_method.data = asset.disposal_method or ""
    return _save(form, asset)


# --- rooms ------------------------------------------------------------------------------------

def _rooms_page(form: RoomForm | None = None, code: int = 200):
    return render_template("schools/assets/rooms.html", school=g.school, rooms=locations.with_counts(g.school.id),
                           form=form or RoomForm(), may_edit=may_edit(), edit_form=RoomEditForm), code


@bp.get("/assets/rooms")
@requires_school_role(*permissions.READERS)
def asset_rooms():
    return _rooms_page()


@bp.post("/assets/rooms")
@requires_school_role(*permissions.EDITORS)
def asset_room_new():
    _check_edit()
    form = RoomForm()

    def add():
        room = locations.create_location(g.school, name=form.name.data, building=form.building.data or "")
        return f"{room.name} added."
    return submit(form, add, url_for(".asset_rooms")) or _rooms_page(form, 422)


@bp.route("/assets/rooms/<int:location_id>", methods=["GET", "POST"])
@requires_school_role(*permissions.EDITORS)
def asset_room(location_id):
    room = get_or_404(Location, location_id)
    _check_edit()
    form = RoomEditForm(obj=room)

    def save():
        locations.update_location(room, name=form.name.data, building=form.building.data or "",
                                  active=form.active.data)
        return f"{room.name} saved."
    done = submit(form, save, url_for(".asset_rooms"))
    code = 422 if request.method == "POST" else 200
    return done or (render_template("schools/assets/room.html", school=g.school, room=room, form=form), code)


# --- licences ---------------------------------------------------------------------------------

def licence_values(form: LicenceForm) -> dict:
    return {name: getattr(form, name).data for name in licences.FIELDS}


def _licences_page(form: LicenceForm | None = None, code: int = 200):
    found = licences.licences_for(g.school.trust_id, g.school.id)
    return render_template("schools/assets/licences.html", school=g.school, licences=found, form=form or LicenceForm(),
                           may_edit=may_edit(), overused=licences.overused, edit_url=_licence_url), code


def _licence_url(licence: Licence) -> str | None:
    """The school's own licences are changed here; the trust's on the trust's pages."""
    return url_for(".asset_licence", licence_id=licence.id) if licence.school_id and may_edit() else None


@bp.get("/assets/licences")
@requires_school_role(*permissions.READERS)
def asset_licences():
    return _licences_page()


@bp.post("/assets/licences")
@requires_school_role(*permissions.EDITORS)
def asset_licence_new():
    _check_edit()
    form = LicenceForm()

    def add():
        licence = licences.create_licence(g.school.trust_id, g.school, licence_values(form), now=utcnow())
        return f"{licence.product} added."
    return submit(form, add, url_for(".asset_licences")) or _licences_page(form, 422)


@bp.route("/assets/licences/<int:licence_id>", methods=["GET", "POST"])
@requires_school_role(*permissions.EDITORS)
def asset_licence(licence_id):
    licence = db.session.execute(select(Licence).where(Licence.id == licence_id,
                                                       Licence.school_id == g.school.id)).scalar_one_or_none()
    if licence is None:
        abort(404)  # the trust's own licences are changed on the trust's pages
    _check_edit()
    form = LicenceForm(obj=licence)
    return licence_page(licence, form, url_for(".asset_licences"), g.school.name)


def licence_page(licence: Licence, form: LicenceForm, back_url: str, where: str):
    """One licence's form, on the school's pages and the trust's alike."""
    done = submit(form, lambda: save_licence(licence, form), back_url)
    code = 422 if request.method == "POST" else 200
    return done or (render_template("assets/licence.html", licence=licence, form=form, back_url=back_url,
                                    where=where), code)


def save_licence(licence: Licence, form: LicenceForm) -> str:
    licences.update_licence(licence, licence_values(form), now=utcnow())
    return f"{licence.product} saved."
