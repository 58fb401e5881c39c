"""The staff portal: a teacher raises a request, follows it, replies, confirms or reopens it."""
from sqlalchemy import select

from services.desk import tickets
from services.desk.models import Article, Notification, Ticket
from services.directory.models import User
from tests.conftest import data


def _ticket(app, ticket_id):
    with data(app) as s:
        ticket = s.get(Ticket, ticket_id)
        _ = ticket.reference
    return ticket


def test_a_teacher_raises_a_request_and_gets_a_reference(app, make, login_as):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="amira@oak.sch.uk", name="Amira Khan")
    client = login_as(teacher)

    form = client.get("/s/oak/tickets/new")
    assert form.status_code == 200
    for label in ("What&#39;s wrong?", "What kind?", "Who is affected?", "How urgent?", "Search guidance"):
        assert label in form.text

    sent = client.post("/s/oak/tickets/new", data={
        "title": "Projector in room 12 will not turn on", "description": "Lamp light is flashing orange.",
        "kind": "incident", "impact": "2", "urgency": "1"}, follow_redirects=True)
    assert sent.status_code == 200
    assert "Request OAK-000001 raised" in sent.text
    assert "Projector in room 12 will not turn on" in sent.text
    assert "Lamp light is flashing orange." in sent.text
    with data(app) as s:
        ticket = s.execute(select(Ticket)).scalar_one()
        assert (ticket.requester_id, ticket.source, ticket.priority) == (teacher.id, "web", 2)
        outbox = s.execute(select(Notification.to_address, Notification.kind)).all()
    assert ("amira@oak.sch.uk", "created") in outbox


def test_my_requests_lists_mine_newest_first_and_not_a_colleagues(app, make, login_as):
    oak = make.school("oak")
    me, colleague = make.user(role="staff", school=oak), make.user(role="staff", school=oak)
    make.ticket(oak, me, title="Printer jammed on floor 2")
    make.ticket(oak, me, title="Need a visualiser for Year 6")
    make.ticket(oak, colleague, title="Colleague's laptop is slow")

    page = login_as(me).get("/s/oak/tickets").text
    assert page.index("Need a visualiser for Year 6") < page.index("Printer jammed on floor 2")
    assert "Colleague&#39;s laptop is slow" not in page and "Colleague's laptop is slow" not in page
    assert "Raise a request" in page


def test_a_colleagues_request_is_not_found(app, make, login_as):
    oak = make.school("oak")
    me, colleague = make.user(role="staff", school=oak), make.user(role="staff", school=oak)
    theirs = make.ticket(oak, colleague, title="Private matter")
    client = login_as(me)
    assert client.get(f"/s/oak/tickets/{theirs.id}").status_code == 404
    assert client.post(f"/s/oak/tickets/{theirs.id}/reply", data={"reply-body": "me too"}).status_code == 404
    assert client.get(f"/s/oak/tickets/{theirs.id}").status_code == client.get("/s/oak/tickets/987654").status_code


def test_a_request_without_a_summary_is_refused_beside_the_field(app, make, login_as):
    oak = make.school("oak")
    client = login_as(make.user(role="staff", school=oak))
    response = client.post("/s/oak/tickets/new", data={"title": "  ", "kind": "incident", "impact": "3",
                                                       "urgency": "2"})
    assert response.status_code == 422
    assert "Say in a few words what is wrong or what you need." in response.text
    assert 'aria-invalid="true"' in response.text
    with data(app) as s:
        assert s.execute(select(Ticket)).first() is None


def test_staff_find_published_guidance_before_raising(app, make, login_as):
    trust = make.trust()
    oak = make.school("oak", trust=trust)
    with data(app) as s:
        published = Article(trust_id=trust.id, title="Turn the projector on with the wall panel",
                            body="Press Source.", keywords="projector, screen", status="published")
        s.add_all([published, Article(trust_id=trust.id, title="Projector draft notes", body="Not ready.",
                                      status="draft")])
    page = login_as(make.user(role="staff", school=oak)).get("/s/oak/tickets/new?q=projector").text
    assert "Turn the projector on with the wall panel" in page
    assert f'href="/s/oak/guidance/{published.id}"' in page
    assert "Projector draft notes" not in page


def test_the_requester_sees_replies_but_not_internal_notes(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak, name="Dan Price")
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        t = s.get(Ticket, ticket.id)
        tickets.reply(t, by=s.get(User, tech.id), body="On my way with a spare lamp.")
        tickets.reply(t, by=s.get(User, tech.id), body="Lamp stock is low; order more.", public=False)
    page = login_as(teacher).get(f"/s/oak/tickets/{ticket.id}").text
    assert "On my way with a spare lamp." in page
    assert "Lamp stock is low" not in page
    assert "Internal note" not in page


def test_the_requester_replies_and_a_paused_clock_runs_again(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "awaiting_requester", by=s.get(User, tech.id))
    client = login_as(teacher)
    assert "Waiting for your reply" in client.get(f"/s/oak/tickets/{ticket.id}").text

    sent = client.post(f"/s/oak/tickets/{ticket.id}/reply", data={"reply-body": "It is room 12, upstairs."},
                       follow_redirects=True)
    assert "Reply sent." in sent.text and "It is room 12, upstairs." in sent.text
    after = _ticket(app, ticket.id)
    assert after.status == "in_progress"
    assert after.sla_clock_from is not None and after.resolution_due_at is not None


def test_the_requester_confirms_a_resolved_request(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "resolved", by=s.get(User, tech.id), note="New lamp fitted.")
    client = login_as(teacher)
    page = client.get(f"/s/oak/tickets/{ticket.id}").text
    assert "Yes, it's fixed" in page and "It's still not working" in page
    done = client.post(f"/s/oak/tickets/{ticket.id}/confirm", follow_redirects=True)
    assert f"Thank you: {ticket.reference} is closed." in done.text
    assert _ticket(app, ticket.id).status == "closed"


def test_the_requester_reopens_with_a_reason(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "resolved", by=s.get(User, tech.id))
    client = login_as(teacher)

    empty = client.post(f"/s/oak/tickets/{ticket.id}/reopen", data={"reopen-body": ""})
    assert empty.status_code == 422 and "Say what is still wrong." in empty.text
    assert _ticket(app, ticket.id).status == "resolved"

    again = client.post(f"/s/oak/tickets/{ticket.id}/reopen", data={"reopen-body": "It went off again at lunch."},
                        follow_redirects=True)
    assert "is open again" in again.text and "It went off again at lunch." in again.text
    assert _ticket(app, ticket.id).status == "reopened"


def test_someone_else_cannot_confirm_my_request(app, make, login_as):
    oak = make.school("oak")
    teacher, tech = make.user(role="staff", school=oak), make.user(role="technician", school=oak)
    ticket = make.ticket(oak, teacher)
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "resolved", by=s.get(User, tech.id))
    assert login_as(tech).post(f"/s/oak/tickets/{ticket.id}/confirm").status_code == 403
    assert _ticket(app, ticket.id).status == "resolved"


def test_a_trustee_does_not_raise_requests(app, make, login_as):
    make.school("oak")
    assert login_as(make.user(role="trustee")).get("/s/oak/tickets/new").status_code == 403
