"""Notifications arrive as real email: sent over SMTP to a server on loopback (aiosmtpd).

Jobs run inline in tests (no Redis), so each email is sent as the change that causes it
is made; the stories check what lands in each person's mailbox.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import select

from services.desk import escalation, notify, tickets
from services.desk.models import Notification, Ticket
from services.desk.sweep import sla_sweep
from services.directory.models import School, User
from services.directory.schools import add_term
from tests.conftest import data
from tests.desk.smtp_server import smtp_url

# Tuesday 17 November 2026, 09:00 in London (GMT, so also 09:00 UTC), in the autumn term.
TERM_MORNING = datetime(2026, 11, 17, 9, 0)
TITLE = "Printer in the staff room is jammed"


@dataclass
class World:
    oak: School
    sam: User          # staff at Oak: raises tickets
    tech: User         # Oak's technician
    lead: User         # Oak's school lead
    trust_tech: User   # the trust's technical team
    desk: User         # the trust's service desk
    elm_tech: User     # a technician at another school of the trust


@pytest.fixture
def world(app, make) -> World:
    oak = make.school("oak", name="Oak Primary", email_domains=["oak.sch.uk"])
    elm = make.school("elm", name="Elm Academy", email_domains=["elm.sch.uk"])
    with data(app) as s:
        add_term(s.get(School, oak.id), name="Autumn 2", starts_on=date(2026, 11, 2), ends_on=date(2026, 12, 18))
    return World(oak=oak,
                 sam=make.user(role="staff", school=oak, email="sam.jones@oak.sch.uk", name="Sam Jones"),
                 tech=make.user(role="technician", school=oak, email="tech@oak.sch.uk", name="Tess Tech"),
                 lead=make.user(role="school_lead", school=oak, email="head@oak.sch.uk", name="Hana Head"),
                 trust_tech=make.user(role="technical", email="network@trust.org.uk", name="Nat Network"),
                 desk=make.user(role="service_desk", email="desk@trust.org.uk", name="Dee Desk"),
                 elm_tech=make.user(role="technician", school=elm, email="tech@elm.sch.uk"))


def text(mail) -> str:
    return mail.get_content()


def subject(mail) -> str:
    # A long subject is folded onto a second line; unfolded, the fold's space is not part of it.
    return " ".join(str(mail["Subject"]).split())


def act(app, ticket, action):
    """Do something to the ticket the way a page or a job would: through the desk services."""
    with data(app) as s:
        action(s.get(Ticket, ticket.id), s)


def test_raising_a_ticket_emails_the_requester(make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)

    [mail] = smtp.to("sam.jones@oak.sch.uk")
    assert subject(mail) == f"[OAK-000001] We have your request: {TITLE}"
    assert mail["To"] == "sam.jones@oak.sch.uk"
    assert ticket.reference == "OAK-000001"
    assert "OAK-000001" in text(mail) and "Oak Primary" in text(mail)
    assert f"/s/oak/tickets/{ticket.id}" in text(mail)
    assert mail["Auto-Submitted"] == "auto-generated"  # so out-of-office replies do not answer it


def test_a_technicians_public_reply_emails_the_requester(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)
    act(app, ticket, lambda t, s: tickets.reply(t, by=s.get(User, world.tech.id),
                                                body="I have cleared the jam; try printing again."))

    created, replied = smtp.to("sam.jones@oak.sch.uk")
    assert subject(replied) == f"[OAK-000001] Tess Tech replied: {TITLE}"
    assert "I have cleared the jam; try printing again." in text(replied)


def test_an_internal_note_emails_nobody(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)
    act(app, ticket, lambda t, s: tickets.reply(t, by=s.get(User, world.tech.id), public=False,
                                                body="Fuser is worn; order part 4471."))

    assert [subject(m) for m in smtp.messages] == [f"[OAK-000001] We have your request: {TITLE}"]
    assert not any("4471" in text(m) for m in smtp.messages)


def test_resolving_emails_the_requester(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)
    act(app, ticket, lambda t, s: tickets.change_status(t, "resolved", by=s.get(User, world.tech.id),
                                                        note="Replaced the fuser unit."))

    resolved = smtp.to("sam.jones@oak.sch.uk")[-1]
    assert subject(resolved) == f"[OAK-000001] Resolved: {TITLE}"
    assert "Replaced the fuser unit." in text(resolved)
    assert "reopen" in text(resolved)


def test_assigning_emails_the_assignee(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)
    act(app, ticket, lambda t, s: tickets.assign(t, s.get(User, world.tech.id), by=s.get(User, world.lead.id)))

    [mail] = smtp.to("tech@oak.sch.uk")
    assert subject(mail) == f"[OAK-000001] Assigned to you: {TITLE}"
    assert "Oak Primary" in text(mail) and "P2" in text(mail)
    assert len(smtp.to("sam.jones@oak.sch.uk")) == 1  # the requester heard only "we have your request"


def test_escalation_emails_the_trusts_technical_team_and_nobody_else(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title="No internet in the whole school")
    act(app, ticket, lambda t, s: escalation.escalate(t, by=s.get(User, world.tech.id), to_tier=2,
                                                      reason="Core switch in the server room is down."))

    for person in ("network@trust.org.uk", "desk@trust.org.uk"):
        [mail] = smtp.to(person)
        assert subject(mail) == "[OAK-000001] Escalated to you: No internet in the whole school"
        assert "Core switch in the server room is down." in text(mail)
    assert smtp.to("tech@elm.sch.uk") == []
    assert smtp.to("tech@oak.sch.uk") == []
    assert len(smtp.to("sam.jones@oak.sch.uk")) == 1


def test_the_75_percent_warning_emails_the_assignee_once(app, make, world, smtp):
    # P2: 8 working hours to resolve, so 75 % is six hours of the school day after 09:00.
    ticket = make.ticket(world.oak, world.sam, title=TITLE, now=TERM_MORNING)
    act(app, ticket, lambda t, s: tickets.assign(t, s.get(User, world.tech.id), by=s.get(User, world.lead.id),
                                                 now=TERM_MORNING))

    with data(app):
        sla_sweep(now_iso="2026-11-17T14:30:00")  # 5½ hours in: nothing yet
    assert len(smtp.to("tech@oak.sch.uk")) == 1
    with data(app):
        sla_sweep(now_iso="2026-11-17T15:30:00")
        sla_sweep(now_iso="2026-11-17T15:45:00")  # a second run warns nobody again

    assigned, warning = smtp.to("tech@oak.sch.uk")
    # 15:30 is 6½ of the 8 hours: the sweep says how much was used when it looked.
    assert subject(warning) == f"[OAK-000001] 81% of its time used: {TITLE}"
    assert "escalates at 18 Nov 08:30 UTC" in text(warning)  # 16:30 closing, then the first half hour
    assert len(smtp.to("sam.jones@oak.sch.uk")) == 1


def test_emails_thread_under_the_tickets_message_id(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)
    act(app, ticket, lambda t, s: tickets.reply(t, by=s.get(User, world.tech.id), body="On my way."))

    with data(app) as s:
        thread = s.get(Ticket, ticket.id).message_id
        sent = s.execute(select(Notification.message_id).order_by(Notification.id)).scalars().all()
    created, replied = smtp.to("sam.jones@oak.sch.uk")
    assert [created["Message-ID"], replied["Message-ID"]] == sent
    assert created["Message-ID"] != replied["Message-ID"]
    for mail in (created, replied):
        assert mail["In-Reply-To"] == thread
        assert mail["References"] == thread


def test_with_the_smtp_server_down_nothing_is_lost_and_each_email_goes_once_it_is_back(app, make, world,
                                                                                       smtp_down):
    ticket = make.ticket(world.oak, world.sam, title=TITLE)  # raising a ticket still works
    act(app, ticket, lambda t, s: tickets.assign(t, s.get(User, world.tech.id), by=s.get(User, world.lead.id)))

    with data(app) as s:
        notes = s.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert [(n.kind, n.status) for n in notes] == [("created", "pending"), ("assigned", "pending")]
        assert all("Connection" in n.last_error for n in notes)

    smtp_down.start()
    with data(app):
        notify.send_pending()
    assert [subject(m) for m in smtp_down.to("sam.jones@oak.sch.uk")] == [
        f"[OAK-000001] We have your request: {TITLE}"]
    assert [subject(m) for m in smtp_down.to("tech@oak.sch.uk")] == [f"[OAK-000001] Assigned to you: {TITLE}"]

    with data(app) as s:
        assert notify.send_pending() == 0  # a second retry finds nothing to send
        assert [(n.status, n.last_error) for n in s.execute(select(Notification)).scalars()] == [
            ("sent", None), ("sent", None)]
    assert len(smtp_down.messages) == 2


def test_a_retry_while_the_server_is_still_down_gives_up_after_the_first_email(app, make, world, smtp_down):
    for n in range(3):
        make.ticket(world.oak, world.sam, title=f"{TITLE} ({n})")
    with data(app):
        notify.send_pending()  # one connection attempt, not one per waiting email
    with data(app) as s:
        notes = s.execute(select(Notification).order_by(Notification.id)).scalars().all()
        assert [(n.status, n.attempts) for n in notes] == [("pending", 2), ("pending", 1), ("pending", 1)]


def test_without_an_smtp_server_configured_notifications_wait_in_the_outbox(app, make, world):
    with smtp_url(app, None):
        make.ticket(world.oak, world.sam, title=TITLE)
    with data(app) as s:
        [note] = s.execute(select(Notification)).scalars().all()
        assert (note.status, note.to_address, note.sent_at) == ("outbox", "sam.jones@oak.sch.uk", None)
        assert note.subject == f"[OAK-000001] We have your request: {TITLE}"
