"""What a walk through the desk as its users found, kept fixed."""
import html

from sqlalchemy import select

from services.desk import escalation, tickets
from services.desk.models import Notification, Ticket
from services.directory.models import User
from tests.conftest import data


def _mail_to(app, address):
    with data(app) as s:
        return s.execute(select(Notification.subject).where(Notification.to_address == address)
                         .order_by(Notification.id)).scalars().all()


def test_a_p1_goes_straight_to_the_technicians_inbox(app, make):
    oak = make.school("oak")
    make.user(role="technician", school=oak, email="dan@oak.sch.uk")
    ticket = make.ticket(oak, impact=1, urgency=1, title="No internet in the whole school")
    assert any(s.endswith("New P1: No internet in the whole school") for s in _mail_to(app, "dan@oak.sch.uk"))
    make.ticket(oak, impact=3, urgency=3, title="Mouse is sticky")
    assert not any("Mouse is sticky" in s for s in _mail_to(app, "dan@oak.sch.uk"))
    assert ticket.priority == 1


def test_waiting_for_the_requester_tells_them_and_their_answer_tells_the_assignee(app, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    tech = make.user(role="technician", school=oak, email="dan@oak.sch.uk")
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        t = s.get(Ticket, ticket.id)
        tickets.assign(t, s.get(User, tech.id), by=s.get(User, tech.id))
        tickets.change_status(t, "awaiting_requester", by=s.get(User, tech.id), note="Which room is it?")
    assert any("We need your reply" in s for s in _mail_to(app, "amira@oak.sch.uk"))
    with data(app) as s:
        tickets.reply(s.get(Ticket, ticket.id), by=s.get(User, teacher.id), body="Room 12", from_requester=True)
    assert any("The requester replied" in s for s in _mail_to(app, "dan@oak.sch.uk"))


def test_the_requester_sees_that_it_moved_but_not_why(app, make, login_as):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    tech = make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher, title="Panel broken")
    with data(app) as s:
        escalation.escalate(s.get(Ticket, ticket.id), by=s.get(User, tech.id), to_tier=2,
                            reason="Replacement panel approx £1,200 from Supplier X")
    theirs = html.unescape(login_as(teacher).get(f"/s/oak/tickets/{ticket.id}").text)
    assert "escalated it to the trust's technical team" in theirs and "£1,200" not in theirs
    ours = html.unescape(login_as(tech).get(f"/s/oak/tickets/{ticket.id}").text)
    assert "£1,200" in ours


def test_the_school_does_not_reassign_a_ticket_the_trust_holds(app, make, login_as):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    ticket = make.ticket(oak)
    with data(app) as s:
        escalation.escalate(s.get(Ticket, ticket.id), by=s.get(User, tech.id), to_tier=2, reason="Core switch")
    client = login_as(tech)
    single = client.post(f"/s/oak/tickets/{ticket.id}/assign", data={"assign-assignee_id": "me"})
    assert single.status_code == 422 and "they assign it" in html.unescape(single.text)
    bulk = client.post("/s/oak/queue/assign", data={"ticket_ids": [str(ticket.id)], "assignee_id": "me"})
    assert bulk.status_code == 422
    with data(app) as s:
        assert s.get(Ticket, ticket.id).assignee_id is None


def test_changing_status_needs_a_choice(app, make, login_as):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    ticket = make.ticket(oak)
    client = login_as(tech)
    response = client.post(f"/s/oak/tickets/{ticket.id}/status", data={"status-status": ""})
    assert response.status_code == 422 and "Choose the new status." in response.text
