from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import or_, select

from api.auth import api_user
from api.errors import unprocessable
from api.fields import ChangeSchema
from api.pagination import PageArgs, page_schema, paginate
from api.schemas import SchoolQuery, SchoolSchema
from services.directory import schools as school_service
from services.directory.errors import DirectoryError
from services.directory.models import School, Trust
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/schools"
blp = Blueprint("api_schools", __name__, description="Schools of the trust that you can see.")
SchoolPage = page_schema(SchoolSchema, "SchoolPage")


class SchoolPatchSchema(ChangeSchema, SchoolSchema):
    """Any subset of a school's fields."""


class SchoolListQuery(SchoolQuery, PageArgs):
    pass


def _admin_or_403():
    if not current_scope().has_trust_role("trust_admin"):
        abort(403, message="Only a trust administrator may change schools.")


def _school_or_404(school_id):
    school = scoped_get(School, school_id)
    if school is None:
        abort(404, message="No such school.")
    return school


@blp.route("/")
class Schools(MethodView):
    @blp.arguments(SchoolListQuery, location="query")
    @blp.response(200, SchoolPage)
    def get(self, args):
        """List the schools you can see (cursor-paginated)."""
        stmt = select(School)
        if args.get("phase"):
            stmt = stmt.where(School.phase == args["phase"])
        if args.get("support_model"):
            stmt = stmt.where(School.support_model == args["support_model"])
        if args.get("q"):
            like = f"%{args['q'].lower()}%"
            stmt = stmt.where(or_(School.name.ilike(like), School.slug.like(like), School.urn == args["q"]))
        return paginate(stmt, School.id, args, db.session)

    @blp.arguments(SchoolSchema)
    @blp.response(201, SchoolSchema)
    def post(self, data):
        """Add a school to your trust (trust administrators)."""
        _admin_or_403()
        trust = db.session.get(Trust, current_scope().trust_id)
        try:
            return school_service.create_school(trust, by=api_user(), **data)
        except DirectoryError as exc:
            unprocessable(exc)


@blp.route("/<int:school_id>")
class SchoolById(MethodView):
    @blp.response(200, SchoolSchema)
    def get(self, school_id):
        """One school."""
        return _school_or_404(school_id)

    @blp.arguments(SchoolPatchSchema(partial=True))
    @blp.response(200, SchoolSchema)
    def patch(self, data, school_id):
        """Change a school's details (trust administrators)."""
        school = _school_or_404(school_id)
        _admin_or_403()
        try:
            return school_service.update_school(school, by=api_user(), **data)
        except DirectoryError as exc:
            unprocessable(exc)
