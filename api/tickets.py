"""/api/v1/tickets: the service desk's tickets, their history, escalations and decisions.

Visibility is the ORM guard's job (another school's ticket is a 404, like a missing id);
this module adds who may do what at the ticket's school: the IT team works tickets,
school leads read them, staff see and add to their own, trustees see none.
"""
from datetime import timezone

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import false, or_, select
from sqlalchemy.orm import joinedload, selectinload

from api.auth import api_user
from api.desk_schemas import (
    DecisionSchema,
    EscalationSchema,
    EventSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketPatchSchema,
    TicketQuery,
    TicketSchema,
)
from api.errors import unprocessable
from api.pagination import PageArgs, page_schema, paginate, paginate_ids_first
from services.assets.models import Asset, Location
from services.desk import escalation as escalations
from services.desk import permissions
from services.desk import tickets as desk
from services.desk.errors import DeskError
from services.desk.models import OPEN_STATUSES, Category, Service, Ticket, TicketEvent
from services.directory.models import School, User
from services.directory.people import normalise_email
from trust_it.extensions import db
from trust_it.tenancy import current_scope, scoped_get

PREFIX = "/tickets"
blp = Blueprint("api_tickets", __name__, description="Service desk tickets, their history and escalations.")

# Who may do what is services/desk/permissions.py's, shared with the web pages.


def _is_worker(ticket):
    return permissions.may_work(current_scope(), ticket)


def _reads_all(school_id):
    return permissions.may_read_all(current_scope(), school_id)


def _trustee_only():
    return permissions.sees_no_tickets(current_scope())


def _with_people(stmt):
    return stmt.options(joinedload(Ticket.requester), joinedload(Ticket.assignee), joinedload(Ticket.school))


def _ticket_or_404(ticket_id) -> Ticket:
    """The ticket if the caller may see it. Staff see only their own: a colleague's is a 404 too."""
    stmt = _with_people(select(Ticket)).where(Ticket.id == ticket_id)
    if request.method not in ("GET", "HEAD"):
        stmt = stmt.with_for_update(of=Ticket)  # a change waits for the SLA sweep, and the sweep skips it
    ticket = db.session.execute(stmt).unique().scalar()
    if ticket is None:
        abort(404, message="No such ticket.")
    if _trustee_only():
        abort(403, message="Trustees see the service desk's figures in board reports, not tickets.")
    if not permissions.may_read(current_scope(), ticket):
        abort(404, message="No such ticket.")
    return ticket


def _worker_or_403(ticket, message="Only the IT team can change a ticket."):
    if not _is_worker(ticket):
        abort(403, message=message)


def _naive(dt):
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt is not None and dt.tzinfo else dt


def _visible_tickets(what=Ticket):
    scope = current_scope()
    if _trustee_only():
        return select(what).where(false())
    schools = [sid for sid in scope.school_ids if _reads_all(sid)]
    return select(what).where(or_(Ticket.school_id.in_(schools), Ticket.requester_id == scope.user_id))


def _filtered(stmt, args):
    me = api_user().id
    if args.get("school"):
        stmt = stmt.where(Ticket.school_id == args["school"])
    if args.get("status"):
        stmt = stmt.where(Ticket.status.in_(args["status"]))
    for name in ("tier", "priority", "kind"):
        if args.get(name) is not None:
            stmt = stmt.where(getattr(Ticket, name) == args[name])
    assignee = args.get("assignee")
    if assignee == "none":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif assignee:
        stmt = stmt.where(Ticket.assignee_id == (me if assignee == "me" else int(assignee)))
    if args.get("requester") == "me":
        stmt = stmt.where(Ticket.requester_id == me)
    if "open" in args:
        column = Ticket.status.in_(OPEN_STATUSES)
        stmt = stmt.where(column if args["open"] else ~column)
    if args.get("breaching_before"):
        stmt = stmt.where(Ticket.resolution_due_at <= _naive(args["breaching_before"]))
    return stmt


def _school_for_new_ticket(school_id) -> School:
    scope = current_scope()
    if school_id is None:
        if len(scope.school_ids) != 1:
            raise DeskError("Choose the school the ticket is for.", "school_id")
        school_id = scope.school_ids[0]
    school = scoped_get(School, school_id)
    if school is None:
        raise DeskError("No such school.", "school_id")
    return school


def _from_catalogue(model, ident, field):
    """A category or service of the caller's trust; any other id reads as not on the list."""
    if ident is None:
        return None
    obj = db.session.get(model, ident)  # trust-level rows: not school-scoped, checked by trust below
    if obj is None or obj.trust_id != current_scope().trust_id or not obj.active:
        raise DeskError("Choose from this trust's list.", field)
    return obj


def _of_register(model, ident, field):
    """An asset or room the caller sees (services/assets); the service checks it is of the ticket's school."""
    if ident is None:
        return None
    obj = scoped_get(model, ident)
    if obj is None:
        raise DeskError("Choose from the register of the ticket's school.", field)
    return obj


def _requester_for(data, school, worker):
    email = data.get("requester_email")
    if not email:
        return api_user(), None
    if not worker:
        raise DeskError("Only the IT team can raise a ticket for someone else.", "requester_email")
    return desk.requester_at(school, normalise_email(email)), None


def _assignable(ticket, assignee_id):
    """Someone who works this school's tickets: a worker role at the school or across the trust."""
    if assignee_id is None:
        return None
    user = db.session.execute(desk.workers_of(ticket.school).where(User.id == assignee_id)).scalar()
    if user is None:
        raise DeskError("Assign to someone in the IT team who works on this school's tickets.", "assignee_id")
    return user


@blp.route("/")
class Tickets(MethodView):
    @blp.arguments(TicketQuery, location="query")
    @blp.response(200, page_schema(TicketSchema, "TicketPage"))
    def get(self, args):
        """List the tickets you can see (cursor-paginated, oldest first).

        The IT team and school leads see their schools' tickets; everyone sees the tickets they
        raised; trustees get an empty list (the desk reaches them through board reports)."""
        return paginate_ids_first(_filtered(_visible_tickets(Ticket.id), args),
                                  lambda page: _with_people(select(Ticket).join(page, page.c.id == Ticket.id)),
                                  Ticket.id, args, db.session)

    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketDetailSchema)
    def post(self, data):
        """Raise a ticket. The IT team may raise one for someone else with `requester_email`."""
        if _trustee_only():
            abort(403, message="Trustees cannot raise tickets.")
        try:
            school = _school_for_new_ticket(data.get("school_id"))
            if not permissions.may_raise(current_scope(), school.id):
                abort(403, message="You have no role at this school.")
            requester, requester_email = _requester_for(
                data, school, permissions.may_raise_for_others(current_scope(), school.id))
            return desk.create_ticket(
                school, requester=requester, requester_email=requester_email, title=data["title"],
                description=data["description"], kind=data["kind"], impact=data["impact"],
                urgency=data["urgency"], category=_from_catalogue(Category, data["category_id"], "category_id"),
                service=_from_catalogue(Service, data["service_id"], "service_id"), source="api", by=api_user(),
                asset=_of_register(Asset, data["asset_id"], "asset_id"),
                location=_of_register(Location, data["location_id"], "location_id"))
        except DeskError as exc:
            unprocessable(exc)


@blp.route("/<int:ticket_id>")
class TicketById(MethodView):
    @blp.response(200, TicketDetailSchema)
    def get(self, ticket_id):
        """One ticket."""
        return _ticket_or_404(ticket_id)

    @blp.arguments(TicketPatchSchema)
    @blp.response(200, TicketDetailSchema)
    def patch(self, data, ticket_id):
        """Change the status, assignee (null to unassign), impact and urgency, category or service (the IT team).

        All or nothing: if one change is refused, none is made."""
        ticket = _ticket_or_404(ticket_id)
        _worker_or_403(ticket)
        me = api_user()
        try:
            if data.get("status") == "escalated":
                raise DeskError("Escalate with a reason: POST it to this ticket's escalations.", "status")
            with db.session.begin_nested():
                if "impact" in data or "urgency" in data:
                    desk.set_priority(ticket, impact=data.get("impact", ticket.impact),
                                      urgency=data.get("urgency", ticket.urgency), by=me)
                if "category_id" in data or "service_id" in data:
                    desk.classify(
                        ticket, by=me,
                        category=_from_catalogue(Category, data.get("category_id", ticket.category_id), "category_id"),
                        service=_from_catalogue(Service, data.get("service_id", ticket.service_id), "service_id"))
                if "asset_id" in data or "location_id" in data:
                    desk.set_subject(ticket, by=me,
                                     asset=_of_register(Asset, data.get("asset_id", ticket.asset_id), "asset_id"),
                                     location=_of_register(Location, data.get("location_id", ticket.location_id),
                                                           "location_id"))
                if "assignee_id" in data:
                    permissions.check_assign(current_scope(), ticket)
                    desk.assign(ticket, _assignable(ticket, data["assignee_id"]), by=me)
                if "status" in data:
                    desk.change_status(ticket, data["status"], by=me)
        except DeskError as exc:
            unprocessable(exc)
        return ticket


class _WithoutDecisionText:
    """An escalation as its requester sees it: the director's reasoning is an internal note."""

    def __init__(self, escalation):
        self._escalation = escalation

    def __getattr__(self, name):
        return None if name == "decision_text" else getattr(self._escalation, name)


@blp.route("/<int:ticket_id>/comments")
class TicketComments(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(EventSchema, "TicketEventPage"))
    def get(self, args, ticket_id):
        """The ticket's history, oldest first: replies, status changes, escalations; internal notes
        and assignments for the IT team and school leads only."""
        ticket = _ticket_or_404(ticket_id)
        stmt = (select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                .options(selectinload(TicketEvent.actor), selectinload(TicketEvent.attachments)))
        if not _reads_all(ticket.school_id):
            stmt = stmt.where(TicketEvent.public.is_(True))
        return paginate(stmt, TicketEvent.id, args, db.session)

    @blp.arguments(EventSchema)
    @blp.response(201, EventSchema)
    def post(self, data, ticket_id):
        """Reply (public, the default) or write an internal note (`public: false`, the IT team).
        The requester's reply restarts a clock paused while awaiting them."""
        ticket = _ticket_or_404(ticket_id)
        scope = current_scope()
        if not permissions.may_reply(scope, ticket):
            abort(403, message="Only the requester and the IT team can add to a ticket.")
        is_requester = permissions.is_requester(scope, ticket)
        try:
            if not data["public"] and not permissions.may_work(scope, ticket):
                raise DeskError("Only the IT team writes internal notes.", "public")
            return desk.reply(ticket, by=api_user(), body=data["body"], public=data["public"],
                              from_requester=is_requester)
        except DeskError as exc:
            unprocessable(exc)


@blp.route("/<int:ticket_id>/escalations")
class TicketEscalations(MethodView):
    @blp.response(200, EscalationSchema(many=True))
    def get(self, ticket_id):
        """The escalation trail, oldest first: up and back down, with any decision."""
        ticket = _ticket_or_404(ticket_id)
        trail = escalations.escalations_of(ticket)
        return trail if _reads_all(ticket.school_id) else [_WithoutDecisionText(e) for e in trail]

    @blp.arguments(EscalationSchema)
    @blp.response(201, EscalationSchema)
    def post(self, data, ticket_id):
        """Escalate one tier up with a reason: anyone in the IT team passes a school's ticket (tier 1)
        to the trust's team (tier 2); the trust's team passes theirs to the IT director (tier 3)."""
        ticket = _ticket_or_404(ticket_id)
        _worker_or_403(ticket, "Only the IT team escalates tickets.")
        try:
            return escalations.escalate(ticket, by=api_user(), to_tier=data["to_tier"], reason=data["reason"],
                                        decision_kind=data["decision_kind"], scope=current_scope())
        except DeskError as exc:
            unprocessable(exc)


@blp.route("/<int:ticket_id>/decision")
class TicketDecision(MethodView):
    @blp.arguments(DecisionSchema)
    @blp.response(200, EscalationSchema)
    def post(self, data, ticket_id):
        """The IT director's decision on a ticket escalated to tier 3; the ticket returns to the
        tier that escalated it."""
        ticket = _ticket_or_404(ticket_id)
        if not permissions.may_decide(current_scope(), ticket):
            abort(403, message="Only the IT director records decisions.")
        try:
            return escalations.decide(ticket, by=api_user(), decision=data["decision"], text=data["text"],
                                      scope=current_scope())
        except DeskError as exc:
            unprocessable(exc)
