"""Lists of tickets: a school's queue and a person's own requests.

One query per page, with the requester, assignee and school joined in (no N+1), and
keyset pagination: a page deep in the queue costs what the first one does. The queue is
sorted by SLA due (paused and stopped clocks last), then priority, then age, then id, and
the cursor carries those four values of the last row shown. The web pages and the API
share these functions.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import joinedload

from services.desk import attainment
from services.desk.models import KINDS, OPEN_STATUSES, STATUSES, TIERS, Ticket
from services.directory.models import User
from trust_it.extensions import db

PAGE_SIZE = 50
UNASSIGNED = "none"


@dataclass(frozen=True)
class QueueFilters:
    """What to show. `statuses` None means every open status; `assignee` is a user id,
    UNASSIGNED, or None for anyone; the others are None for "any".

    `resolved_since` with `sla_missed` lists the requests resolved since a day that missed their
    target, `late_escalations_since` the tickets whose escalation since a day was not answered in
    time (services/desk/attainment.py): the failing tickets behind the IT support standard's figures."""
    statuses: tuple[str, ...] | None = None
    priority: int | None = None
    assignee: int | str | None = None
    kind: str | None = None
    tier: int | None = None
    resolved_since: date | None = None
    sla_missed: bool = False
    late_escalations_since: date | None = None

    def __post_init__(self):
        if self.statuses is not None and not set(self.statuses) <= set(STATUSES):
            raise ValueError("unknown status")
        if self.kind is not None and self.kind not in KINDS:
            raise ValueError("unknown kind")
        if self.tier is not None and self.tier not in TIERS:
            raise ValueError("unknown tier")


@dataclass(frozen=True)
class Page:
    items: list[Ticket]
    next_cursor: str | None


def _with_people(stmt):
    return stmt.options(joinedload(Ticket.requester), joinedload(Ticket.assignee), joinedload(Ticket.school))


def _encode(ticket: Ticket) -> str:
    due = ticket.resolution_due_at.isoformat() if ticket.resolution_due_at else None
    raw = json.dumps([due, ticket.priority, ticket.created_at.isoformat(), ticket.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None):
    """(due, priority, created, id) of the last row shown, or None for a cursor that makes no sense."""
    if not cursor:
        return None
    try:
        due, priority, created, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return (datetime.fromisoformat(due) if due else None, int(priority), datetime.fromisoformat(created),
                int(ident))
    except (ValueError, TypeError):
        return None


def _after(key):
    due, priority, created, ident = key
    rest = tuple_(Ticket.priority, Ticket.created_at, Ticket.id) > tuple_(priority, created, ident)
    if due is None:  # already among the tickets with no due time, which come last
        return and_(Ticket.resolution_due_at.is_(None), rest)
    return or_(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at > due,
               and_(Ticket.resolution_due_at == due, rest))


def school_queue(school_id: int | None, filters: QueueFilters = QueueFilters(), *, after: str | None = None,
                 limit: int = PAGE_SIZE, now: datetime | None = None) -> Page:
    """Tickets of one school (or, with None, of every school the signed-in scope sees), soonest due first.

    `now` is the moment "answered in time" is judged at (needed by `late_escalations_since`)."""
    stmt = select(Ticket)
    if school_id is not None:
        stmt = stmt.where(Ticket.school_id == school_id)
    stmt = stmt.where(Ticket.status.in_(filters.statuses or OPEN_STATUSES))
    if filters.priority is not None:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.assignee == UNASSIGNED:
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    elif filters.assignee is not None:
        stmt = stmt.where(Ticket.assignee_id == int(filters.assignee))
    if filters.kind is not None:
        stmt = stmt.where(Ticket.kind == filters.kind)
    if filters.tier is not None:
        stmt = stmt.where(Ticket.tier == filters.tier)
    if filters.resolved_since is not None:
        stmt = stmt.where(attainment.resolved_since(filters.resolved_since))
    if filters.sla_missed:
        stmt = stmt.where(~attainment.within_target())
    if filters.late_escalations_since is not None:
        if now is None:
            raise ValueError("late escalations are judged at a moment: pass now")
        stmt = stmt.where(attainment.late_escalations_since(filters.late_escalations_since, now))
    key = decode_cursor(after)
    if key is not None:
        stmt = stmt.where(_after(key))
    stmt = _with_people(stmt).order_by(Ticket.resolution_due_at.is_(None), Ticket.resolution_due_at,
                                       Ticket.priority, Ticket.created_at, Ticket.id).limit(limit + 1)
    rows = list(db.session.execute(stmt).unique().scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _encode(rows[-1]) if more and rows else None)


def my_tickets(user: User, school_id: int, *, before: int | None = None, limit: int = PAGE_SIZE) -> Page:
    """The tickets `user` raised at the school, newest first; the cursor is the id of the last one shown."""
    stmt = select(Ticket).where(Ticket.school_id == school_id, Ticket.requester_id == user.id)
    if before is not None:
        stmt = stmt.where(Ticket.id < before)
    stmt = _with_people(stmt).order_by(Ticket.id.desc()).limit(limit + 1)
    rows = list(db.session.execute(stmt).unique().scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, str(rows[-1].id) if more and rows else None)
