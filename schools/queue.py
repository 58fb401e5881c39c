"""The school's queue: open tickets soonest due first, filters, a "mine" view and bulk assign.

Filters are query parameters, so a filtered view is a link a technician can bookmark;
values the page does not know are ignored (the default is shown instead).
"""
from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from schools import bp
from schools.forms import BulkAssignForm
from schools.tickets import can_act, chosen_user, due_label, priority_tag, roles_here, status_tag, worker_choices
from services.base import utcnow
from services.desk import permissions, queues, tickets
from services.desk.errors import DeskError
from services.desk.models import KINDS, OPEN_STATUSES, STATUSES, TIERS, Ticket
from trust_it.access import requires_school_role
from trust_it.extensions import db
from trust_it.ids import db_int
from trust_it.tenancy import current_scope

FILTERS = ("status", "priority", "assignee", "kind", "tier", "resolved_since", "sla", "escalated_late_since")
# Dated filters: the links from the standards' IT support figures ("missed their target this term").
DATED = ("resolved_since", "escalated_late_since")
ANY_STATUS = "any"
MAX_BULK = 200


def _chosen(args) -> dict[str, str]:
    """The filters as chosen on the page (strings, "" for any), with each role's defaults."""
    chosen = {name: args.get(name, "") for name in FILTERS}
    if "kind" not in args:
        chosen["kind"] = _default_kind()
    if chosen["status"] not in STATUSES and chosen["status"] != ANY_STATUS:
        chosen["status"] = ""
    if chosen["priority"] not in ("1", "2", "3", "4"):
        chosen["priority"] = ""
    if chosen["assignee"] not in ("me", queues.UNASSIGNED):
        chosen["assignee"] = ""
    if chosen["kind"] not in KINDS:
        chosen["kind"] = ""
    if chosen["tier"] not in {str(t) for t in TIERS}:
        chosen["tier"] = ""
    for name in DATED:
        chosen[name] = _day(chosen[name]).isoformat() if _day(chosen[name]) else ""
    if chosen["sla"] != "missed":
        chosen["sla"] = ""
    return chosen


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _default_kind() -> str:
    # Educational technologists handle the "how do I…" requests; technicians see every kind.
    roles = roles_here()
    return "guidance" if "edtech" in roles and not roles.intersection(("technician", "msp_engineer")) else ""


def _query(chosen: dict[str, str]) -> dict[str, str]:
    """The filters as query parameters: the chosen ones, and an empty kind when it differs from the default."""
    query = {k: v for k, v in chosen.items() if v}
    if chosen["kind"] != _default_kind():
        query["kind"] = chosen["kind"]
    return query


VIEWS = (("All open", {}), ("Mine", {"assignee": "me"}), ("Unassigned", {"assignee": queues.UNASSIGNED}))


def _views(query: dict[str, str]) -> list[tuple[str, dict, bool]]:
    """The quick views (label, query, is current), keeping the chosen kind."""
    kind = {"kind": query["kind"]} if "kind" in query else {}
    rest = {k: v for k, v in query.items() if k != "kind"}
    return [(label, {**args, **kind}, rest == args) for label, args in VIEWS]


def _filters(chosen: dict[str, str]) -> queues.QueueFilters:
    status = chosen["status"]
    assignee = {"me": current_user.id, queues.UNASSIGNED: queues.UNASSIGNED}.get(chosen["assignee"])
    return queues.QueueFilters(
        statuses=tuple(STATUSES) if status == ANY_STATUS else (status,) if status else None,
        priority=int(chosen["priority"]) if chosen["priority"] else None, assignee=assignee,
        kind=chosen["kind"] or None, tier=int(chosen["tier"]) if chosen["tier"] else None,
        resolved_since=_day(chosen["resolved_since"]), sla_missed=chosen["sla"] == "missed",
        late_escalations_since=_day(chosen["escalated_late_since"]))


def _queue_page(args, form: BulkAssignForm | None = None, status: int = 200, error: str | None = None):
    chosen = _chosen(args)
    page = queues.school_queue(g.school.id, _filters(chosen), after=args.get("after"), now=utcnow())
    form = form or BulkAssignForm()
    form.assignee_id.choices = worker_choices()
    query = _query(chosen)
    return render_template(
        "schools/tickets/queue.html", school=g.school, page=page, chosen=chosen, query=query, form=form,
        views=_views(query),
        error=error, acts=can_act(), now=utcnow(), due_label=due_label, status_tag=status_tag,
        priority_tag=priority_tag, KINDS=KINDS, STATUSES=STATUSES, OPEN_STATUSES=OPEN_STATUSES, TIERS=TIERS,
        ANY_STATUS=ANY_STATUS, first_page=not args.get("after")), status


@bp.get("/queue")
@requires_school_role(*permissions.READERS)
def queue():
    return _queue_page(request.args)


@bp.post("/queue/assign")
@requires_school_role(*permissions.WORKERS)
def queue_assign():
    form = BulkAssignForm()
    form.assignee_id.choices = worker_choices()
    # The filters the page was showing come back in a hidden field, so the same view returns.
    shown = {k: v for k, v in parse_qsl(request.form.get("filters", "")) if k in FILTERS}
    ids = [db_int(i) for i in request.form.getlist("ticket_ids") if i.isascii() and i.isdigit()][:MAX_BULK]
    if not form.validate_on_submit():
        return _queue_page(shown, form, 422)
    if not ids:
        return _queue_page(shown, form, 422, "Select at least one ticket to assign.")
    person = chosen_user(form.assignee_id.data)
    chosen = db.session.execute(select(Ticket).where(Ticket.id.in_(ids), Ticket.school_id == g.school.id)
                                .order_by(Ticket.id)).scalars().all()
    try:
        for ticket in chosen:
            permissions.check_assign(current_scope(), ticket)
            tickets.assign(ticket, person, by=current_user)
    except DeskError as exc:
        return _queue_page(shown, form, 422, exc.message)
    count = len(chosen)
    flash(f"{count} ticket{'s' if count != 1 else ''} assigned to {person.display_name}.", "success")
    return redirect(url_for(".queue", **shown))

