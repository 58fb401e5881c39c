"""Exceptions to the standards: the school asks, the trust's technical team recommends, the IT
director decides in the desk's decision queue, and the school's conformance follows until the end date."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.base import utcnow
from services.desk import escalation
from services.desk.models import Escalation, Notification, Ticket
from services.errors import NotAllowed
from services.standards import conformance, exceptions
from services.standards.checks import Figure
from services.standards.errors import StandardsError
from services.standards.models import DriftEvent, StandardException, ends_at
from tests.conftest import bearer, data
from tests.desk.test_trust_pages import table
from tests.standards.conftest import item

WARRANTY = "assets.network_kit_in_warranty"


@pytest.fixture
def people(make, world):
    class People:
        tech = make.user(role="technician", school=world.primary, name="Tess Technician")
        lead = make.user(role="school_lead", school=world.primary, name="Hana Head")
        team = make.user(role="technical", trust=world.trust, name="Sam Network")
        director = make.user(role="it_director", trust=world.trust, name="Dana Director")
    return People


def _switching(app, world, figures, failing=4):
    """DFE-SWITCHING at the primary: `failing` switches out of warranty (not met from 3)."""
    figures.table[WARRANTY] = {world.primary.id: Figure(failing, failing, 12, f"{failing} switches out of warranty",
                                                        failing_url_args={"warranty": "expired"})}
    with data(app) as s:
        conformance.refresh(world.trust.id, None, now=utcnow())
        return item(s, world.trust.id, "DFE-SWITCHING").id


def _status(app, world, code):
    with data(app):
        return {r.item.code: r for r in conformance.rows_for([world.primary.id])}[code].status


def _request(app, login_as, people, item_id, ends_on, justification="Replacing the switches in the summer works"):
    tech = login_as(people.tech)
    response = tech.post(f"/s/oak/standards/items/{item_id}/exception",
                         data={"justification": justification, "ends_on": ends_on.isoformat()})
    assert response.status_code == 302, response.text
    with data(app) as s:
        return s.execute(select(StandardException).order_by(StandardException.id.desc())).scalars().first()


def test_request_recommend_and_the_director_approves_in_the_decision_queue(app, client, login_as, world, figures,
                                                                           people):
    item_id = _switching(app, world, figures)
    assert _status(app, world, "DFE-SWITCHING") == "not_met"
    ends_on = utcnow().date() + timedelta(days=90)

    form = login_as(people.tech).get(f"/s/oak/standards/items/{item_id}/exception")
    assert form.status_code == 200 and "DFE-SWITCHING" in form.text
    exception = _request(app, login_as, people, item_id, ends_on)
    assert exception.status == "requested"
    with data(app) as s:
        ticket = s.get(Ticket, exception.ticket_id)
        assert ticket.title.startswith("Exception to DFE-SWITCHING: ")
        assert "Replacing the switches in the summer works" in ticket.description
        assert (ticket.tier, ticket.status, ticket.kind) == (2, "escalated", "request")
        # The trust's technical team is told it has a request to look at.
        assert s.execute(select(Notification).where(Notification.ticket_id == ticket.id,
                                                    Notification.kind == "escalated",
                                                    Notification.to_address == people.team.email)).scalar()

    recommended = client.post(f"/api/v1/exceptions/{exception.id}/recommend", headers=bearer(app, people.team),
                              json={"recommendation": "Approve: the replacement is funded for August."})
    assert recommended.status_code == 200, recommended.json
    assert recommended.json["status"] == "recommended" and recommended.json["recommended_by_id"] == people.team.id

    director = login_as(people.director)
    rows = table(director.get("/trust/decisions").text, "1 waiting for a decision")
    assert "Exception to DFE-SWITCHING" in rows[0][0]
    assert rows[0][2] == "Exception to a standard" and "funded for August" in rows[0][3]
    done = director.post(f"/trust/decisions/{exception.ticket_id}",
                         data={"decision": "approved", "text": "Approved until the summer works are done."})
    assert done.status_code == 302
    after = director.get("/trust/decisions").text
    assert "Nothing is waiting for a decision" in after and "That settles it: the request is resolved." in after

    with data(app) as s:
        decided = s.get(StandardException, exception.id)
        assert (decided.status, decided.decided_by_id) == ("approved", people.director.id)
        assert decided.decision_text == "Approved until the summer works are done."
        ticket = s.get(Ticket, exception.ticket_id)
        assert ticket.status == "resolved"  # nothing is left to do on the request: its answer is the decision
    assert _status(app, world, "DFE-SWITCHING") == "exception"
    listing = login_as(people.lead).get("/s/oak/standards/exceptions")
    assert "DFE-SWITCHING" in listing.text and "Approved" in listing.text

    # After its last day the item falls back to what the figures say, the exception is expired, and it is drift.
    with data(app):
        conformance.refresh(world.trust.id, None, now=ends_at(ends_on) - timedelta(minutes=1))
    assert _status(app, world, "DFE-SWITCHING") == "exception"
    with data(app):
        conformance.refresh(world.trust.id, None, now=ends_at(ends_on) + timedelta(hours=1))
    assert _status(app, world, "DFE-SWITCHING") == "not_met"
    with data(app) as s:
        assert s.get(StandardException, exception.id).status == "expired"
        drift = s.execute(select(DriftEvent)).scalars().all()
        assert [(d.from_status, d.to_status, d.cause) for d in drift] == [("exception", "not_met", "exception")]
        told = s.execute(select(Notification).where(Notification.kind == "standards_drift")).scalars().all()
        assert {n.to_address for n in told} == {people.tech.email, people.lead.email, people.team.email}
        assert all("DFE-SWITCHING" in n.body and "exception to the standard ended" in n.body for n in told)


def test_a_rejected_exception_leaves_the_item_as_it_was(app, client, login_as, world, figures, people):
    item_id = _switching(app, world, figures)
    exception = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    with data(app) as s:
        exceptions.recommend(s.get(StandardException, exception.id), by=s.get(type(people.team), people.team.id),
                             recommendation="Reject: the switches are a safeguarding risk.", now=utcnow())
    decided = client.post(f"/api/v1/tickets/{exception.ticket_id}/decision", headers=bearer(app, people.director),
                          json={"decision": "rejected", "text": "Rejected: replace them this term."})
    assert decided.status_code == 200, decided.json
    got = client.get(f"/api/v1/exceptions/{exception.id}", headers=bearer(app, people.lead)).json
    assert got["status"] == "rejected" and got["decision_text"] == "Rejected: replace them this term."
    assert _status(app, world, "DFE-SWITCHING") == "not_met"


def test_needs_more_information_sends_it_back_to_the_team_to_recommend_again(app, login_as, world, figures, people):
    item_id = _switching(app, world, figures)
    exception = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    with data(app) as s:
        team = s.get(type(people.team), people.team.id)
        exceptions.recommend(s.get(StandardException, exception.id), by=team, recommendation="Approve.", now=utcnow())
        escalation.decide(s.get(Ticket, exception.ticket_id), by=s.get(type(people.director), people.director.id),
                          decision="needs_info", text="What does the school do meanwhile?")
    with data(app) as s:
        back = s.get(StandardException, exception.id)
        assert back.status == "requested"
        exceptions.recommend(back, by=s.get(type(people.team), people.team.id),
                             recommendation="Approve: spare switches are on site.", now=utcnow())
        assert back.status == "recommended"


def test_who_may_do_what(app, client, login_as, make, world, figures, people):
    item_id = _switching(app, world, figures)
    staff = make.user(role="staff", school=world.primary)
    ends_on = (utcnow().date() + timedelta(days=30)).isoformat()
    # Staff read their school's exceptions but do not ask for them.
    assert login_as(staff).get(f"/s/oak/standards/items/{item_id}/exception").status_code == 403
    refused = client.post("/api/v1/exceptions/", headers=bearer(app, staff), json={
        "school_id": world.primary.id, "item_id": item_id, "justification": "x", "ends_on": ends_on})
    assert refused.status_code == 403
    # The head asks (the request goes to the trust's team even though a head does not escalate tickets).
    asked = client.post("/api/v1/exceptions/", headers=bearer(app, people.lead), json={
        "school_id": world.primary.id, "item_id": item_id, "justification": "Summer works", "ends_on": ends_on})
    assert asked.status_code == 201, asked.json
    exception_id, ticket_id = asked.json["id"], asked.json["ticket_id"]
    # The school's technician cannot recommend; the director cannot recommend (they decide).
    for who in (people.tech, people.director):
        response = client.post(f"/api/v1/exceptions/{exception_id}/recommend", headers=bearer(app, who),
                               json={"recommendation": "Approve"})
        assert response.status_code in (403, 404), (who.display_name, response.json)
    # Nobody but the director decides.
    client.post(f"/api/v1/exceptions/{exception_id}/recommend", headers=bearer(app, people.team),
                json={"recommendation": "Approve"})
    for who in (people.tech, people.team):
        assert client.post(f"/api/v1/tickets/{ticket_id}/decision", headers=bearer(app, who),
                           json={"decision": "approved", "text": "Yes"}).status_code in (403, 404)
    with data(app) as s:
        with pytest.raises(NotAllowed):
            escalation.decide(s.get(Ticket, ticket_id), by=s.get(type(people.team), people.team.id),
                              decision="approved", text="Yes")
    # Once with the director, the school cannot withdraw it.
    withdrawn = client.post(f"/api/v1/exceptions/{exception_id}/withdraw", headers=bearer(app, people.lead), json={})
    assert withdrawn.status_code == 422 and "status" in withdrawn.json["errors"]["json"]


def test_422s_name_the_field(app, client, world, figures, people):
    item_id = _switching(app, world, figures)
    headers = bearer(app, people.tech)
    today = utcnow().date()
    cases = [
        ({"item_id": item_id, "justification": "x", "ends_on": today.isoformat()}, "ends_on"),
        ({"item_id": item_id, "justification": "   ", "ends_on": (today + timedelta(days=5)).isoformat()},
         "justification"),
        ({"item_id": 987654, "justification": "x", "ends_on": (today + timedelta(days=5)).isoformat()}, "item_id"),
        ({"item_id": item_id, "justification": "x"}, "ends_on"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/exceptions/", headers=headers, json={"school_id": world.primary.id, **body})
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"]["json"], (body, response.json)
    first = client.post("/api/v1/exceptions/", headers=headers, json={
        "school_id": world.primary.id, "item_id": item_id, "justification": "x",
        "ends_on": (today + timedelta(days=5)).isoformat()})
    assert first.status_code == 201
    again = client.post("/api/v1/exceptions/", headers=headers, json={
        "school_id": world.primary.id, "item_id": item_id, "justification": "y",
        "ends_on": (today + timedelta(days=9)).isoformat()})
    assert again.status_code == 422 and "item_id" in again.json["errors"]["json"]
    empty = client.post(f"/api/v1/exceptions/{first.json['id']}/recommend", headers=bearer(app, people.team),
                        json={"recommendation": ""})
    assert empty.status_code == 422 and "recommendation" in empty.json["errors"]["json"]


def test_the_page_shows_errors_beside_the_fields(app, login_as, world, figures, people):
    item_id = _switching(app, world, figures)
    tech = login_as(people.tech)
    page = tech.post(f"/s/oak/standards/items/{item_id}/exception",
                     data={"justification": "Summer", "ends_on": utcnow().date().isoformat()})
    assert page.status_code == 422 and 'id="ends_on-error"' in page.text and "after today" in page.text


def test_withdrawing_and_ending_early(app, client, login_as, world, figures, people):
    item_id = _switching(app, world, figures)
    first = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    tech = login_as(people.tech)
    assert tech.post(f"/s/oak/standards/exceptions/{first.id}/withdraw").status_code == 302
    with data(app) as s:
        assert s.get(StandardException, first.id).status == "withdrawn"
        assert s.get(Ticket, first.ticket_id).status == "resolved"
    # An approved exception ended early: the item shows what the figures say again, and it is no drift.
    second = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    with data(app) as s:
        exceptions.recommend(s.get(StandardException, second.id), by=s.get(type(people.team), people.team.id),
                             recommendation="Approve", now=utcnow())
        escalation.decide(s.get(Ticket, second.ticket_id), by=s.get(type(people.director), people.director.id),
                          decision="approved", text="Yes")
    assert _status(app, world, "DFE-SWITCHING") == "exception"
    ended = client.post(f"/api/v1/exceptions/{second.id}/withdraw", headers=bearer(app, people.tech),
                        json={"reason": "Switches replaced early"})
    assert ended.status_code == 200 and ended.json["status"] == "withdrawn"
    assert _status(app, world, "DFE-SWITCHING") == "not_met"
    with data(app) as s:
        assert s.execute(select(DriftEvent)).scalars().all() == []


def test_another_school_cannot_see_or_touch_an_exception(app, client, login_as, make, world, figures, people):
    item_id = _switching(app, world, figures)
    exception = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    elm_tech = make.user(role="technician", school=world.secondary)
    headers = bearer(app, elm_tech)
    assert client.get(f"/api/v1/exceptions/{exception.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/exceptions/{exception.id}/withdraw", headers=headers, json={}).status_code == 404
    assert client.get("/api/v1/exceptions/", headers=headers).json["items"] == []
    assert login_as(elm_tech).post(f"/s/elm/standards/exceptions/{exception.id}/withdraw").status_code == 404


def test_the_desk_does_not_know_the_standards_but_hears_them(app):
    # The application registers the standards' listener: the director's decision reaches the exception.
    assert exceptions._decided in escalation.DECISION_LISTENERS["exception"]
    with pytest.raises(ValueError):
        escalation.on_decision("made-up")


def test_only_a_schools_new_request_is_routed_past_the_desks_rules(app, make, world, people):
    ticket = make.ticket(world.primary, title="Core switch down")
    with data(app) as s:
        t, lead = s.get(Ticket, ticket.id), s.get(type(people.lead), people.lead.id)
        with pytest.raises(NotAllowed):  # a head does not escalate tickets by hand
            escalation.escalate(t, by=lead, to_tier=2, reason="Please")
        escalation.escalate(t, by=lead, to_tier=2, reason="Please", routed=True)
        with pytest.raises(ValueError):  # and never on to the director
            escalation.escalate(t, by=lead, to_tier=3, reason="Please", decision_kind="spend", routed=True)


def test_an_exception_request_for_an_item_of_another_phase_is_refused(app, world, figures, people):
    from services.directory.models import School, User
    from services.standards import baselines
    from tests.standards.conftest import baseline
    with data(app) as s:
        b = baseline(s, world.trust.id, "TRUST-OPS")
        sixth = baselines.add_item(b, {"code": "TRUST-SIXTH", "title": "Sixth-form wireless", "phases": ["secondary"],
                                       "check_kind": "attestation", "review_days": 365}, by=None, now=utcnow())
        baselines.publish(baselines.draft_of(b), by=None, now=utcnow())
        with pytest.raises(StandardsError) as refused:
            exceptions.request_exception(s.get(School, world.primary.id), sixth, justification="x",
                                         ends_on=utcnow().date() + timedelta(days=3),
                                         by=s.get(User, people.tech.id), now=utcnow())
        assert refused.value.field == "item_id"
        assert s.execute(select(Escalation)).scalars().all() == []


def test_the_director_decides_an_exception_through_its_own_api_address(app, client, login_as, world, figures,
                                                                       people):
    item_id = _switching(app, world, figures)
    exception = _request(app, login_as, people, item_id, utcnow().date() + timedelta(days=30))
    too_early = client.post(f"/api/v1/exceptions/{exception.id}/decision", headers=bearer(app, people.director),
                            json={"decision": "approved", "text": "Approved."})
    assert too_early.status_code == 422 and "not waiting for a decision" in str(too_early.json)
    client.post(f"/api/v1/exceptions/{exception.id}/recommend", headers=bearer(app, people.team),
                json={"recommendation": "Approve: the switches are replaced in the summer works."})
    refused = client.post(f"/api/v1/exceptions/{exception.id}/decision", headers=bearer(app, people.team),
                          json={"decision": "approved", "text": "Approved."})
    assert refused.status_code == 403
    missing = client.post(f"/api/v1/exceptions/{exception.id}/decision", headers=bearer(app, people.director),
                          json={"decision": "approved"})
    assert missing.status_code == 422 and "text" in str(missing.json)
    decided = client.post(f"/api/v1/exceptions/{exception.id}/decision", headers=bearer(app, people.director),
                          json={"decision": "approved", "text": "Approved until the summer works."})
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "approved" and decided.json["decision_text"] == "Approved until the summer works."
    assert _status(app, world, "DFE-SWITCHING") == "exception"
