"""/api/v1/compliance/drift: items that got worse on their own at the schools you see, and a ticket
from one in one call.

Drift is recorded by every conformance refresh (a computed item that turned from met to not met,
evidence that expired, an exception that ended) and e-mailed to the school and the trust's technical
team. Another school's drift is a 404.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from api.assessments import readable_schools
from api.auth import api_user
from api.desk_schemas import TicketSchema
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from api.standards_schemas import DriftQuery, DriftSchema
from services.base import utcnow
from services.errors import ServiceError
from services.standards import conformance, drift, permissions
from services.standards.models import DriftEvent
from trust_it.extensions import db
from trust_it.tenancy import current_scope

PREFIX = "/compliance/drift"
blp = Blueprint("api_drift", __name__, description="Standards drift at schools, and tickets raised from it.")


@blp.route("/")
class Drift(MethodView):
    @blp.arguments(DriftQuery, location="query")
    @blp.response(200, page_schema(DriftSchema, "DriftPage"))
    def get(self, args):
        """Drift of the schools you see, optionally of one school (cursor-paginated, by id)."""
        schools = readable_schools()
        if args.get("school"):
            schools = [sid for sid in schools if sid == args["school"]]
        stmt = select(DriftEvent).where(DriftEvent.school_id.in_(schools)).options(joinedload(DriftEvent.item))
        return paginate(stmt, DriftEvent.id, args, db.session)


@blp.route("/<int:drift_id>/ticket")
class DriftTicket(MethodView):
    @blp.response(201, TicketSchema)
    def post(self, drift_id):
        """Raise a ticket at the school from this drift (naming the item, its figures and what fails);
        the drift keeps its id, and asking again returns the same ticket."""
        event = drift.get(drift_id, readable_schools())
        if event is None:
            abort(404, message="No such drift.")
        if not permissions.may_open_drift_ticket(current_scope(), event.school_id):
            abort(403, message="Only the school's head and technician, or the trust's technical team, open tickets "
                               "from drift.")
        try:
            return conformance.open_ticket(event, by=api_user(), now=utcnow(), source="api")
        except ServiceError as exc:
            unprocessable(exc)
