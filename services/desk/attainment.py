"""Whether the desk kept its promises: requests resolved within their target, escalations answered in time.

SQL expressions, not functions over loaded tickets, so the IT support standard's figures
(services/standards/derived.py) and the queue filters that list the failing tickets read one
definition and count the same rows.

- A resolved request met its target when the SLA sweep never recorded a breach and the working
  minutes its clock used (stored when the clock stopped) stayed within the resolution target.
- An upward escalation asks the next tier to act. The trust's technical team answers by taking the
  ticket (an assignment), handing it back, passing it up by hand or resolving it; when its window
  runs out first, the sweep escalates again automatically, and that is the escalation missed. The
  IT director answers with a decision, expected within DECISION_TARGET. An escalation still waiting
  and still inside its time has no outcome yet (None): it counts neither way.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import aliased

from services.desk.models import Escalation, Ticket, TicketEvent
from trust_it.extensions import db

# Five school days: a decision asked for on a Monday is answered by the next Monday.
DECISION_TARGET = timedelta(days=7)
MET, LATE = "met", "late"


def within_target():
    """A condition on a resolved ticket: its resolution met the SLA target."""
    return and_(Ticket.sla_breached_at.is_(None),
                or_(Ticket.sla_target_minutes == 0, Ticket.sla_elapsed_minutes <= Ticket.sla_target_minutes))


def resolved_since(start: date | datetime):
    return and_(Ticket.resolved_at.is_not(None), Ticket.resolved_at >= start)


def _plus(column, delta: timedelta):
    """`column + delta` in SQL; SQLite keeps datetimes as text, so it needs its own date arithmetic."""
    if db.engine.dialect.name == "postgresql":
        return column + func.make_interval(0, 0, 0, 0, 0, 0, int(delta.total_seconds()))
    return func.datetime(column, f"+{int(delta.total_seconds())} seconds")


def escalation_outcomes(now: datetime):
    """A sub-query of upward escalations: school_id, ticket_id, created_at, outcome (MET, LATE or None)."""
    later = aliased(Escalation)
    following = (select(func.min(later.id)).where(later.ticket_id == Escalation.ticket_id, later.id > Escalation.id)
                 .correlate(Escalation).scalar_subquery())
    nxt = aliased(Escalation)
    # Taken: assigned after the escalation and before whatever came next (the sweep's, if it was late).
    taken = (select(TicketEvent.id).where(TicketEvent.ticket_id == Escalation.ticket_id,
                                          TicketEvent.kind == "assignment",
                                          TicketEvent.created_at >= Escalation.created_at,
                                          TicketEvent.created_at <= func.coalesce(nxt.created_at, now))
             .correlate(Escalation, nxt).exists())
    decision = case((Escalation.decided_at.is_not(None),
                     case((Escalation.decided_at <= _plus(Escalation.created_at, DECISION_TARGET), literal(MET)),
                          else_=literal(LATE))),
                    (Escalation.created_at < now - DECISION_TARGET, literal(LATE)), else_=None)
    team = case((taken, literal(MET)),
                (nxt.id.is_not(None), case((nxt.automatic.is_(True), literal(LATE)), else_=literal(MET))),
                (Ticket.resolved_at.is_not(None), literal(MET)),
                (Ticket.sla_escalate_at <= now, literal(LATE)), else_=None)
    outcome = case((Escalation.to_tier == 3, decision), else_=team)
    return (select(Escalation.school_id, Escalation.ticket_id, Escalation.created_at, outcome.label("outcome"))
            .join(Ticket, Ticket.id == Escalation.ticket_id)
            .outerjoin(nxt, nxt.id == following)
            .where(Escalation.to_tier > Escalation.from_tier))


def late_escalations_since(start: date | datetime, now: datetime):
    """A condition on tickets: an escalation raised since `start` was not answered in time."""
    outcomes = escalation_outcomes(now).subquery()
    return Ticket.id.in_(select(outcomes.c.ticket_id).where(outcomes.c.created_at >= start,
                                                            outcomes.c.outcome == LATE))
