"""The school's service-desk pages: raise a request from a phone, follow it, and work it.

/s/<school>/tickets/new   raise a request (guidance search first)
/s/<school>/tickets       my requests
/s/<school>/tickets/<id>  the request: requesters see its public history and can reply,
                          confirm or reopen; IT staff see everything and work it (POST
                          routes below, one per action).

Staff see only their own requests: anyone else's, like another school's, is a 404.
"""
from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from schools import bp
from schools.assets import subject_of
from schools.forms import (
    AssignForm,
    ClassifyForm,
    ConfirmForm,
    EscalateForm,
    HandBackForm,
    NewTicketForm,
    PriorityForm,
    ReopenForm,
    ReplyForm,
    StatusForm,
    SubjectForm,
)
from services.assets import locations
from services.base import utcnow
from services.desk import attachments as files
from services.desk import catalogue, escalation, knowledge, permissions, queues, sla, tickets
from services.desk.errors import DeskError
from services.desk.models import (
    DECISIONS,
    IMPACTS,
    KINDS,
    STATUSES,
    TIER_PHRASES,
    TIERS,
    URGENCIES,
    Attachment,
    Category,
    Service,
    Ticket,
    TicketEvent,
)
from services.directory.models import User
from trust_it.access import requires_school_role
from trust_it.central.helpers import attach_error
from trust_it.extensions import db
from trust_it.formatting import html
from trust_it.ids import db_int
from trust_it.tenancy import current_scope

# Who may do what is services/desk/permissions.py's, shared with the API.
ME = "me"
UNASSIGNED = ""

STATUS_TAGS = {"new": "blue", "assigned": "blue", "in_progress": "blue", "awaiting_requester": "yellow",
               "escalated": "red", "resolved": "green", "closed": "grey", "reopened": "yellow"}
PRIORITY_TAGS = {1: "red", 2: "yellow", 3: "blue", 4: "grey"}


# --- helpers shared with the queue ---------------------------------------------------------

def roles_here() -> frozenset[str]:
    return current_scope().roles_at(g.school.id)


def can_read_all() -> bool:
    return permissions.may_read_all(current_scope(), g.school.id)


def can_act() -> bool:
    return permissions.may_work_at(current_scope(), g.school.id)


def _span(minutes: int) -> str:
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def due_label(ticket: Ticket, now: datetime) -> Markup:
    """The resolution due time as people say it: "due in 35 min", "overdue by 2 h", "paused"."""
    if not ticket.is_open:
        return Markup("stopped")
    if ticket.status == "awaiting_requester" or ticket.sla_clock_from is None:
        return Markup('<span class="tag grey">paused</span>')
    due = ticket.resolution_due_at
    if due is None:
        return Markup("no due time")
    minutes = int(abs((due - now).total_seconds()) // 60)
    stamp = '<time datetime="{}Z">{}</time>'
    if due >= now:
        return html(stamp, due.isoformat(timespec="minutes"), f"due in {_span(minutes)}")
    return html('<span class="tag red">{}</span>',
                html(stamp, due.isoformat(timespec="minutes"), f"overdue by {_span(minutes)}"))


def status_tag(ticket: Ticket) -> Markup:
    return html('<span class="tag {}">{}</span>', STATUS_TAGS.get(ticket.status, "grey"),
                STATUSES.get(ticket.status, ticket.status))


def priority_tag(priority: int) -> Markup:
    return html('<span class="tag {}">P{}</span>', PRIORITY_TAGS.get(priority, "grey"), priority)


def worker_choices(extra: list[User] = ()) -> list[tuple[str, str]]:
    """"Me", the people who work the school's tickets, and anyone already assigned."""
    people = db.session.execute(tickets.workers_of(g.school).order_by(User.display_name)).scalars().all()
    seen = {current_user.id}
    choices = [(ME, f"Me ({current_user.display_name})")]
    for user in list(people) + [u for u in extra if u is not None]:
        if user.id not in seen:
            seen.add(user.id)
            choices.append((str(user.id), user.display_name))
    return choices


def chosen_user(value: str) -> User | None:
    if value == ME:
        return current_user._get_current_object()
    if value == UNASSIGNED:
        return None
    # Only people offered in the list reach here (the form checks its choices).
    return db.session.get(User, int(value))


NAV = (("schools.home", "Overview"), ("schools.ticket_new", "Raise a request"), ("schools.my_tickets", "My requests"),
       ("schools.queue", "Queue"), ("schools.guidance", "Guidance"), ("schools.training_list", "Training"),
       ("schools.visits", "Visits"), ("schools.assets", "Assets"), ("schools.standards", "Standards"))


@bp.app_context_processor
def _school_nav():
    """The school's sub-navigation: the school pages this person may open (each view names its roles)."""
    school = getattr(g, "school", None)
    if school is None or not current_user.is_authenticated:
        return {}
    roles = current_scope().roles_at(school.id)
    links = []
    for endpoint, label in NAV:
        view = current_app.view_functions.get(endpoint)
        if view is not None and roles.intersection(getattr(view, "required_roles", ())):
            links.append((endpoint, label, {}))
    return {"school_nav": links}


# --- the staff portal ---------------------------------------------------------------------

def _category_choices() -> list[tuple[str, str]]:
    return [("", "Not sure")] + [(str(c.id), c.name) for c in catalogue.categories(g.school.trust_id)]


@bp.route("/tickets/new", methods=["GET", "POST"])
@requires_school_role(*permissions.RAISERS)
def ticket_new():
    form = NewTicketForm()
    form.category_id.choices = _category_choices()
    query = (request.args.get("q") or "").strip()[:200]
    if request.method == "GET" and request.args.get("kind") in KINDS:
        form.kind.data = request.args["kind"]  # "Ask how to…" from a guidance page
    if request.method == "GET" and request.args.get("asset"):
        form.asset.data = request.args["asset"][:100]  # "Raise a ticket about this device" from an asset
    if form.validate_on_submit():
        try:
            ticket = _raise(form)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            flash(f"Request {ticket.reference} raised. We have emailed you a copy; follow it here.", "success")
            return redirect(url_for(".ticket", ticket_id=ticket.id))
    articles = knowledge.search(query, g.school.id) if query else []
    return render_template("schools/tickets/new.html", school=g.school, form=form, query=query,
                           articles=articles, guidance_url=_guidance_url,
                           rooms=locations.rooms_of(g.school.id)), 422 if form.errors else 200


def _raise(form: NewTicketForm) -> Ticket:
    uploads = files.check_uploads(form.attachments.data)  # refuse before anything is saved
    category = db.session.get(Category, int(form.category_id.data)) if form.category_id.data else None
    asset, room = subject_of(form.asset.data, form.room.data, g.school.id)
    ticket = tickets.create_ticket(g.school, requester=current_user, title=form.title.data,
                                   description=form.description.data or "", kind=form.kind.data,
                                   impact=form.impact.data, urgency=form.urgency.data, category=category,
                                   source="web", asset=asset, location=room)
    created = db.session.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                           TicketEvent.kind == "created")).scalar_one()
    for upload in uploads:
        files.save_upload(ticket, created, upload)
    knowledge.mark_raised(current_user, g.school, ticket)
    return ticket


def _guidance_url(article) -> str:
    """The guidance page of an article (or of an article id): opening it there counts towards deflection."""
    return url_for("schools.article", article_id=getattr(article, "id", article))


@bp.get("/tickets")
@requires_school_role(*permissions.RAISERS)
def my_tickets():
    before = request.args.get("before", type=db_int)
    page = queues.my_tickets(current_user, g.school.id, before=before)
    return render_template("schools/tickets/mine.html", school=g.school, page=page, status_tag=status_tag,
                           first_page=before is None)


# --- one ticket -----------------------------------------------------------------------------

def load_ticket(ticket_id: int) -> Ticket:
    """The ticket, if this person may see it: IT staff see the school's; anyone else only their own."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if request.method == "POST":
        stmt = stmt.with_for_update()  # a change waits for the SLA sweep, and the sweep skips it
    ticket = db.session.execute(stmt).scalar_one_or_none()
    if ticket is None or ticket.school_id != g.school.id:
        abort(404)
    if not permissions.may_read(current_scope(), ticket):
        abort(404)
    return ticket


def _is_requester(ticket: Ticket) -> bool:
    return ticket.requester_id is not None and ticket.requester_id == current_user.id


def _escalation_target(ticket: Ticket) -> int | None:
    return permissions.escalation_target(current_scope(), ticket)


def _can_hand_back(ticket: Ticket) -> bool:
    return permissions.may_hand_back(current_scope(), ticket)


def _forms(ticket: Ticket, given: dict) -> dict:
    forms = {
        "reply": ReplyForm(prefix="reply"),
        "status": StatusForm(prefix="status"),
        "assign": AssignForm(prefix="assign"),
        "priority": PriorityForm(prefix="priority", impact=ticket.impact, urgency=ticket.urgency),
        "classify": ClassifyForm(prefix="classify"),
        "escalate": EscalateForm(prefix="escalate"),
        "handback": HandBackForm(prefix="handback"),
        "reopen": ReopenForm(prefix="reopen"),
        "confirm": ConfirmForm(prefix="confirm"),
        "subject": SubjectForm(prefix="subject", asset=ticket.asset.tag if ticket.asset else "",
                               room=ticket.location.name if ticket.location else ""),
    }
    forms.update(given)
    allowed = [(s, STATUSES[s]) for s in STATUSES if s in tickets.ALLOWED.get(ticket.status, ()) and s != "escalated"]
    forms["status"].status.choices = [("", "— choose —")] + allowed if allowed else []
    forms["assign"].assignee_id.choices = [(UNASSIGNED, "Nobody (unassigned)")] + worker_choices([ticket.assignee])
    _classify_choices(forms["classify"], ticket)
    if request.method == "GET" or "classify" not in given:
        forms["classify"].category_id.data = str(ticket.category_id or "")
        forms["classify"].service_id.data = str(ticket.service_id or "")
    if request.method == "GET" or "assign" not in given:
        current = ticket.assignee_id
        forms["assign"].assignee_id.data = (ME if current == current_user.id else str(current) if current
                                            else UNASSIGNED)
    return forms


def _ticket_page(ticket: Ticket, code: int = 200, **given):
    worker = can_read_all()
    now = utcnow()
    sla_panel = None
    if worker:
        cal = sla.calendar_for(ticket.school_id, now=now)
        sla_panel = {"percent": sla.percent_used(ticket, now, cal), "due": due_label(ticket, now)}
    return render_template(
        "schools/tickets/show.html", school=g.school, ticket=ticket, worker=worker,
        acts=can_act(), requester=_is_requester(ticket),
        events=tickets.history(ticket, include_notes=worker),
        escalations=escalation.escalations_of(ticket) if worker else [],
        forms=_forms(ticket, given), escalate_to=_escalation_target(ticket), hand_back=_can_hand_back(ticket),
        sla_panel=sla_panel, status_tag=status_tag, priority_tag=priority_tag, KINDS=KINDS, STATUSES=STATUSES,
        TIERS=TIERS, IMPACTS=IMPACTS, URGENCIES=URGENCIES, DECISIONS=DECISIONS,
        DECISION_KINDS=escalation.DECISION_KINDS, TIER_PHRASES=TIER_PHRASES, guidance_url=_guidance_url,
        answer_url=_answer_url(ticket), rooms=locations.rooms_of(ticket.school_id) if can_act() else []), code


def _answer_url(ticket: Ticket) -> str | None:
    """Answering with a guidance article (schools/guidance.py), for people who work tickets."""
    return url_for("schools.ticket_articles", ticket_id=ticket.id) if can_act() and ticket.is_open else None


@bp.get("/tickets/<int:ticket_id>")
@requires_school_role(*permissions.RAISERS)
def ticket(ticket_id):
    return _ticket_page(load_ticket(ticket_id))


def _done(ticket: Ticket, message: str):
    flash(message, "success")
    return redirect(url_for(".ticket", ticket_id=ticket.id))


def _classify_choices(form, ticket: Ticket) -> None:
    trust_id = g.school.trust_id
    form.category_id.choices = [("", "— none —")] + [(str(c.id), c.name) for c in catalogue.categories(trust_id)]
    form.service_id.choices = [("", "— none —")] + [
        (str(s.id), f"{s.name}{' (owner: ' + s.owner.display_name + ')' if s.owner else ''}")
        for s in catalogue.services(trust_id)]


def _from_catalogue(model, value: str | None):
    if not value:
        return None
    obj = db.session.get(model, db_int(value)) if value.isascii() and value.isdigit() else None
    if obj is None or obj.trust_id != g.school.trust_id:
        raise DeskError("Choose from this trust's list.", "category_id" if model is Category else "service_id")
    return obj


def _act(ticket_id: int, form_name: str, form, action):
    """Run one action of a worker's form: redirect on success, the page with the error (422) otherwise."""
    return _submit(load_ticket(ticket_id), form_name, form, action)


def _submit(ticket: Ticket, form_name: str, form, action):
    if form_name == "assign":
        form.assignee_id.choices = [(UNASSIGNED, "Nobody")] + worker_choices([ticket.assignee])
    if form_name == "status":
        form.status.choices = [("", "— choose —")] + [(s, STATUSES[s]) for s in tickets.ALLOWED.get(ticket.status, ())]
    if form.validate_on_submit():
        try:
            message = action(ticket, form)
        except permissions.NotAllowed:
            abort(403)
        except DeskError as exc:
            attach_error(form, exc)
        else:
            return _done(ticket, message)
    return _ticket_page(ticket, 422, **{form_name: form})


@bp.post("/tickets/<int:ticket_id>/reply")
@requires_school_role(*permissions.RAISERS)
def ticket_reply(ticket_id):
    ticket = load_ticket(ticket_id)

    def reply(ticket, form):
        internal = bool(form.internal.data)
        if internal and not permissions.may_work(current_scope(), ticket):
            raise DeskError("Only the IT team writes internal notes.", "internal")
        uploads = files.check_uploads(form.attachments.data)
        mine = _is_requester(ticket)
        ev = tickets.reply(ticket, by=current_user, body=form.body.data, public=not internal,
                           from_requester=mine)
        for upload in uploads:
            files.save_upload(ticket, ev, upload)
        return "Internal note added." if internal else "Reply sent."

    if not permissions.may_reply(current_scope(), ticket):
        abort(403)
    return _submit(ticket, "reply", ReplyForm(prefix="reply"), reply)


@bp.post("/tickets/<int:ticket_id>/status")
@requires_school_role(*permissions.WORKERS)
def ticket_status(ticket_id):
    def change(ticket, form):
        tickets.change_status(ticket, form.status.data, by=current_user, note=(form.note.data or "").strip())
        return f"{ticket.reference} is now {STATUSES[ticket.status].lower()}."
    return _act(ticket_id, "status", StatusForm(prefix="status"), change)


@bp.post("/tickets/<int:ticket_id>/assign")
@requires_school_role(*permissions.WORKERS)
def ticket_assign(ticket_id):
    def assign(ticket, form):
        permissions.check_assign(current_scope(), ticket)
        person = chosen_user(form.assignee_id.data)
        tickets.assign(ticket, person, by=current_user)
        return f"{ticket.reference} assigned to {person.display_name}." if person else f"{ticket.reference} unassigned."
    return _act(ticket_id, "assign", AssignForm(prefix="assign"), assign)


@bp.post("/tickets/<int:ticket_id>/priority")
@requires_school_role(*permissions.WORKERS)
def ticket_priority(ticket_id):
    def prioritise(ticket, form):
        tickets.set_priority(ticket, impact=form.impact.data, urgency=form.urgency.data, by=current_user)
        return f"{ticket.reference} is priority P{ticket.priority}."
    return _act(ticket_id, "priority", PriorityForm(prefix="priority"), prioritise)


@bp.post("/tickets/<int:ticket_id>/classify")
@requires_school_role(*permissions.WORKERS)
def ticket_classify(ticket_id):
    def classify(ticket, form):
        tickets.classify(ticket, category=_from_catalogue(Category, form.category_id.data),
                         service=_from_catalogue(Service, form.service_id.data), by=current_user)
        return f"{ticket.reference} classified."
    return _act(ticket_id, "classify", ClassifyForm(prefix="classify"), classify)


@bp.post("/tickets/<int:ticket_id>/subject")
@requires_school_role(*permissions.WORKERS)
def ticket_subject(ticket_id):
    def name(ticket, form):
        asset, room = subject_of(form.asset.data, form.room.data, ticket.school_id)
        tickets.set_subject(ticket, asset=asset, location=room, by=current_user)
        where = f", in {room.name}" if room else ""
        return f"{ticket.reference} is about {asset.tag if asset else 'no device'}{where}."
    return _act(ticket_id, "subject", SubjectForm(prefix="subject"), name)


@bp.post("/tickets/<int:ticket_id>/escalate")
@requires_school_role(*permissions.WORKERS)
def ticket_escalate(ticket_id):
    ticket = load_ticket(ticket_id)
    to_tier = _escalation_target(ticket)
    if to_tier is None:
        abort(403)

    def escalate(ticket, form):
        escalation.escalate(ticket, by=current_user, to_tier=to_tier, reason=form.reason.data,
                            decision_kind=(form.decision_kind.data or None) if to_tier == 3 else None,
                            scope=current_scope())
        return f"{ticket.reference} escalated to {TIER_PHRASES[to_tier]}."
    return _submit(ticket, "escalate", EscalateForm(prefix="escalate"), escalate)


@bp.post("/tickets/<int:ticket_id>/handback")
@requires_school_role(*permissions.TRUST_TIER)
def ticket_handback(ticket_id):
    ticket = load_ticket(ticket_id)
    if not _can_hand_back(ticket):
        abort(403)

    def hand_back(ticket, form):
        escalation.hand_back(ticket, by=current_user, reason=form.reason.data, scope=current_scope())
        return f"{ticket.reference} handed back to {TIER_PHRASES[ticket.tier]}."
    return _submit(ticket, "handback", HandBackForm(prefix="handback"), hand_back)


@bp.post("/tickets/<int:ticket_id>/confirm")
@requires_school_role(*permissions.RAISERS)
def ticket_confirm(ticket_id):
    ticket = load_ticket(ticket_id)
    if not permissions.may_confirm_or_reopen(current_scope(), ticket):
        abort(403)

    def confirm(ticket, form):
        tickets.confirm_resolution(ticket, by=current_user)
        return f"Thank you: {ticket.reference} is closed."
    return _submit(ticket, "confirm", ConfirmForm(prefix="confirm"), confirm)


@bp.post("/tickets/<int:ticket_id>/reopen")
@requires_school_role(*permissions.RAISERS)
def ticket_reopen(ticket_id):
    ticket = load_ticket(ticket_id)
    if not permissions.may_confirm_or_reopen(current_scope(), ticket):
        abort(403)

    def reopen(ticket, form):
        tickets.reopen(ticket, by=current_user, reason=form.body.data)
        return f"{ticket.reference} is open again; IT support will pick it up."
    return _submit(ticket, "reopen", ReopenForm(prefix="reopen"), reopen)


@bp.get("/tickets/<int:ticket_id>/attachments/<int:attachment_id>")
@requires_school_role(*permissions.RAISERS)
def attachment(ticket_id, attachment_id):
    ticket = load_ticket(ticket_id)
    found = db.session.execute(select(Attachment).where(Attachment.id == attachment_id,
                                                        Attachment.ticket_id == ticket.id)).scalar_one_or_none()
    if found is None:
        abort(404)
    if not can_read_all() and found.event is not None and not found.event.public:
        abort(404)  # a file on an internal note is IT staff's
    path = files.path_of(found)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.content_type, as_attachment=True, download_name=found.filename,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
