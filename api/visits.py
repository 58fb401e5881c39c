"""Visits of technicians and MSP engineers to schools: planned, done or cancelled."""
from datetime import timezone

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.auth import api_user
from api.errors import unprocessable
from api.fields import ID, ChangeSchema, UtcDateTime
from api.pagination import PageArgs, page_schema, paginate
from services.desk import permissions
from services.desk import visits as visit_service
from services.desk.errors import DeskError
from services.desk.models import Visit
from services.directory.models import School, User
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/visits"
blp = Blueprint("api_visits", __name__, description="IT visits to schools, planned and done.")
STATUSES = list(visit_service.STATUSES)


class VisitSchema(Schema):
    id = fields.Integer(dump_only=True)
    school_id = fields.Integer(required=True, validate=ID)
    engineer_id = fields.Integer(load_default=None, allow_none=True, validate=ID,
                                 metadata={"description": "Who visits; you, if left out."})
    engineer_name = fields.Function(lambda v: v.engineer.display_name if v.engineer else None, dump_only=True)
    starts_at = UtcDateTime(required=True, metadata={"description": "ISO 8601; without an offset it is UTC."})
    ends_at = UtcDateTime(required=True)
    status = fields.String(dump_only=True)
    notes = fields.String(load_default="", validate=validate.Length(max=10_000))
    tickets = fields.List(fields.String(), dump_only=True, attribute="ticket_references",
                          metadata={"description": "References of the requests worked on during the visit."})
    created_at = UtcDateTime(dump_only=True)


class VisitPatchSchema(ChangeSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    notes = fields.String(validate=validate.Length(max=10_000))
    tickets = fields.List(fields.String(validate=validate.Length(max=20)), validate=validate.Length(max=100),
                          metadata={"description": "References of requests worked on, e.g. [\"OAK-000012\"]."})


class VisitListQuery(PageArgs):
    school = fields.Integer(validate=ID, metadata={"description": "Only this school's visits."})
    status = fields.String(validate=validate.OneOf(STATUSES))


def _visit_schools() -> list[int]:
    """Schools whose visits the caller may see (visits are for the people who work on IT)."""
    scope = current_scope()
    return [sid for sid in scope.school_ids if permissions.may_read_visits(scope, sid)]


def _may_write(school_id: int) -> None:
    if not permissions.may_plan_visits(current_scope(), school_id):
        abort(403, message="Your role may read visits but not plan or change them.")


def _with_references(visits: list[Visit]) -> list[Visit]:
    found = visit_service.references_by_visit([v.id for v in visits])
    for v in visits:
        v.ticket_references = found.get(v.id, [])
    return visits


def _visit_or_404(visit_id) -> Visit:
    visit = scoped_get(Visit, visit_id)
    if visit is None or visit.school_id not in _visit_schools():
        abort(404, message="No such visit.")
    return visit


def _utc(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


@blp.route("/")
class Visits(MethodView):
    @blp.arguments(VisitListQuery, location="query")
    @blp.response(200, page_schema(VisitSchema, "VisitPage"))
    def get(self, args):
        """List visits of the schools you support (cursor-paginated, by id)."""
        stmt = select(Visit).where(Visit.school_id.in_(_visit_schools())).options(selectinload(Visit.engineer))
        if args.get("school"):
            stmt = stmt.where(Visit.school_id == args["school"])
        if args.get("status"):
            stmt = stmt.where(Visit.status == args["status"])
        page = paginate(stmt, Visit.id, args, db.session)
        page["items"] = _with_references(page["items"])
        return page

    @blp.arguments(VisitSchema)
    @blp.response(201, VisitSchema)
    def post(self, data):
        """Plan a visit."""
        school = scoped_get(School, data["school_id"])
        if school is None or school.id not in _visit_schools():
            unprocessable(DeskError("No such school, or you do not support it.", "school_id"))
        _may_write(school.id)
        engineer = api_user() if data.get("engineer_id") is None else db.session.get(User, data["engineer_id"])
        if engineer is None or engineer.id not in {e.id for e in visit_service.engineer_choices(school, api_user())}:
            unprocessable(DeskError("Choose an engineer who supports this school.", "engineer_id"))
        try:
            visit = visit_service.plan_visit(school, engineer=engineer, starts_at=_utc(data["starts_at"]),
                                             ends_at=_utc(data["ends_at"]), notes=data["notes"], by=api_user())
        except DeskError as exc:
            unprocessable(exc)
        return _with_references([visit])[0]


@blp.route("/<int:visit_id>")
class VisitById(MethodView):
    @blp.response(200, VisitSchema)
    def get(self, visit_id):
        """One visit."""
        return _with_references([_visit_or_404(visit_id)])[0]

    @blp.arguments(VisitPatchSchema)
    @blp.response(200, VisitSchema)
    def patch(self, data, visit_id):
        """Mark a visit done (with notes and the requests worked on), cancel it, or change its notes."""
        visit = _visit_or_404(visit_id)
        school = scoped_get(School, visit.school_id)
        _may_write(school.id)
        try:
            visit_service.update_visit(visit, school, status=data.get("status"), notes=data.get("notes"),
                                       tickets=", ".join(data.get("tickets") or []), by=api_user())
        except DeskError as exc:
            unprocessable(exc)
        return _with_references([visit])[0]
