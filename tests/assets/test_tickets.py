"""Tickets and assets meet: a ticket names the device and room it is about; the asset lists its tickets."""
from __future__ import annotations

from sqlalchemy import select

from services.desk.models import Ticket, TicketEvent
from tests.conftest import bearer, data


def test_raise_a_ticket_about_this_device_from_the_asset_page(app, reg, login_as):
    staff = login_as(reg.staff_oak)
    laptop_id = reg.assets["oak_laptop"].id
    tech = login_as(reg.tech_oak)
    asset_page = tech.get(f"/s/oak/assets/{laptop_id}").text
    assert "/s/oak/tickets/new?asset=OAK-0001" in asset_page
    form = staff.get("/s/oak/tickets/new?asset=OAK-0001").text
    assert 'value="OAK-0001"' in form and 'list="school-rooms"' in form and "Science block S12" in form
    raised = staff.post("/s/oak/tickets/new", data={"title": "Laptop will not charge", "kind": "incident",
                                                    "impact": "3", "urgency": "2", "asset": "5cg1234xyz",
                                                    "room": "science block s12"})
    assert raised.status_code == 302, raised.text
    with data(app) as s:
        ticket = s.execute(select(Ticket)).scalar_one()
        assert ticket.asset_id == laptop_id and ticket.location_id == reg.room_oak.id
        reference = ticket.reference
    page = tech.get(f"/s/oak/assets/{laptop_id}").text
    assert reference in page and "Laptop will not charge" in page
    ticket_page = tech.get(f"/s/oak/tickets/{ticket.id}").text
    assert f"/s/oak/assets/{laptop_id}" in ticket_page and "Science block S12" in ticket_page


def test_an_unknown_or_another_schools_device_is_an_error_beside_the_field(app, reg, login_as):
    staff = login_as(reg.staff_oak)
    response = staff.post("/s/oak/tickets/new", data={"title": "Broken", "kind": "incident", "impact": "3",
                                                      "urgency": "2", "asset": "ELM-0001"})
    assert response.status_code == 422 and 'id="asset-error"' in response.text
    with data(app) as s:
        assert s.execute(select(Ticket)).first() is None


def test_technician_names_the_device_on_the_ticket_page_and_history_records_it(app, make, reg, login_as):
    ticket = make.ticket(reg.oak, requester=reg.staff_oak)
    tech = login_as(reg.tech_oak)
    done = tech.post(f"/s/oak/tickets/{ticket.id}/subject", data={"subject-asset": "oak-0002",
                                                                   "subject-room": "Science block S12"})
    assert done.status_code == 302
    with data(app) as s:
        stored = s.get(Ticket, ticket.id)
        assert stored.asset_id == reg.assets["oak_panel"].id
        event = s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                    TicketEvent.kind == "subject")).scalar_one()
        assert event.data == {"asset": "OAK-0002", "room": "Science block S12"} and not event.public
    wrong = tech.post(f"/s/oak/tickets/{ticket.id}/subject", data={"subject-asset": "ELM-0001"})
    assert wrong.status_code == 422 and 'id="subject-asset-error"' in wrong.text
    staff = login_as(reg.staff_oak)
    assert staff.post(f"/s/oak/tickets/{ticket.id}/subject", data={"subject-asset": ""}).status_code == 403


def test_the_api_takes_and_gives_asset_and_room(app, client, make, reg):
    headers = bearer(app, reg.tech_oak)
    laptop_id = reg.assets["oak_laptop"].id
    created = client.post("/api/v1/tickets/", json={"school_id": reg.oak.id, "title": "No sound", "asset_id": laptop_id,
                                                    "location_id": reg.room_oak.id}, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["asset_id"] == laptop_id and created.json["location_id"] == reg.room_oak.id
    url = f"/api/v1/tickets/{created.json['id']}"
    other = client.patch(url, json={"asset_id": reg.assets["elm_laptop"].id}, headers=headers)
    assert other.status_code == 422 and "asset_id" in other.json["errors"]["json"]
    trust = bearer(app, reg.trust_tech)
    # A trust role sees Elm's asset, but it is still not Oak's ticket's.
    refused = client.patch(url, json={"asset_id": reg.assets["elm_laptop"].id}, headers=trust)
    assert refused.status_code == 422 and "asset_id" in refused.json["errors"]["json"]
    cleared = client.patch(url, json={"asset_id": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json["asset_id"] is None
    assert cleared.json["location_id"] == reg.room_oak.id
