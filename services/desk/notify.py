"""Email notifications: recorded in the outbox first, then sent by a job on the `notifications` queue.

Nothing is lost if Redis or the SMTP server is down: the row stays `pending`, and the
periodic `send_pending` retries it. Without TRUST_IT_SMTP_URL (the embedded default) mail
is kept in the outbox, shown to trust administrators at /trust/outbox.
"""
from __future__ import annotations

import logging
import re
import secrets
import smtplib
from contextlib import contextmanager
from datetime import timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from services.base import utcnow
from services.desk import bulk
from services.desk.models import Notification, Ticket
from services.directory.models import Membership, User
from trust_it import jobs
from trust_it.extensions import db

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
# Mailboxes of machines: mail servers' bounce senders and no-reply addresses. They never read
# what we send, and their answer (a bounce, an auto-reply) would start a loop.
AUTOMATIC_LOCAL_PARTS = re.compile(
    r"(mailer[-_.]?daemon|postmaster|no[-_.]?reply|do[-_.]?not[-_.]?reply|bounces?|mail[-_.]?delivery[-_.]?subsystem"
    r"|microsoftexchange[0-9a-f]{32})([+-].*)?", re.IGNORECASE)


def own_address() -> str:
    return parseaddr(current_app.config.get("MAIL_FROM") or "trust-it@localhost")[1].strip().lower()


def automatic_address(address: str | None) -> bool:
    """An address that belongs to a machine (or to us): nothing is sent to it."""
    address = (address or "").strip().lower()
    local = address.rsplit("@", 1)[0]
    return not local or address == own_address() or bool(AUTOMATIC_LOCAL_PARTS.fullmatch(local))


def _base_url() -> str:
    return (current_app.config.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")


def page_url(path: str) -> str:
    """The address of one of our pages in an email (BASE_URL, or the demo's own)."""
    return f"{_base_url()}{path}"


def ticket_url(ticket: Ticket) -> str:
    return page_url(f"/s/{ticket.school.slug}/tickets/{ticket.id}")


def record(kind: str, ticket: Ticket | None, to: str | None, subject: str, body: str, *,
           trust_id: int | None = None, school_id: int | None = None) -> Notification | None:
    """Write one email to the outbox and queue its sending (after this transaction commits).

    An email about no ticket names its trust (and school, if one) so the trust's outbox shows it.
    Inside `batched()` the row is only collected: the batch writes and sends them all at once."""
    if not to or automatic_address(to):
        return None
    domain = (current_app.config.get("MAIL_FROM") or "trust-it@localhost").rsplit("@", 1)[-1]
    values = dict(kind=kind, ticket_id=ticket.id if ticket else None,
                  school_id=ticket.school_id if ticket else school_id,
                  trust_id=ticket.school.trust_id if ticket else trust_id, to_address=to, subject=subject[:300],
                  body=body, message_id=make_msgid(secrets.token_hex(6), domain=domain))
    batch = db.session.info.get("outbox_batch")
    if batch is not None:
        batch.append(values)
        return None
    note = Notification(**values)
    db.session.add(note)
    db.session.flush()
    jobs.enqueue(send, note.id, queue="notifications", job_id=f"notification-{note.id}", after_commit=True)
    return note


@contextmanager
def batched():
    """Collect what `record` writes inside, then one INSERT for all of it and one job to send it.

    For work on many tickets at once (the SLA sweep): one queued job per batch, not one per email.
    The yielded list is the batch's rows so far; trimming it takes back what a failed step recorded."""
    rows: list[dict] = []
    db.session.info["outbox_batch"] = rows
    try:
        yield rows
    finally:
        db.session.info.pop("outbox_batch", None)
    if rows:
        ids = sorted(note_id for note_id, in bulk.insert_rows(Notification, rows, returning=("id",)))
        jobs.enqueue(send_batch, ids, queue="notifications", job_id=f"notifications-{ids[0]}-{ids[-1]}",
                     after_commit=True)


def _people_with_roles(trust_id: int, roles: tuple[str, ...], school_id: int | None = None) -> list[User]:
    now = utcnow()
    member = select(Membership.user_id).where(
        Membership.role.in_(roles), Membership.current_at(now),
        Membership.trust_id == trust_id if school_id is None else Membership.school_id == school_id)
    return list(db.session.execute(select(User).where(User.id.in_(member), User.active.is_(True))).scalars())


def _requester_address(ticket: Ticket) -> str | None:
    return ticket.requester.email if ticket.requester else ticket.requester_email


def _subject(ticket: Ticket, text: str) -> str:
    return f"[{ticket.reference}] {text}"


def ticket_created(ticket: Ticket) -> None:
    record("created", ticket, _requester_address(ticket), _subject(ticket, f"We have your request: {ticket.title}"),
           f"Thank you. Your request {ticket.reference} has been received by {ticket.school.name}'s IT support.\n\n"
           f"{ticket.title}\n\nFollow it or add details: {ticket_url(ticket)}\n"
           "Reply to this email to add to your request.")


def replied(ticket: Ticket, author: User | None, body: str) -> None:
    who = author.display_name if author else "IT support"
    record("replied", ticket, _requester_address(ticket), _subject(ticket, f"{who} replied: {ticket.title}"),
           f"{who} wrote:\n\n{body}\n\nSee the whole request: {ticket_url(ticket)}\n"
           "Reply to this email to answer.")


def resolved(ticket: Ticket, note: str = "") -> None:
    said = f"{note.strip()}\n\n" if note and note.strip() else ""
    record("resolved", ticket, _requester_address(ticket), _subject(ticket, f"Resolved: {ticket.title}"),
           f"Your request {ticket.reference} has been marked resolved.\n\n{said}"
           f"If it is not fixed, reopen it here: {ticket_url(ticket)}")


def awaiting_requester(ticket: Ticket, note: str = "") -> None:
    """The clock is paused for the requester: tell them, or the request waits for ever."""
    said = f"{note.strip()}\n\n" if note and note.strip() else ""
    record("awaiting", ticket, _requester_address(ticket), _subject(ticket, f"We need your reply: {ticket.title}"),
           f"IT support needs something from you before they can carry on with {ticket.reference}.\n\n{said}"
           f"Reply to this email, or here: {ticket_url(ticket)}")


def urgent_raised(ticket: Ticket) -> None:
    """A P1 goes straight to the school's technicians' inboxes, not only the queue."""
    for user in _find_tier_people(ticket):
        record("urgent", ticket, user.email, _subject(ticket, f"New P{ticket.priority}: {ticket.title}"),
               f"{ticket.reference} at {ticket.school.name} was just raised as P{ticket.priority}.\n\n"
               f"{ticket.description}\n\n{ticket_url(ticket)}")


def requester_replied(ticket: Ticket, body: str, *, reopened: bool = False) -> None:
    if ticket.assignee is None:
        return
    what = "reopened it" if reopened else "replied"
    record("requester_replied", ticket, ticket.assignee.email,
           _subject(ticket, f"The requester {what}: {ticket.title}"),
           f"{body}\n\n{ticket_url(ticket)}")


def assigned(ticket: Ticket, assignee: User) -> None:
    record("assigned", ticket, assignee.email, _subject(ticket, f"Assigned to you: {ticket.title}"),
           f"{ticket.reference} ({ticket.school.name}, P{ticket.priority}) is now yours.\n\n{ticket_url(ticket)}")


def sla_warning(ticket: Ticket, percent: int) -> None:
    to_users = [ticket.assignee] if ticket.assignee else _tier_people(ticket)
    for user in to_users:
        due = ticket.sla_escalate_at or ticket.resolution_due_at
        record("sla_warning", ticket, user.email, _subject(ticket, f"{percent}% of its time used: {ticket.title}"),
               f"{ticket.reference} at {ticket.school.name} has used {percent}% of its resolution time"
               f"{f' and escalates at {due:%d %b %H:%M} UTC' if due else ''}.\n\n{ticket_url(ticket)}")


# Who works each tier: the school's own people, then the trust's technical team, then the IT director.
TIER_ROLES = {1: ("technician", "msp_engineer"), 2: ("service_desk", "technical"), 3: ("it_director",)}


def tier_key(trust_id: int, tier: int, school_id: int) -> tuple[int, int, int | None]:
    """Tier 1 is each school's own people; tiers 2 and 3 are the trust's."""
    return trust_id, tier, school_id if tier == 1 else None


def _tier_key(ticket: Ticket) -> tuple[int, int, int | None]:
    return tier_key(ticket.school.trust_id, ticket.tier, ticket.school_id)


def _tier_people(ticket: Ticket) -> list[User]:
    """Who works the ticket's tier; kept for the transaction (the sweep escalates many at once)."""
    cache = db.session.info.setdefault("desk_tier_people", {})
    key = _tier_key(ticket)
    if key not in cache:
        cache[key] = _find_tier_people(ticket)
    return cache[key]


def _find_tier_people(ticket: Ticket) -> list[User]:
    trust_id, tier, school_id = _tier_key(ticket)
    return _people_with_roles(trust_id, TIER_ROLES[tier], school_id=school_id)


def load_tier_people(keys, now) -> None:
    """Who works each of these tiers (`tier_key`s), for every school and trust among them in one
    query, into the cache `_tier_people` reads (the tickets of a sweep's batch)."""
    cache = db.session.info.setdefault("desk_tier_people", {})
    keys = set(keys) - set(cache)
    if not keys:
        return
    trusts = {trust for trust, _, school in keys if school is None}
    schools = {school for _, _, school in keys if school is not None}
    rows = db.session.execute(
        select(Membership.trust_id, Membership.school_id, Membership.role, User)
        .join(User, User.id == Membership.user_id)
        .where(User.active.is_(True), Membership.current_at(now),
               Membership.role.in_([role for roles in TIER_ROLES.values() for role in roles]),
               Membership.trust_id.in_(trusts) | Membership.school_id.in_(schools))
        .order_by(User.id)).all()
    for trust_id, tier, school_id in keys:
        people = {user.id: user for m_trust, m_school, role, user in rows if role in TIER_ROLES[tier] and (
            m_school == school_id if school_id is not None else m_trust == trust_id)}
        cache[trust_id, tier, school_id] = list(people.values())


def escalated(ticket: Ticket, reason: str, automatic: bool) -> None:
    how = "automatically, as its SLA ran out" if automatic else "by hand"
    for user in _tier_people(ticket):
        record("escalated", ticket, user.email, _subject(ticket, f"Escalated to you: {ticket.title}"),
               f"{ticket.reference} from {ticket.school.name} was escalated {how}.\n\nReason: {reason}\n\n"
               f"{ticket_url(ticket)}")


def decided(ticket: Ticket, decision_label: str, text: str, to_users: list[User]) -> None:
    for user in to_users:
        record("decided", ticket, user.email, _subject(ticket, f"Decision: {decision_label}"),
               f"The IT director's decision on {ticket.reference}: {decision_label}.\n\n{text}\n\n{ticket_url(ticket)}")


# --- sending ----------------------------------------------------------------------------------

def _smtp_settings(url: str) -> dict:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return {"host": parts.hostname or "localhost", "port": parts.port or (465 if parts.scheme == "smtps" else 25),
            "ssl": parts.scheme == "smtps", "starttls": query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None}


def _message(note: Notification) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM") or "trust-it@localhost"
    msg["To"] = note.to_address
    msg["Subject"] = note.subject
    msg["Message-ID"] = note.message_id
    msg["Date"] = format_datetime(note.created_at.replace(tzinfo=timezone.utc))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: automatic responders do not answer it
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange's equivalent: no out-of-office or read receipts back
    if note.ticket_id:
        ticket = db.session.get(Ticket, note.ticket_id)
        if ticket is not None and ticket.message_id:
            msg["In-Reply-To"] = ticket.message_id
            msg["References"] = ticket.message_id
    msg.set_content(note.body)
    return msg


def send(notification_id: int) -> str:
    """Send one recorded notification (idempotent: a sent one is not sent again)."""
    return _send(notification_id)[0]


# SMTP errors of the server as a whole (it hung up, will not greet, refuses our login), as opposed to
# one message refused; socket errors (refused, timed out, unknown host) count as the server's too.
_SERVER_DOWN = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, smtplib.SMTPHeloError,
                smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError)


def _send(notification_id: int) -> tuple[str, bool]:
    """(status, whether the server itself could not be used)."""
    note = db.session.execute(select(Notification).where(Notification.id == notification_id)
                              .with_for_update()).scalar_one_or_none()
    if note is None or note.status in ("sent", "outbox"):
        return (note.status if note else "missing"), False
    url = current_app.config.get("SMTP_URL")
    if not url:
        note.status = "outbox"  # the embedded default: kept for the outbox page
        return note.status, False
    cfg = _smtp_settings(url)
    note.attempts += 1
    try:
        smtp_class = smtplib.SMTP_SSL if cfg["ssl"] else smtplib.SMTP
        with smtp_class(cfg["host"], cfg["port"], timeout=20) as smtp:
            if cfg["starttls"]:
                smtp.starttls()
            if cfg["user"]:
                smtp.login(cfg["user"], cfg["password"] or "")
            smtp.send_message(_message(note))
    except (OSError, smtplib.SMTPException) as exc:
        note.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        note.status = "failed" if note.attempts >= MAX_ATTEMPTS else "pending"
        logger.warning("Sending notification %s failed: %s", note.id, note.last_error)
        return note.status, isinstance(exc, _SERVER_DOWN) or not isinstance(exc, smtplib.SMTPException)
    note.status, note.sent_at, note.last_error = "sent", utcnow(), None
    return note.status, False


def send_batch(notification_ids: list[int]) -> int:
    """A job: send the emails one batch recorded (the SLA sweep's); what cannot go waits for `send_pending`."""
    return _send_each(notification_ids)


@jobs.periodic("notifications.send_pending", every=60, queue="notifications")
def send_pending(limit: int = 200, budget_seconds: float = 40.0) -> int:
    """Retry what is still pending (Redis or SMTP was down when it was recorded)."""
    ids = db.session.execute(select(Notification.id).where(Notification.status == "pending")
                             .order_by(Notification.id).limit(limit)).scalars().all()
    return _send_each(ids, budget_seconds)


def _send_each(ids, budget_seconds: float | None = None) -> int:
    """Send each in turn; stop at the first notification the server could not take at all: with the
    server down, a job costs one connection timeout rather than one per email (which would outlast
    the job's time limit and roll back the statuses of what had been sent)."""
    import time
    started = time.monotonic()
    tried = 0
    for note_id in ids:
        tried += 1
        _, server_down = _send(note_id)
        # Each email's status is kept as soon as it has gone: a job that later runs out of time
        # must not roll "sent" back to "pending" and send it again next minute. (Run inline, the
        # job is a savepoint of its caller's transaction, which commits it.)
        if not db.session().in_nested_transaction():
            db.session.commit()
        if server_down or (budget_seconds is not None and time.monotonic() - started > budget_seconds):
            break
    return tried
