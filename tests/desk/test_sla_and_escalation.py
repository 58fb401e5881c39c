"""SLA clocks on school time, pause and resume, and escalation by hand and by the sweep."""
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from services.desk import escalation, tickets
from services.desk.models import Escalation, Notification, Ticket, TicketEvent
from services.desk.sweep import sla_sweep
from services.directory.models import School, User
from services.directory.schools import add_closure, add_term
from tests.conftest import data
from trust_it import jobs


@pytest.fixture
def oak(app, make):
    school = make.school("oak", name="Oakwood Academy")
    with data(app) as s:
        sch = s.get(School, school.id)
        add_term(sch, name="Autumn 1", starts_on=date(2026, 9, 2), ends_on=date(2026, 10, 23))
        add_term(sch, name="Autumn 2", starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18))
        add_closure(sch, day=date(2026, 11, 27), name="INSET day", kind="inset")
    return school


@pytest.fixture
def people(make, oak):
    return {"teacher": make.user(role="staff", school=oak, email="amira@oak.sch.uk"),
            "tech": make.user(role="technician", school=oak, email="dan@oak.sch.uk"),
            "trust_tech": make.user(role="technical", email="tom@trust.org.uk"),
            "director": make.user(role="it_director", email="martin@trust.org.uk")}


def _ticket(app, ticket_id) -> Ticket:
    with data(app) as s:
        t = s.get(Ticket, ticket_id)
        _ = t.school
        return t


def test_a_late_afternoon_p1_is_due_mid_morning_next_day(app, make, oak, people):
    # Monday 23 November 2026, 16:00 (GMT = UTC). P1: respond in 30 min, resolve in 4 working hours.
    t = make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 16, 0))
    assert t.priority == 1
    assert t.response_due_at == datetime(2026, 11, 23, 16, 30)
    assert t.resolution_due_at == datetime(2026, 11, 24, 11, 30)  # 30 min today, 3½ h from 08:00 Tuesday


def test_the_clock_skips_the_weekend_and_an_inset_day(app, make, oak, people):
    # Thursday 26 Nov 15:30, P2 (8 working hours): 1 h Thursday, Friday is INSET, 7 h from Monday 08:00.
    t = make.ticket(oak, people["teacher"], impact=1, urgency=2, now=datetime(2026, 11, 26, 15, 30))
    assert t.priority == 2
    assert t.resolution_due_at == datetime(2026, 11, 30, 15, 0)


def test_half_term_stops_the_clock(app, make, oak, people):
    # Friday 23 Oct 09:00 BST (08:00 UTC), P3 (two school days = 1020 min): 450 min on Friday,
    # half term, then Monday 2 Nov 08:00 GMT for 510 and Tuesday for the last 60.
    t = make.ticket(oak, people["teacher"], impact=2, urgency=2, now=datetime(2026, 10, 23, 8, 0))
    assert t.priority == 3
    assert t.resolution_due_at == datetime(2026, 11, 3, 9, 0)


def test_the_terms_count_as_at_the_tickets_moment_not_the_day_the_code_runs(app, make, oak, people):
    # Long after these terms have ended (a school without next year's dates runs on plain weekdays)
    # a ticket of October 2026 still stops for that half term.
    with time_machine.travel(datetime(2028, 1, 10, 9, 0)):
        t = make.ticket(oak, people["teacher"], impact=2, urgency=2, now=datetime(2026, 10, 23, 8, 0))
    assert t.resolution_due_at == datetime(2026, 11, 3, 9, 0)


def test_awaiting_requester_pauses_and_their_reply_resumes(app, make, oak, people):
    t = make.ticket(oak, people["teacher"], impact=1, urgency=2, now=datetime(2026, 11, 23, 9, 0))  # P2: 480
    with data(app) as s:
        ticket, tech = s.get(Ticket, t.id), s.get(User, people["tech"].id)
        tickets.reply(ticket, by=tech, body="Which room is it?", now=datetime(2026, 11, 23, 9, 30))
        tickets.change_status(ticket, "awaiting_requester", by=tech, now=datetime(2026, 11, 23, 10, 0))
    paused = _ticket(app, t.id)
    assert paused.resolution_due_at is None and paused.sla_elapsed_minutes == 60
    assert paused.first_response_at == datetime(2026, 11, 23, 9, 30)
    with data(app) as s:
        ticket = s.get(Ticket, t.id)
        tickets.reply(ticket, by=s.get(User, people["teacher"].id), body="Room 12", from_requester=True,
                      now=datetime(2026, 11, 25, 9, 0))
    resumed = _ticket(app, t.id)
    assert resumed.status == "in_progress"
    assert resumed.resolution_due_at == datetime(2026, 11, 25, 16, 0)  # 420 minutes left from Wednesday 09:00


def test_a_priority_change_while_paused_keeps_the_time_already_used(app, make, oak, people):
    """GLPI's known failing: pause time lost when the SLA changes. Here 60 minutes stay used."""
    t = make.ticket(oak, people["teacher"], impact=1, urgency=2, now=datetime(2026, 11, 23, 9, 0))  # P2
    with data(app) as s:
        ticket, tech = s.get(Ticket, t.id), s.get(User, people["tech"].id)
        tickets.change_status(ticket, "awaiting_requester", by=tech, now=datetime(2026, 11, 23, 10, 0))
        tickets.set_priority(ticket, impact=1, urgency=1, by=tech, now=datetime(2026, 11, 24, 11, 0))  # P1: 240
        assert ticket.resolution_due_at is None  # still paused
        tickets.reply(ticket, by=s.get(User, people["teacher"].id), body="Still broken", from_requester=True,
                      now=datetime(2026, 11, 25, 9, 0))
    assert _ticket(app, t.id).resolution_due_at == datetime(2026, 11, 25, 12, 0)  # 180 left of 240


def test_resolving_stops_the_clock_and_reopening_carries_on(app, make, oak, people):
    t = make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 9, 0))  # P1: 240
    with data(app) as s:
        ticket = s.get(Ticket, t.id)
        tickets.change_status(ticket, "resolved", by=s.get(User, people["tech"].id), now=datetime(2026, 11, 23, 10, 0))
    assert _ticket(app, t.id).resolution_due_at is None
    with data(app) as s:
        ticket = s.get(Ticket, t.id)
        ticket_user = s.get(User, people["teacher"].id)
        tickets.change_status(ticket, "reopened", by=ticket_user, now=datetime(2026, 11, 24, 9, 0), note="Again")
    assert _ticket(app, t.id).resolution_due_at == datetime(2026, 11, 24, 12, 0)


def test_a_technician_escalates_and_the_director_decides(app, make, oak, people):
    t = make.ticket(oak, people["teacher"], title="Core switch in the server room is down", impact=1, urgency=1)
    with data(app) as s:
        ticket = s.get(Ticket, t.id)
        escalation.escalate(ticket, by=s.get(User, people["tech"].id), to_tier=2, reason="Core switch: needs the trust")
        assert ticket.tier == 2 and ticket.status == "escalated"
        escalation.escalate(ticket, by=s.get(User, people["trust_tech"].id), to_tier=3, decision_kind="spend",
                            reason="Replacement switch costs £4,200")
        escalation.decide(ticket, by=s.get(User, people["director"].id), decision="approved",
                          text="Approved from the contingency budget")
        assert ticket.tier == 2 and ticket.status == "in_progress"
        escalation.hand_back(ticket, by=s.get(User, people["trust_tech"].id),
                             reason="New switch in; please re-patch")
        assert ticket.tier == 1
    with data(app) as s:
        trail = s.execute(select(Escalation).where(Escalation.ticket_id == t.id)
                          .order_by(Escalation.id)).scalars().all()
        # The decision is recorded on the 2 → 3 escalation; the hand back is a row of its own.
        assert [(e.from_tier, e.to_tier, e.automatic) for e in trail] == [(1, 2, False), (2, 3, False), (2, 1, False)]
        assert trail[1].decision == "approved" and trail[1].decided_by_id == people["director"].id
        kinds = [e.kind for e in s.execute(select(TicketEvent).where(TicketEvent.ticket_id == t.id)
                                           .order_by(TicketEvent.id)).scalars()]
        assert kinds == ["created", "escalation", "escalation", "decision", "handback"]
        to = set(s.execute(select(Notification.to_address).where(Notification.kind == "escalated")).scalars())
        assert {"tom@trust.org.uk", "martin@trust.org.uk"} <= to


def test_escalating_downwards_is_refused(app, make, oak, people):
    t = make.ticket(oak, people["teacher"])
    from services.desk.errors import DeskError
    with data(app) as s:
        with pytest.raises(DeskError, match="only be escalated upwards"):
            escalation.escalate(s.get(Ticket, t.id), by=s.get(User, people["tech"].id), to_tier=1, reason="x")


def test_the_sweep_warns_at_75_and_escalates_at_100_percent_once_per_level(app, make, oak, people):
    t = make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 9, 0))  # P1: 240
    with data(app) as s:
        tickets.assign(s.get(Ticket, t.id), s.get(User, people["tech"].id), by=None)

    def sweep(at):
        with data(app):
            return sla_sweep(now_iso=at.isoformat())

    assert sweep(datetime(2026, 11, 23, 11, 59)) == {"warned": 0, "escalated": 0, "breached": 0}
    assert sweep(datetime(2026, 11, 23, 12, 1)) == {"warned": 1, "escalated": 0, "breached": 0}
    assert sweep(datetime(2026, 11, 23, 12, 2)) == {"warned": 0, "escalated": 0, "breached": 0}
    assert sweep(datetime(2026, 11, 23, 13, 1)) == {"warned": 0, "escalated": 1, "breached": 1}
    assert sweep(datetime(2026, 11, 23, 13, 2)) == {"warned": 0, "escalated": 0, "breached": 0}
    escalated = _ticket(app, t.id)
    assert (escalated.tier, escalated.status, escalated.sla_breached_at) == (
        2, "escalated", datetime(2026, 11, 23, 13, 0))
    # The trust team gets a full window of its own: 240 working minutes from 13:01.
    assert sweep(datetime(2026, 11, 24, 8, 30)) == {"warned": 1, "escalated": 0, "breached": 0}
    assert sweep(datetime(2026, 11, 24, 8, 32)) == {"warned": 0, "escalated": 1, "breached": 0}
    assert sweep(datetime(2026, 11, 30, 9, 0)) == {"warned": 1, "escalated": 0, "breached": 0}  # tier 3 is warned
    assert sweep(datetime(2026, 12, 10, 9, 0)) == {"warned": 0, "escalated": 0, "breached": 0}  # and no higher
    with data(app) as s:
        trail = s.execute(select(Escalation).where(Escalation.ticket_id == t.id)
                          .order_by(Escalation.id)).scalars().all()
        assert [(e.from_tier, e.to_tier, e.automatic, e.actor_id) for e in trail] == [
            (1, 2, True, None), (2, 3, True, None)]
        warnings = s.execute(select(Notification).where(Notification.kind == "sla_warning")).scalars().all()
        assert warnings[0].to_address == "dan@oak.sch.uk"


def test_a_retried_sweep_job_does_nothing_more(app, make, oak, people):
    make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 9, 0))
    at = datetime(2026, 11, 23, 13, 30).isoformat()
    with data(app):
        first = jobs.enqueue("services.desk.sweep:sla_sweep", job_id="sweep-1", now_iso=at)
    with data(app):
        again = jobs.enqueue("services.desk.sweep:sla_sweep", job_id="sweep-1", now_iso=at)
    assert first == {"warned": 0, "escalated": 1, "breached": 1}
    assert again == {"warned": 0, "escalated": 0, "breached": 0}
    with data(app) as s:
        assert len(s.execute(select(Escalation)).scalars().all()) == 1


def test_the_sweep_ignores_paused_and_resolved_tickets(app, make, oak, people):
    paused = make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 9, 0))
    done = make.ticket(oak, people["teacher"], impact=1, urgency=1, now=datetime(2026, 11, 23, 9, 0))
    with data(app) as s:
        tech = s.get(User, people["tech"].id)
        tickets.change_status(s.get(Ticket, paused.id), "awaiting_requester", by=tech,
                              now=datetime(2026, 11, 23, 9, 10))
        tickets.change_status(s.get(Ticket, done.id), "resolved", by=tech, now=datetime(2026, 11, 23, 9, 10))
    with data(app):
        assert sla_sweep(now_iso=datetime(2026, 12, 1, 9, 0).isoformat()) == {"warned": 0, "escalated": 0,
                                                                               "breached": 0}
