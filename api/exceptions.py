"""/api/v1/exceptions: schools' exceptions to the trust's standards.

A school's head or technician requests one (a request at the school, routed to the trust's
technical team); the trust's service desk or technical team recommends it (the ticket goes to the
IT director as an "exception" decision); the IT director decides it — POST
/api/v1/exceptions/{id}/decision is the same decision as POST /api/v1/tickets/{ticket_id}/decision on
its ticket, as every decision of the desk — and the exception follows
(approved: the school's conformance shows "exception" until `ends_on`). The school may withdraw a
request before it reaches the director, or end an approved exception early. Everyone with a role
at a school reads its exceptions; another school's exception is a 404.
"""
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from api.assessments import readable_schools
from api.auth import api_user
from api.desk_schemas import DecisionSchema
from api.errors import unprocessable
from api.pagination import page_schema, paginate
from api.standards_schemas import (
    ExceptionCreateSchema,
    ExceptionQuery,
    ExceptionSchema,
    RecommendSchema,
    WithdrawSchema,
)
from services.base import utcnow
from services.desk import escalation as desk_escalation
from services.desk import permissions as desk_permissions
from services.directory.models import School
from services.errors import ServiceError
from services.standards import exceptions, permissions
from services.standards.assessments import item_for
from services.standards.errors import StandardsError
from services.standards.models import StandardException
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/exceptions"
blp = Blueprint("api_exceptions", __name__, description="Schools' exceptions to the standards, decided by the IT "
                                                         "director on a desk ticket.")


def _exception_or_404(exception_id) -> StandardException:
    exception = exceptions.get(exception_id, readable_schools())
    if exception is None:
        abort(404, message="No such exception.")
    return exception


@blp.route("/")
class Exceptions(MethodView):
    @blp.arguments(ExceptionQuery, location="query")
    @blp.response(200, page_schema(ExceptionSchema, "ExceptionPage"))
    def get(self, args):
        """Exceptions of the schools you see, optionally of one school, item or status (cursor-paginated, by id)."""
        schools = readable_schools()
        if args.get("school"):
            schools = [sid for sid in schools if sid == args["school"]]
        stmt = exceptions.exceptions_of(schools, status=args.get("status"), item_id=args.get("item"))
        return paginate(stmt, StandardException.id, args, db.session)

    @blp.arguments(ExceptionCreateSchema)
    @blp.response(201, ExceptionSchema)
    def post(self, data):
        """Request an exception to an item until `ends_on`, with a justification: raises a request at the
        school, routed to the trust's technical team (its id is `ticket_id`)."""
        school = scoped_get(School, data["school_id"])
        if school is None or school.id not in readable_schools():
            unprocessable(StandardsError("No such school, or you do not see it.", "school_id"))
        if not permissions.may_request_exception(current_scope(), school.id):
            abort(403, message="Only the school's head and technician ask for exceptions.")
        try:
            item = item_for(school, data["item_id"])
            return exceptions.request_exception(school, item, justification=data["justification"],
                                                ends_on=data["ends_on"], by=api_user(), now=utcnow(),
                                                scope=current_scope(), source="api")
        except ServiceError as exc:
            unprocessable(exc)


@blp.route("/<int:exception_id>")
class OneException(MethodView):
    @blp.response(200, ExceptionSchema)
    def get(self, exception_id):
        """One exception."""
        return _exception_or_404(exception_id)


@blp.route("/<int:exception_id>/recommend")
class Recommend(MethodView):
    @blp.arguments(RecommendSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, data, exception_id):
        """The trust's service desk or technical team passes a requested exception to the IT director with
        its recommendation (an "exception" escalation of its ticket, in the director's decision queue).
        The director then decides with POST /api/v1/tickets/{ticket_id}/decision."""
        exception = _exception_or_404(exception_id)
        try:
            return exceptions.recommend(exception, by=api_user(), recommendation=data["recommendation"],
                                        now=utcnow(), scope=current_scope())
        except ServiceError as exc:
            unprocessable(exc)


@blp.route("/<int:exception_id>/withdraw")
class Withdraw(MethodView):
    @blp.arguments(WithdrawSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, data, exception_id):
        """The school takes back a request not yet with the IT director, or ends an approved exception early."""
        exception = _exception_or_404(exception_id)
        try:
            return exceptions.withdraw(exception, by=api_user(), reason=data["reason"], now=utcnow(),
                                       scope=current_scope())
        except ServiceError as exc:
            unprocessable(exc)


@blp.route("/<int:exception_id>/decision")
class Decide(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, ExceptionSchema)
    def post(self, data, exception_id):
        """The IT director's decision on a recommended exception: the desk's decision on its ticket (the
        same as POST /api/v1/tickets/{ticket_id}/decision), named by the exception. Approved, the school's
        conformance shows "exception" until `ends_on`; rejected, nothing changes."""
        exception = _exception_or_404(exception_id)
        ticket = exception.ticket
        if ticket is None or not desk_permissions.may_decide(current_scope(), ticket):
            abort(403, message="Only the IT director decides exceptions.")
        try:
            desk_escalation.decide(ticket, by=api_user(), decision=data["decision"], text=data["text"],
                                   scope=current_scope())
        except ServiceError as exc:
            unprocessable(exc)
        return exception
