"""The tickets API, as the people who script against it would tell it."""
from datetime import timedelta

from sqlalchemy import select

from services.base import utcnow
from services.desk.models import Category, Service, Ticket
from services.directory import tokens
from services.directory.models import User
from tests.conftest import data


def bearer(app, user):
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="desk script")
    return {"Authorization": f"Bearer {secret}"}


def ticket_row(app, ticket_id):
    with data(app) as s:
        return s.get(Ticket, ticket_id)


def test_openapi_document_lists_the_ticket_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/tickets/"]) >= {"get", "post"}
    assert set(paths["/api/v1/tickets/{ticket_id}"]) >= {"get", "patch"}
    assert set(paths["/api/v1/tickets/{ticket_id}/comments"]) >= {"get", "post"}
    assert set(paths["/api/v1/tickets/{ticket_id}/escalations"]) >= {"get", "post"}
    assert "post" in paths["/api/v1/tickets/{ticket_id}/decision"]


def test_a_technician_pages_through_the_school_queue(app, client, make):
    oak, elm = make.school("oak"), make.school("elm")
    tech = make.user(role="technician", school=oak)
    made = [make.ticket(oak, title=f"Oak printer {i}") for i in range(7)]
    make.ticket(elm, title="Elm Wi-Fi down")
    headers = bearer(app, tech)

    seen, cursor = [], None
    for _ in range(3):
        page = client.get("/api/v1/tickets/", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})},
                          headers=headers).json
        seen += page["items"]
        cursor = page["next_cursor"]
    assert [len(seen), cursor] == [7, None]
    assert [t["id"] for t in seen] == [t.id for t in made]
    first = seen[0]
    assert first["reference"] == made[0].reference and first["school"] == "oak"
    assert first["status"] == "new" and first["tier"] == 1 and first["sla_paused"] is False
    assert first["resolution_due_at"] and first["requester"] is None


def test_the_list_is_one_query_per_page_however_many_people(app, client, make, count_queries):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    for i in range(7):
        make.ticket(oak, make.user(role="staff", school=oak, name=f"Teacher {i}"), title=f"Board {i}")
    headers = bearer(app, tech)
    client.get("/api/v1/me/", headers=headers)  # the token's first use records it: not part of the list
    with count_queries() as small:
        assert len(client.get("/api/v1/tickets/?limit=2", headers=headers).json["items"]) == 2
    with count_queries() as large:
        items = client.get("/api/v1/tickets/?limit=7", headers=headers).json["items"]
    assert {t["requester"]["name"] for t in items} == {f"Teacher {i}" for i in range(7)}
    assert len(large) == len(small)
    assert len([q for q in large if "FROM tickets" in q]) == 1


def test_the_queue_filters_narrow_the_list(app, client, make):
    oak, elm = make.school("oak"), make.school("elm")
    tech = make.user(role="technical")
    teacher = make.user(role="staff", school=oak)
    headers = bearer(app, tech)
    broken = make.ticket(oak, teacher, title="Projector dead", kind="incident", impact=1, urgency=1)
    needs = make.ticket(oak, title="New starter account", kind="request", impact=3, urgency=3)
    how = make.ticket(elm, title="How do I share a Team?", kind="guidance", impact=3, urgency=3)
    def ids(**q):
        return [t["id"] for t in client.get("/api/v1/tickets/", query_string=q, headers=headers).json["items"]]

    client.patch(f"/api/v1/tickets/{needs.id}", json={"assignee_id": tech.id}, headers=headers)
    client.patch(f"/api/v1/tickets/{how.id}", json={"status": "resolved"}, headers=headers)
    assert ids(school=oak.id) == [broken.id, needs.id]
    assert ids(kind="guidance") == [how.id]
    assert ids(priority=1) == [broken.id]
    assert ids(status="new,resolved") == [broken.id, how.id]
    assert ids(assignee="me") == ids(assignee=str(tech.id)) == [needs.id]
    assert ids(assignee="none", open="true") == [broken.id]
    assert ids(open="false") == [how.id]
    assert ids(tier=1, requester="me") == []
    soon = ticket_row(app, broken.id).resolution_due_at + timedelta(minutes=1)
    assert ids(breaching_before=soon.isoformat()) == [broken.id]
    bad = client.get("/api/v1/tickets/?status=open,lost", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["errors"]["query"]


def test_staff_see_only_the_tickets_they_raised(app, client, make, login_as):
    oak = make.school("oak")
    amy, ben = make.user(role="staff", school=oak), make.user(role="staff", school=oak)
    mine = make.ticket(oak, amy, title="Amy's laptop")
    theirs = make.ticket(oak, ben, title="Ben's printer")
    headers = bearer(app, amy)
    assert [t["title"] for t in client.get("/api/v1/tickets/", headers=headers).json["items"]] == ["Amy's laptop"]
    assert client.get(f"/api/v1/tickets/{mine.id}", headers=headers).json["requester"]["id"] == amy.id
    assert client.get(f"/api/v1/tickets/{theirs.id}", headers=headers).status_code == 404
    lead = bearer(app, make.user(role="school_lead", school=oak))
    assert len(client.get("/api/v1/tickets/", headers=lead).json["items"]) == 2


def test_a_teacher_raises_a_ticket_and_the_school_is_implied(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, name="Ms Patel")
    response = client.post("/api/v1/tickets/", headers=bearer(app, teacher), json={
        "title": "Interactive panel in 4B shows no picture", "description": "Since this morning.",
        "impact": 2, "urgency": 1})
    assert response.status_code == 201, response.json
    ticket = response.json
    assert ticket["reference"].startswith(f"{oak.ticket_prefix}-") and ticket["source"] == "api"
    assert ticket["requester"] == {"id": teacher.id, "name": "Ms Patel"} and ticket["priority"] == 2
    assert ticket["description"] == "Since this morning."


def test_a_bad_kind_or_impact_is_a_422_naming_the_field(app, client, make):
    oak = make.school("oak")
    headers = bearer(app, make.user(role="staff", school=oak))
    response = client.post("/api/v1/tickets/", headers=headers,
                           json={"title": "Printer jam", "kind": "complaint", "impact": 7})
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"kind", "impact"}
    blank = client.post("/api/v1/tickets/", headers=headers, json={"title": "   "})
    assert blank.status_code == 422 and "title" in blank.json["errors"]["json"]
    with data(app) as s:
        assert s.execute(select(Ticket)).first() is None


def test_a_category_or_service_of_another_trust_is_refused(app, client, make):
    oak = make.school("oak")
    far = make.trust("Far Trust")
    with data(app) as s:
        theirs = Category(trust_id=far.id, name="Their printing")
        their_service = Service(trust_id=far.id, name="Their Wi-Fi")
        ours = Category(trust_id=oak.trust_id, name="Printing")
        s.add_all([theirs, their_service, ours])
    headers = bearer(app, make.user(role="staff", school=oak))
    response = client.post("/api/v1/tickets/", headers=headers, json={"title": "Toner", "category_id": theirs.id})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"category_id": ["Choose from this trust's list."]}
    response = client.post("/api/v1/tickets/", headers=headers, json={"title": "Toner", "service_id": their_service.id})
    assert list(response.json["errors"]["json"]) == ["service_id"]
    good = client.post("/api/v1/tickets/", headers=headers, json={"title": "Toner", "category_id": ours.id})
    assert good.status_code == 201 and good.json["category"]["name"] == "Printing"


def test_a_technician_raises_a_ticket_for_a_teacher_who_phoned(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak, email="j.lee@oak.sch.uk")
    headers = bearer(app, make.user(role="technician", school=oak))
    for_teacher = client.post("/api/v1/tickets/", headers=headers, json={
        "title": "Cannot log in", "requester_email": "J.Lee@oak.sch.uk"}).json
    assert for_teacher["requester"]["id"] == teacher.id
    visitor = client.post("/api/v1/tickets/", headers=headers, json={
        "title": "Guest Wi-Fi", "requester_email": "visitor@example.org"})
    assert visitor.status_code == 422
    assert visitor.json["errors"]["json"] == {"requester_email": ["No one at this school has that address."]}
    staff = bearer(app, teacher)
    refused = client.post("/api/v1/tickets/", headers=staff, json={"title": "x", "requester_email": "a@b.org"})
    assert refused.status_code == 422 and "requester_email" in refused.json["errors"]["json"]


def test_raising_a_ticket_for_another_schools_person_reveals_nothing_and_mails_no_one(app, client, make):
    from services.desk.models import Notification
    oak, elm = make.school("oak"), make.school("elm")
    oak_head = make.user(role="school_lead", school=oak, email="head@oak.sch.uk", name="Dr Ada Byron")
    left = make.user(role="staff", school=elm, email="left@elm.sch.uk", name="Former Teacher",
                     expires_at=utcnow() - timedelta(days=1))
    elm_tech = bearer(app, make.user(role="technician", school=elm))
    for address in ("head@oak.sch.uk", "HEAD@oak.sch.uk", "left@elm.sch.uk", "nobody@elm.sch.uk"):
        response = client.post("/api/v1/tickets/", headers=elm_tech, json={
            "title": "Laptop", "school_id": elm.id, "requester_email": address})
        assert response.status_code == 422, response.text
        assert response.json["errors"]["json"] == {"requester_email": ["No one at this school has that address."]}
        assert "Byron" not in response.text and "Former" not in response.text
    with data(app) as s:
        assert s.execute(select(Ticket)).first() is None
        assert s.execute(select(Notification).where(
            Notification.to_address.in_([oak_head.email, left.email]))).first() is None
    # Oak's own technician may raise it for her: she is one of Oak's people.
    oak_tech = bearer(app, make.user(role="technician", school=oak))
    mine = client.post("/api/v1/tickets/", headers=oak_tech,
                       json={"title": "Laptop", "requester_email": oak_head.email})
    assert mine.status_code == 201 and mine.json["requester"] == {"id": oak_head.id, "name": "Dr Ada Byron"}


def test_the_trust_team_must_say_which_school(app, client, make):
    _oak, elm = make.school("oak"), make.school("elm")
    headers = bearer(app, make.user(role="service_desk"))
    response = client.post("/api/v1/tickets/", headers=headers, json={"title": "Core switch alarms"})
    assert response.status_code == 422 and "school_id" in response.json["errors"]["json"]
    created = client.post("/api/v1/tickets/", headers=headers, json={"title": "Core switch alarms",
                                                                     "school_id": elm.id})
    assert created.status_code == 201 and created.json["school"] == "elm"


def test_awaiting_the_requester_pauses_the_clock_until_they_reply(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, teacher)
    tech = bearer(app, make.user(role="technician", school=oak))
    paused = client.patch(f"/api/v1/tickets/{ticket.id}", headers=tech, json={"status": "awaiting_requester"})
    assert paused.status_code == 200, paused.json
    assert paused.json["sla_paused"] is True and paused.json["resolution_due_at"] is None

    reply = client.post(f"/api/v1/tickets/{ticket.id}/comments", headers=bearer(app, teacher),
                        json={"body": "It is room 12, the ceiling projector."})
    assert reply.status_code == 201
    resumed = client.get(f"/api/v1/tickets/{ticket.id}", headers=tech).json
    assert resumed["status"] == "in_progress" and resumed["sla_paused"] is False
    assert resumed["resolution_due_at"] is not None


def test_an_internal_note_by_a_technician_who_raised_the_ticket_is_not_the_requesters_reply(app, client, make):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak)
    ticket = make.ticket(oak, tech_user)  # the technician's own laptop
    tech = bearer(app, tech_user)
    client.patch(f"/api/v1/tickets/{ticket.id}", headers=tech, json={"status": "awaiting_requester"})

    note = client.post(f"/api/v1/tickets/{ticket.id}/comments", headers=tech,
                       json={"body": "Waiting for the supplier's reply too.", "public": False})
    assert note.status_code == 201
    still = client.get(f"/api/v1/tickets/{ticket.id}", headers=tech).json
    assert still["status"] == "awaiting_requester" and still["sla_paused"] is True


def test_a_patch_with_one_bad_change_changes_nothing(app, client, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    outsider = make.user(role="staff", school=oak)
    ticket = make.ticket(oak)
    headers = bearer(app, tech)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                            json={"status": "in_progress", "impact": 1, "assignee_id": outsider.id})
    assert response.status_code == 422
    assert list(response.json["errors"]["json"]) == ["assignee_id"]
    # The assignment works but a new ticket cannot jump to reopened: the assignment is undone too.
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                            json={"assignee_id": tech.id, "status": "reopened"})
    assert response.status_code == 422 and list(response.json["errors"]["json"]) == ["status"]
    row = ticket_row(app, ticket.id)
    assert (row.status, row.impact, row.assignee_id) == ("new", 2, None)


def test_the_it_team_assigns_and_reprioritises(app, client, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak, name="Sam Tech")
    ticket = make.ticket(oak, impact=3, urgency=3)
    headers = bearer(app, tech)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers,
                            json={"assignee_id": tech.id, "impact": 1, "urgency": 1})
    assert response.status_code == 200
    assert response.json["assignee"]["name"] == "Sam Tech" and response.json["status"] == "assigned"
    assert response.json["priority"] == 1
    unassigned = client.patch(f"/api/v1/tickets/{ticket.id}", headers=headers, json={"assignee_id": None})
    assert unassigned.json["assignee"] is None


def test_only_the_it_team_changes_tickets(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, teacher)
    for person in (teacher, make.user(role="school_lead", school=oak)):
        response = client.patch(f"/api/v1/tickets/{ticket.id}", headers=bearer(app, person),
                                json={"status": "closed"})
        assert response.status_code == 403
    assert ticket_row(app, ticket.id).status == "new"


def test_escalated_is_not_a_status_you_set(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "escalated"},
                            headers=bearer(app, make.user(role="technician", school=oak)))
    assert response.status_code == 422
    assert "escalations" in response.json["errors"]["json"]["status"][0]


def test_internal_notes_stay_with_the_it_team(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, teacher)
    tech, staff = bearer(app, make.user(role="technician", school=oak)), bearer(app, teacher)
    url = f"/api/v1/tickets/{ticket.id}/comments"
    assert client.post(url, headers=tech, json={"body": "Bulb is end of life", "public": False}).status_code == 201
    assert client.post(url, headers=tech, json={"body": "A new bulb is on its way."}).status_code == 201
    teacher_sees = [e["body"] for e in client.get(url, headers=staff).json["items"]]
    assert "A new bulb is on its way." in teacher_sees and "Bulb is end of life" not in teacher_sees
    pages = client.get(f"{url}?limit=2", headers=tech).json
    assert len(pages["items"]) == 2 and pages["next_cursor"]
    rest = client.get(url, query_string={"cursor": pages["next_cursor"]}, headers=tech).json["items"]
    assert "Bulb is end of life" in [e["body"] for e in pages["items"] + rest]
    note = client.post(url, headers=staff, json={"body": "psst", "public": False})
    assert note.status_code == 422 and "public" in note.json["errors"]["json"]
    empty = client.post(url, headers=staff, json={"body": "  "})
    assert empty.status_code == 422 and "body" in empty.json["errors"]["json"]


def test_escalation_to_the_trust_then_the_director_who_decides(app, client, make):
    oak = make.school("oak")
    teacher = make.user(role="staff", school=oak)
    ticket = make.ticket(oak, teacher, title="Whole-school Wi-Fi drops every hour")
    tech = bearer(app, make.user(role="technician", school=oak))
    trust_tech = bearer(app, make.user(role="technical"))
    director = bearer(app, make.user(role="it_director", name="Dana Director"))
    url = f"/api/v1/tickets/{ticket.id}/escalations"

    assert client.post(url, headers=tech, json={"to_tier": 3, "reason": "Need new switches"}).status_code == 403
    up = client.post(url, headers=tech, json={"to_tier": 2, "reason": "Core switch fault, not ours to fix"})
    assert up.status_code == 201 and (up.json["from_tier"], up.json["to_tier"]) == (1, 2)
    decision_url = f"/api/v1/tickets/{ticket.id}/decision"
    waiting = client.post(decision_url, headers=director, json={"decision": "approved", "text": "Buy them"})
    assert waiting.status_code == 422 and "decision" in waiting.json["errors"]["json"]
    assert client.post(url, headers=director, json={"to_tier": 3, "reason": "x"}).status_code == 403
    up = client.post(url, headers=trust_tech, json={"to_tier": 3, "reason": "Replacing the core costs £9,000",
                                                    "decision_kind": "spend"})
    assert up.status_code == 201 and up.json["decision_kind"] == "spend"
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=tech).json["tier"] == 3

    not_director = client.post(decision_url, headers=trust_tech, json={"decision": "approved", "text": "Yes"})
    assert not_director.status_code == 403
    decided = client.post(decision_url, headers=director,
                          json={"decision": "approved", "text": "Approved from the capital budget."})
    assert decided.status_code == 200 and decided.json["decided_by"]["name"] == "Dana Director"
    back = client.get(f"/api/v1/tickets/{ticket.id}", headers=trust_tech).json
    assert back["tier"] == 2 and back["status"] == "in_progress"
    trail = client.get(url, headers=trust_tech).json
    assert [(e["from_tier"], e["to_tier"]) for e in trail] == [(1, 2), (2, 3)]
    assert trail[1]["decision"] == "approved" and trail[1]["decision_text"] == "Approved from the capital budget."
    requester_view = client.get(url, headers=bearer(app, teacher)).json
    assert requester_view[1]["decision"] == "approved" and requester_view[1]["decision_text"] is None


def test_a_bad_escalation_is_a_422_naming_the_field(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    tech = bearer(app, make.user(role="technician", school=oak))
    url = f"/api/v1/tickets/{ticket.id}/escalations"
    for body, field in (({"to_tier": 7, "reason": "Help"}, "to_tier"), ({"to_tier": 2, "reason": " "}, "reason"),
                        ({"to_tier": 2}, "reason")):
        response = client.post(url, headers=tech, json=body)
        assert response.status_code == 422 and field in response.json["errors"]["json"], body
    assert ticket_row(app, ticket.id).tier == 1
    staff = bearer(app, make.user(role="staff", school=oak))
    assert client.post(url, headers=staff, json={"to_tier": 2, "reason": "Please"}).status_code == 404


def test_another_schools_ticket_is_a_404_on_every_operation(app, client, make):
    oak, elm = make.school("oak"), make.school("elm")
    far_trust = make.trust("Far Trust")
    far = make.school("far", trust=far_trust)
    theirs = [make.ticket(elm, title="Elm secret"), make.ticket(far, title="Far secret")]
    oak_team = [bearer(app, make.user(role=r, school=oak)) for r in ("technician", "school_lead", "staff")]
    trust_team = [bearer(app, make.user(role=r)) for r in ("it_director", "service_desk")]
    operations = [("GET", "", None), ("PATCH", "", {"status": "in_progress"}),
                  ("GET", "/comments", None), ("POST", "/comments", {"body": "Hello"}),
                  ("GET", "/escalations", None), ("POST", "/escalations", {"to_tier": 2, "reason": "Help"}),
                  ("POST", "/decision", {"decision": "approved", "text": "Fine"})]
    for headers, tickets in [(h, theirs) for h in oak_team] + [(h, theirs[1:]) for h in trust_team]:
        hidden = [t.title for t in tickets]
        for ticket_id in [t.id for t in tickets] + [987654]:
            for method, tail, body in operations:
                response = client.open(f"/api/v1/tickets/{ticket_id}{tail}", method=method, json=body,
                                       headers=headers)
                assert response.status_code == 404, (method, tail, response.json)
                assert "secret" not in response.text
        listed = client.get("/api/v1/tickets/", headers=headers).text
        assert not [title for title in hidden if title in listed]
    for t in theirs:
        row = ticket_row(app, t.id)
        assert (row.status, row.tier) == ("new", 1)


def test_trustees_see_no_tickets(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    headers = bearer(app, make.user(role="trustee"))
    listed = client.get("/api/v1/tickets/", headers=headers)
    assert listed.status_code == 200 and listed.json["items"] == []
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).status_code == 403
    assert client.post("/api/v1/tickets/", headers=headers, json={"title": "x", "school_id": oak.id}).status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.id}/comments", headers=headers,
                       json={"body": "x"}).status_code == 403
