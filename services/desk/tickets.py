"""Tickets: raise, reply, assign, change status and priority, resolve, reopen.

Every change writes one TicketEvent, so a ticket has one ordered history. Functions take
domain objects and plain values, flush and never commit; notifications are recorded here
and sent by a job.
"""
from __future__ import annotations

import re

from sqlalchemy import select, update

from services.base import utcnow
from services.desk import notify, permissions, sla
from services.desk.clock import priority_for
from services.desk.errors import DeskError
from services.desk.models import (
    IMPACTS,
    KINDS,
    OPEN_STATUSES,
    SOURCES,
    STATUSES,
    URGENCIES,
    Category,
    Service,
    Ticket,
    TicketEvent,
)
from services.directory.models import Membership, School, User
from services.directory.people import normalise_email
from trust_it.extensions import db

TITLE_MAX = 200


def _next_number(school: School) -> int:
    # One atomic UPDATE … RETURNING: two tickets raised at once never share a number.
    return db.session.execute(update(School).where(School.id == school.id)
                              .values(ticket_counter=School.ticket_counter + 1)
                              .returning(School.ticket_counter)).scalar_one()


def event(ticket: Ticket, kind: str, *, actor: User | None = None, body: str = "", public: bool = True,
          **data) -> TicketEvent:
    ev = TicketEvent(ticket_id=ticket.id, school_id=ticket.school_id, kind=kind, actor_id=actor.id if actor else None,
                     body=body, public=public, data=data, created_at=utcnow())
    db.session.add(ev)
    ticket.updated_at = ev.created_at
    db.session.flush()
    return ev


def _check_choice(value, allowed, field, message):
    if value not in allowed:
        raise DeskError(message, field)


def create_ticket(school: School, *, requester: User | None, title: str, description: str = "",
                  kind: str = "incident", impact: int = 3, urgency: int = 3, category: Category | None = None,
                  service: Service | None = None, source: str = "web", requester_email: str | None = None,
                  by: User | None = None, message_id: str | None = None, now=None, asset=None, location=None) -> Ticket:
    title = " ".join((title or "").split())
    if not title:
        raise DeskError("Say in a few words what is wrong or what you need.", "title")
    if len(title) > TITLE_MAX:
        raise DeskError(f"Keep the summary under {TITLE_MAX} characters; put the rest in the details.", "title")
    _check_choice(kind, KINDS, "kind", "Choose: something is broken, I need something, or how do I…?")
    _check_choice(impact, IMPACTS, "impact", "Choose who is affected.")
    _check_choice(urgency, URGENCIES, "urgency", "Choose how urgent it is.")
    _check_choice(source, SOURCES, "source", "Unknown source.")
    for obj, field in ((category, "category_id"), (service, "service_id")):
        if obj is not None and obj.trust_id != school.trust_id:
            raise DeskError("Choose from this trust's list.", field)
    _check_subject(school.id, asset, location)
    now = now or utcnow()
    ticket = Ticket(school_id=school.id, number=_next_number(school), kind=kind, title=title,
                    description=(description or "").strip(), impact=impact, urgency=urgency,
                    priority=priority_for(impact, urgency), status="new", tier=1, source=source,
                    requester_id=requester.id if requester else None,
                    requester_email=None if requester else requester_email,
                    category_id=category.id if category else None,
                    service_id=service.id if service else None, created_at=now, updated_at=now, message_id=message_id,
                    asset_id=asset.id if asset else None, location_id=location.id if location else None)
    db.session.add(ticket)
    db.session.flush()
    ticket.school = school
    if ticket.message_id is None:
        domain = school.email_domains[0] if school.email_domains else "trust-it.local"
        ticket.message_id = f"<ticket-{ticket.id}.{school.ticket_prefix.lower()}@{domain}>"
    sla.start(ticket, now, sla.calendar_for(school.id, now=now))
    event(ticket, "created", actor=by or requester, body=ticket.description, source=source,
          priority=ticket.priority, ticket_kind=kind, **_subject_data(asset, location))
    if kind == "guidance":
        _route_guidance(ticket)
    notify.ticket_created(ticket)
    if ticket.priority == 1 and kind != "guidance":  # P1 pages the technicians; the rest waits in the queue
        notify.urgent_raised(ticket)
    return ticket


def requester_at(school: School, email: str, *, now=None) -> User:
    """The person a ticket is raised for, found only among the school's own people (an active
    account with a current membership there): an address at another school is refused exactly
    like an unknown one, so raising a ticket never reveals, or e-mails, someone elsewhere."""
    now = now or utcnow()
    members = select(Membership.user_id).where(
        Membership.school_id == school.id, Membership.current_at(now))
    user = db.session.execute(select(User).where(
        User.email == normalise_email(email), User.trust_id == school.trust_id, User.active.is_(True),
        User.id.in_(members))).scalar()
    if user is None:
        raise DeskError("No one at this school has that address.", "requester_email")
    return user


def _route_guidance(ticket: Ticket) -> None:
    """"How do I…" goes to the school's educational technologist, else the trust's, not the technicians."""
    now = utcnow()
    current = Membership.current_at(now)
    edtech = db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == "edtech", current, User.active.is_(True),
               (Membership.school_id == ticket.school_id) | (Membership.trust_id == ticket.school.trust_id))
        .order_by(Membership.school_id.is_(None), User.id)).scalars().first()
    if edtech is not None:
        assign(ticket, edtech, by=None)


def is_worker(user: User, roles: frozenset[str]) -> bool:
    return bool(roles.intersection(permissions.WORKERS))


def workers_of(school: School, now=None):
    """A query of the active people who work this school's tickets: a worker role at the school
    or across its trust. Assigning, by page or API, chooses among them."""
    now = now or utcnow()
    works_here = select(Membership.user_id).where(
        Membership.role.in_(permissions.WORKERS), Membership.current_at(now),
        (Membership.school_id == school.id) | (Membership.trust_id == school.trust_id))
    return select(User).where(User.trust_id == school.trust_id, User.active.is_(True), User.id.in_(works_here))


def reply(ticket: Ticket, *, by: User | None, body: str, public: bool = True, from_requester: bool = False,
          now=None) -> TicketEvent:
    """A public reply or an internal note. The requester's reply resumes a paused clock; a note is
    never their reply, even when its writer raised the ticket."""
    body = (body or "").strip()
    if not body:
        raise DeskError("Write something first.", "body")
    now = now or utcnow()
    ev = event(ticket, "reply" if public else "note", actor=by, body=body, public=public)
    if from_requester and public:
        if ticket.status == "awaiting_requester":
            change_status(ticket, "in_progress", by=by, now=now, note="The requester replied.")
        notify.requester_replied(ticket, body)
    elif public:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        notify.replied(ticket, by, body)
    return ev


def assign(ticket: Ticket, assignee: User | None, *, by: User | None, now=None) -> None:
    if assignee is not None and assignee.trust_id != ticket.school.trust_id:
        raise DeskError("Assign to someone in this trust.", "assignee_id")
    if (ticket.assignee_id or None) == (assignee.id if assignee else None):
        return
    ticket.assignee_id = assignee.id if assignee else None
    ticket.assignee = assignee
    event(ticket, "assignment", actor=by, public=False,
          to=assignee.display_name if assignee else None, to_id=assignee.id if assignee else None)
    if assignee is not None:
        if ticket.status in ("new", "reopened"):
            change_status(ticket, "assigned", by=by, now=now)
        if by is None or assignee.id != by.id:
            notify.assigned(ticket, assignee)


ALLOWED = {
    "new": {"assigned", "in_progress", "awaiting_requester", "resolved", "closed"},
    "assigned": {"in_progress", "awaiting_requester", "resolved", "closed", "new"},
    "in_progress": {"awaiting_requester", "resolved", "closed", "assigned"},
    "awaiting_requester": {"in_progress", "resolved", "closed"},
    "escalated": {"in_progress", "awaiting_requester", "resolved", "closed"},
    "resolved": {"closed", "reopened"},
    "closed": {"reopened"},
    "reopened": {"assigned", "in_progress", "awaiting_requester", "resolved", "closed"},
}


def change_status(ticket: Ticket, status: str, *, by: User | None, now=None, note: str = "") -> None:
    _check_choice(status, STATUSES, "status", "Unknown status.")
    if status == ticket.status:
        return
    if status == "escalated":
        raise DeskError("Escalate with a reason, using Escalate.", "status")
    if status not in ALLOWED[ticket.status]:
        raise DeskError(f"A ticket that is {STATUSES[ticket.status].lower()} cannot become "
                        f"{STATUSES[status].lower()}.", "status")
    now = now or utcnow()
    cal = sla.calendar_for(ticket.school_id, now=now)
    old = ticket.status
    ticket.status = status
    if status == "awaiting_requester":
        sla.pause(ticket, now, cal)
    elif status in ("resolved", "closed"):
        sla.stop(ticket, now, cal)
        if status == "resolved":
            ticket.resolved_at = now
        else:
            ticket.closed_at = now
            ticket.resolved_at = ticket.resolved_at or now
    elif old in ("awaiting_requester", "resolved", "closed"):
        sla.resume(ticket, now, cal)
    if status == "reopened":
        ticket.resolved_at = ticket.closed_at = None
    event(ticket, "status", actor=by, body=note, **{"from": old, "to": status})
    if status == "resolved":
        notify.resolved(ticket, note)
    elif status == "awaiting_requester":
        notify.awaiting_requester(ticket, note)
    elif status == "reopened" and by is not None and by.id == ticket.requester_id:
        notify.requester_replied(ticket, note, reopened=True)


def set_priority(ticket: Ticket, *, impact: int, urgency: int, by: User | None, now=None) -> None:
    _check_choice(impact, IMPACTS, "impact", "Choose who is affected.")
    _check_choice(urgency, URGENCIES, "urgency", "Choose how urgent it is.")
    old = ticket.priority
    ticket.impact, ticket.urgency = impact, urgency
    ticket.priority = priority_for(impact, urgency)
    if ticket.priority != old:
        now = now or utcnow()
        sla.retarget(ticket, now, sla.calendar_for(ticket.school_id, now=now))
        event(ticket, "priority", actor=by, public=False, **{"from": old, "to": ticket.priority})


def classify(ticket: Ticket, *, category: Category | None, service: Service | None, by: User | None) -> None:
    """Put the ticket in a category and against a service of the catalogue (its owner answers for it)."""
    for obj, field in ((category, "category_id"), (service, "service_id")):
        if obj is not None and (obj.trust_id != ticket.school.trust_id or not obj.active):
            raise DeskError("Choose from this trust's list.", field)
    new = (category.id if category else None, service.id if service else None)
    if new == (ticket.category_id, ticket.service_id):
        return
    ticket.category_id, ticket.service_id = new
    ticket.category, ticket.service = category, service
    event(ticket, "classified", actor=by, public=False, category=category.name if category else None,
          service=service.name if service else None)


def _check_subject(school_id: int, asset, location) -> None:
    for obj, field in ((asset, "asset_id"), (location, "location_id")):
        if obj is not None and obj.school_id != school_id:
            raise DeskError("Choose from the register of the ticket's school.", field)


def _subject_data(asset, location) -> dict:
    return {k: v for k, v in (("asset", asset.tag if asset else None), ("room", location.name if location else None))
            if v}


def set_subject(ticket: Ticket, *, asset, location, by: User | None) -> None:
    """The device (services/assets Asset) and the room the ticket is about, each of the ticket's school; None clears."""
    _check_subject(ticket.school_id, asset, location)
    new = (asset.id if asset else None, location.id if location else None)
    if new == (ticket.asset_id, ticket.location_id):
        return
    ticket.asset_id, ticket.location_id = new
    ticket.asset, ticket.location = asset, location
    event(ticket, "subject", actor=by, public=False, **_subject_data(asset, location))


def confirm_resolution(ticket: Ticket, *, by: User) -> None:
    """The requester agrees it is fixed: closed."""
    if ticket.status != "resolved":
        raise DeskError("Only a resolved request can be confirmed.", "status")
    change_status(ticket, "closed", by=by, note="The requester confirmed it is fixed.")


def reopen(ticket: Ticket, *, by: User, reason: str) -> None:
    if ticket.status not in ("resolved", "closed"):
        raise DeskError("Only a resolved or closed request can be reopened.", "status")
    if not (reason or "").strip():
        raise DeskError("Say what is still wrong.", "body")
    change_status(ticket, "reopened", by=by, note=reason.strip())


REFERENCE = re.compile(r"\[?([A-Z0-9]{2,8})-(\d{6})\]?")


def find_by_reference(text: str) -> Ticket | None:
    match = REFERENCE.search(text or "")
    if not match:
        return None
    return db.session.execute(select(Ticket).join(School).where(
        School.ticket_prefix == match.group(1), Ticket.number == int(match.group(2)))).scalar_one_or_none()


def history(ticket: Ticket, *, include_notes: bool) -> list[TicketEvent]:
    from sqlalchemy.orm import selectinload
    stmt = (select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
            .options(selectinload(TicketEvent.actor), selectinload(TicketEvent.attachments))
            .order_by(TicketEvent.id))
    if not include_notes:
        stmt = stmt.where(TicketEvent.public.is_(True))
    return list(db.session.execute(stmt).scalars())


def open_statuses() -> tuple[str, ...]:
    return OPEN_STATUSES
