"""Escalation between tiers: school (1) → trust technical team (2) → IT director (3).

By hand with a reason, or automatically by the SLA sweep; each records from/to tier,
reason, actor (None when automatic) and time. Tier 3 decides (approved / rejected / needs
info) and the ticket returns to the tier that owns the work. Handing back down is recorded too.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import select

from services.base import utcnow
from services.desk import notify, permissions, sla
from services.desk.errors import DeskError
from services.desk.models import DECISIONS, TIERS, Escalation, Ticket
from services.desk.tickets import event
from services.directory.models import User
from trust_it.extensions import db
from trust_it.tenancy import Scope, scope_for

DECISION_KINDS = {"spend": "Spend", "policy": "Policy", "exception": "Exception to a standard", "change": "Change"}

# What other areas do when the IT director decides a matter of theirs, by decision kind: e.g. the
# standards layer approves or rejects a school's exception when its ticket is decided. The desk
# owns the decision (one queue, one page, one rule for who decides) but must not import the areas
# that build on it, so they register here (`on_decision`) when their module is imported, and
# `decide` calls them in the same transaction: the ticket and the thing decided never disagree.
DECISION_LISTENERS: dict[str, list[Callable]] = {}


def on_decision(kind: str):
    """Register `listener(ticket, escalation, by=, now=)` for decisions of `kind` (a key of DECISION_KINDS)."""
    if kind not in DECISION_KINDS:
        raise ValueError(f"Unknown decision kind {kind!r}")

    def register(listener: Callable) -> Callable:
        listeners = DECISION_LISTENERS.setdefault(kind, [])
        if listener not in listeners:
            listeners.append(listener)
        return listener
    return register


def _scope_of(by: User, scope: Scope | None) -> Scope:
    """The acting person's scope: the request's when the caller has it, else built from their roles."""
    return scope if scope is not None else scope_for(by)


def escalate(ticket: Ticket, *, by: User | None, to_tier: int, reason: str, decision_kind: str | None = None,
             now=None, scope: Scope | None = None, routed: bool = False) -> Escalation:
    """Move a ticket up. `by` is None when the SLA sweep does it; a person must be allowed to
    (`permissions.escalation_target`), whoever calls.

    `routed`: the move from the school to the trust's team is a rule of the kind of request, not the
    person's choice (a school's request for an exception to a standard goes to the trust as it is
    raised, whoever at the school raised it): the person is recorded, their desk role is not checked
    — the caller has checked its own rule. Only ever from tier 1 to tier 2."""
    reason = (reason or "").strip()
    check_upward(ticket, to_tier)
    if routed and (ticket.tier, to_tier) != (1, 2):
        raise ValueError("Only a school's new request is routed to the trust's team.")
    if by is not None and not routed:
        permissions.check_escalate(_scope_of(by, scope), ticket, to_tier)
    if not reason:
        raise DeskError("Say why it needs the next tier.", "reason")
    if to_tier == 3 and by is not None and decision_kind not in DECISION_KINDS:
        raise DeskError("Choose what kind of decision it needs: spend, policy, exception or change.", "decision_kind")
    now = now or utcnow()
    escalation = Escalation(ticket_id=ticket.id, school_id=ticket.school_id, from_tier=ticket.tier, to_tier=to_tier,
                            reason=reason, decision_kind=decision_kind if to_tier == 3 else None,
                            actor_id=by.id if by else None, automatic=by is None, created_at=now)
    db.session.add(escalation)
    old_tier, old_status = raise_tier(ticket, to_tier, now, sla.calendar_for(ticket.school_id, now=now))
    db.session.flush()
    event(ticket, "escalation", actor=by, body=reason, public=True, from_tier=old_tier, to_tier=to_tier,
          automatic=by is None, escalation_id=escalation.id, previous_status=old_status)
    notify.escalated(ticket, reason, automatic=by is None)
    return escalation


def check_upward(ticket: Ticket, to_tier: int) -> None:
    if not ticket.is_open:
        raise DeskError("Reopen the ticket before escalating it.", "status")
    if to_tier not in TIERS or to_tier <= ticket.tier:
        raise DeskError("A ticket can only be escalated upwards.", "to_tier")


def raise_tier(ticket: Ticket, to_tier: int, now, cal) -> tuple[int, str]:
    """The ticket's side of an escalation (the sweep's too, on many tickets at once): the new
    tier, its status and a window of its own. Returns the tier and status it had."""
    old_tier, old_status = ticket.tier, ticket.status
    ticket.tier = to_tier
    ticket.status = "escalated"
    if to_tier < 3:
        ticket.assignee_id, ticket.assignee = None, None  # the next tier's queue picks it up
    if old_status == "awaiting_requester":
        # The next tier has work to do, not a reply to wait for: its clock runs from now.
        sla.resume(ticket, now, cal)
    sla.new_window(ticket, now, cal)
    return old_tier, old_status


def pending_decision(ticket: Ticket) -> Escalation | None:
    return db.session.execute(select(Escalation).where(
        Escalation.ticket_id == ticket.id, Escalation.to_tier == 3, Escalation.decided_at.is_(None))
        .order_by(Escalation.id.desc())).scalars().first()


def decide(ticket: Ticket, *, by: User, decision: str, text: str, now=None, scope: Scope | None = None) -> Escalation:
    """The IT director's decision; the ticket goes back to the tier that escalated it."""
    if not permissions.may_decide(_scope_of(by, scope), ticket):
        raise permissions.NotAllowed("Only the IT director records decisions.", "decision")
    if decision not in DECISIONS:
        raise DeskError("Choose approved, rejected or needs more information.", "decision")
    text = (text or "").strip()
    if not text:
        raise DeskError("Record the decision in words: what was decided and why.", "text")
    escalation = pending_decision(ticket)
    if escalation is None or ticket.tier != 3:
        raise DeskError("This ticket is not waiting for a decision.", "decision")
    now = now or utcnow()
    escalation.decision, escalation.decision_text = decision, text
    escalation.decided_by_id, escalation.decided_at = by.id, now
    ticket.tier = escalation.from_tier
    if ticket.status == "escalated":
        ticket.status = "in_progress"
    sla.new_window(ticket, now, sla.calendar_for(ticket.school_id, now=now))
    event(ticket, "decision", actor=by, body=text, public=False, decision=decision, to_tier=ticket.tier,
          escalation_id=escalation.id)
    # Everyone who passed it up the chain hears the answer, and whoever holds it now.
    people = [e.actor for e in escalations_of(ticket) if e.actor is not None and e.upward]
    people += [u for u in (ticket.assignee,) if u is not None]
    notify.decided(ticket, DECISIONS[decision], text, list({u.id: u for u in people}.values()))
    for listener in DECISION_LISTENERS.get(escalation.decision_kind or "", ()):
        listener(ticket, escalation, by=by, now=now)
    return escalation


def hand_back(ticket: Ticket, *, by: User, reason: str, now=None, scope: Scope | None = None) -> Escalation:
    """De-escalate one tier (e.g. the trust team has fixed the core switch; the school finishes off)."""
    reason = (reason or "").strip()
    if ticket.tier <= 1:
        raise DeskError("The ticket is already with the school.", "to_tier")
    if not permissions.may_hand_back(_scope_of(by, scope), ticket):
        raise permissions.NotAllowed("The trust's team hands tickets back to the school.", "to_tier")
    if pending_decision(ticket) is not None:
        raise DeskError("The IT director has not decided yet: the decision returns the ticket.", "to_tier")
    if not reason:
        raise DeskError("Say what the school needs to do next.", "reason")
    now = now or utcnow()
    escalation = Escalation(ticket_id=ticket.id, school_id=ticket.school_id, from_tier=ticket.tier,
                            to_tier=ticket.tier - 1, reason=reason, actor_id=by.id, automatic=False, created_at=now)
    db.session.add(escalation)
    old_tier = ticket.tier
    ticket.tier -= 1
    if ticket.status == "escalated":
        ticket.status = "in_progress"
    sla.new_window(ticket, now, sla.calendar_for(ticket.school_id, now=now))
    db.session.flush()
    event(ticket, "handback", actor=by, body=reason, public=True, from_tier=old_tier, to_tier=ticket.tier,
          escalation_id=escalation.id)
    return escalation


def escalations_of(ticket: Ticket) -> list[Escalation]:
    return list(db.session.execute(select(Escalation).where(Escalation.ticket_id == ticket.id)
                                   .order_by(Escalation.id)).scalars())
