"""The trust-wide register: every school's assets in one list, the categories, and the trust's licences.

/trust/assets               search and filter across every school (one query a page, by tag)
/trust/assets/categories    categories: name, expected life, replacement cost, custom fields
/trust/assets/licences      licences of the whole trust and of each school
"""
from __future__ import annotations

from datetime import date

from flask import abort, render_template, request, url_for
from sqlalchemy import select

from schools.assets import STATUS_TAGS, licence_page, licence_values, submit
from schools.assets_forms import CategoryForm, TrustLicenceForm
from services.assets import categories, licences, listing, permissions, search_args
from services.assets.models import AssetCategory, Licence
from services.base import utcnow
from services.directory import schools as school_service
from services.directory.models import School
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust, school_choices
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get


def _status_tag(status: str) -> str:
    return STATUS_TAGS.get(status, "grey")


@bp.app_context_processor
def _nav():
    """The main navigation's "Assets" link, for the trust roles that read the register."""
    from flask_login import current_user
    if not current_user.is_authenticated:
        return {}
    return {"trust_assets_nav": permissions.may_read_trust_wide(current_scope())}


@bp.get("/assets")
@requires_trust_role(*permissions.READERS)
def assets():
    trust = current_trust()
    today = date.today()
    f = search_args.filters_from_args(request.args, today=today)
    query = search_args.query_of(f, with_school=True)
    cats = listing.trust_categories(trust.id)
    return render_template(
        "central/assets/list.html", trust=trust, page=listing.page(f, after=request.args.get("after")), f=f,
        query=query, counts=listing.counts(f), categories=cats, schools=school_service.schools_of_trust(trust.id),
        first_page=not request.args.get("after"), CHOICES=listing.CHOICES, status_tag=_status_tag,
        may_settings=permissions.may_change_settings(current_scope()),
        asset_url=lambda a: url_for("schools.asset", school=a.school.slug, asset_id=a.id),
        status_url=lambda key: url_for(".assets", **{**query, "status": key}))


# --- categories -------------------------------------------------------------------------------

def _may_settings() -> None:
    permissions.check(permissions.may_change_settings(current_scope()),
                      "Only the trust's IT leads change asset categories.")


def _save_category(form: CategoryForm, category: AssetCategory | None) -> AssetCategory:
    trust = current_trust()
    return categories.save_category(
        trust.id, category, scope=current_scope(), name=form.name.data,
        expected_life_months=form.expected_life_months.data, unit_cost=form.unit_cost.data,
        custom_fields=categories.parse_custom_fields(form.custom_fields.data or ""), active=form.active.data)


@bp.get("/assets/categories")
@requires_trust_role(*permissions.READERS)
def asset_categories(form: CategoryForm | None = None, code: int = 200):
    trust = current_trust()
    cats = categories.ensure_defaults(trust.id)
    return render_template("central/assets/categories.html", trust=trust, categories=cats,
                           form=form or CategoryForm(), may_settings=permissions.may_change_settings(current_scope()),
                           fields_text=categories.custom_fields_text), code


@bp.post("/assets/categories")
@requires_trust_role(*permissions.SETTINGS)
def asset_category_new():
    _may_settings()
    form = CategoryForm()
    return (submit(form, lambda: f"{_save_category(form, None).name} added.", url_for(".asset_categories"))
            or asset_categories(form, 422))


@bp.route("/assets/categories/<int:asset_category_id>", methods=["GET", "POST"])
@requires_trust_role(*permissions.SETTINGS)
def asset_category(asset_category_id):
    trust = current_trust()
    category = db.session.execute(select(AssetCategory).where(
        AssetCategory.id == asset_category_id, AssetCategory.trust_id == trust.id)).scalar_one_or_none()
    if category is None:
        abort(404)
    _may_settings()
    if request.method == "GET":
        form = CategoryForm(obj=category)
        form.custom_fields.data = categories.custom_fields_text(category.custom_fields)
    else:
        form = CategoryForm()
    done = submit(form, lambda: f"{_save_category(form, category).name} saved; replacement dates follow its "
                                "expected life.", url_for(".asset_categories"))
    code = 422 if request.method == "POST" else 200
    return done or (render_template("central/assets/category.html", trust=trust, category=category, form=form), code)


# --- licences ---------------------------------------------------------------------------------

def _licence_form(form: TrustLicenceForm) -> TrustLicenceForm:
    schools = school_service.schools_of_trust(current_trust().id)
    form.school_id.choices = school_choices(schools, blank="The whole trust")
    return form


def _chosen_school(form: TrustLicenceForm):
    value = form.school_id.data
    return scoped_get(School, int(value)) if value and value.isdigit() else None


def _licence_url(licence: Licence) -> str | None:
    may = permissions.may_edit_trust_wide(current_scope())
    return url_for(".asset_licence", licence_id=licence.id) if may else None


@bp.get("/assets/licences")
@requires_trust_role(*permissions.READERS)
def asset_licences(form: TrustLicenceForm | None = None, code: int = 200):
    trust = current_trust()
    found = db.session.execute(select(Licence).where(Licence.trust_id == trust.id)
                               .order_by(Licence.school_id.is_not(None), Licence.expires_on, Licence.product)).scalars()
    return render_template("central/assets/licences.html", trust=trust, licences=list(found),
                           form=form or _licence_form(TrustLicenceForm()), overused=licences.overused,
                           edit_url=_licence_url, may_edit=permissions.may_edit_trust_wide(current_scope())), code


@bp.post("/assets/licences")
@requires_trust_role(*permissions.EDITORS)
def asset_licence_new():
    permissions.check(permissions.may_edit_trust_wide(current_scope()), "Only the trust's IT team adds licences here.")
    form = _licence_form(TrustLicenceForm())

    def add():
        licence = licences.create_licence(current_trust().id, _chosen_school(form), licence_values(form), now=utcnow())
        return f"{licence.product} added."
    return submit(form, add, url_for(".asset_licences")) or asset_licences(form, 422)


@bp.route("/assets/licences/<int:licence_id>", methods=["GET", "POST"])
@requires_trust_role(*permissions.EDITORS)
def asset_licence(licence_id):
    licence = scoped_get(Licence, licence_id)
    if licence is None or licence.trust_id != current_trust().id:
        abort(404)
    permissions.check(permissions.may_edit_trust_wide(current_scope()), "Only the trust's IT team changes licences.")
    form = TrustLicenceForm(obj=licence)
    form.school_id.choices = []
    del form.school_id  # a licence stays where it was bought
    return licence_page(licence, form, url_for(".asset_licences"),
                        licence.school.name if licence.school else "the whole trust")
