"""Email to ticket: a new message opens a ticket in the sender's school; a reply is added to its ticket.

A reply is recognised by In-Reply-To/References (the ticket's own Message-ID or one of
our notifications') or by a reference like [OAK-000123] in the subject. Only the requester
or someone who works on the ticket may add to it by email. Automatic mail (out-of-office
replies, bounces, lists, our own notifications) is ignored so two robots never talk in a loop.

Callers run this unscoped (CLI) or under the caller's scope plus `trust_id` (API); it
flushes and never commits. Note that a From address proves little by itself: the mail
gateway in front of this is expected to have checked SPF/DKIM/DMARC.
"""
from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from services.base import utcnow
from services.desk import attachments, notify, tickets
from services.desk.errors import DeskError
from services.desk.models import Notification, Ticket, TicketEvent
from services.directory import people
from services.directory.models import Membership, School, User
from trust_it.extensions import db
from trust_it.tenancy import scope_for

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Only a bracketed reference, as our notifications write it: a bare "INV-000123" in a subject is not ours.
SUBJECT_REFERENCE = re.compile(r"\[[A-Z0-9]{2,8}-\d{6}\]")
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
AUTOMATIC_PRECEDENCE = {"bulk", "auto_reply", "list", "junk"}
# Delivery reports whose sender or structure says nothing (qmail sends a plain text/plain
# "failure notice"), recognised by the subjects the common mail servers give them.
REPORT_SUBJECT = re.compile(
    r"^\s*(undeliverable:|undelivered mail returned to sender|failure notice|delivery status notification"
    r"|mail delivery failed|returned mail:|automatic reply:|auto(matic)?[- ]?reply:|out of office( autoreply)?:)",
    re.IGNORECASE)


@dataclass(frozen=True)
class IngestResult:
    ticket: Ticket | None
    created: bool
    reason: str
    ignored: bool = False  # automatic mail, dropped on purpose (not an error to bounce)
    saved_attachments: tuple[str, ...] = field(default=())
    skipped_attachments: tuple[str, ...] = field(default=())  # "name: why", also noted on the ticket


def _refuse(reason: str) -> IngestResult:
    return IngestResult(None, False, reason)


def _ignore(reason: str) -> IngestResult:
    return IngestResult(None, False, f"Ignored: {reason}", ignored=True)


def ingest(raw: bytes, *, trust_id: int | None = None) -> IngestResult:
    """File one RFC 822 message. `trust_id` limits it to one trust's schools and tickets (the API)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    sender = _sender(msg)
    if not sender:
        return _refuse("The message has no sender address (From).")
    own_id = _first_id(msg.get("Message-ID"))
    automatic = _automatic(msg, sender, own_id)
    if automatic:
        return _ignore(automatic)

    if own_id:
        already = _ticket_by_message_id(own_id, trust_id)
        if already is not None:
            return IngestResult(already, False, f"Already received as {already.reference}.")
    subject = " ".join(str(msg.get("Subject") or "").replace("\x00", "").split())
    body, files = _body(msg), _attachments(msg)
    ticket = _thread(msg, subject, trust_id)
    if ticket is not None:
        return _add_reply(ticket, sender, own_id, body, files)
    return _open_ticket(sender, own_id, subject, body, files, trust_id)


# --- what kind of message ---------------------------------------------------------------------

def _sender(msg: EmailMessage) -> str | None:
    _, address = parseaddr(str(msg.get("From") or ""))
    address = people.normalise_email(address)
    return address if re.fullmatch(r"[^@\s]+@[^@\s]+", address) else None


def _first_id(value) -> str | None:
    found = MESSAGE_ID.findall(str(value or ""))
    return found[0][:250] if found else None


def _automatic(msg: EmailMessage, sender: str, own_id: str | None) -> str | None:
    """Why the message was sent by a machine (RFC 3834, RFC 3464), or None when a person wrote it.

    Any one sign is enough: answering a machine is how mail loops start, and a person whose
    message is wrongly taken for one can still raise the request on the website."""
    auto = str(msg.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"an automatic message (Auto-Submitted: {auto})."
    if msg.get("X-Autoreply") or msg.get("X-Autorespond"):
        return "an automatic reply."
    # Exchange's out-of-office replies carry no Auto-Submitted, only this header (and an empty Return-Path).
    if msg.get("X-Auto-Response-Suppress"):
        return f"an automatic reply (X-Auto-Response-Suppress: {str(msg.get('X-Auto-Response-Suppress')).strip()})."
    if str(msg.get("Precedence") or "").strip().lower() in AUTOMATIC_PRECEDENCE:
        return f"bulk or list mail (Precedence: {str(msg.get('Precedence')).strip().lower()})."
    if msg.get_content_type() == "multipart/report":
        return "a delivery report."
    if any(str(path).strip() in ("<>", "") for path in msg.get_all("Return-Path") or []):
        return "a delivery report or automatic reply (an empty Return-Path)."
    if notify.automatic_address(sender):
        return f"a delivery report or automatic message (from {sender})."
    subject = " ".join(str(msg.get("Subject") or "").split())
    if REPORT_SUBJECT.match(subject):
        return f"a delivery report or automatic reply (subject \"{subject[:80]}\")."
    if sender == notify.own_address() or (own_id and db.session.execute(
            select(Notification.id).where(Notification.message_id == own_id)).first()):
        return "one of our own notifications."
    return None


# --- which ticket -----------------------------------------------------------------------------

def _in_trust(ticket: Ticket | None, trust_id: int | None) -> Ticket | None:
    if ticket is None or (trust_id is not None and ticket.school.trust_id != trust_id):
        return None
    return ticket


def _ticket_by_message_id(message_id: str, trust_id: int | None) -> Ticket | None:
    return _in_trust(db.session.execute(select(Ticket).where(Ticket.message_id == message_id)
                                        .order_by(Ticket.id)).scalars().first(), trust_id)


def _thread(msg: EmailMessage, subject: str, trust_id: int | None) -> Ticket | None:
    """The ticket this message answers: by the ids it replies to (latest first), else the subject."""
    ids = MESSAGE_ID.findall(str(msg.get("In-Reply-To") or ""))
    ids += [i for i in reversed(MESSAGE_ID.findall(str(msg.get("References") or ""))) if i not in ids]
    for message_id in ids:
        ticket = _ticket_by_message_id(message_id, trust_id)
        if ticket is None:
            ticket_id = db.session.execute(select(Notification.ticket_id).where(
                Notification.message_id == message_id)).scalar_one_or_none()
            if ticket_id is not None:
                ticket = _in_trust(db.session.execute(select(Ticket).where(Ticket.id == ticket_id)).scalar(),
                                   trust_id)
        if ticket is not None:
            return ticket
    reference = SUBJECT_REFERENCE.search(subject)
    return _in_trust(tickets.find_by_reference(reference.group(0)), trust_id) if reference else None


# --- the message's text -----------------------------------------------------------------------

def _text(part) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset: keep what we can read
        text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    return text.replace("\x00", "")  # PostgreSQL cannot store a NUL; no one meant to send one


def _from_html(text: str) -> str:
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", text)
    text = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _text(part)
    if part.get_content_type() == "text/html":
        text = _from_html(text)
    return strip_quoted(text)


def strip_quoted(text: str) -> str:
    """The new words only: stop at "On … wrote:" (however the mail program wrapped it), an
    Outlook "Original Message" or header block, or a signature; drop lines quoted with ">"."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        bare = line.strip()
        if bare.startswith("On ") and any(later.rstrip().endswith("wrote:") for later in lines[i:i + 3]):
            break
        if re.fullmatch(r"-{2,}\s*Original Message\s*-{2,}", bare, re.IGNORECASE) or line == "-- ":
            break
        if bare.startswith("From:") and i + 1 < len(lines) and re.match(r"\s*(Sent|Date):", lines[i + 1]):
            break
        if bare.startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def _attachments(msg: EmailMessage) -> list[FileStorage]:
    return [FileStorage(io.BytesIO(part.get_payload(decode=True) or b""),
                        filename=part.get_filename() or f"attachment-{n}")
            for n, part in enumerate(msg.iter_attachments(), start=1)]


def _keep_attachments(ticket: Ticket, event: TicketEvent | None, files: list[FileStorage]
                      ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Save what passes the same checks as a web upload; say on the ticket what was not kept."""
    saved, skipped = [], []
    for n, storage in enumerate(files):
        if n >= attachments.MAX_FILES:
            skipped.append(f"{storage.filename}: only the first {attachments.MAX_FILES} files are kept")
            continue
        try:
            saved.append(attachments.save_upload(ticket, event, storage).filename)
        except DeskError as exc:
            skipped.append(f"{storage.filename}: {exc.message}")
    if skipped:
        tickets.event(ticket, "note", public=False,
                      body="Attachments of the email that were not kept:\n" + "\n".join(skipped))
    return tuple(saved), tuple(skipped)


# --- a reply to a ticket ----------------------------------------------------------------------

def _is_requester(ticket: Ticket, sender: str) -> bool:
    address = ticket.requester.email if ticket.requester else ticket.requester_email
    return people.normalise_email(address) == sender


def _already_added(ticket: Ticket, message_id: str | None) -> bool:
    if not message_id:
        return False
    data = db.session.execute(select(TicketEvent.data).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(("reply", "note")))).scalars()
    return any((d or {}).get("message_id") == message_id for d in data)


def _add_reply(ticket: Ticket, sender: str, message_id: str | None, body: str,
               files: list[FileStorage]) -> IngestResult:
    if _already_added(ticket, message_id):
        return IngestResult(ticket, False, f"Already added to {ticket.reference}.")
    user = people.find_by_email(sender)
    if user is not None and not user.active:
        user = None
    requester = _is_requester(ticket, sender)
    if not requester and not (user and tickets.is_worker(user, scope_for(user).roles_at(ticket.school_id))):
        return _refuse(f"{sender} is neither the requester of {ticket.reference} nor someone who works on it.")
    if not body:
        return _refuse(f"The reply to {ticket.reference} had no text of its own (only quoted text).")
    try:
        ev = tickets.reply(ticket, by=user, body=body, public=True, from_requester=requester)
    except DeskError as exc:
        return _refuse(exc.message)
    ev.data = {**(ev.data or {}), "source": "email", "email_from": sender, "message_id": message_id}
    saved, skipped = _keep_attachments(ticket, ev, files)
    db.session.flush()
    return IngestResult(ticket, False, f"Added to {ticket.reference}", saved_attachments=saved,
                        skipped_attachments=skipped)


# --- a new ticket -----------------------------------------------------------------------------

def _current_school_ids(user: User) -> set[int]:
    now = utcnow()
    return set(db.session.execute(select(Membership.school_id).where(
        Membership.user_id == user.id, Membership.school_id.is_not(None),
        Membership.current_at(now))).scalars())


def _school_for(sender: str, user: User | None, trust_id: int | None) -> School | str:
    """The sender's school, or why there is not exactly one."""
    domain = sender.rsplit("@", 1)[1]
    stmt = select(School).order_by(School.id)
    if trust_id is not None:
        stmt = stmt.where(School.trust_id == trust_id)
    schools = list(db.session.execute(stmt).scalars())
    by_domain = [s for s in schools if domain in (d.lower() for d in (s.email_domains or []))]
    # Where they are a member says more than the domain (a shared trust domain, a personal address).
    mine = _current_school_ids(user) if user else set()
    candidates = ([s for s in by_domain if s.id in mine] or [s for s in schools if s.id in mine] or by_domain)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return f"No school uses the email domain {domain}, so there is nowhere to raise a ticket from {sender}."
    return (f"{sender} could belong to {len(candidates)} schools; raise the request on the website, "
            "where you choose the school.")


def _open_ticket(sender: str, message_id: str | None, subject: str, body: str, files: list[FileStorage],
                 trust_id: int | None) -> IngestResult:
    user = people.find_by_email(sender)
    if user is not None and not user.active:
        user = None  # someone who has left: keep their address, not their account
    school = _school_for(sender, user, trust_id)
    if isinstance(school, str):
        return _refuse(school)
    if user is not None and user.trust_id != school.trust_id:
        user = None
    title = REPLY_PREFIX.sub("", subject).strip() or "(no subject)"
    if len(title) > tickets.TITLE_MAX:
        title = title[:tickets.TITLE_MAX - 1].rstrip() + "…"
    try:
        ticket = tickets.create_ticket(school, requester=user, title=title, description=body, source="email",
                                       requester_email=None if user else sender, by=user, message_id=message_id)
    except DeskError as exc:
        return _refuse(exc.message)
    created = db.session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "created")).scalar_one_or_none()
    saved, skipped = _keep_attachments(ticket, created, files)
    return IngestResult(ticket, True, f"Created {ticket.reference}", saved_attachments=saved,
                        skipped_attachments=skipped)
