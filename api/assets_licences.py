"""/api/v1/licences: software licences, the trust's own and each school's; more seats used than bought is a
warning (`overused`), never refused."""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import or_, select

from api.assets import readable_schools
from api.assets_schemas import LicencePatchSchema, LicenceQuery, LicenceSchema
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from services.assets import licences, permissions
from services.assets.errors import AssetError
from services.assets.models import Licence
from services.base import utcnow
from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/licences"
blp = Blueprint("api_licences", __name__, description="Software licences: seats, expiry and cost.")


def _may_edit(school_id: int | None) -> bool:
    scope = current_scope()
    return permissions.may_edit(scope, school_id) if school_id else permissions.may_edit_trust_wide(scope)


def _readable(licence: Licence) -> bool:
    if licence.school_id is None:
        return licence.trust_id == current_scope().trust_id and (
            permissions.may_read_trust_wide(current_scope()) or bool(readable_schools()))
    return licence.school_id in readable_schools()


@blp.route("/")
class Licences(MethodView):
    @blp.arguments(LicenceQuery, location="query")
    @blp.response(200, page_schema(LicenceSchema, "LicencePage"))
    def get(self, args):
        """The trust's licences and those of the schools whose register you see (cursor-paginated, by id)."""
        schools = readable_schools()
        if args.get("school"):
            schools = [s for s in schools if s == args["school"]]
        trust_wide = Licence.school_id.is_(None) if readable_schools() else Licence.id.is_(None)
        stmt = select(Licence).where(Licence.trust_id == current_scope().trust_id,
                                     or_(Licence.school_id.in_(schools), trust_wide))
        return paginate(stmt, Licence.id, args, db.session)

    @blp.arguments(LicenceSchema)
    @blp.response(201, LicenceSchema)
    def post(self, data):
        """Record a licence of a school, or (no school) of the whole trust."""
        school_id = data.pop("school_id", None)
        school = scoped_get(School, school_id) if school_id else None
        if school_id and (school is None or school.id not in readable_schools()):
            unprocessable(AssetError("No such school, or you do not see its register.", "school_id"))
        if not _may_edit(school_id):
            abort(403, message="Your role may not record licences here.")
        try:
            return licences.create_licence(current_scope().trust_id, school, data, now=utcnow())
        except AssetError as exc:
            unprocessable(exc)


@blp.route("/<int:licence_id>")
class LicenceById(MethodView):
    @blp.response(200, LicenceSchema)
    def get(self, licence_id):
        """One licence."""
        return _licence_or_404(licence_id)

    @blp.arguments(LicencePatchSchema)
    @blp.response(200, LicenceSchema)
    def patch(self, data, licence_id):
        """Change seats, expiry, cost or notes."""
        licence = _licence_or_404(licence_id)
        if not _may_edit(licence.school_id):
            abort(403, message="Your role may not change this licence.")
        try:
            return licences.update_licence(licence, data, now=utcnow())
        except AssetError as exc:
            unprocessable(exc)


def _licence_or_404(licence_id) -> Licence:
    licence = scoped_get(Licence, licence_id)
    if licence is None or not _readable(licence):
        abort(404, message="No such licence.")
    return licence
