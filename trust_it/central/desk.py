"""The trust's service-desk pages: the tier-2 escalation queue, the IT director's decisions
and the outbox. The desk settings (categories, services, SLA targets) are in desk_settings.py."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from services.base import utcnow
from services.desk import escalation as escalation_service
from services.desk import notify, permissions, tickets, trust_queues
from services.desk.errors import DeskError
from services.desk.escalation import DECISION_KINDS
from services.desk.models import DECISIONS, OPEN_STATUSES, STATUSES, Ticket
from services.desk.trust_queues import DueCursor, QueueFilters
from services.directory import schools as school_service
from trust_it import jobs
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.desk_forms import DecisionForm
from trust_it.central.forms import ActionForm
from trust_it.central.helpers import attach_error, current_trust
from trust_it.ids import db_int
from trust_it.tenancy import current_scope, get_or_404

PAGE = 50
QUEUE_ROLES = ("service_desk", "technical", "it_director", "trust_admin")
TAKERS = permissions.TRUST_TIER  # the trust administrator looks, the workers take
DECISION_VIEWERS = ("it_director", "trust_admin")
# Tier names as they read inside a sentence ("back with the trust's technical team").
TIER_PHRASES = {1: "the school", 2: "the trust's technical team", 3: "the IT director"}
OUTBOX_STATUSES = {"pending": "Waiting to send", "sent": "Sent", "outbox": "Kept in the outbox",
                   "failed": "Failed"}


def ticket_link(ticket: Ticket) -> str:
    """The school's page of the ticket, where the work on it happens."""
    return url_for("schools.ticket", school=ticket.school.slug, ticket_id=ticket.id)


def _page_context(**values) -> dict:
    return {"ticket_link": ticket_link, "STATUSES": STATUSES, "TIER_PHRASES": TIER_PHRASES, "DECISIONS": DECISIONS,
            "DECISION_KINDS": DECISION_KINDS, "now": utcnow(), **values}


# --- the tier-2 queue ----------------------------------------------------------------------------

def _queue_filters(args, school_ids: set[int]) -> QueueFilters:
    """Filters from the query string; anything not on offer is ignored rather than an error."""
    school_id = args.get("school", type=db_int)
    priority = args.get("priority", type=db_int)
    assignee = args.get("assignee")
    status = args.get("status")
    return QueueFilters(school_id=school_id if school_id in school_ids else None,
                        priority=priority if priority in (1, 2, 3, 4) else None,
                        assignee=assignee if assignee in ("me", "unassigned") else None,
                        status=status if status in OPEN_STATUSES else None)


def _filter_args(filters: QueueFilters) -> dict:
    return {k: v for k, v in (("school", filters.school_id), ("priority", filters.priority),
                              ("assignee", filters.assignee), ("status", filters.status)) if v}


@bp.get("/escalations")
@requires_trust_role(*QUEUE_ROLES)
def escalations():
    trust = current_trust()
    schools = school_service.schools_of_trust(trust.id)
    filters = _queue_filters(request.args, {s.id for s in schools})
    rows = trust_queues.escalation_queue(trust.id, me_id=current_user.id, filters=filters,
                                         after=DueCursor.decode(request.args.get("after")), limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    last = rows[-1][0] if rows else None
    next_after = DueCursor(trust_queues.due_of(last), last.id).encode() if more and last else None
    return render_template("central/desk/escalations.html", **_page_context(
        rows=rows, schools=schools, filters=filters, filter_args=_filter_args(filters), next_after=next_after,
        statuses=[(s, STATUSES[s]) for s in OPEN_STATUSES],
        can_take=current_scope().has_trust_role(*TAKERS), due_of=trust_queues.due_of))


@bp.post("/escalations/<int:ticket_id>/take")
@requires_trust_role(*TAKERS)
def escalation_take(ticket_id):
    ticket = get_or_404(Ticket, ticket_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    # Back to the queue as it was filtered (the filters ride along as hidden fields).
    back = url_for(".escalations", **{k: v for k in ("school", "priority", "assignee", "status")
                                      if (v := request.form.get(k))})
    if ticket.tier != 2 or not ticket.is_open:
        # The page was out of date: someone else moved it on meanwhile.
        flash(f"{ticket.reference} is no longer waiting for the trust's technical team.", "error")
        return redirect(back)
    try:
        tickets.assign(ticket, current_user, by=current_user)
    except DeskError as exc:
        flash(exc.message, "error")
        return redirect(back)
    flash(f"{ticket.reference} is yours now.", "success")
    return redirect(back)


# --- the IT director's decisions -----------------------------------------------------------------

@bp.get("/decisions")
@requires_trust_role(*DECISION_VIEWERS)
def decisions():
    trust = current_trust()
    rows = trust_queues.decision_queue(trust.id, after_id=request.args.get("after", type=db_int), limit=PAGE + 1)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render_template("central/desk/decisions.html", **_page_context(
        rows=rows, recent=trust_queues.recent_decisions(trust.id, limit=20),
        next_after=rows[-1][1].id if more and rows else None))


def _decision_page(ticket: Ticket, form: DecisionForm | None = None, status: int = 200):
    pending = escalation_service.pending_decision(ticket) if ticket.tier == 3 else None
    can_decide = permissions.may_decide(current_scope(), ticket)
    return render_template("central/desk/decision.html", **_page_context(
        ticket=ticket, pending=pending, form=form or DecisionForm(), can_decide=can_decide,
        trail=escalation_service.escalations_of(ticket), history=tickets.history(ticket, include_notes=True))), status


@bp.get("/decisions/<int:ticket_id>")
@requires_trust_role(*DECISION_VIEWERS)
def decision(ticket_id):
    return _decision_page(get_or_404(Ticket, ticket_id))


@bp.post("/decisions/<int:ticket_id>")
@requires_trust_role(*permissions.DECIDERS)
def decision_record(ticket_id):
    ticket = get_or_404(Ticket, ticket_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _decision_page(ticket, form, 422)
    try:
        escalation_service.decide(ticket, by=current_user, decision=form.decision.data or "",
                                  text=form.text.data or "", scope=current_scope())
    except permissions.NotAllowed:
        abort(403)
    except DeskError as exc:
        attach_error(form, exc)
        return _decision_page(ticket, form, 422)
    # A decision that settles the matter (an exception to a standard) resolves its ticket there and then.
    where = (f"It is back with {TIER_PHRASES.get(ticket.tier, 'the tier that escalated it')}." if ticket.is_open
             else "That settles it: the request is resolved.")
    flash(f"Decision on {ticket.reference} recorded: {DECISIONS[form.decision.data].lower()}. {where}", "success")
    return redirect(url_for(".decisions"))


# --- the outbox ----------------------------------------------------------------------------------

@bp.get("/outbox")
@requires_trust_role("trust_admin")
def outbox():
    trust = current_trust()
    status = request.args.get("status")
    status = status if status in OUTBOX_STATUSES else None
    notes = trust_queues.outbox(trust.id, status=status, before_id=request.args.get("before", type=db_int),
                                limit=PAGE + 1)
    more = len(notes) > PAGE
    notes = notes[:PAGE]
    return render_template("central/desk/outbox.html", notes=notes, status=status, statuses=OUTBOX_STATUSES,
                           next_before=notes[-1].id if more and notes else None,
                           mail_server=bool(current_app.config.get("SMTP_URL")))


@bp.post("/outbox/send")
@requires_trust_role("trust_admin")
def outbox_send():
    if not ActionForm().validate_on_submit():
        abort(400)
    trust = current_trust()
    result = jobs.enqueue(notify.send_pending, queue="notifications", for_trust=trust.id)
    if jobs.is_inline():
        count = result or 0
        flash(f"Tried to send {count} waiting email{'s' if count != 1 else ''}: "
              "their status is below." if count else "There was nothing waiting to send.", "success")
    else:
        flash("Waiting emails are being sent: refresh in a minute to see their status.", "success")
    return redirect(url_for(".outbox"))


from trust_it.central import desk_settings  # noqa: E402,F401  (registers the settings pages)
