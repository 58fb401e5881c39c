"""Escalating a ticket that is waiting for the requester: the next tier has work to do, so the
ticket is escalated (not paused) and its clock runs again, through the page and the API alike."""
import html
from datetime import datetime

import time_machine

from services.desk import tickets
from services.desk.models import Ticket
from services.directory.models import User
from tests.api.test_tickets_api import bearer
from tests.conftest import data

RAISED = datetime(2026, 11, 23, 9, 0)        # Monday 09:00 (GMT = UTC): P2, 480 working minutes
ASKED = datetime(2026, 11, 23, 10, 0)        # an hour later the technician asks the requester
ESCALATED = datetime(2026, 11, 25, 9, 0)     # Wednesday 09:00, no reply: passed to the trust
# 420 minutes of the target are left: due Wednesday 16:00. The trust's own window is a full
# 480 minutes from Wednesday 09:00: 450 on Wednesday, then 30 on Thursday morning.
DUE = datetime(2026, 11, 25, 16, 0)
NEXT_ESCALATION = datetime(2026, 11, 26, 8, 30)


def _waiting_for_the_requester(app, make):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher, impact=1, urgency=2, now=RAISED)
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "awaiting_requester", by=s.get(User, tech.id), now=ASKED)
    return ticket, teacher, tech


def _saved(app, ticket_id) -> Ticket:
    with data(app) as s:
        return s.get(Ticket, ticket_id)


def test_escalating_on_the_page_starts_the_clock_for_the_trust_team(app, make, login_as):
    ticket, teacher, tech = _waiting_for_the_requester(app, make)
    with time_machine.travel(ESCALATED, tick=False):
        school_tech = login_as(tech)
        before = html.unescape(school_tech.get(f"/s/oak/tickets/{ticket.id}").text)
        assert "the SLA clock runs again while the next tier works it" in before
        page = school_tech.post(f"/s/oak/tickets/{ticket.id}/escalate",
                                data={"escalate-reason": "No reply and the whole floor is down: the trust's spares."},
                                follow_redirects=True)
        assert page.status_code == 200

        escalated = _saved(app, ticket.id)
        assert (escalated.tier, escalated.status) == (2, "escalated")
        assert (escalated.resolution_due_at, escalated.sla_escalate_at) == (DUE, NEXT_ESCALATION)
        assert escalated.sla_elapsed_minutes == 60 and escalated.sla_paused_at is None

        trust_tech = login_as(make.user(role="technical"))
        queue = html.unescape(trust_tech.get("/trust/escalations").text)
        assert ticket.reference in queue and "Escalated" in queue
        assert "waiting for the requester" not in queue
        shown = html.unescape(trust_tech.get(f"/s/oak/tickets/{ticket.id}").text)
        assert "due in 7 h" in shown and "paused" not in shown
        assert "it no longer waits for the requester and its clock runs again" in shown
        # The requester is told where their request went, not how the IT team's clock works.
        theirs = html.unescape(login_as(teacher).get(f"/s/oak/tickets/{ticket.id}").text)
        assert "escalated it to" in theirs and "clock" not in theirs


def test_escalating_through_the_api_starts_the_clock_for_the_trust_team(app, client, make):
    ticket, teacher, tech = _waiting_for_the_requester(app, make)
    with time_machine.travel(ESCALATED, tick=False):
        up = client.post(f"/api/v1/tickets/{ticket.id}/escalations", headers=bearer(app, tech),
                         json={"to_tier": 2, "reason": "No reply and the whole floor is down"})
        assert up.status_code == 201, up.json
        seen = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(app, make.user(role="technical"))).json
    assert (seen["tier"], seen["status"], seen["sla_paused"]) == (2, "escalated", False)
    assert seen["resolution_due_at"].startswith(DUE.isoformat(timespec="minutes"))

    # The requester's late answer is a reply to the trust team; it does not change who holds the ticket.
    reply = client.post(f"/api/v1/tickets/{ticket.id}/comments", headers=bearer(app, teacher),
                        json={"body": "Sorry, I was teaching all day: it is room 12."})
    assert reply.status_code == 201
    after = _saved(app, ticket.id)
    assert (after.tier, after.status) == (2, "escalated")
