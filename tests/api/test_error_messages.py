"""The API answers a refusal in its own words, not Werkzeug's default text."""
from tests.conftest import bearer


def test_a_missing_ticket_says_so(app, client, make):
    oak = make.school("oak")
    response = client.get("/api/v1/tickets/999999", headers=bearer(app, make.user(role="technician", school=oak)))
    assert response.status_code == 404
    assert response.json["message"] == "No such ticket."


def test_a_trustee_is_told_where_the_desk_reaches_them(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    response = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(app, make.user(role="trustee")))
    assert response.status_code == 403
    assert response.json["message"] == "Trustees see the service desk's figures in board reports, not tickets."


def test_a_school_lead_is_told_only_the_it_team_changes_tickets(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "in_progress"},
                            headers=bearer(app, make.user(role="school_lead", school=oak)))
    assert response.status_code == 403
    assert response.json["message"] == "Only the IT team can change a ticket."


def test_a_missing_visit_says_so(app, client, make):
    oak = make.school("oak")
    response = client.get("/api/v1/visits/999999", headers=bearer(app, make.user(role="technician", school=oak)))
    assert response.status_code == 404
    assert response.json["message"] == "No such visit."


def test_a_plain_404_keeps_its_text(app, client, make):
    response = client.get("/api/v1/no-such-thing", headers=bearer(app, make.user(role="trust_admin")))
    assert response.status_code == 404
    assert response.json["message"].startswith("The requested URL was not found")
