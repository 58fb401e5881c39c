"""Generated service-desk history for benchmarks: a year or more of tickets per school, in bulk.

Volumes follow school size (tickets per pupil per year), categories and priorities follow
what school IT teams report, and tickets are raised in term time during the school day.
Old tickets are closed; the most recent few are open with running SLA clocks, so the
queues and the sweep have real work. 150 schools × 4 years reaches a million tickets.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, update

from services.base import utcnow
from services.desk import sla
from services.desk.catalogue import ensure_defaults
from services.desk.clock import DEFAULT_TARGETS, priority_for
from services.desk.models import Category, Ticket, TicketEvent
from services.directory.models import Membership, School, Trust
from trust_it.extensions import db

CATEGORY_WEIGHTS = {"Printing": 14, "Classroom AV": 16, "Wi-Fi and network": 9, "MIS": 8, "Accounts and MFA": 18,
                    "Devices": 14, "Software": 9, "Filtering and safeguarding": 3, "Security incident": 1,
                    "Starters and leavers": 5, "Procurement": 3}
IMPACT_URGENCY = [((1, 1), 2), ((1, 2), 3), ((2, 1), 6), ((2, 2), 20), ((1, 3), 4), ((3, 1), 10), ((2, 3), 15),
                  ((3, 2), 20), ((3, 3), 20)]
KIND_WEIGHTS = [("incident", 60), ("request", 28), ("guidance", 12)]
TITLES = {"Printing": ["Printer jammed in the staff room", "Can't print to the reprographics copier"],
          "Classroom AV": ["Projector won't turn on", "No sound from the panel in room {room}"],
          "Wi-Fi and network": ["Wi-Fi keeps dropping in block {block}", "No network in room {room}"],
          "MIS": ["Registers won't save in the MIS", "Report card export failing"],
          "Accounts and MFA": ["Locked out of my account", "New phone: reset my MFA"],
          "Devices": ["Laptop won't charge", "Trolley of iPads not syncing"],
          "Software": ["Install software for GCSE music", "Maths app crashes on start"],
          "Filtering and safeguarding": ["Website blocked that we need for a lesson", "Monitoring alert to review"],
          "Security incident": ["Suspicious email with a link", "Clicked a phishing link"],
          "Starters and leavers": ["New teaching assistant starting Monday", "Leaver: disable account"],
          "Procurement": ["Quote for replacement projector", "Order 30 Chromebooks"]}


def _school_days(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d.month != 8 and not (d.month == 12 and d.day > 20) and not (d.month == 1 and d.day < 4):
            days.append(d)
        d += timedelta(days=1)
    return days


def seed_tickets(trust: Trust, *, years: float = 1.0, per_pupil: float = 1.6, open_recent_days: int = 10,
                 rng: random.Random | None = None, chunk: int = 20_000, now: datetime | None = None) -> int:
    """Insert tickets (and their 'created' events) for every school of the trust; returns how many."""
    rng = rng or random.Random(7)
    now = now or utcnow()
    ensure_defaults(trust)
    categories = {c.name: c.id for c in db.session.execute(
        select(Category).where(Category.trust_id == trust.id)).scalars()}
    cat_names = [n for n in CATEGORY_WEIGHTS if n in categories]
    cat_weights = [CATEGORY_WEIGHTS[n] for n in cat_names]
    iu, iu_w = zip(*IMPACT_URGENCY, strict=True)
    kinds, kind_w = zip(*KIND_WEIGHTS, strict=True)
    days = _school_days((now - timedelta(days=int(365 * years))).date(), now.date())
    schools = db.session.execute(select(School).where(School.trust_id == trust.id).order_by(School.id)).scalars().all()
    total = 0
    for school in schools:
        staff = list(db.session.execute(select(Membership.user_id).where(Membership.school_id == school.id)).scalars())
        workers = list(db.session.execute(select(Membership.user_id).where(
            Membership.school_id == school.id, Membership.role.in_(("technician", "msp_engineer")))).scalars())
        count = max(20, int((school.pupils or 300) * per_pupil * years))
        cal = sla.calendar_for(school.id, now=now)
        rows, number = [], school.ticket_counter
        for _ in range(count):
            number += 1
            day = rng.choice(days)
            created = datetime.combine(day, datetime.min.time()) + timedelta(minutes=rng.randint(7 * 60 + 30, 16 * 60))
            if created > now:
                created = now - timedelta(minutes=rng.randint(1, 600))
            cat = rng.choices(cat_names, cat_weights)[0]
            impact, urgency = rng.choices(iu, iu_w)[0]
            priority = priority_for(impact, urgency)
            kind = rng.choices(kinds, kind_w)[0]
            tier = rng.choices([1, 2, 3], [88, 11, 1])[0]
            age = (now - created).days
            is_open = age <= open_recent_days and rng.random() < 0.6
            response, resolution = DEFAULT_TARGETS[priority]
            title = rng.choice(TITLES[cat]).format(room=rng.randint(1, 40), block=rng.choice("ABCDE"))
            row = {"school_id": school.id, "number": number, "kind": kind, "title": title, "description": "",
                   "category_id": categories.get(cat), "impact": impact, "urgency": urgency, "priority": priority,
                   "tier": tier, "source": rng.choices(["web", "email", "api"], [80, 18, 2])[0],
                   "requester_id": rng.choice(staff) if staff else None,
                   "assignee_id": rng.choice(workers) if workers and rng.random() < 0.85 else None,
                   "created_at": created, "updated_at": created, "sla_target_minutes": resolution,
                   "sla_elapsed_minutes": 0, "sla_window_start": 0}
            if is_open:
                row.update(status=rng.choice(["new", "assigned", "in_progress",
                                              "escalated" if tier > 1 else "assigned"]),
                           sla_clock_from=created, response_due_at=cal.add_working_minutes(created, response))
                due = cal.add_working_minutes(created, resolution)
                warn = cal.add_working_minutes(created, int(resolution * 0.75))
                row.update(resolution_due_at=due, sla_warn_at=warn, sla_escalate_at=due if tier < 3 else None,
                           sla_next_check_at=min(warn, due))
            else:
                resolved = created + timedelta(minutes=rng.randint(10, 3 * 24 * 60))
                row.update(status="closed", resolved_at=resolved, closed_at=resolved,
                           first_response_at=created + timedelta(minutes=rng.randint(2, 240)),
                           response_due_at=created + timedelta(minutes=response),
                           resolution_due_at=None, sla_breached_at=resolved if rng.random() < 0.08 else None)
            rows.append(row)
            if len(rows) >= chunk:
                total += _flush(rows)
        total += _flush(rows)
        db.session.execute(update(School).where(School.id == school.id).values(ticket_counter=number))
    db.session.flush()
    return total


def _flush(rows: list[dict]) -> int:
    if not rows:
        return 0
    n = len(rows)
    first_number = {}
    for r in rows:
        first_number.setdefault(r["school_id"], r["number"])
    db.session.execute(insert(Ticket), rows)
    # One 'created' event per ticket, read back by (school, number) range: a single set-based insert.
    for school_id, start in first_number.items():
        end = max(r["number"] for r in rows if r["school_id"] == school_id)
        ids = db.session.execute(select(Ticket.id, Ticket.created_at, Ticket.requester_id).where(
            Ticket.school_id == school_id, Ticket.number.between(start, end))).all()
        db.session.execute(insert(TicketEvent), [
            {"ticket_id": tid, "school_id": school_id, "kind": "created", "public": True, "actor_id": requester,
             "body": "", "data": {}, "created_at": created} for tid, created, requester in ids])
    rows.clear()
    return n


def open_ticket_count() -> int:
    return db.session.execute(
        select(func.count()).select_from(Ticket).where(Ticket.sla_next_check_at.isnot(None))).scalar()


def spread_backlog(trust: Trust, total: int, *, now: datetime, worst: int = 300,
                   rng: random.Random | None = None) -> School:
    """Leave `total` tickets open across the trust the way real backlogs are: in proportion to each
    school's size, some schools worse than others, and the school with most weight exactly `worst`
    tickets behind (a queue of known length to time).

    Each school's most recent tickets stay open with running clocks whose alarms fall within four
    hours either side of `now` — half have used 75 % of a 4-hour target (a warning is due), half far
    more (escalation and breach are due) — so the sweep has a realistic bad day's work. Every other
    ticket is closed. Returns the school `worst` tickets behind.
    """
    rng = rng or random.Random(1)
    schools = db.session.execute(select(School).where(School.trust_id == trust.id).order_by(School.id)).scalars().all()
    ids = [s.id for s in schools]
    db.session.execute(update(Ticket).where(Ticket.school_id.in_(ids), Ticket.sla_next_check_at.isnot(None)).values(
        sla_next_check_at=None, sla_warn_at=None, sla_escalate_at=None, resolution_due_at=None,
        status="closed", closed_at=now, resolved_at=now))
    weights = {s.id: (s.pupils or 300) * rng.choice([0.5, 0.8, 1, 1, 1, 1.5, 2.5]) for s in schools}
    behind = max(schools, key=lambda s: weights[s.id])
    shares = {behind.id: min(worst, total)}
    rest = {sid: w for sid, w in weights.items() if sid != behind.id}
    left, weight = total - shares[behind.id], sum(rest.values()) or 1
    for sid, w in rest.items():
        shares[sid] = int(left * w / weight)
    for sid in sorted(rest, key=rest.get, reverse=True)[:left - sum(shares[s] for s in rest)]:
        shares[sid] += 1  # what rounding down left over goes to the biggest
    n = 0
    for sid in ids:
        recent = db.session.execute(select(Ticket.id, Ticket.tier).where(Ticket.school_id == sid)
                                    .order_by(Ticket.id.desc()).limit(shares[sid])).all()
        rows = []
        for tid, tier in recent:
            n += 1
            at = now + timedelta(minutes=rng.randint(-240, 240))
            rows.append({
                "id": tid, "tier": tier, "closed_at": None, "resolved_at": None, "sla_breached_at": None,
                "status": "escalated" if tier > 1 else rng.choice(["new", "assigned", "in_progress"]),
                "resolution_due_at": at + timedelta(hours=1), "sla_warn_at": at,
                "sla_escalate_at": at + timedelta(hours=1) if tier < 3 else None, "sla_next_check_at": at,
                "sla_clock_from": now - (timedelta(hours=3) if n % 2 else timedelta(days=3)),
                "sla_elapsed_minutes": 0, "sla_window_start": 0, "sla_warned_window": None,
                "sla_target_minutes": 240})
        if rows:
            db.session.execute(update(Ticket), rows)
    db.session.flush()
    return behind
