"""A school's exceptions to the standards: asked for by the school, recommended by the trust's
technical team, decided by the IT director — on a desk ticket, through the desk's own escalation
and decision, so an exception waits in the same decision queue as spend, policy and changes.

- `request_exception`: raises a request at the school ("Exception to <code>: <title>", with the
  justification) and routes it to the trust's technical team (tier 2) at once.
- `recommend`: the team escalates that ticket to the IT director as an "exception" decision; their
  recommendation is the escalation's reason. The desk's rule says who may (the trust's service
  desk and technical team; never the director, who decides).
- The director decides on the ticket (`services.desk.escalation.decide`, the decisions page or
  POST /api/v1/tickets/{id}/decision); `_decided` below hears it and sets the exception's status:
  approved → conformance shows "exception" until `ends_on`; rejected → it stays as it is; needs
  more information → back to "requested" for the team to recommend again.
- `withdraw`: the school takes back a request not yet with the director, or ends an approved one early.

`conformance.refresh` applies approved exceptions and marks lapsed ones expired (recording drift).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from services.desk import escalation as desk_escalation
from services.desk import permissions as desk_permissions
from services.desk import tickets
from services.desk.errors import DeskError
from services.errors import NotAllowed
from services.standards import conformance, permissions
from services.standards.errors import StandardsError
from services.standards.models import (
    OPEN_EXCEPTION_STATUSES,
    BaselineVersion,
    StandardException,
    StandardItem,
)
from services.standards.phases import phase_of
from trust_it.extensions import db
from trust_it.tenancy import Scope, scope_for

JUSTIFICATION_MAX = 5000
ROUTED_REASON = ("An exception to a standard: the trust's technical team recommends it to the IT director, "
                 "who decides.")
# The desk's fields, as the exception's forms name them.
DESK_FIELDS = {"reason": "recommendation", "to_tier": "recommendation", "status": "status"}


def _scope(by, scope: Scope | None) -> Scope:
    return scope if scope is not None else scope_for(by)


def _desk_error(exc: DeskError) -> StandardsError:
    return StandardsError(exc.message, DESK_FIELDS.get(exc.field or "", exc.field))


def _same_item(exception_item: StandardItem):
    """Items of the same baseline and code (an exception carries over to the item's next version)."""
    baseline = select(BaselineVersion.baseline_id).where(BaselineVersion.id == exception_item.version_id)
    return (select(StandardItem.id).join(BaselineVersion, BaselineVersion.id == StandardItem.version_id)
            .where(BaselineVersion.baseline_id.in_(baseline.scalar_subquery()),
                   StandardItem.code == exception_item.code))


def _open_exception_of(school_id: int, item: StandardItem) -> StandardException | None:
    return db.session.execute(select(StandardException).where(
        StandardException.school_id == school_id, StandardException.status.in_(OPEN_EXCEPTION_STATUSES),
        StandardException.item_id.in_(_same_item(item)))).scalars().first()


def _ends_on(value, now: datetime) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise StandardsError("Give the date the exception ends.", "ends_on")
    if value <= now.date():
        raise StandardsError("The end date must be after today: an exception is for a time to come.", "ends_on")
    return value


def request_exception(school, item: StandardItem, *, justification: str, ends_on, by, now: datetime,
                      scope: Scope | None = None, source: str = "web") -> StandardException:
    """The school asks for an exception to `item` until `ends_on` (inclusive), saying why. Raises a
    request at the school, routed to the trust's technical team; the exception points at it."""
    if by is None:
        raise StandardsError("Someone at the school asks for an exception.", "requested_by")
    permissions.check(permissions.may_request_exception(_scope(by, scope), school.id),
                      "Only the school's head and technician ask for exceptions.")
    if not item.applies_to(phase_of(school)):
        raise StandardsError("This item does not apply to the school's phase: there is nothing to excuse.",
                             "item_id")
    justification = (justification or "").strip()
    if not justification:
        raise StandardsError("Say why the school cannot meet this item for now, and what it does instead.",
                             "justification")
    if len(justification) > JUSTIFICATION_MAX:
        raise StandardsError(f"Keep the justification under {JUSTIFICATION_MAX} characters.", "justification")
    ends_on = _ends_on(ends_on, now)
    existing = _open_exception_of(school.id, item)
    if existing is not None:
        raise StandardsError(f"The school already has an exception to {item.code} "
                             f"({existing.status_label.lower()}).", "item_id")
    title = f"Exception to {item.code}: {item.title}"
    description = (f"{school.name} asks for an exception to {item.code} ({item.title}) until "
                   f"{ends_on:%d %B %Y}.\n\nWhy: {justification}")
    try:
        ticket = tickets.create_ticket(school, requester=by, title=title[:tickets.TITLE_MAX], description=description,
                                       kind="request", source=source, by=by, now=now)
        desk_escalation.escalate(ticket, by=by, to_tier=2, reason=ROUTED_REASON, now=now, routed=True)
    except DeskError as exc:
        raise _desk_error(exc) from None
    exception = StandardException(school_id=school.id, item_id=item.id, justification=justification,
                                  ends_on=ends_on, status="requested", requested_by_id=by.id, requested_at=now,
                                  ticket_id=ticket.id)
    db.session.add(exception)
    db.session.flush()
    return exception


def recommend(exception: StandardException, *, by, recommendation: str, now: datetime,
              scope: Scope | None = None) -> StandardException:
    """The trust's team passes the request to the IT director with its recommendation (the
    escalation's reason, kind "exception"): the ticket joins the director's decision queue."""
    if exception.status != "requested":
        raise StandardsError(f"This exception is {exception.status_label.lower()}: only a request is recommended.",
                             "status")
    ticket = exception.ticket
    if ticket is None:
        raise StandardsError("The request's ticket is gone: ask the school to request it again.", "status")
    if ticket.tier == 2 and desk_permissions.escalation_target(_scope(by, scope), ticket) != 3:
        raise NotAllowed("The trust's service desk and technical team recommend exceptions; the IT director "
                         "decides them.", "recommendation")
    recommendation = (recommendation or "").strip()
    if not recommendation:
        raise StandardsError("Say what you recommend the IT director decides, and why.", "recommendation")
    try:
        desk_escalation.escalate(ticket, by=by, to_tier=3, reason=recommendation, decision_kind="exception",
                                 now=now, scope=scope)
    except desk_permissions.NotAllowed:
        raise  # a refused role stays a 403, not a field to correct
    except DeskError as exc:
        raise _desk_error(exc) from None
    exception.status = "recommended"
    exception.recommended_by_id, exception.recommended_at = by.id, now
    exception.recommendation = recommendation
    db.session.flush()
    return exception


def withdraw(exception: StandardException, *, by, now: datetime, reason: str = "",
             scope: Scope | None = None) -> StandardException:
    """The school takes back its request while the trust's team has it, or ends an approved exception
    early (the item shows what the evidence says again). Once with the director, they decide."""
    permissions.check(permissions.may_request_exception(_scope(by, scope), exception.school_id),
                      "Only the school's head and technician withdraw its exceptions.")
    if exception.status == "recommended":
        raise StandardsError("It is with the IT director now: they decide it.", "status")
    if exception.status not in ("requested", "approved"):
        raise StandardsError(f"This exception is already {exception.status_label.lower()}.", "status")
    was = exception.status
    exception.status, exception.ended_at = "withdrawn", now
    reason = (reason or "").strip()
    note = f"The school withdrew the exception{f': {reason}' if reason else '.'}"
    ticket = exception.ticket
    if ticket is not None and ticket.is_open:
        tickets.change_status(ticket, "resolved", by=by, now=now, note=note)
    db.session.flush()
    if was == "approved":
        _refresh(exception, now)
    return exception


@desk_escalation.on_decision("exception")
def _decided(ticket, escalation, *, by, now: datetime) -> None:
    """The IT director decided an exception's ticket: the exception follows, in the same transaction.
    A ticket escalated as an exception from its own page (not through `recommend`) counts as
    recommended by whoever escalated it, with their reason."""
    exception = db.session.execute(select(StandardException).where(
        StandardException.ticket_id == ticket.id,
        StandardException.status.in_(("requested", "recommended")))).scalars().first()
    if exception is None:
        return
    if exception.status == "requested":
        exception.recommended_by_id, exception.recommended_at = escalation.actor_id, escalation.created_at
        exception.recommendation = escalation.reason
    if escalation.decision == "needs_info":
        exception.status = "requested"  # back with the trust's team, to ask and recommend again
        db.session.flush()
        return
    exception.status = "approved" if escalation.decision == "approved" else "rejected"
    exception.decided_by_id, exception.decided_at = by.id, now
    exception.decision_text = escalation.decision_text or ""
    db.session.flush()
    if ticket.is_open:
        # Nothing is left to do on the request: its answer is the decision, and the requester hears it.
        outcome = (f"Exception approved until {exception.ends_on:%d %B %Y}." if exception.status == "approved"
                   else "Exception rejected: the school is held to the item as before.")
        tickets.change_status(ticket, "resolved", by=by, now=now, note=f"{outcome}\n\n{exception.decision_text}")
    _refresh(exception, now)


def _refresh(exception: StandardException, now: datetime) -> None:
    item = exception.item
    ids = db.session.execute(_same_item(item)).scalars().all()
    conformance.refresh(item.trust_id, [exception.school_id], now=now, item_ids=ids)


# --- reading ------------------------------------------------------------------------------------

def exceptions_of(school_ids, *, status: str | None = None, item_id: int | None = None):
    """The schools' exceptions, newest first, as a statement (pages and the API paginate it)."""
    stmt = (select(StandardException).where(StandardException.school_id.in_(list(school_ids)))
            .options(joinedload(StandardException.item), joinedload(StandardException.requested_by),
                     joinedload(StandardException.ticket)))
    if status is not None:
        stmt = stmt.where(StandardException.status == status)
    if item_id is not None:
        stmt = stmt.where(StandardException.item_id == item_id)
    return stmt


def get(exception_id, school_ids) -> StandardException | None:
    """An exception of one of `school_ids` (the guard filters the rest too), or None."""
    return db.session.execute(exceptions_of(school_ids).where(StandardException.id == exception_id)).unique().scalar()
