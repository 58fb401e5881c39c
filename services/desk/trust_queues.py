"""The trust's queues across its schools: tier-2 escalations, the IT director's decisions, the
outbox, and the service-desk counts on the trust dashboard.

Each list is one query per page with what its page shows eager-loaded, keyset-paginated so a
deep page costs what the first does. The ORM guard already limits tickets to the signed-in
person's schools; the explicit `School.trust_id` condition keeps a list to one trust even for
a caller running unscoped (a job, the CLI).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from services.base import utcnow
from services.desk.models import OPEN_STATUSES, Escalation, Notification, Ticket
from services.directory.models import School
from trust_it.extensions import db
from trust_it.ids import MAX_ID

# The moment a tier-2 ticket is due: its resolution target, else (clock paused, or already
# breached and stopped) the moment it would go to the IT director. Resolution comes first
# because at tier 2 it is never later than the escalation moment.
DUE = func.coalesce(Ticket.resolution_due_at, Ticket.sla_escalate_at)


@dataclass(frozen=True)
class QueueFilters:
    school_id: int | None = None
    priority: int | None = None
    assignee: str | None = None  # "me" or "unassigned"
    status: str | None = None


@dataclass(frozen=True)
class DueCursor:
    """Where a page of a due-ordered list ends: the last row's due moment (None sorts last) and id."""
    due: datetime | None
    id: int

    def encode(self) -> str:
        return f"{self.due.isoformat() if self.due else '-'}_{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> DueCursor | None:
        """None for a missing or malformed cursor: the list starts again from the top."""
        due, _, ident = (text or "").rpartition("_")
        if not due or not ident.isascii() or not ident.isdigit() or int(ident) > MAX_ID:
            return None
        try:
            return cls(None if due == "-" else datetime.fromisoformat(due), int(ident))
        except ValueError:
            return None


def escalation_queue(trust_id: int, *, me_id: int | None, filters: QueueFilters = QueueFilters(),
                     after: DueCursor | None = None, limit: int = 50) -> list[tuple[Ticket, Escalation | None]]:
    """Open tier-2 tickets of the trust's schools, soonest due first, each with its latest escalation.

    Asks for `limit` rows; callers ask for one more than they show to know whether a next page exists.
    """
    stmt = (select(Ticket).join(Ticket.school)
            .where(School.trust_id == trust_id, Ticket.tier == 2, Ticket.status.in_(OPEN_STATUSES))
            .options(contains_eager(Ticket.school), joinedload(Ticket.assignee))
            .order_by(DUE.asc().nulls_last(), Ticket.id).limit(limit))  # ix_tickets_open_tier_due's order
    if filters.school_id:
        stmt = stmt.where(Ticket.school_id == filters.school_id)
    if filters.priority:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.status:
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.assignee == "me":
        stmt = stmt.where(Ticket.assignee_id == me_id)
    elif filters.assignee == "unassigned":
        stmt = stmt.where(Ticket.assignee_id.is_(None))
    if after is not None:
        if after.due is None:
            stmt = stmt.where(DUE.is_(None), Ticket.id > after.id)
        else:
            stmt = stmt.where(or_(DUE.is_(None), DUE > after.due, and_(DUE == after.due, Ticket.id > after.id)))
    page = list(db.session.execute(stmt).unique().scalars())
    latest = _latest_escalations(page)
    return [(ticket, latest.get(ticket.id)) for ticket in page]


def _latest_escalations(page: list[Ticket]) -> dict[int, Escalation]:
    """The latest escalation of each ticket on the page: one more query, for the page only."""
    if not page:
        return {}
    newest = (select(func.max(Escalation.id)).where(Escalation.ticket_id.in_([t.id for t in page]))
              .group_by(Escalation.ticket_id))
    rows = db.session.execute(select(Escalation).where(Escalation.id.in_(newest))
                              .options(joinedload(Escalation.actor), joinedload(Escalation.decided_by))).scalars()
    return {e.ticket_id: e for e in rows}


def due_of(ticket: Ticket) -> datetime | None:
    return ticket.resolution_due_at or ticket.sla_escalate_at


def decision_queue(trust_id: int, *, after_id: int | None = None,
                   limit: int = 50) -> list[tuple[Ticket, Escalation]]:
    """Tier-3 tickets waiting for the IT director, longest waiting first, with the escalation asking."""
    stmt = (select(Ticket, Escalation).join(Ticket.school)
            .join(Escalation, and_(Escalation.ticket_id == Ticket.id, Escalation.to_tier == 3,
                                   Escalation.decided_at.is_(None)))
            .where(School.trust_id == trust_id, Ticket.tier == 3)
            .options(contains_eager(Ticket.school), joinedload(Ticket.assignee), joinedload(Escalation.actor))
            .order_by(Escalation.id).limit(limit))
    if after_id:
        stmt = stmt.where(Escalation.id > after_id)
    return [(ticket, escalation) for ticket, escalation in db.session.execute(stmt).unique().all()]


def recent_decisions(trust_id: int, *, limit: int = 20) -> list[Escalation]:
    stmt = (select(Escalation).join(Escalation.ticket).join(Ticket.school)
            .where(School.trust_id == trust_id, Escalation.to_tier == 3, Escalation.decided_at.is_not(None))
            .options(contains_eager(Escalation.ticket).contains_eager(Ticket.school),
                     joinedload(Escalation.decided_by), joinedload(Escalation.actor))
            .order_by(Escalation.decided_at.desc(), Escalation.id.desc()).limit(limit))
    return list(db.session.execute(stmt).unique().scalars())


def outbox(trust_id: int, *, status: str | None = None, before_id: int | None = None,
           limit: int = 50) -> list[Notification]:
    """The trust's emails, newest first (keyset on id)."""
    stmt = select(Notification).where(Notification.trust_id == trust_id).order_by(Notification.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Notification.status == status)
    if before_id:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.execute(stmt).scalars())


@dataclass(frozen=True)
class SchoolDeskCounts:
    school_id: int
    name: str
    slug: str
    open: int
    breached: int
    with_trust: int
    awaiting_decision: int


def open_counts_by_school(trust_id: int, now: datetime | None = None) -> list[SchoolDeskCounts]:
    """Every school of the trust (a quiet school shows its zeros): open, breached, at tier 2, at tier 3
    — one GROUP BY query over an outer join, reading only columns of ix_tickets_open_school_tier_due
    so PostgreSQL counts from the index without visiting the tickets themselves.

    "Breached" also counts a due time already past that the periodic sweep has not stamped yet,
    so the dashboard is right between two sweeps. A tier-3 ticket is there for a decision:
    deciding sends it back down.
    """
    now = now or utcnow()
    breached = or_(Ticket.sla_breached_at.is_not(None), Ticket.resolution_due_at < now)
    rows = db.session.execute(
        select(School.id, School.name, School.slug, func.count(Ticket.school_id),
               func.sum(case((breached, 1), else_=0)), func.sum(case((Ticket.tier == 2, 1), else_=0)),
               func.sum(case((Ticket.tier == 3, 1), else_=0)))
        .select_from(School)
        .outerjoin(Ticket, (Ticket.school_id == School.id) & Ticket.status.in_(OPEN_STATUSES))
        .where(School.trust_id == trust_id)
        .group_by(School.id, School.name, School.slug).order_by(School.name)).all()
    return [SchoolDeskCounts(*row[:3], *(int(n or 0) for n in row[3:])) for row in rows]
