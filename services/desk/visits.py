"""Visits of technicians and MSP engineers to a school: planned, then done (or cancelled),
with the requests worked on; and the school's visits as an iCalendar feed.

Times are naive UTC, like every stored timestamp; pages convert what people type (UK time).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from services.base import utcnow
from services.desk import permissions
from services.desk import tickets as ticket_service
from services.desk.errors import DeskError
from services.desk.models import Ticket, Visit, VisitTicket
from services.desk.training import parse_references
from services.directory.models import Membership, School, User
from trust_it.extensions import db

STATUSES = {"planned": "Planned", "done": "Done", "cancelled": "Cancelled"}
LONGEST = timedelta(hours=24)
FEED_SALT = "visits-feed"
FEED_HISTORY = timedelta(days=180)
FEED_LIMIT = 1000


def engineers(school: School) -> list[User]:
    """Who can be named as visiting: the school's technicians and MSP engineers, and the trust's team."""
    now = utcnow()
    current = Membership.current_at(now)
    member = select(Membership.user_id).where(
        Membership.role.in_(permissions.VISIT_ENGINEERS), current,
        (Membership.school_id == school.id) | (Membership.trust_id == school.trust_id))
    return list(db.session.execute(select(User).where(User.id.in_(member), User.active.is_(True))
                                   .order_by(User.display_name)).scalars())


def engineer_choices(school: School, planner: User) -> list[User]:
    """Who a visit may be for: the school's engineers, or the person planning it (an IT director
    may plan their own visit)."""
    people = engineers(school)
    if all(p.id != planner.id for p in people):
        people.append(planner)
    return sorted(people, key=lambda p: p.display_name)


def _check_times(starts_at, ends_at) -> None:
    if not isinstance(starts_at, datetime):
        raise DeskError("Enter when the visit starts.", "starts_at")
    if not isinstance(ends_at, datetime):
        raise DeskError("Enter when the visit ends.", "ends_at")
    if ends_at <= starts_at:
        raise DeskError("The visit must end after it starts.", "ends_at")
    if ends_at - starts_at > LONGEST:
        raise DeskError("A visit lasts at most a day; plan each day as its own visit.", "ends_at")


def _check_notes(notes: str | None) -> str:
    notes = (notes or "").replace("\r\n", "\n").strip()
    if len(notes) > 10_000:
        raise DeskError("Keep the notes under 10,000 characters.", "notes")
    return notes


def plan_visit(school: School, *, engineer: User | None, starts_at: datetime, ends_at: datetime, notes: str = "",
               by: User | None = None) -> Visit:
    """`starts_at`/`ends_at`: naive UTC."""
    if engineer is None:
        raise DeskError("Choose who is visiting.", "engineer_id")
    if engineer.trust_id != school.trust_id or not engineer.active:
        raise DeskError("Choose someone in this trust.", "engineer_id")
    _check_times(starts_at, ends_at)
    visit = Visit(school_id=school.id, engineer_id=engineer.id, starts_at=starts_at, ends_at=ends_at,
                  status="planned", notes=_check_notes(notes), created_at=utcnow())
    db.session.add(visit)
    db.session.flush()
    visit.engineer = engineer
    return visit


def _link(visit: Visit, tickets: list[Ticket], by: User | None) -> None:
    current = set(db.session.execute(select(VisitTicket.ticket_id).where(VisitTicket.visit_id == visit.id)).scalars())
    when = visit.starts_at.replace(tzinfo=timezone.utc).date()
    who = visit.engineer.display_name if visit.engineer else "an engineer"
    for ticket in tickets:
        if ticket.id in current:
            continue
        db.session.add(VisitTicket(visit_id=visit.id, ticket_id=ticket.id, school_id=visit.school_id))
        ticket_service.event(ticket, "note", actor=by, public=False,
                             body=f"Worked on during the visit of {who} on {when.day} {when:%B %Y}.",
                             visit_id=visit.id)
    db.session.flush()


def complete_visit(visit: Visit, school: School, *, notes: str | None = None, tickets: str = "",
                   by: User | None = None) -> Visit:
    """Mark a planned visit done, with what was done and the school's requests worked on."""
    if visit.status != "planned":
        raise DeskError(f"This visit is already {STATUSES[visit.status].lower()}.", "status")
    if visit.starts_at > utcnow():
        raise DeskError("This visit has not started yet: mark it done once it has happened.", "status")
    worked = parse_references(school, tickets)
    if notes is not None and notes.strip():
        done = _check_notes(notes)
        # Keep what was planned; add what was done beneath it.
        visit.notes = f"{visit.notes.strip()}\n\nDone: {done}" if (visit.notes or "").strip() else done
    visit.status = "done"
    _link(visit, worked, by)
    return visit


def cancel_visit(visit: Visit, *, by: User | None = None) -> Visit:
    if visit.status != "planned":
        raise DeskError(f"Only a planned visit can be cancelled; this one is {STATUSES[visit.status].lower()}.",
                        "status")
    visit.status = "cancelled"
    db.session.flush()
    return visit


def update_visit(visit: Visit, school: School, *, status: str | None = None, notes: str | None = None,
                 tickets: str | None = None, by: User | None = None) -> Visit:
    """Change status and/or notes (the API's PATCH): done and cancelled follow the rules above."""
    if status is not None and status not in STATUSES:
        raise DeskError("Choose planned, done or cancelled.", "status")
    if status is None or status == visit.status:
        if notes is not None:
            visit.notes = _check_notes(notes)
        if tickets:
            _link(visit, parse_references(school, tickets), by)
        db.session.flush()
        return visit
    if status == "done":
        return complete_visit(visit, school, notes=notes, tickets=tickets or "", by=by)
    if status == "cancelled":
        visit = cancel_visit(visit, by=by)
        if notes is not None:
            visit.notes = _check_notes(notes)
        return visit
    raise DeskError("A visit that is done or cancelled cannot be planned again; plan a new one.", "status")


def visits_of(school: School) -> tuple[list[Visit], list[Visit]]:
    """(planned visits, soonest first; done and cancelled ones, latest first — the last 100)."""
    base = select(Visit).where(Visit.school_id == school.id).options(selectinload(Visit.engineer))
    planned = db.session.execute(base.where(Visit.status == "planned").order_by(Visit.starts_at, Visit.id)).scalars()
    past = db.session.execute(base.where(Visit.status != "planned")
                              .order_by(Visit.starts_at.desc(), Visit.id.desc()).limit(100)).scalars()
    return list(planned), list(past)


def linked_tickets(visit: Visit) -> list[Ticket]:
    return list(db.session.execute(
        select(Ticket).join(VisitTicket, VisitTicket.ticket_id == Ticket.id).where(VisitTicket.visit_id == visit.id)
        .options(selectinload(Ticket.school)).order_by(Ticket.number)).scalars())


def references_by_visit(visit_ids: list[int]) -> dict[int, list[str]]:
    """The references of the requests each visit worked on: one query for a page of visits."""
    if not visit_ids:
        return {}
    rows = db.session.execute(
        select(VisitTicket.visit_id, School.ticket_prefix, Ticket.number)
        .join(Ticket, Ticket.id == VisitTicket.ticket_id).join(School, School.id == Ticket.school_id)
        .where(VisitTicket.visit_id.in_(visit_ids)).order_by(Ticket.number)).all()
    result: dict[int, list[str]] = {}
    for visit_id, prefix, number in rows:
        result.setdefault(visit_id, []).append(f"{prefix}-{number:06d}")
    return result


def count_planned(school: School) -> int:
    return db.session.execute(select(func.count(Visit.id)).where(Visit.school_id == school.id,
                                                                 Visit.status == "planned")).scalar_one()


# --- the iCalendar feed ------------------------------------------------------------------
# A calendar app fetches the feed with no session, so the address carries a signed key naming
# the school and the person. It holds a digest of their session token, not the token itself
# (the key's payload is readable): deactivating them rotates the token and ends the feed.

def _token_digest(user: User) -> str:
    return hashlib.sha256(f"visits-feed:{user.session_token}".encode()).hexdigest()[:32]


def feed_key(secret: str, school: School, user: User) -> str:
    return URLSafeSerializer(secret, salt=FEED_SALT).dumps(
        {"school": school.id, "user": user.id, "token": _token_digest(user)})


def read_feed_key(secret: str, key: str | None) -> tuple[User, int] | None:
    """(the active person the key was made for, the school id it names), or None if the key is
    forged, damaged, or its person is deactivated."""
    if not key or len(key) > 500:
        return None
    try:
        data = URLSafeSerializer(secret, salt=FEED_SALT).loads(key)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int) or not isinstance(data.get("school"), int):
        return None
    user = db.session.get(User, data["user"])  # users are not school rows: the guard does not filter them
    if user is None or not user.active or not hmac.compare_digest(str(data.get("token", "")), _token_digest(user)):
        return None
    return user, data["school"]


def feed_visits(school: School, *, now: datetime | None = None) -> list[Visit]:
    since = (now or utcnow()) - FEED_HISTORY
    return list(db.session.execute(
        select(Visit).where(Visit.school_id == school.id, Visit.starts_at >= since)
        .options(selectinload(Visit.engineer)).order_by(Visit.starts_at, Visit.id).limit(FEED_LIMIT)).scalars())


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc)


def calendar(school: School, visits: list[Visit], *, now: datetime | None = None) -> bytes:
    """The visits as an iCalendar document (RFC 5545): one VEVENT per visit, times in UTC."""
    stamp = _utc(now or utcnow())
    cal = Calendar()
    cal.add("prodid", "-//trust-it//IT visits//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"IT visits: {school.name}")
    cal.add("x-published-ttl", "PT1H")  # how often Outlook and others should fetch it again
    for visit in visits:
        engineer = visit.engineer.display_name if visit.engineer else "Engineer to be confirmed"
        event = Event()
        event.add("uid", f"visit-{visit.id}@trust-it")
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(visit.starts_at))
        event.add("dtend", _utc(visit.ends_at))
        event.add("summary", f"IT visit: {engineer} at {school.name}")
        if visit.notes:
            event.add("description", visit.notes)
        event.add("status", "CANCELLED" if visit.status == "cancelled" else "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
