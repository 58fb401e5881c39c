"""The periodic SLA sweep: warn at 75 %, escalate one tier at 100 %, record breaches.

It reads only tickets whose next alarm has come (`sla_next_check_at <= now`, a partial
index), so its cost follows the number of tickets near their due time, not the table size.

It works a batch at a time, with a handful of statements per batch whatever its size: one
claims the batch (SKIP LOCKED on PostgreSQL, so two sweeps at once never take the same ticket;
SQLite has one writer at a time, and the claim is that batch's first write), the calendars and the
people to tell are read for the whole batch, the school-time arithmetic runs in Python (`sla`,
`escalation.raise_tier`: the same rules as a single ticket), then one statement each writes the
tickets, escalations, history and outbox (`bulk`), and one job sends the batch's emails.
Idempotent: each alarm moves forward or is cleared when handled, so a second run or a retried
job does nothing more.
"""
from __future__ import annotations

import logging
from copy import copy
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update

from services.base import utcnow
from services.desk import bulk, escalation, notify, sla
from services.desk.models import TIER_PHRASES, Escalation, Ticket, TicketEvent
from services.directory.models import School, User
from trust_it.extensions import db
from trust_it.jobs import periodic

BATCH = 500
logger = logging.getLogger(__name__)


@dataclass
class DueTicket:
    """The columns of a ticket the sweep reads and writes: a plain object the SLA rules work on."""
    id: int
    school_id: int
    number: int
    title: str
    status: str
    tier: int
    assignee_id: int | None
    updated_at: datetime
    resolution_due_at: datetime | None
    sla_target_minutes: int
    sla_clock_from: datetime | None
    sla_elapsed_minutes: int
    sla_window_start: int
    sla_warned_window: int | None
    sla_warn_at: datetime | None
    sla_escalate_at: datetime | None
    sla_next_check_at: datetime | None
    sla_breached_at: datetime | None
    school: School | None = None
    assignee: User | None = None

    reference = property(Ticket.reference.fget)
    is_open = property(Ticket.is_open.fget)


COLUMNS = [f.name for f in fields(DueTicket) if f.name not in ("school", "assignee")]
WRITTEN = [c for c in COLUMNS if c not in ("school_id", "number", "title", "sla_target_minutes")]


@periodic("desk.sla_sweep", every=60)
def sla_sweep(now_iso: str | None = None) -> dict:
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    counts = {"warned": 0, "escalated": 0, "breached": 0}
    calendars: dict = {}  # plain values, so they outlive each batch's commit
    while True:
        due = _claim(now)
        if due:
            _sweep_batch(due, now, calendars, counts)
        # A job, so it may commit: each batch lets go of its row locks before the next.
        db.session.commit()
        if len(due) < BATCH:
            return counts


def _claim(now: datetime) -> list[DueTicket]:
    """Take up to BATCH due tickets, skipping any another sweep holds."""
    batch = (select(*(getattr(Ticket, c) for c in COLUMNS)).where(Ticket.sla_next_check_at <= now)
             .order_by(Ticket.sla_next_check_at).limit(BATCH))
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(batch.with_for_update(skip_locked=True, of=Ticket)).all()
    else:
        # SQLite has no row locks but one writer at a time: claiming with a write first means a
        # second sweep waits for this batch's commit and then finds these alarms moved.
        rows = db.session.execute(
            update(Ticket).where(Ticket.id.in_(batch.with_only_columns(Ticket.id).scalar_subquery()))
            .values(sla_next_check_at=None).returning(*(getattr(Ticket, c) for c in COLUMNS))
            .execution_options(synchronize_session=False)).all()
    return sorted((DueTicket(**row._mapping) for row in rows), key=lambda t: t.id)


def _sweep_batch(due: list[DueTicket], now: datetime, calendars: dict, counts: dict) -> None:
    school_ids = {t.school_id for t in due}
    if school_ids - set(calendars):
        calendars.update(sla.calendars_for(school_ids - set(calendars), now=now))
    schools = {s.id: s for s in db.session.execute(select(School).where(School.id.in_(school_ids))).scalars()}
    assignees = {t.assignee_id for t in due if t.assignee_id}
    people = {u.id: u for u in db.session.execute(select(User).where(User.id.in_(assignees))).scalars()} \
        if assignees else {}
    for t in due:
        t.school, t.assignee = schools.get(t.school_id), people.get(t.assignee_id)
    # Everyone a warning or an escalation of this batch may tell, in one query: the tier each
    # ticket is at (unassigned warnings) and the one above (escalations). People read for an
    # earlier batch expired with its commit: read again, not one by one.
    db.session.info.pop("desk_tier_people", None)
    notify.load_tier_people({notify.tier_key(t.school.trust_id, tier, t.school_id)
                             for t in due for tier in {t.tier, min(t.tier + 1, 3)}}, now)

    written = _Written(now)
    with notify.batched() as outbox:
        for n, ticket in enumerate(due):
            before, marks = copy(ticket), (len(written.escalations), len(written.events), len(outbox))
            try:
                done = _check(ticket, now, calendars[ticket.school_id], written)
            except Exception:
                # One bad ticket must not stop every other school's escalations: log it, look again later.
                logger.exception("SLA check of ticket %s failed", ticket.id)
                del written.escalations[marks[0]:], written.events[marks[1]:], outbox[marks[2]:]
                due[n] = replace(before, sla_next_check_at=now + timedelta(minutes=15))
                continue
            for what in done:
                counts[what] += 1
        written.save(due)


def _check(ticket: DueTicket, now: datetime, cal, written: _Written) -> list[str]:
    """What the sweep does to one ticket, in memory; returns what happened (warned, escalated, breached)."""
    done = []
    # Recompute from the minutes really used under today's calendar (a snow day added since
    # the moments were stored must not let the ticket escalate on the day the school is shut).
    sla.schedule(ticket, now, cal)
    if ticket.sla_breached_at is None and ticket.resolution_due_at and ticket.resolution_due_at <= now:
        ticket.sla_breached_at = ticket.resolution_due_at
        written.event(ticket, "sla", public=False, body="The resolution target was missed.", what="breached")
        done.append("breached")
    if ticket.sla_escalate_at and ticket.sla_escalate_at <= now and ticket.tier < 3:
        to_tier = ticket.tier + 1
        reason = (f"Automatic: 100% of the resolution time used at tier {ticket.tier}; "
                  f"now with {TIER_PHRASES[to_tier]}.")
        escalation.check_upward(ticket, to_tier)
        written.escalation(ticket, to_tier, reason)
        old_tier, old_status = escalation.raise_tier(ticket, to_tier, now, cal)
        written.event(ticket, "escalation", public=True, body=reason, from_tier=old_tier, to_tier=to_tier,
                      automatic=True, escalation_id=None, previous_status=old_status)
        notify.escalated(ticket, reason, automatic=True)
        done.append("escalated")
    elif ticket.sla_warn_at and ticket.sla_warn_at <= now:
        ticket.sla_warned_window = ticket.sla_window_start
        percent = sla.percent_used(ticket, now, cal) or 75
        written.event(ticket, "sla", public=False, body=f"{percent}% of the resolution time used.", what="warning")
        notify.sla_warning(ticket, percent)
        done.append("warned")
    sla.schedule(ticket, now, cal)
    return done


class _Written:
    """A batch's escalations and history, kept in memory and written with one statement each."""

    def __init__(self, now: datetime):
        self.now = now
        self.escalations: list[dict] = []
        self.events: list[dict] = []

    def escalation(self, ticket: DueTicket, to_tier: int, reason: str) -> None:
        """Record an automatic escalation; its event gets its id once it is written."""
        self.escalations.append(dict(ticket_id=ticket.id, school_id=ticket.school_id, from_tier=ticket.tier,
                                     to_tier=to_tier, reason=reason, decision_kind=None, actor_id=None,
                                     automatic=True, created_at=self.now))

    def event(self, ticket: DueTicket, kind: str, *, public: bool, body: str, **data) -> None:
        self.events.append(dict(ticket_id=ticket.id, school_id=ticket.school_id, kind=kind, actor_id=None,
                                body=body, public=public, data=data, created_at=self.now))
        ticket.updated_at = self.now

    def save(self, tickets: list[DueTicket]) -> None:
        bulk.update_rows(Ticket, [{c: getattr(t, c) for c in WRITTEN} for t in tickets])
        # At most one escalation per ticket in a batch: its ticket says which event it belongs to.
        ids = dict(bulk.insert_rows(Escalation, self.escalations, returning=("ticket_id", "id")))
        for ev in self.events:
            if "escalation_id" in ev["data"]:
                ev["data"] = {**ev["data"], "escalation_id": ids[ev["ticket_id"]]}
        bulk.insert_rows(TicketEvent, self.events)
