"""Drift reaches the people who can act: one e-mail each per refresh listing all their schools'
drift, through the desk's outbox; a ticket opens from a drift in one click; a daily job refreshes."""
from datetime import timedelta

from sqlalchemy import select

from services.desk.models import Notification, Ticket
from services.directory.models import School, User
from services.standards import assessments, conformance
from services.standards.checks import Figure
from services.standards.models import DriftEvent
from tests.conftest import bearer, data
from tests.standards.conftest import NOW, item
from trust_it import jobs

WARRANTY = "assets.network_kit_in_warranty"


def _drift_in_both_schools(app, make, world, figures):
    """The primary: its switches fall out of warranty and its backup evidence expires; the secondary:
    its switches too. Returns the refresh's moment."""
    head = make.user(role="school_lead", school=world.primary)
    in_warranty = {sid: Figure(0, 0, 10, "all in warranty") for sid in (world.primary.id, world.secondary.id)}
    figures.table[WARRANTY] = dict(in_warranty)
    with data(app) as s:
        backups = item(s, world.trust.id, "RPA-BACKUPS")
        assessments.record_attestation(s.get(School, world.primary.id), backups, status="met",
                                       evidence="Restore tested", by=s.get(User, head.id), now=NOW)
        conformance.refresh(world.trust.id, None, now=NOW)
    figures.table[WARRANTY] = {
        world.primary.id: Figure(4, 4, 10, "4 switches out of warranty", failing_url_args={"warranty": "expired"}),
        world.secondary.id: Figure(6, 6, 10, "6 switches out of warranty", failing_url_args={"warranty": "expired"})}
    return NOW + timedelta(days=121), head


def test_each_person_gets_one_email_listing_all_their_schools_drift(app, make, world, figures, count_queries):
    oak_tech = make.user(role="technician", school=world.primary)
    elm_tech = make.user(role="technician", school=world.secondary)
    msp = make.user(role="msp_engineer", school=world.primary)
    team = make.user(role="technical", trust=world.trust)
    staff = make.user(role="staff", school=world.primary)
    desk = make.user(role="service_desk", trust=world.trust)
    gone = make.user(role="technician", school=world.primary, active=False)
    then, head = _drift_in_both_schools(app, make, world, figures)

    with data(app), count_queries() as statements:
        result = conformance.refresh(world.trust.id, None, now=then)
    assert len(result.drift) == 3
    # The people are found in one query, whoever and however many they are (no query per person or school).
    assert len([q for q in statements if "FROM memberships" in q]) == 1

    with data(app) as s:
        notes = {n.to_address: n for n in s.execute(
            select(Notification).where(Notification.kind == "standards_drift")).scalars()}
    assert set(notes) == {oak_tech.email, msp.email, head.email, elm_tech.email, team.email}
    assert not {staff.email, desk.email, gone.email} & set(notes)
    oak = notes[oak_tech.email]
    assert "2 items got worse at Oak School" in oak.subject
    assert "DFE-SWITCHING" in oak.body and "4 switches out of warranty" in oak.body and "RPA-BACKUPS" in oak.body
    assert "/s/oak/assets?warranty=expired" in oak.body and "/s/oak/standards)" in oak.body
    assert "6 switches" not in oak.body and oak.school_id == world.primary.id and oak.trust_id == world.trust.id
    assert "Elm School" in notes[elm_tech.email].subject and "RPA-BACKUPS" not in notes[elm_tech.email].body
    trust = notes[team.email]
    assert "3 items got worse at 2 schools" in trust.subject
    assert "Oak School" in trust.body and "Elm School" in trust.body and "6 switches out of warranty" in trust.body

    # A refresh that finds nothing new tells no one again.
    with data(app):
        conformance.refresh(world.trust.id, None, now=then + timedelta(hours=1))
    with data(app) as s:
        assert len(s.execute(select(Notification).where(Notification.kind == "standards_drift")).all()) == 5


def test_the_scheduled_refresh_tells_whoever_is_concerned_when_evidence_expires(app, make, world, figures):
    assert "standards.refresh" in jobs.load_periodic()
    then, head = _drift_in_both_schools(app, make, world, figures)
    figures.table[WARRANTY] = {}  # nothing to count: only the evidence's expiry is drift
    with data(app):
        assert len(conformance.refresh(world.trust.id, None, now=then).drift) == 1
    with data(app) as s:
        note = s.execute(select(Notification).where(Notification.kind == "standards_drift")).scalar_one()
        assert note.to_address == head.email and "RPA-BACKUPS" in note.body and "evidence expired" in note.body


def _one_drift(app, make, world, figures):
    then, _ = _drift_in_both_schools(app, make, world, figures)
    with data(app) as s:
        conformance.refresh(world.trust.id, None, now=then)
        switching = item(s, world.trust.id, "DFE-SWITCHING")
        return s.execute(select(DriftEvent).where(DriftEvent.school_id == world.primary.id,
                                                  DriftEvent.item_id == switching.id)).scalar_one().id


def test_a_ticket_opens_from_a_drift_in_one_click(app, make, world, figures, login_as):
    drift_id = _one_drift(app, make, world, figures)
    tech = login_as(make.user(role="technician", school=world.primary))
    opened = tech.post(f"/s/oak/standards/drift/{drift_id}/ticket")
    assert opened.status_code == 302
    with data(app) as s:
        event = s.get(DriftEvent, drift_id)
        ticket = s.get(Ticket, event.ticket_id)
        assert opened.headers["Location"].endswith(f"/s/oak/tickets/{ticket.id}")
        assert ticket.title.startswith("Standard no longer met: ")
        assert "DFE-SWITCHING" in ticket.description
        assert "4 switches out of warranty" in ticket.description
        assert "/s/oak/assets?warranty=expired" in ticket.description
    # A second click opens the same ticket rather than another.
    again = tech.post(f"/s/oak/standards/drift/{drift_id}/ticket")
    assert again.headers["Location"] == opened.headers["Location"]
    with data(app) as s:
        assert len(s.execute(select(Ticket).where(Ticket.school_id == world.primary.id)).all()) == 1


def test_the_api_opens_a_ticket_from_a_drift_and_lists_drift(app, client, make, world, figures):
    drift_id = _one_drift(app, make, world, figures)
    team = bearer(app, make.user(role="technical", trust=world.trust))
    listed = client.get(f"/api/v1/compliance/drift/?school={world.primary.id}", headers=team).json["items"]
    assert {(d["item_code"], d["cause"]) for d in listed} == {("DFE-SWITCHING", "derived"), ("RPA-BACKUPS", "expired")}
    opened = client.post(f"/api/v1/compliance/drift/{drift_id}/ticket", headers=team)
    assert opened.status_code == 201, opened.json
    assert opened.json["title"].startswith("Standard no longer met: ")
    assert client.get(f"/api/v1/compliance/drift/?school={world.primary.id}",
                      headers=team).json["items"][0]["ticket_id"] == opened.json["id"]


def test_who_may_open_a_ticket_from_drift(app, client, make, world, figures, login_as):
    drift_id = _one_drift(app, make, world, figures)
    staff = make.user(role="staff", school=world.primary)
    assert login_as(staff).post(f"/s/oak/standards/drift/{drift_id}/ticket").status_code == 403
    assert client.post(f"/api/v1/compliance/drift/{drift_id}/ticket", headers=bearer(app, staff)).status_code == 403
    elm_tech = make.user(role="technician", school=world.secondary)
    assert login_as(elm_tech).post(f"/s/elm/standards/drift/{drift_id}/ticket").status_code == 404
    assert client.post(f"/api/v1/compliance/drift/{drift_id}/ticket",
                       headers=bearer(app, elm_tech)).status_code == 404
    with data(app) as s:
        assert s.get(DriftEvent, drift_id).ticket_id is None
