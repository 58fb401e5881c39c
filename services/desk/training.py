"""Training sessions run by educational technologists, linked to the "how do I…" requests they answer.

Also home of `parse_references`, which turns "OAK-000012, OAK-000015" typed into a form into
the school's tickets (visits use it too).
"""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from services.base import utcnow
from services.desk import tickets as ticket_service
from services.desk.errors import DeskError
from services.desk.models import KINDS, Ticket, TrainingSession, TrainingTicket
from services.directory.models import Membership, School, User
from trust_it.extensions import db

TOPIC_MAX = 200
MAX_ATTENDEES = 500
MAX_REFERENCES = 100
TOKEN = re.compile(r"^\[?([A-Za-z0-9]{2,8})-(\d{1,6})\]?$")


def parse_references(school: School, text: str | None, *, field: str = "tickets",
                     kind: str | None = None) -> list[Ticket]:
    """Ticket references separated by commas, spaces or lines, as tickets of `school` (in the order
    typed, each once). Anything else is refused naming `field`; another school's reference is
    refused without saying whether it exists."""
    tokens = [t for t in re.split(r"[\s,;]+", text or "") if t]
    if len(tokens) > MAX_REFERENCES:
        raise DeskError(f"Link at most {MAX_REFERENCES} requests at once.", field)
    wanted: list[int] = []
    for token in tokens:
        match = TOKEN.match(token)
        if not match:
            raise DeskError(f"“{token[:40]}” is not a request reference like {school.ticket_prefix}-000012.", field)
        prefix, number = match.group(1).upper(), int(match.group(2))
        if prefix != school.ticket_prefix:
            raise DeskError(f"{prefix}-{number:06d} is not a request of {school.name}.", field)
        if number not in wanted:
            wanted.append(number)
    if not wanted:
        return []
    found = {t.number: t for t in db.session.execute(
        select(Ticket).where(Ticket.school_id == school.id, Ticket.number.in_(wanted))).scalars()}
    result = []
    for number in wanted:
        ticket = found.get(number)
        if ticket is None:
            raise DeskError(f"There is no request {school.ticket_prefix}-{number:06d} at {school.name}.", field)
        if kind is not None and ticket.kind != kind:
            raise DeskError(f"{ticket.reference} is not a “{KINDS[kind]}” request.", field)
        result.append(ticket)
    return result


def references(tickets: list[Ticket]) -> str:
    return ", ".join(t.reference for t in tickets)


def leaders(school: School) -> list[User]:
    """Who can be named as leading a session: the school's and the trust's educational technologists."""
    now = utcnow()
    current = Membership.current_at(now)
    member = select(Membership.user_id).where(
        Membership.role == "edtech", current,
        (Membership.school_id == school.id) | (Membership.trust_id == school.trust_id))
    return list(db.session.execute(select(User).where(User.id.in_(member), User.active.is_(True))
                                   .order_by(User.display_name)).scalars())


def _clean(school: School, *, held_on: date | None, topic: str | None, led_by: User | None,
           attendees: str | None) -> tuple[str, list[str]]:
    if not isinstance(held_on, date):
        raise DeskError("Enter the date of the session.", "held_on")
    topic = " ".join((topic or "").split())
    if not topic:
        raise DeskError("Say what the session was about.", "topic")
    if len(topic) > TOPIC_MAX:
        raise DeskError(f"Keep the topic under {TOPIC_MAX} characters.", "topic")
    if led_by is not None and led_by.trust_id != school.trust_id:
        raise DeskError("Choose someone in this trust.", "led_by")
    names = [" ".join(line.split()) for line in (attendees or "").splitlines()]
    names = [n for n in names if n]
    if len(names) > MAX_ATTENDEES:
        raise DeskError(f"List at most {MAX_ATTENDEES} attendees.", "attendees")
    return topic, names


def _link(session: TrainingSession, tickets: list[Ticket], by: User | None) -> None:
    """Make the session's linked tickets exactly `tickets`; a newly linked ticket notes it in its history."""
    current = set(db.session.execute(select(TrainingTicket.ticket_id)
                                     .where(TrainingTicket.training_id == session.id)).scalars())
    keep = {t.id for t in tickets}
    if current - keep:
        db.session.execute(delete(TrainingTicket).where(TrainingTicket.training_id == session.id,
                                                        TrainingTicket.ticket_id.in_(current - keep)))
    for ticket in tickets:
        if ticket.id not in current:
            db.session.add(TrainingTicket(training_id=session.id, ticket_id=ticket.id, school_id=session.school_id))
            ticket_service.event(ticket, "note", actor=by, public=False,
                                 body=f"Covered in the training session “{session.topic}” on "
                                      f"{session.held_on.day} {session.held_on:%B %Y}.", training_id=session.id)
    db.session.flush()


def create_session(school: School, *, held_on: date | None, topic: str, led_by: User | None,
                   attendees: str = "", notes: str = "", tickets: str = "", by: User | None = None) -> TrainingSession:
    """`tickets`: references of the school's guidance requests the session answered."""
    topic, names = _clean(school, held_on=held_on, topic=topic, led_by=led_by, attendees=attendees)
    linked = parse_references(school, tickets, kind="guidance")
    session = TrainingSession(school_id=school.id, held_on=held_on, topic=topic,
                              led_by_id=led_by.id if led_by else None,
                              attendees="\n".join(names), attendee_count=len(names), notes=(notes or "").strip())
    db.session.add(session)
    db.session.flush()
    _link(session, linked, by)
    return session


def update_session(session: TrainingSession, school: School, *, held_on: date | None, topic: str,
                   led_by: User | None, attendees: str = "", notes: str = "", tickets: str = "",
                   by: User | None = None) -> TrainingSession:
    topic, names = _clean(school, held_on=held_on, topic=topic, led_by=led_by, attendees=attendees)
    linked = parse_references(school, tickets, kind="guidance")
    session.held_on, session.topic = held_on, topic
    session.led_by_id = led_by.id if led_by else None
    session.attendees, session.attendee_count = "\n".join(names), len(names)
    session.notes = (notes or "").strip()
    db.session.flush()
    _link(session, linked, by)
    return session


def sessions_of(school: School) -> list[tuple[TrainingSession, int]]:
    """The school's sessions, newest first, each with how many requests it is linked to."""
    counts = (select(TrainingTicket.training_id, func.count(TrainingTicket.id).label("n"))
              .where(TrainingTicket.school_id == school.id).group_by(TrainingTicket.training_id).subquery())
    rows = db.session.execute(
        select(TrainingSession, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.training_id == TrainingSession.id)
        .where(TrainingSession.school_id == school.id)
        .options(selectinload(TrainingSession.led_by))
        .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc())).all()
    return [(s, int(n)) for s, n in rows]


def linked_tickets(session: TrainingSession) -> list[Ticket]:
    return list(db.session.execute(
        select(Ticket).join(TrainingTicket, TrainingTicket.ticket_id == Ticket.id)
        .where(TrainingTicket.training_id == session.id).options(selectinload(Ticket.school))
        .order_by(Ticket.number)).scalars())


def sessions_for_ticket(ticket: Ticket) -> list[TrainingSession]:
    """The training sessions a request is linked to (for the request's page)."""
    return list(db.session.execute(
        select(TrainingSession).join(TrainingTicket, TrainingTicket.training_id == TrainingSession.id)
        .where(TrainingTicket.ticket_id == ticket.id).order_by(TrainingSession.held_on)).scalars())
