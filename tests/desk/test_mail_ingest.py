"""Email to ticket: what happens to a message the trust's IT mailbox receives.

Messages are built as a mail program would send them and handed to the service, the
`trust-it mail ingest` command and the API endpoint a mail gateway calls. Replies answer
the real notifications the requester received from the SMTP server on loopback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.desk import tickets
from services.desk.mail_ingest import ingest, strip_quoted
from services.desk.models import Attachment, Notification, Ticket, TicketEvent
from services.directory import tokens
from services.directory.models import School, User
from tests.conftest import PASSWORD, data, new_client

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00\xff" * 32
QUESTION = "Which room is it in?"
DATA = Path(__file__).parent / "data"


@dataclass
class World:
    oak: School
    elm: School
    sam: User    # staff at Oak
    kim: User    # another member of Oak's staff
    tech: User   # Oak's technician


@pytest.fixture
def world(app, make) -> World:
    oak = make.school("oak", name="Oak Primary", email_domains=["oak.sch.uk"])
    elm = make.school("elm", name="Elm Academy", email_domains=["elm.sch.uk"])
    return World(oak=oak, elm=elm,
                 sam=make.user(role="staff", school=oak, email="sam.jones@oak.sch.uk", name="Sam Jones"),
                 kim=make.user(role="staff", school=oak, email="kim.lee@oak.sch.uk", name="Kim Lee"),
                 tech=make.user(role="technician", school=oak, email="tech@oak.sch.uk", name="Tess Tech"))


def email(*, sender="Sam Jones <sam.jones@oak.sch.uk>", subject="Projector in room 12 will not turn on",
          body="It shows no light at all.\n", html=None, in_reply_to=None, references=None, headers=None,
          files=(), message_id=None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "IT support <trust-it@localhost>"
    if subject is not None:
        msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = references or in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    if body is not None:
        msg.set_content(body)
    if html is not None:
        if body is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, content, mime in files:
        maintype, subtype = mime.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def deliver(app, raw: bytes, trust_id=None):
    """Hand the message over as the CLI would: unscoped, committed."""
    with data(app):
        result = ingest(raw, trust_id=trust_id)
        reference = result.ticket.reference if result.ticket else None
    return result, reference


def ticket_of(app, reference) -> Ticket:
    with data(app):
        ticket = tickets.find_by_reference(reference)
        _ = ticket.requester, ticket.school
        return ticket


def history(app, ticket) -> list[TicketEvent]:
    with data(app) as s:
        events = s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                           .order_by(TicketEvent.id)).scalars().all()
        for ev in events:
            _ = ev.actor
        return events


def counts(app) -> dict:
    with data(app) as s:
        return {model.__name__: s.execute(select(func.count()).select_from(model)).scalar()
                for model in (Ticket, TicketEvent, Notification, Attachment)}


def subject(mail) -> str:
    return " ".join(str(mail["Subject"]).split())


def awaiting_sam(app, make, world, smtp) -> tuple[Ticket, EmailMessage]:
    """Sam raised a ticket; the technician asked a question and is waiting for the answer."""
    ticket = make.ticket(world.oak, world.sam, title="Projector in room 12 will not turn on")
    with data(app) as s:
        t, tech = s.get(Ticket, ticket.id), s.get(User, world.tech.id)
        tickets.reply(t, by=tech, body=QUESTION)
        tickets.change_status(t, "awaiting_requester", by=tech)
    mails = smtp.to("sam.jones@oak.sch.uk")
    question = next(m for m in reversed(mails) if QUESTION in m.get_content())  # the reply, not "we need your reply"
    assert subject(mails[-1]).startswith(f"[{ticket.reference}] We need your reply")
    return ticket, question


# --- a new message ----------------------------------------------------------------------------

def test_a_new_email_opens_a_ticket_in_the_senders_school_for_that_person(app, world, smtp):
    raw = email(body="It shows no light at all.\n\nThanks,\nSam\n-- \nSam Jones | Year 4 | Oak Primary\n",
                message_id="<first-question@oak.sch.uk>")
    result, reference = deliver(app, raw)

    assert (result.created, reference, result.reason) == (True, "OAK-000001", "Created OAK-000001")
    ticket = ticket_of(app, reference)
    assert (ticket.school_id, ticket.requester_id, ticket.requester_email) == (world.oak.id, world.sam.id, None)
    assert (ticket.title, ticket.source, ticket.status) == ("Projector in room 12 will not turn on", "email", "new")
    assert ticket.description == "It shows no light at all.\n\nThanks,\nSam"
    # Sam's acknowledgement answers the message Sam sent, so the mail program shows one conversation.
    [ack] = smtp.to("sam.jones@oak.sch.uk")
    assert subject(ack) == "[OAK-000001] We have your request: Projector in room 12 will not turn on"
    assert ack["In-Reply-To"] == "<first-question@oak.sch.uk>"


def test_someone_without_an_account_is_the_requester_by_their_address(app, world, smtp):
    result, reference = deliver(app, email(sender="New Teacher <New.Teacher@ELM.sch.uk>",
                                           subject="Fwd: Can't log in to the MIS"))

    assert reference == "ELM-000001"
    ticket = ticket_of(app, reference)
    assert (ticket.school_id, ticket.requester_id) == (world.elm.id, None)
    assert ticket.requester_email == "new.teacher@elm.sch.uk"
    assert ticket.title == "Can't log in to the MIS"
    assert len(smtp.to("new.teacher@elm.sch.uk")) == 1


def test_a_message_with_no_subject_still_opens_a_ticket(app, world):
    _, reference = deliver(app, email(subject=None))
    assert ticket_of(app, reference).title == "(no subject)"


def test_an_html_only_email_is_read_as_text(app, world):
    html = ("<html><head><style>p{color:red}</style></head><body><p>The <b>printer</b> says &quot;PC LOAD "
            "LETTER&quot;.</p><p>Room 4</p></body></html>")
    _, reference = deliver(app, email(body=None, html=html))
    assert ticket_of(app, reference).description == 'The printer says "PC LOAD LETTER".\nRoom 4'


def test_an_email_from_an_unknown_domain_is_refused_and_nothing_is_written(app, world):
    before = counts(app)
    result, reference = deliver(app, email(sender="Ann Other <ann@gmail.com>"))

    assert (result.ticket, result.created, reference) == (None, False, None)
    assert "gmail.com" in result.reason and "No school" in result.reason
    assert counts(app) == before
    with data(app) as s:
        assert s.get(School, world.oak.id).ticket_counter == 0


def test_the_same_message_delivered_twice_makes_one_ticket(app, world):
    raw = email()
    deliver(app, raw)
    again, reference = deliver(app, raw)
    assert (again.created, reference) == (False, "OAK-000001")
    assert "Already received" in again.reason
    assert counts(app)["Ticket"] == 1


# --- replies ----------------------------------------------------------------------------------

def test_a_reply_to_a_notification_is_added_and_restarts_the_paused_clock(app, make, world, smtp):
    ticket, question = awaiting_sam(app, make, world, smtp)
    assert ticket_of(app, ticket.reference).sla_clock_from is None  # paused while waiting for Sam

    reply = email(subject=f"Re: {subject(question)}", in_reply_to=question["Message-ID"],
                  references=f"{question['References']} {question['Message-ID']}",
                  body="It is room 12, by the hall.\n\nOn Tue, 17 Nov 2026 at 10:02, IT support\n"
                       "<trust-it@localhost> wrote:\n> Tess Tech wrote:\n> Which room is it in?\n")
    result, reference = deliver(app, reply)

    assert (result.created, reference, result.reason) == (False, ticket.reference, f"Added to {ticket.reference}")
    after = ticket_of(app, reference)
    assert after.status == "in_progress"
    assert after.sla_clock_from is not None and after.sla_next_check_at is not None
    answer = [ev for ev in history(app, ticket) if ev.kind == "reply"][-1]
    assert (answer.body, answer.actor_id, answer.public) == ("It is room 12, by the hall.", world.sam.id, True)


def test_a_reply_with_only_the_reference_in_its_subject_is_added(app, make, world, smtp):
    ticket, _ = awaiting_sam(app, make, world, smtp)
    result, reference = deliver(app, email(subject=f"RE: [{ticket.reference}] projector",
                                           body="Room 12.\n\n> Which room is it in?\n"))

    assert (result.created, reference) == (False, ticket.reference)
    assert [ev.body for ev in history(app, ticket) if ev.kind == "reply"][-1] == "Room 12."
    assert ticket_of(app, reference).status == "in_progress"


def test_a_technician_answering_by_email_replies_publicly_and_the_requester_hears(app, make, world, smtp):
    ticket = make.ticket(world.oak, world.sam, title="Projector in room 12 will not turn on")
    result, _ = deliver(app, email(sender="Tess Tech <tech@oak.sch.uk>", subject=f"[{ticket.reference}] projector",
                                   body="New bulb fitted; it works now."))

    assert result.reason == f"Added to {ticket.reference}"
    answer = history(app, ticket)[-1]
    assert (answer.kind, answer.actor_id, answer.public) == ("reply", world.tech.id, True)
    assert "New bulb fitted; it works now." in smtp.to("sam.jones@oak.sch.uk")[-1].get_content()


def test_someone_else_cannot_add_to_a_ticket_by_email(app, make, world):
    ticket = make.ticket(world.oak, world.sam)
    before = counts(app)
    result, reference = deliver(app, email(sender="Kim Lee <kim.lee@oak.sch.uk>",
                                           subject=f"Re: [{ticket.reference}] projector", body="Me too!"))

    assert (result.ticket, reference) == (None, None)
    assert "kim.lee@oak.sch.uk" in result.reason and ticket.reference in result.reason
    assert counts(app) == before


def test_a_reply_of_only_quoted_text_is_refused(app, make, world):
    ticket = make.ticket(world.oak, world.sam)
    result, _ = deliver(app, email(subject=f"Re: [{ticket.reference}] x", body="> Which room is it in?\n"))
    assert result.ticket is None and "no text of its own" in result.reason


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"},
                                     {"Precedence": "bulk"}, {"Precedence": "auto_reply"}],
                         ids=["auto-submitted", "x-autoreply", "bulk", "precedence-auto-reply"])
def test_automatic_replies_are_ignored(app, make, world, headers):
    ticket = make.ticket(world.oak, world.sam)
    before = counts(app)
    result, reference = deliver(app, email(subject=f"Out of office: [{ticket.reference}] projector",
                                           body="I am away until Monday.", headers=headers))

    assert (result.ticket, result.ignored) == (None, True)
    assert result.reason.startswith("Ignored:")
    assert counts(app) == before


# Delivery reports and out-of-office replies as the real mail servers write them (tests/desk/data):
# each would otherwise open a ticket at the school its sender's domain belongs to, or be added
# to OAK-000001 as Sam's answer, and our acknowledgement would go back to the machine.
REPORTS = ["exchange_ndr_undeliverable.eml", "postfix_undelivered_mail.eml", "qmail_failure_notice.eml",
           "gmail_delivery_status_notification.eml", "outlook_automatic_reply.eml"]


@pytest.mark.parametrize("name", REPORTS, ids=[n.removesuffix(".eml") for n in REPORTS])
def test_bounces_and_out_of_office_replies_never_open_a_ticket_and_are_never_answered(
        app, make, world, smtp, name):
    ticket = make.ticket(world.oak, world.sam, title="Projector in room 12 will not turn on")
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "awaiting_requester", by=s.get(User, world.tech.id))
    before, mails = counts(app), len(smtp.messages)

    result, reference = deliver(app, (DATA / name).read_bytes())
    assert (result.ticket, result.ignored) == (None, True), result.reason
    assert counts(app) == before and len(smtp.messages) == mails
    assert ticket_of(app, ticket.reference).status == "awaiting_requester"  # Sam's clock stays paused


@pytest.mark.parametrize("sender, subject, headers", [
    ("MAILER-DAEMON@oak.sch.uk", "Returned message", {}),
    ("Mail Delivery System <postmaster@oak.sch.uk>", "Problem with your message", {}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"Return-Path": "<>"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"X-Auto-Response-Suppress": "All"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"X-Autorespond": "yes"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"Precedence": "junk"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"Precedence": "list"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Away", {"Auto-Submitted": "auto-notified"}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Undeliverable: Projector", {}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "failure notice", {}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Delivery Status Notification (Delay)", {}),
    ("Kim Lee <kim.lee@oak.sch.uk>", "Automatic reply: Projector", {}),
], ids=["mailer-daemon", "postmaster", "empty-return-path", "x-auto-response-suppress", "x-autorespond",
        "precedence-junk", "precedence-list", "auto-submitted-notified", "undeliverable", "failure-notice",
        "delivery-status-notification", "automatic-reply"])
def test_each_sign_of_a_machine_is_enough_to_ignore_a_message(app, world, smtp, sender, subject, headers):
    result, _ = deliver(app, email(sender=sender, subject=subject, body="Your message could not be delivered.",
                                   headers=headers))
    assert (result.ticket, result.ignored) == (None, True), result.reason
    assert counts(app)["Ticket"] == 0 and smtp.messages == []


def test_a_persons_outlook_message_in_windows_1252_still_opens_a_ticket(app, world, smtp):
    result, reference = deliver(app, (DATA / "outlook_person_windows1252.eml").read_bytes())
    assert result.created, result.reason
    ticket = ticket_of(app, reference)
    assert (ticket.title, ticket.requester_id) == ("Y4 board won\u2019t turn on", world.kim.id)
    assert "it just shows \u201cNo signal\u201d" in ticket.description
    assert [subject(m) for m in smtp.to("kim.lee@oak.sch.uk")] == [
        f"[{reference}] We have your request: Y4 board won\u2019t turn on"]


@pytest.mark.parametrize("address", ["MAILER-DAEMON@oak.sch.uk", "postmaster@oak.sch.uk", "no-reply@oak.sch.uk",
                                     "trust-it@localhost"])
def test_nothing_is_sent_to_an_address_that_belongs_to_a_machine(app, world, smtp, address):
    with data(app) as s:
        tickets.create_ticket(s.get(School, world.oak.id), requester=None, requester_email=address,
                              title="Raised from an old bounce", impact=3, urgency=3)
    with data(app) as s:
        assert s.execute(select(func.count()).select_from(Notification)
                         .where(func.lower(Notification.to_address) == address.lower())).scalar() == 0
    assert smtp.to(address) == [] and smtp.to(address.lower()) == []


def test_what_we_send_tells_automatic_responders_not_to_answer(app, make, world, smtp):
    make.ticket(world.oak, world.sam)
    [ack] = smtp.to("sam.jones@oak.sch.uk")
    assert (ack["Auto-Submitted"], ack["X-Auto-Response-Suppress"]) == ("auto-generated", "All")


def test_our_own_notification_coming_back_is_ignored(app, make, world, smtp):
    make.ticket(world.oak, world.sam)
    [ack] = smtp.to("sam.jones@oak.sch.uk")
    del ack["Auto-Submitted"]  # even a forwarder that drops the header does not start a loop
    before = counts(app)
    result, _ = deliver(app, ack.as_bytes())
    assert result.ignored and counts(app) == before


# --- attachments ------------------------------------------------------------------------------

def test_attachments_are_kept_and_refused_ones_are_noted_for_the_technician(app, world):
    result, reference = deliver(app, email(files=[("error.png", PNG, "image/png"),
                                                  ("fix.exe", PROGRAM, "application/octet-stream")]))

    assert result.saved_attachments == ("error.png",)
    ticket = ticket_of(app, reference)
    with data(app) as s:
        [kept] = s.execute(select(Attachment).where(Attachment.ticket_id == ticket.id)).scalars().all()
        assert (kept.filename, kept.content_type, kept.size) == ("error.png", "image/png", len(PNG))
    created, note = history(app, ticket)[0], history(app, ticket)[-1]
    assert kept.event_id == created.id
    assert (note.kind, note.public) == ("note", False)
    assert "fix.exe" in note.body and "not a type we accept" in note.body


def test_quoted_text_after_on_wrote_and_outlook_headers_is_dropped():
    assert strip_quoted("Yes, room 12.\n\nOn Tue, 17 Nov 2026, Tess wrote:\n> Which room?") == "Yes, room 12."
    assert strip_quoted("Fixed, thanks.\r\n\r\nFrom: IT support\r\nSent: 17 November 2026\r\nOld") == "Fixed, thanks."
    assert strip_quoted("Done.\n-----Original Message-----\nFrom: x") == "Done."
    assert strip_quoted("> quoted\nnew words\n> more quoted") == "new words"


# --- the command line and the API -------------------------------------------------------------

def test_the_cli_files_a_message_from_standard_input(app, world):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["mail", "ingest"], input=email())
    assert (created.exit_code, created.output.strip()) == (0, "Created OAK-000001")

    added = runner.invoke(args=["mail", "ingest"], input=email(subject="Re: [OAK-000001] projector",
                                                                body="Still dark."))
    assert (added.exit_code, added.output.strip()) == (0, "Added to OAK-000001")

    refused = runner.invoke(args=["mail", "ingest"], input=email(sender="ann@gmail.com"))
    assert refused.exit_code == 1
    assert "No school uses the email domain gmail.com" in refused.output

    ignored = runner.invoke(args=["mail", "ingest"], input=email(headers={"Auto-Submitted": "auto-replied"}))
    assert ignored.exit_code == 0 and "Ignored" in ignored.output  # dropped, not bounced
    assert counts(app)["Ticket"] == 1


def token_for(app, user) -> dict:
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="Mail gateway")
    return {"Authorization": f"Bearer {secret}", "Content-Type": "message/rfc822"}


def test_the_mail_gateway_posts_messages_to_the_api(app, make, world, client):
    gateway = token_for(app, make.user(role="trust_admin", email="gateway@trust.org.uk"))

    created = client.post("/api/v1/mail/inbound", data=email(), headers=gateway)
    assert (created.status_code, created.json) == (201, {"ticket": "OAK-000001", "created": True})
    added = client.post("/api/v1/mail/inbound", headers=gateway,
                        data=email(subject="Re: [OAK-000001] projector", body="Still dark."))
    assert (added.status_code, added.json) == (201, {"ticket": "OAK-000001", "created": False})
    refused = client.post("/api/v1/mail/inbound", data=email(sender="ann@gmail.com"), headers=gateway)
    assert refused.status_code == 422
    assert "No school uses the email domain gmail.com" in refused.json["message"]
    wrong_type = client.post("/api/v1/mail/inbound", data=email(), headers={**gateway, "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    assert counts(app)["Ticket"] == 1


def test_the_service_desk_may_run_the_gateway_too(app, make, world, client):
    gateway = token_for(app, make.user(role="service_desk"))
    assert client.post("/api/v1/mail/inbound", data=email(), headers=gateway).status_code == 201


@pytest.mark.parametrize("role,school", [("staff", True), ("technician", True), ("it_director", False)])
def test_other_tokens_cannot_deliver_email(app, make, world, client, role, school):
    headers = token_for(app, make.user(role=role, school=world.oak if school else None))
    response = client.post("/api/v1/mail/inbound", data=email(), headers=headers)
    assert response.status_code == 403
    assert counts(app)["Ticket"] == 0


def test_a_signed_in_browser_session_cannot_deliver_email(app, make, world):
    """Even a trust administrator's session with its CSRF token: the gateway is a machine with a token."""
    admin = make.user(role="trust_admin")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser = new_client(app)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', browser.get("/login").text).group(1)
        assert browser.post("/login", data={"email": admin.email, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/account/tokens").text).group(1)
        response = browser.post("/api/v1/mail/inbound", data=email(),
                                headers={"Content-Type": "message/rfc822", "X-CSRFToken": token})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 403
    assert counts(app)["Ticket"] == 0


def test_another_trusts_gateway_cannot_raise_tickets_in_our_schools(app, make, world, client):
    far = make.trust("Far Away Trust")
    gateway = token_for(app, make.user(role="trust_admin", trust=far))
    oak_ticket = make.ticket(world.oak, world.sam)

    new = client.post("/api/v1/mail/inbound", data=email(), headers=gateway)
    reply = client.post("/api/v1/mail/inbound", headers=gateway,
                        data=email(subject=f"Re: [{oak_ticket.reference}] projector", body="Still dark."))

    assert new.status_code == reply.status_code == 422
    assert "Oak" not in new.text + reply.text
    assert counts(app)["Ticket"] == 1
    assert [ev.kind for ev in history(app, oak_ticket)] == ["created"]


def test_the_endpoint_is_in_the_openapi_document(client):
    operation = client.get("/api/v1/openapi.json").json["paths"]["/api/v1/mail/inbound"]["post"]
    assert list(operation["requestBody"]["content"]) == ["message/rfc822"]
    assert {"201", "403", "422"} <= set(operation["responses"])


def test_a_nul_character_in_an_email_is_dropped_not_a_database_error(app, world):
    result, reference = deliver(app, email(subject="Printer\x00 jammed", body="Paper\x00 stuck in tray 2.\n"))
    assert result.created, result.reason
    ticket = ticket_of(app, reference)
    assert (ticket.title, ticket.description) == ("Printer jammed", "Paper stuck in tray 2.")
