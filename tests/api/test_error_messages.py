"""The API answers a refusal in its own words, not Werkzeug's default text."""
import pytest

from tests.conftest import bearer

REFUSALS = [
    # (who, method, path, body, status, message)
    ("technician", "get", "/api/v1/tickets/999999", None, 404, "No such ticket."),
    ("trustee", "get", "/api/v1/tickets/{ticket}", None, 403,
     "Trustees see the service desk's figures in board reports, not tickets."),
    ("school_lead", "patch", "/api/v1/tickets/{ticket}", {"status": "in_progress"}, 403,
     "Only the IT team can change a ticket."),
    ("technician", "get", "/api/v1/visits/999999", None, 404, "No such visit."),
]


@pytest.mark.parametrize("role, method, path, body, status, message", REFUSALS)
def test_a_refusal_says_why(app, client, make, role, method, path, body, status, message):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    caller = make.user(role=role, school=oak if role in ("technician", "school_lead") else None, password=None)
    response = getattr(client, method)(path.format(ticket=ticket.id), json=body, headers=bearer(app, caller))
    assert (response.status_code, response.json["message"]) == (status, message)


def test_a_plain_404_keeps_its_text(app, client, make):
    response = client.get("/api/v1/no-such-thing", headers=bearer(app, make.user(role="trust_admin", password=None)))
    assert response.status_code == 404
    assert response.json["message"].startswith("The requested URL was not found")
