"""The school's queue and a technician working a ticket: sort, filter, bulk assign, reply, pause,
resolve, escalate."""
import html
from datetime import datetime

from sqlalchemy import select

from services.desk import escalation, queues, tickets
from services.desk.models import Escalation, Notification, Ticket
from services.directory.models import User
from tests.conftest import data

MONDAY_9AM = datetime(2026, 3, 2, 9, 0)  # in term time by default: the school has no term dates yet


def _ticket(app, ticket_id):
    with data(app) as s:
        ticket = s.get(Ticket, ticket_id)
        _ = ticket.reference, ticket.assignee
    return ticket


def test_a_new_urgent_ticket_is_at_the_top_of_the_queue(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    make.ticket(oak, teacher, title="Need a new mouse", impact=3, urgency=3, now=MONDAY_9AM)  # P4
    make.ticket(oak, teacher, title="Wi-Fi slow in the library", impact=2, urgency=2, now=MONDAY_9AM)
    urgent = make.ticket(oak, teacher, title="Projector dead before period 1", impact=2, urgency=1, now=MONDAY_9AM)

    page = login_as(tech).get("/s/oak/queue").text
    rows = [page.index(t) for t in ("Projector dead before period 1", "Wi-Fi slow in the library", "Need a new mouse")]
    assert rows == sorted(rows)
    assert urgent.reference in page and "P2" in page and "Unassigned" in page
    assert "overdue by" in page or "due in" in page


def test_a_technician_lands_on_the_queue(app, make, login_as):
    oak = make.school("oak")
    assert login_as(make.user(role="technician", school=oak)).get("/").headers["Location"].endswith("/s/oak/queue")


def test_walking_the_queue_page_by_page_shows_each_ticket_once_in_order(app, make):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    made = [make.ticket(oak, teacher, title=f"Ticket {n}", impact=1 + n % 3, urgency=1 + n % 2, now=MONDAY_9AM)
            for n in range(7)]
    with data(app) as s:
        tickets.change_status(s.get(Ticket, made[0].id), "awaiting_requester", by=s.get(User, tech.id))
    with data(app) as s:
        whole = queues.school_queue(oak.id, limit=100).items
        seen, cursor = [], None
        while True:
            page = queues.school_queue(oak.id, after=cursor, limit=3)
            seen += page.items
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        order = [t.id for t in whole]
        assert [t.id for t in seen] == order and len(order) == 7
        assert order[-1] == made[0].id  # paused: no due time, so last
        dues = [t.resolution_due_at for t in whole[:-1]]
        assert dues == sorted(dues)


def test_the_queue_costs_the_same_few_queries_for_many_tickets(app, make, login_as, count_queries):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    client = login_as(tech)

    def statements():
        with count_queries() as seen:
            assert client.get("/s/oak/queue").status_code == 200
        return len(seen)

    for n in range(2):
        make.ticket(oak, teacher, title=f"Early {n}")
    few = statements()
    for n in range(12):
        make.ticket(oak, make.user(role="staff", school=oak), title=f"Later {n}")
    assert statements() == few


def test_filters_narrow_the_queue(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    mine = make.ticket(oak, teacher, title="Printer offline", impact=3, urgency=3)
    make.ticket(oak, teacher, title="Whole school network down", impact=1, urgency=1)
    make.ticket(oak, teacher, title="How do I share a Form?", kind="guidance")
    with data(app) as s:
        tickets.assign(s.get(Ticket, mine.id), s.get(User, tech.id), by=s.get(User, tech.id))
    client = login_as(tech)

    p1 = client.get("/s/oak/queue?priority=1").text
    assert "Whole school network down" in p1 and "Printer offline" not in p1
    me = client.get("/s/oak/queue?assignee=me").text
    assert "Printer offline" in me and "Whole school network down" not in me
    nobody = client.get("/s/oak/queue?assignee=none").text
    assert "Whole school network down" in nobody and "Printer offline" not in nobody
    guidance = client.get("/s/oak/queue?kind=guidance").text
    assert "How do I share a Form?" in guidance and "Printer offline" not in guidance
    assigned = client.get("/s/oak/queue?status=assigned").text
    assert "Printer offline" in assigned and "Whole school network down" not in assigned
    nonsense = client.get("/s/oak/queue?priority=9&status=lost&tier=7")
    assert nonsense.status_code == 200 and "Printer offline" in nonsense.text


def test_an_educational_technologist_sees_how_do_i_requests_first(app, make, login_as):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    make.ticket(oak, teacher, title="Printer offline")
    make.ticket(oak, teacher, title="How do I share a Form?", kind="guidance")
    client = login_as(make.user(role="edtech", school=oak))
    assert client.get("/").headers["Location"].endswith("/s/oak/queue?kind=guidance")
    page = client.get("/s/oak/queue").text
    assert "How do I share a Form?" in page and "Printer offline" not in page
    assert "Printer offline" in client.get("/s/oak/queue?kind=").text


def test_a_technician_assigns_several_tickets_at_once(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    teacher = make.user(role="staff", school=oak)
    tech, colleague = make.user(role="technician", school=oak), make.user(role="technician", school=oak, name="Sam Lee")
    first, second = make.ticket(oak, teacher, title="One"), make.ticket(oak, teacher, title="Two")
    elsewhere = make.ticket(elm, make.user(role="staff", school=elm), title="Elm's ticket")
    client = login_as(tech)
    assert "Assign selected to" in client.get("/s/oak/queue").text

    done = client.post("/s/oak/queue/assign", data={"ticket_ids": [first.id, second.id, elsewhere.id],
                                                    "assignee_id": str(colleague.id), "filters": "assignee=none"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/s/oak/queue?assignee=none")
    assert "2 tickets assigned to Sam Lee." in client.get(done.headers["Location"]).text
    assert _ticket(app, first.id).assignee_id == colleague.id == _ticket(app, second.id).assignee_id
    assert _ticket(app, elsewhere.id).assignee_id is None
    with data(app) as s:
        assert s.execute(select(Notification).where(Notification.kind == "assigned",
                                                    Notification.to_address == colleague.email)).first()

    nothing = client.post("/s/oak/queue/assign", data={"assignee_id": "me"})
    assert nothing.status_code == 422 and "Select at least one ticket to assign." in nothing.text


def test_the_first_public_reply_is_the_first_response(app, make, login_as):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk")
    tech = make.user(role="technician", school=oak, name="Dan Price")
    ticket = make.ticket(oak, teacher)
    client = login_as(tech)

    client.post(f"/s/oak/tickets/{ticket.id}/reply", data={"reply-body": "Checking the cable.", "reply-internal": "y"})
    assert _ticket(app, ticket.id).first_response_at is None  # an internal note is not an answer
    sent = client.post(f"/s/oak/tickets/{ticket.id}/reply", data={"reply-body": "On my way."}, follow_redirects=True)
    assert "Reply sent." in sent.text and "Internal" in sent.text
    assert _ticket(app, ticket.id).first_response_at is not None
    with data(app) as s:
        assert s.execute(select(Notification).where(Notification.kind == "replied",
                                                    Notification.to_address == "amira@oak.sch.uk")).first()

    empty = client.post(f"/s/oak/tickets/{ticket.id}/reply", data={"reply-body": ""})
    assert empty.status_code == 422 and "Write something first." in empty.text


def test_waiting_for_the_requester_pauses_the_clock_until_they_reply(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    client = login_as(tech)

    page = client.post(f"/s/oak/tickets/{ticket.id}/status", data={"status-status": "awaiting_requester"},
                       follow_redirects=True).text
    assert "is now awaiting requester" in page and "paused" in page
    paused = _ticket(app, ticket.id)
    assert paused.sla_clock_from is None and paused.resolution_due_at is None
    assert "paused" in client.get("/s/oak/queue").text

    login_as(teacher).post(f"/s/oak/tickets/{ticket.id}/reply", data={"reply-body": "Room 12."})
    running = _ticket(app, ticket.id)
    assert running.status == "in_progress" and running.sla_clock_from is not None
    assert "paused" not in client.get(f"/s/oak/tickets/{ticket.id}").text

    resolved = client.post(f"/s/oak/tickets/{ticket.id}/status",
                           data={"status-status": "resolved", "status-note": "New lamp fitted."}, follow_redirects=True)
    assert "is now resolved" in resolved.text
    assert _ticket(app, ticket.id).resolved_at is not None


def test_a_status_that_cannot_follow_is_refused(app, make, login_as):
    oak = make.school("oak")
    ticket = make.ticket(oak, make.user(role="staff", school=oak))
    response = login_as(make.user(role="technician", school=oak)).post(
        f"/s/oak/tickets/{ticket.id}/status", data={"status-status": "reopened"})
    assert response.status_code == 422 and "Not a valid choice" in response.text
    assert _ticket(app, ticket.id).status == "new"


def test_a_technician_changes_priority_and_takes_the_ticket(app, make, login_as):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak, name="Dan Price")
    ticket = make.ticket(oak, make.user(role="staff", school=oak), impact=3, urgency=3)
    client = login_as(tech)
    client.post(f"/s/oak/tickets/{ticket.id}/priority", data={"priority-impact": "1", "priority-urgency": "1"})
    client.post(f"/s/oak/tickets/{ticket.id}/assign", data={"assign-assignee_id": "me"})
    after = _ticket(app, ticket.id)
    assert (after.priority, after.assignee_id, after.status) == (1, tech.id, "assigned")
    assert "Dan Price" in client.get(f"/s/oak/tickets/{ticket.id}").text


def test_a_technician_escalates_to_the_trust_with_a_reason(app, make, login_as):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    ticket = make.ticket(oak, make.user(role="staff", school=oak), title="Core switch fault in B block")
    client = login_as(tech)

    refused = client.post(f"/s/oak/tickets/{ticket.id}/escalate", data={"escalate-reason": " "})
    assert refused.status_code == 422 and "Say why it needs the next tier." in refused.text

    page = client.post(f"/s/oak/tickets/{ticket.id}/escalate",
                       data={"escalate-reason": "Switch stack will not boot; needs the trust's spares."},
                       follow_redirects=True).text
    assert "escalated to the trust's technical team" in html.unescape(page)
    assert "Tier 2" in page and "Switch stack will not boot" in page
    after = _ticket(app, ticket.id)
    assert (after.tier, after.status) == (2, "escalated")
    # The school keeps seeing it, at the top of the queue's tier-2 view.
    assert "Core switch fault in B block" in client.get("/s/oak/queue?tier=2").text
    # A tier-1 person cannot take it further.
    assert client.post(f"/s/oak/tickets/{ticket.id}/escalate", data={"escalate-reason": "More"}).status_code == 403


def test_the_trust_team_asks_the_director_then_hands_back(app, make, login_as):
    oak = make.school("oak")
    tech, trust_tech = make.user(role="technician", school=oak), make.user(role="technical")
    director = make.user(role="it_director")
    ticket = make.ticket(oak, make.user(role="staff", school=oak))
    with data(app) as s:
        escalation.escalate(s.get(Ticket, ticket.id), by=s.get(User, tech.id), to_tier=2, reason="Switch dead")
    client = login_as(trust_tech)
    page = client.get(f"/s/oak/tickets/{ticket.id}").text
    assert "Escalate to the IT director for a decision" in page and "Hand back to the school" in page

    client.post(f"/s/oak/tickets/{ticket.id}/escalate",
                data={"escalate-reason": "A new switch costs £4,000.", "escalate-decision_kind": "spend"})
    with data(app) as s:
        up = s.execute(select(Escalation).where(Escalation.to_tier == 3)).scalar_one()
        assert (up.decision_kind, s.get(Ticket, ticket.id).tier) == ("spend", 3)
        escalation.decide(s.get(Ticket, ticket.id), by=s.get(User, director.id),
                          decision="approved", text="Buy it from the capital budget.")
    page = client.get(f"/s/oak/tickets/{ticket.id}").text
    assert "Approved" in page and "Buy it from the capital budget." in page

    back = client.post(f"/s/oak/tickets/{ticket.id}/handback",
                       data={"handback-reason": "New switch fitted; check the classrooms."}, follow_redirects=True)
    assert "handed back to the school" in back.text
    assert _ticket(app, ticket.id).tier == 1
    assert login_as(tech).post(f"/s/oak/tickets/{ticket.id}/handback",
                               data={"handback-reason": "x"}).status_code == 403


def test_a_school_lead_reads_tickets_but_does_not_work_them(app, make, login_as):
    oak = make.school("oak")
    ticket = make.ticket(oak, make.user(role="staff", school=oak), title="Projector dead")
    lead = login_as(make.user(role="school_lead", school=oak))
    assert "Projector dead" in lead.get("/s/oak/queue").text
    page = lead.get(f"/s/oak/tickets/{ticket.id}").text
    assert "Service level" in page and "Work on it" not in page
    assert lead.post(f"/s/oak/tickets/{ticket.id}/status", data={"status-status": "resolved"}).status_code == 403
    assert lead.post("/s/oak/queue/assign", data={"ticket_ids": [ticket.id], "assignee_id": "me"}).status_code == 403


def test_staff_do_not_see_the_queue(app, make, login_as):
    oak = make.school("oak")
    assert login_as(make.user(role="staff", school=oak)).get("/s/oak/queue").status_code == 403
