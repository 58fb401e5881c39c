"""The SLA sweep works a batch at a time and still does exactly what it did ticket by ticket.

`sweep_golden.json` was captured from the ticket-by-ticket sweep on the mixed set built here
(warnings at 75 %, escalations to tier 2 and to tier 3, breaches, paused and resolved tickets,
three schools with different hours, closures, terms and time zones); the batched sweep must
leave the same tickets, history, escalations and emails.
"""
from __future__ import annotations

import json
import threading
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select

from services.desk import escalation, sweep, tickets
from services.desk.models import Escalation, Notification, Ticket, TicketEvent
from services.desk.sweep import sla_sweep
from services.directory.models import School, User
from services.directory.schools import add_closure, add_term, set_working_hours
from tests.conftest import REDIS_URL, data
from trust_it import jobs
from trust_it.extensions import db

GOLDEN = Path(__file__).with_name("sweep_golden.json")
MONDAY = datetime(2026, 11, 23, 9, 0)  # GMT, so 09:00 UTC is 09:00 on the classroom clock
SWEEPS = [datetime(2026, 11, 23, 12, 30), datetime(2026, 11, 23, 15, 10), datetime(2026, 11, 25, 12, 0),
          datetime(2026, 12, 2, 10, 0)]
# The columns the sweep may change on a ticket.
COLUMNS = ("tier", "status", "assignee_id", "resolution_due_at", "sla_clock_from", "sla_elapsed_minutes",
           "sla_window_start", "sla_warned_window", "sla_warn_at", "sla_escalate_at", "sla_next_check_at",
           "sla_breached_at", "sla_paused_at")


def _build(app, make) -> None:
    """Three schools, each with calendar quirks, and tickets in every state the sweep meets."""
    oak = make.school("oak", name="Oak Primary")
    elm = make.school("elm", name="Elm Academy")
    ash = make.school("ash", name="Ash International School", timezone="Europe/Madrid")
    with data(app) as s:
        add_term(s.get(School, oak.id), name="Autumn 2", starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18))
        add_closure(s.get(School, oak.id), day=date(2026, 11, 27), name="INSET day", kind="inset")
        set_working_hours(s.get(School, elm.id), {d: (time(8, 30), time(15, 30)) for d in range(5)} | {2: None})
        add_closure(s.get(School, elm.id), day=date(2026, 11, 24), name="Snow day", kind="other")
    staff = make.user(role="staff", school=oak, email="sam@oak.sch.uk")
    tech = make.user(role="technician", school=oak, email="tess@oak.sch.uk")
    make.user(role="technician", school=oak, email="theo@oak.sch.uk")
    make.user(role="msp_engineer", school=elm, email="kate@msp.co.uk")
    make.user(role="technician", school=ash, email="ana@ash.es")
    central = make.user(role="technical", email="tom@trust.org.uk")
    make.user(role="service_desk", email="dee@trust.org.uk")
    make.user(role="it_director", email="martin@trust.org.uk")
    make.user(role="technical", email="gone@trust.org.uk", active=False)  # left: hears nothing

    def raise_(school, title, impact, urgency, at=MONDAY):
        return make.ticket(school, staff, title=title, impact=impact, urgency=urgency, now=at)

    assigned = raise_(oak, "Projector in room 12", 1, 1)
    raise_(oak, "Whole school offline", 1, 1)
    raise_(oak, "Friday's broken lift pass", 1, 1, at=datetime(2026, 11, 20, 9, 0))
    to_three = raise_(oak, "Core switch failing", 1, 1, at=datetime(2026, 11, 16, 9, 0))
    at_three = raise_(oak, "Replace the firewall", 1, 2, at=datetime(2026, 11, 16, 9, 0))
    paused = raise_(oak, "Which laptop is it?", 1, 1)
    done = raise_(oak, "Printer jam", 1, 1)
    raise_(oak, "New starter in January", 3, 3)
    raise_(elm, "Panel in the hall", 1, 2)
    raise_(elm, "MIS down", 1, 1, at=datetime(2026, 11, 20, 14, 0))
    elm_paused = raise_(elm, "Order toner", 2, 2)
    raise_(ash, "Wi-Fi in block B", 1, 1, at=datetime(2026, 11, 23, 8, 0))
    with data(app) as s:
        t, tech_user, central_user = s.get(Ticket, assigned.id), s.get(User, tech.id), s.get(User, central.id)
        tickets.assign(t, tech_user, by=None, now=MONDAY)
        escalation.escalate(s.get(Ticket, to_three.id), by=tech_user, to_tier=2, reason="Needs the trust",
                            now=datetime(2026, 11, 16, 10, 0))
        firewall = s.get(Ticket, at_three.id)
        escalation.escalate(firewall, by=tech_user, to_tier=2, reason="Firewall", now=datetime(2026, 11, 16, 9, 30))
        escalation.escalate(firewall, by=central_user, to_tier=3, reason="£6,000", decision_kind="spend",
                            now=datetime(2026, 11, 16, 10, 0))
        tickets.change_status(s.get(Ticket, paused.id), "awaiting_requester", by=tech_user,
                              now=datetime(2026, 11, 23, 9, 30))
        tickets.change_status(s.get(Ticket, elm_paused.id), "awaiting_requester", by=tech_user,
                              now=datetime(2026, 11, 23, 9, 30))
        tickets.change_status(s.get(Ticket, done.id), "resolved", by=tech_user, now=datetime(2026, 11, 23, 9, 30))


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _snapshot(s, since_event: int, since_note: int) -> dict:
    """Everything the sweep wrote, in terms that do not depend on ids or on the real clock."""
    refs = {t.id: t.reference for t in s.execute(select(Ticket)).scalars()}
    trail = {e.id: (refs[e.ticket_id], e.from_tier, e.to_tier)
             for e in s.execute(select(Escalation)).scalars()}
    emails = dict(s.execute(select(User.id, User.email)).all())
    state = {refs[t.id]: {c: emails.get(t.assignee_id) if c == "assignee_id" else _iso(getattr(t, c)) for c in COLUMNS}
             for t in s.execute(select(Ticket)).scalars()}
    events: dict[str, list] = {}  # each ticket's new history, in order
    for e in s.execute(select(TicketEvent).where(TicketEvent.id > since_event).order_by(TicketEvent.id)).scalars():
        events.setdefault(refs[e.ticket_id], []).append([
            e.kind, e.public, e.actor_id, e.body,
            json.dumps({k: list(trail[v]) if k == "escalation_id" else v for k, v in e.data.items()}, sort_keys=True)])
    escalations = sorted([refs[e.ticket_id], e.from_tier, e.to_tier, e.reason, e.automatic, e.actor_id,
                          e.decision_kind, _iso(e.created_at)]
                         for e in s.execute(select(Escalation).where(Escalation.automatic.is_(True))).scalars())
    mails = sorted([refs[n.ticket_id], n.kind, n.to_address, n.subject,
                    n.body.replace(f"/tickets/{n.ticket_id}", "/tickets/<id>"), n.status]
                   for n in s.execute(select(Notification).where(Notification.id > since_note)).scalars())
    return {"tickets": state, "events": events, "escalations": escalations, "emails": mails}


def _run_sweeps(app) -> list[dict]:
    results = []
    for at in SWEEPS:
        with data(app) as s:
            last_event = s.execute(select(TicketEvent.id).order_by(TicketEvent.id.desc())).scalars().first()
            last_note = s.execute(select(Notification.id).order_by(Notification.id.desc())).scalars().first() or 0
        with data(app):
            counts = sla_sweep(now_iso=at.isoformat())
        with data(app) as s:
            results.append({"at": at.isoformat(), "counts": counts, **_snapshot(s, last_event, last_note)})
    return json.loads(json.dumps(results))


def test_the_batched_sweep_does_what_the_ticket_by_ticket_sweep_did(app, make):
    _build(app, make)
    assert _run_sweeps(app) == json.loads(GOLDEN.read_text())


def test_the_history_is_stamped_with_the_sweeps_moment(app, make):
    _build(app, make)
    at = SWEEPS[0]
    with data(app):
        sla_sweep(now_iso=at.isoformat())
    with data(app) as s:
        stamped = s.execute(select(TicketEvent.created_at).where(TicketEvent.kind == "sla")).scalars().all()
        assert stamped and set(stamped) == {at}
        warned = s.execute(select(Ticket).where(Ticket.sla_warned_window.isnot(None))).scalars().all()
        assert warned and {t.updated_at for t in warned} == {at}


def test_a_second_sweep_at_the_same_moment_does_nothing(app, make):
    _build(app, make)
    for at in SWEEPS:
        with data(app):
            sla_sweep(now_iso=at.isoformat())
        with data(app) as s:
            before = _snapshot(s, 0, 0)
        with data(app):
            assert sla_sweep(now_iso=at.isoformat()) == {"warned": 0, "escalated": 0, "breached": 0}
        with data(app) as s:
            assert _snapshot(s, 0, 0) == before


def _due_tickets(app, make, n: int) -> list[int]:
    """n tickets whose clocks ran out long ago: each must be escalated exactly once."""
    oak = make.school("oak")
    make.user(role="technical", email="tom@trust.org.uk")
    first = make.ticket(oak, impact=1, urgency=1, now=MONDAY)
    with data(app) as s:
        template = {c: getattr(s.get(Ticket, first.id), c) for c in (
            "school_id", "kind", "title", "impact", "urgency", "priority", "status", "tier", "source",
            "created_at", "updated_at", "sla_target_minutes", "sla_clock_from", "sla_warn_at", "sla_escalate_at",
            "resolution_due_at", "sla_next_check_at")}
        s.execute(insert(Ticket), [{**template, "number": 1000 + n} for n in range(n - 1)])
        return s.execute(select(Ticket.id)).scalars().all()


def test_a_ticket_that_cannot_be_handled_waits_15_minutes_and_the_others_go_on(app, make):
    first, broken, third = _due_tickets(app, make, 3)
    with data(app) as s:
        s.get(Ticket, broken).status = "closed"  # closed with its alarm still set: escalating it fails
    at = datetime(2026, 11, 30, 12, 0)
    with data(app):
        assert sla_sweep(now_iso=at.isoformat()) == {"warned": 0, "escalated": 2, "breached": 2}
    with data(app) as s:
        left = s.get(Ticket, broken)
        assert (left.tier, left.sla_breached_at, left.sla_next_check_at) == (1, None, datetime(2026, 11, 30, 12, 15))
        assert sorted(s.execute(select(Escalation.ticket_id)).scalars()) == [first, third]
        assert s.execute(select(TicketEvent).where(TicketEvent.ticket_id == broken,
                                                   TicketEvent.kind != "created")).first() is None
        assert s.execute(select(Notification).where(Notification.ticket_id == broken)).first() is None


def test_two_sweeps_at_once_handle_each_ticket_once(app, make, monkeypatch):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time and no SKIP LOCKED: sweeps there cannot overlap")
    ids = _due_tickets(app, make, 400)
    monkeypatch.setattr(sweep, "BATCH", 25)  # many small batches, so the two sweeps interleave
    at = datetime(2026, 11, 30, 12, 0).isoformat()
    results, errors, start = [], [], threading.Barrier(2)

    def run():
        try:
            with data(app):
                start.wait()
                results.append(sla_sweep(now_iso=at))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r["escalated"] for r in results) == len(ids)
    with data(app) as s:
        trail = s.execute(select(Escalation.ticket_id)).scalars().all()
        assert sorted(trail) == sorted(ids)  # every ticket once, none twice
        mails = s.execute(select(Notification.ticket_id).where(Notification.kind == "escalated")).scalars().all()
        assert sorted(mails) == sorted(ids)


needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TRUST_IT_TEST_REDIS_URL not set")


@needs_redis
def test_each_batch_queues_one_job_for_its_emails(app, make, monkeypatch):
    from redis import Redis
    from rq import Queue

    ids = _due_tickets(app, make, 60)
    make.user(role="service_desk", email="dee@trust.org.uk")  # two recipients per escalation
    monkeypatch.setattr(sweep, "BATCH", 25)
    Redis.from_url(REDIS_URL).flushdb()
    app.config.update(REDIS_URL=REDIS_URL, JOB_INLINE=False)
    try:
        with data(app):
            assert sla_sweep(now_iso=datetime(2026, 11, 30, 12, 0).isoformat())["escalated"] == len(ids)
        with app.app_context():
            queued = Queue("notifications", connection=jobs.redis_connection()).jobs
    finally:
        app.config.update(REDIS_URL=None, JOB_INLINE=True)
        Redis.from_url(REDIS_URL).flushdb()
    assert len(queued) == 3  # batches of 25, 25 and 10 tickets: one job each, not one per email
    with data(app) as s:
        notes = s.execute(select(Notification.id).where(Notification.kind == "escalated")).scalars().all()
    assert len(notes) == 2 * len(ids)
    assert sorted(i for job in queued for i in job.args[1][0]) == sorted(notes)


def test_statements_per_batch_do_not_grow_with_the_tickets(app, make):
    ids = _due_tickets(app, make, 120)
    statements = []
    with data(app):
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert sla_sweep(now_iso=datetime(2026, 11, 30, 12, 0).isoformat())["escalated"] == len(ids)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) < 30, "\n".join(s[:70].replace("\n", " ") for s in statements)
