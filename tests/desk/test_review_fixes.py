"""Kept fixed after review: the sweep is scheduled, other trusts cannot act on our tickets,
due times follow calendar changes, no email leaves for a change that was rolled back."""
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select

from services.desk import escalation
from services.desk.errors import DeskError
from services.desk.mail_ingest import ingest
from services.desk.models import Category, Service, Ticket, TicketEvent
from services.desk.sweep import sla_sweep
from services.directory import tokens
from services.directory.models import School, User
from services.directory.schools import add_closure, add_term
from tests.conftest import data
from tests.desk.test_mail_ingest import email
from trust_it import jobs


def test_the_scheduler_runs_the_sla_sweep_and_the_outbox_retry(app):
    names = set(jobs.load_periodic())
    assert {"desk.sla_sweep", "notifications.send_pending", "memberships.record_expired"} <= names


def test_a_worker_of_another_trust_cannot_reply_to_our_ticket_by_email(app, make):
    oak = make.school("oak", email_domains=["oak.sch.uk"])
    ticket = make.ticket(oak, make.user(role="staff", school=oak, email="amira@oak.sch.uk"))
    make.user(role="service_desk", trust=make.trust("Other Trust"), email="outsider@other.org.uk")
    with data(app):
        result = ingest(email(sender="outsider@other.org.uk", subject=f"Re: [{ticket.reference}] click this",
                              body="Please log in at http://evil.example/"))
        assert result.ticket is None
    with data(app) as s:
        bodies = s.execute(select(TicketEvent.body).where(TicketEvent.ticket_id == ticket.id)).scalars().all()
    assert not any("evil.example" in b for b in bodies)


def test_the_trust_admin_does_not_work_tickets_through_the_api(app, client, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    admin = make.user(role="trust_admin")
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, admin.id), name="admin")
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={"status": "in_progress"},
                            headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404  # as on the web: the trust admin manages people, not the school's tickets
    with data(app) as s:
        assert s.get(Ticket, ticket.id).status == "new"


def test_a_ticket_awaiting_the_directors_decision_cannot_be_handed_back(app, make):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    tech, central = make.user(role="technician", school=oak), make.user(role="technical")
    with data(app) as s:
        t = s.get(Ticket, ticket.id)
        escalation.escalate(t, by=s.get(User, tech.id), to_tier=2, reason="Switch")
        escalation.escalate(t, by=s.get(User, central.id), to_tier=3, reason="Money", decision_kind="spend")
        with pytest.raises(DeskError, match="has not decided yet"):
            escalation.hand_back(t, by=s.get(User, central.id), reason="Never mind")


def test_a_snow_day_added_later_moves_the_due_time_and_nothing_escalates_on_it(app, make):
    oak = make.school("oak")
    with data(app) as s:
        add_term(s.get(School, oak.id), name="Autumn 2", starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18))
    # P2 (8 working hours) raised Monday 09:00: due Tuesday 08:30.
    ticket = make.ticket(oak, impact=1, urgency=2, now=datetime(2026, 11, 23, 9, 0))
    assert ticket.resolution_due_at == datetime(2026, 11, 24, 8, 30)
    # Added on Monday morning, so the job that moves due times runs then too (it reads the clock).
    with time_machine.travel(datetime(2026, 11, 23, 9, 30), tick=False), data(app) as s:
        add_closure(s.get(School, oak.id), day=date(2026, 11, 24), name="Snow day", kind="other")
    with data(app) as s:  # the retarget job ran after the commit
        moved = s.get(Ticket, ticket.id)
        assert moved.resolution_due_at == datetime(2026, 11, 25, 8, 30)
    with data(app):
        assert sla_sweep(now_iso=datetime(2026, 11, 24, 12, 0).isoformat())["escalated"] == 0


def test_no_email_leaves_for_a_change_that_was_rolled_back(app, client, make, smtp):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    tech, other = make.user(role="technician", school=oak), make.user(role="technician", school=oak,
                                                                      email="other.tech@oak.sch.uk")
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, tech.id), name="t")
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": f"Bearer {secret}"},
                            json={"assignee_id": other.id, "status": "closed_forever"})
    assert response.status_code == 422
    response = client.patch(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": f"Bearer {secret}"},
                            json={"assignee_id": other.id, "status": "reopened"})
    assert response.status_code == 422
    assert smtp.to("other.tech@oak.sch.uk") == []
    ok = client.patch(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": f"Bearer {secret}"},
                      json={"assignee_id": other.id})
    assert ok.status_code == 200
    assert len(smtp.to("other.tech@oak.sch.uk")) == 1


def test_a_technician_puts_a_ticket_against_a_service_of_the_catalogue(app, make, login_as):
    oak = make.school("oak")
    ticket = make.ticket(oak)
    with data(app) as s:
        from services.desk.catalogue import ensure_defaults
        from services.directory.models import Trust
        ensure_defaults(s.get(Trust, oak.trust_id))
        av = s.execute(select(Service).where(Service.name == "Classroom AV")).scalar_one()
        cat = s.execute(select(Category).where(Category.name == "Classroom AV")).scalar_one()
    tech = login_as(make.user(role="technician", school=oak))
    page = tech.get(f"/s/oak/tickets/{ticket.id}").text
    assert "Category and service" in page and "Classroom AV" in page
    response = tech.post(f"/s/oak/tickets/{ticket.id}/classify",
                         data={"classify-category_id": str(cat.id), "classify-service_id": str(av.id)})
    assert response.status_code == 302
    with data(app) as s:
        saved = s.get(Ticket, ticket.id)
        assert (saved.category_id, saved.service_id) == (cat.id, av.id)
    other = make.trust("Other")
    with data(app) as s:
        foreign = Service(trust_id=other.id, name="Theirs")
        s.add(foreign)
    refused = tech.post(f"/s/oak/tickets/{ticket.id}/classify",
                        data={"classify-category_id": "", "classify-service_id": str(foreign.id)})
    assert refused.status_code == 422 and "Choose from this trust" in refused.text
