"""The periodic SLA sweep: warn at 75 %, escalate one tier at 100 %, record breaches.

It reads only tickets whose next alarm has come (`sla_next_check_at <= now`, a partial
index), so its cost follows the number of tickets near their due time, not the table size.
Idempotent: each alarm moves forward or is cleared when handled, and rows are locked
(SKIP LOCKED on PostgreSQL), so a second run or a retried job does nothing more.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.base import utcnow
from services.desk import notify, sla
from services.desk.escalation import escalate
from services.desk.models import TIER_PHRASES, Ticket
from services.desk.tickets import event
from trust_it.extensions import db
from trust_it.jobs import periodic

BATCH = 500
logger = logging.getLogger(__name__)


@periodic("desk.sla_sweep", every=60)
def sla_sweep(now_iso: str | None = None) -> dict:
    from datetime import datetime
    now = datetime.fromisoformat(now_iso) if now_iso else utcnow()
    counts = {"warned": 0, "escalated": 0, "breached": 0}
    calendars = db.session.info.setdefault("desk_calendars", {})
    while True:
        due = db.session.execute(
            select(Ticket).where(Ticket.sla_next_check_at <= now).order_by(Ticket.sla_next_check_at)
            .options(selectinload(Ticket.school), selectinload(Ticket.assignee))
            .limit(BATCH).with_for_update(skip_locked=True, of=Ticket)).scalars().all()
        if not due:
            break
        for ticket in due:
            try:
                with db.session.begin_nested():
                    _check(ticket, now, sla.calendar_for(ticket.school_id, calendars, now=now), counts)
            except Exception:
                # One bad ticket must not stop every other school's escalations: log it, look again later.
                logger.exception("SLA check of ticket %s failed", ticket.id)
                ticket.sla_next_check_at = now + timedelta(minutes=15)
        # A job, so it may commit: each batch lets go of its row locks before the next.
        db.session.commit()
        if len(due) < BATCH:
            break
    return counts


def _check(ticket: Ticket, now, cal, counts: dict) -> None:
    # Recompute from the minutes really used under today's calendar (a snow day added since
    # the moments were stored must not let the ticket escalate on the day the school is shut).
    sla.schedule(ticket, now, cal)
    if ticket.sla_breached_at is None and ticket.resolution_due_at and ticket.resolution_due_at <= now:
        ticket.sla_breached_at = ticket.resolution_due_at
        event(ticket, "sla", public=False, body="The resolution target was missed.", what="breached")
        counts["breached"] += 1
    if ticket.sla_escalate_at and ticket.sla_escalate_at <= now and ticket.tier < 3:
        to_tier = ticket.tier + 1
        escalate(ticket, by=None, to_tier=to_tier, now=now,
                 reason=f"Automatic: 100% of the resolution time used at tier {ticket.tier}; "
                        f"now with {TIER_PHRASES[to_tier]}.")
        counts["escalated"] += 1
    elif ticket.sla_warn_at and ticket.sla_warn_at <= now:
        ticket.sla_warned_window = ticket.sla_window_start
        percent = sla.percent_used(ticket, now, cal) or 75
        event(ticket, "sla", public=False, body=f"{percent}% of the resolution time used.", what="warning")
        notify.sla_warning(ticket, percent)
        counts["warned"] += 1
    sla.schedule(ticket, now, cal)
