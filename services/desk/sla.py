"""SLA clocks on school time: targets, pause and resume, and the moments the sweep acts on.

The clock is stored, not recomputed on read: `resolution_due_at`, `sla_warn_at` (75 %),
`sla_escalate_at` (100 % of the current tier's window) and `sla_next_check_at` (the
earliest of them, indexed) are moments in UTC, so "what is due now" is an index lookup.

Pausing keeps the minutes already used (`sla_elapsed_minutes`) and forgets the moments;
resuming or a priority change recomputes every moment from the minutes used and the
current target — which is how pause time survives a change of priority or policy.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time

from sqlalchemy import select

from services.base import utcnow
from services.desk.clock import DEFAULT_TARGETS, WorkingCalendar
from services.desk.models import SlaTarget, Ticket
from services.directory.models import Closure, School, Term, WorkingHours
from trust_it.extensions import db

WARN_AT = 0.75
FALLBACK_HOURS = {d: (time(8, 0), time(16, 30)) for d in range(5)}


def calendar_for(school_id: int, cache: dict | None = None, *, now: datetime | None = None) -> WorkingCalendar:
    """The school's working calendar as at `now`: a few small queries, then kept for the rest of the
    transaction (the sweep touches many tickets of one school). Calendar edits call `forget_calendars`."""
    if cache is None:
        cache = db.session.info.setdefault("desk_calendars", {})
    if school_id not in cache:
        cache.update(calendars_for([school_id], now=now))
    return cache[school_id]


def calendars_for(school_ids, *, now: datetime | None = None) -> dict[int, WorkingCalendar]:
    """Several schools' working calendars as at `now`, in four queries however many schools (a sweep's batch)."""
    today = (now or utcnow()).date()
    ids = sorted(set(school_ids))
    zones = dict(db.session.execute(select(School.id, School.timezone).where(School.id.in_(ids))).all())
    hours, terms, closures = defaultdict(dict), defaultdict(list), defaultdict(set)
    for school_id, weekday, opens, closes in db.session.execute(select(
            WorkingHours.school_id, WorkingHours.weekday, WorkingHours.opens, WorkingHours.closes)
            .where(WorkingHours.school_id.in_(ids))):
        hours[school_id][weekday] = (opens, closes)
    for school_id, starts_on, ends_on in db.session.execute(select(Term.school_id, Term.starts_on, Term.ends_on)
                                                            .where(Term.school_id.in_(ids))):
        terms[school_id].append((starts_on, ends_on))
    for school_id, day in db.session.execute(select(Closure.school_id, Closure.day).where(Closure.school_id.in_(ids))):
        closures[school_id].add(day)
    calendars = {}
    for school_id in ids:
        school_terms = terms[school_id]
        if school_terms and max(end for _, end in school_terms) < today:
            # Next year's terms not entered yet: run on working weekdays rather than stop every clock.
            school_terms = []
        calendars[school_id] = WorkingCalendar(hours=hours[school_id] or FALLBACK_HOURS, terms=school_terms,
                                               closures=closures[school_id],
                                               tz=zones.get(school_id) or "Europe/London")
    return calendars


def forget_calendars() -> None:
    db.session.info.pop("desk_calendars", None)


def targets_for(trust_id: int, school_id: int, priority: int) -> tuple[int, int]:
    """(first response, resolution) in working minutes: the school's override, else the trust's, else defaults."""
    rows = db.session.execute(select(SlaTarget).where(
        SlaTarget.trust_id == trust_id, SlaTarget.priority == priority,
        (SlaTarget.school_id == school_id) | SlaTarget.school_id.is_(None))).scalars().all()
    row = next((r for r in rows if r.school_id == school_id), None) or next(
        (r for r in rows if r.school_id is None), None)
    return (row.response_minutes, row.resolution_minutes) if row else DEFAULT_TARGETS[priority]


def used_minutes(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> int:
    running = cal.working_minutes_between(ticket.sla_clock_from, now) if ticket.sla_clock_from else 0
    return ticket.sla_elapsed_minutes + running


def _add(cal: WorkingCalendar, start: datetime, minutes: int) -> datetime:
    try:
        return cal.add_working_minutes(start, minutes)
    except ValueError:
        # No working time ahead in the school's calendar (hours all removed, say): count plain
        # weekdays rather than let the ticket silently never fall due.
        return WorkingCalendar(hours=FALLBACK_HOURS, tz=cal.tz).add_working_minutes(start, minutes)


def start(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    response, resolution = targets_for(ticket.school.trust_id, ticket.school_id, ticket.priority)
    ticket.sla_target_minutes = resolution
    ticket.response_due_at = _add(cal, ticket.created_at, response)
    ticket.sla_elapsed_minutes = 0
    ticket.sla_window_start = 0
    ticket.sla_clock_from = now
    schedule(ticket, now, cal)


def schedule(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    """Recompute the stored moments from the minutes used so far and the current target."""
    if ticket.sla_clock_from is None:
        ticket.sla_warn_at = ticket.sla_escalate_at = ticket.sla_next_check_at = None
        if ticket.sla_breached_at is None:
            ticket.resolution_due_at = None
        return
    used = used_minutes(ticket, now, cal)
    ticket.sla_elapsed_minutes, ticket.sla_clock_from = used, now  # rebase on now
    target = ticket.sla_target_minutes
    if ticket.sla_breached_at is None:
        if target > used:
            ticket.resolution_due_at = _add(cal, now, target - used)
        elif ticket.resolution_due_at is None or ticket.resolution_due_at > now:
            ticket.resolution_due_at = now  # already over: due now, and the sweep records the breach
        # else: keep the moment it fell due, which has passed
    window_end = ticket.sla_window_start + target
    ticket.sla_escalate_at = _add(cal, now, max(window_end - used, 0)) if ticket.tier < 3 else None
    warn_mark = ticket.sla_window_start + int(target * WARN_AT)
    already_warned = ticket.sla_warned_window == ticket.sla_window_start
    ticket.sla_warn_at = None if already_warned else _add(cal, now, max(warn_mark - used, 0))
    watch = [m for m in (ticket.sla_warn_at, ticket.sla_escalate_at,
                         ticket.resolution_due_at if ticket.sla_breached_at is None else None) if m]
    ticket.sla_next_check_at = min(watch) if watch else None


def pause(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    if ticket.sla_clock_from is None:
        return
    ticket.sla_elapsed_minutes = used_minutes(ticket, now, cal)
    ticket.sla_clock_from = None
    ticket.sla_paused_at = now
    schedule(ticket, now, cal)


def resume(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    if ticket.sla_clock_from is not None:
        return
    ticket.sla_clock_from = now
    ticket.sla_paused_at = None
    schedule(ticket, now, cal)


def stop(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    """Resolved: the clock stops; if it is reopened, `resume` carries on from the minutes used."""
    pause(ticket, now, cal)
    ticket.sla_paused_at = None


def retarget(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    """Priority (or policy) changed: new targets, same minutes used, paused stays paused."""
    response, resolution = targets_for(ticket.school.trust_id, ticket.school_id, ticket.priority)
    ticket.sla_target_minutes = resolution
    if ticket.first_response_at is None:
        ticket.response_due_at = _add(cal, ticket.created_at, response)
    if ticket.sla_breached_at is not None and ticket.sla_clock_from is not None:
        used = used_minutes(ticket, now, cal)
        if used < resolution:  # a longer target can lift a breach that has not really happened
            ticket.sla_breached_at = None
    schedule(ticket, now, cal)


def new_window(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> None:
    """A new tier owns the ticket: it gets a full resolution target of its own before the next escalation."""
    ticket.sla_window_start = used_minutes(ticket, now, cal)
    schedule(ticket, now, cal)


def percent_used(ticket: Ticket, now: datetime, cal: WorkingCalendar) -> int | None:
    if not ticket.sla_target_minutes:
        return None
    return int(100 * used_minutes(ticket, now, cal) / ticket.sla_target_minutes)
