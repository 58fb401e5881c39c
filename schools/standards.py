"""The school's standards: what is asked of it, what is due, what is failing, and answering an item.

/s/<school>/standards                         every item the school is held to, failing and due first
/s/<school>/standards/items/<id>              an item: what is asked, guidance, history, the answer form
/s/<school>/standards/evidence/<id>           an assessment's evidence file
/s/<school>/standards/self-assessment         the guided first self-assessment, one item per screen
/s/<school>/standards/self-assessment/step?n=  …its n-th item
/s/<school>/standards/self-assessment/summary …and where the school stands at the end

Everyone with a role at the school reads them; its head and technician answer (services/standards/
permissions.py). Another school's page is a 404 (the school is not found), like a missing one.
"""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from schools import bp
from schools.standards_forms import answer_data, answer_form, place_error
from schools.views import EVERYONE
from services.base import utcnow
from services.standards import assessments, baselines, conformance, permissions
from services.standards.errors import StandardsError
from services.standards.models import DRIFT_CAUSES, STATUSES, Assessment, Conformance, DriftEvent, StandardItem
from services.standards.phases import phase_of
from trust_it.access import requires_school_role
from trust_it.central.standards import chosen_baseline
from trust_it.extensions import db
from trust_it.tenancy import current_scope

DUE_WITHIN = 30  # days: evidence expiring this soon is due for renewal
FAILING = ("not_met", "partly_met")
ANSWERED_BY_PLATFORM = ("derived", "setting")


def may_assess() -> bool:
    return permissions.may_assess(current_scope(), g.school.id)


def failing_url(row: Conformance) -> str | None:
    """The register or the ticket queue filtered to what fails a computed item, if this person may open it."""
    args = dict((row.figures or {}).get("failing_url_args") or {})
    if not args:
        return None
    args.pop("school", None)  # the school's own list is already the school's
    endpoint = "schools.queue" if (row.item.check_key or "").startswith("desk.") else "schools.assets"
    view = current_app.view_functions.get(endpoint)
    if view is None or not current_scope().roles_at(g.school.id).intersection(getattr(view, "required_roles", ())):
        return None
    return url_for(endpoint, **args)


@bp.get("/standards")
@requires_school_role(*EVERYONE)
def standards():
    school = g.school
    now = utcnow()
    phase = phase_of(school)
    rows = [r for r in conformance.rows_for([school.id]) if r.item.applies_to(phase)]
    by_baseline = {b.id: b for b in baselines.baselines_of(school.trust_id)}
    groups: dict[int, list[Conformance]] = {}
    for row in rows:
        groups.setdefault(row.baseline_id, []).append(row)
    return render_template(
        "schools/standards/index.html", school=school, now=now, groups=groups, by_baseline=by_baseline,
        failing=[r for r in rows if r.status in FAILING],
        due=[r for r in rows if r.status == "expired"] + conformance.due([school.id], now=now, within_days=DUE_WITHIN),
        drift=conformance.drift_of([school.id], limit=10), DRIFT_CAUSES=DRIFT_CAUSES, action_form=FlaskForm(),
        may_open_ticket=permissions.may_open_drift_ticket(current_scope(), school.id),
        unanswered=[r for r in rows if r.status == "unknown" and r.item.check_kind not in ANSWERED_BY_PLATFORM],
        STATUSES=STATUSES, failing_url=failing_url, may_assess=may_assess())


@bp.post("/standards/drift/<int:drift_id>/ticket")
@requires_school_role(*EVERYONE)
def standard_drift_ticket(drift_id):
    """The one click from a drift to a ticket at the school (the same ticket if one was opened already)."""
    drift = db.session.execute(select(DriftEvent).where(DriftEvent.id == drift_id,
                                                        DriftEvent.school_id == g.school.id)).scalar_one_or_none()
    if drift is None:
        abort(404)
    permissions.check(permissions.may_open_drift_ticket(current_scope(), g.school.id),
                      "Only the school's head and technician, or the trust's technical team, open tickets from here.")
    if not FlaskForm().validate_on_submit():
        abort(400)
    ticket = conformance.open_ticket(drift, by=current_user, now=utcnow())
    flash(f"Request {ticket.reference} is open for {drift.item.title}.", "success")
    return redirect(url_for(".ticket", ticket_id=ticket.id))


# --- one item ---------------------------------------------------------------------------------

def load_item(item_id: int) -> StandardItem:
    try:
        return assessments.item_for(g.school, item_id)
    except StandardsError:
        abort(404)


def current_state(item: StandardItem) -> Conformance | None:
    return db.session.execute(select(Conformance).where(Conformance.school_id == g.school.id,
                                                        Conformance.item_id == item.id)).scalar_one_or_none()


def record_answer(item: StandardItem, form) -> Assessment | None:
    """Record the form's answer (the evidence file too); None with the error beside its field."""
    if not may_assess():
        abort(403)
    if not form.validate_on_submit():
        return None
    try:
        return assessments.record(g.school, item, answer_data(form), by=current_user, now=utcnow(),
                                  attachment=form.attachment.data)
    except StandardsError as exc:
        place_error(form, exc)
        return None


@bp.route("/standards/items/<int:item_id>", methods=["GET", "POST"])
@requires_school_role(*EVERYONE)
def standard_item(item_id):
    item = load_item(item_id)
    form = answer_form(item)
    if request.method == "POST":
        saved = record_answer(item, form)
        if saved is not None:
            flash(f"Your answer about {item.title} is saved: {saved.status_label.lower()}.", "success")
            return redirect(url_for(".standard_item", item_id=item.id))
    return render_template(
        "schools/standards/item.html", school=g.school, item=item, baseline=item.version.baseline,
        state=current_state(item), history=assessments.item_history(g.school.id, item), form=form,
        STATUSES=STATUSES, now=utcnow(),
        applies=item.applies_to(phase_of(g.school)), may_assess=may_assess(), failing_url=failing_url,
        evidence_url=lambda a: url_for(".standard_evidence", assessment_id=a.id)), 422 if form.errors else 200


@bp.get("/standards/evidence/<int:assessment_id>")
@requires_school_role(*EVERYONE)
def standard_evidence(assessment_id):
    found = db.session.execute(select(Assessment).where(Assessment.id == assessment_id,
                                                        Assessment.school_id == g.school.id,
                                                        Assessment.attachment_sha256.is_not(None))
                               ).scalar_one_or_none()
    if found is None:
        abort(404)
    # Stored as the desk stores attachments (services/desk/attachments.py): UPLOAD_DIR/<school>/<sha256>.
    path = Path(current_app.config["UPLOAD_DIR"]) / str(found.school_id) / found.attachment_sha256
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=found.attachment_content_type, as_attachment=True,
                         download_name=found.attachment_filename, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the guided self-assessment -----------------------------------------------------------------

def walk_items():
    """The baseline walked through (the DfE standards unless ?baseline= names another) and its
    published items that apply to the school's phase, in order, with their current states."""
    baseline = chosen_baseline(baselines.baselines_of(g.school.trust_id), request.args.get("baseline"))
    version = baselines.published_version(baseline) if baseline else None
    if version is None:
        abort(404)
    phase = phase_of(g.school)
    items = [i for i in baselines.items_of(version) if i.applies_to(phase)]
    states = {r.item_id: r for r in conformance.rows_for([g.school.id], baseline_id=baseline.id)}
    return baseline, items, states


def needs_answer(item: StandardItem, states: dict) -> bool:
    state = states.get(item.id)
    return item.check_kind not in ANSWERED_BY_PLATFORM and (state is None or state.status in ("unknown", "expired"))


def _walk_url(endpoint: str, baseline, **args) -> str:
    return url_for(endpoint, baseline=baseline.id, **args)


@bp.get("/standards/self-assessment")
@requires_school_role(*permissions.ASSESSORS)
def standards_walk():
    if chosen_baseline(baselines.baselines_of(g.school.trust_id), None) is None:
        return render_template("schools/standards/walk_start.html", school=g.school, baseline=None, items=[],
                               waiting=[], answered=0, walk_url=_walk_url)
    baseline, items, states = walk_items()
    waiting = [n for n, item in enumerate(items, 1) if needs_answer(item, states)]
    return render_template("schools/standards/walk_start.html", school=g.school, baseline=baseline, items=items,
                           waiting=waiting, answered=len(items) - len(waiting), walk_url=_walk_url)


@bp.route("/standards/self-assessment/step", methods=["GET", "POST"])
@requires_school_role(*permissions.ASSESSORS)
def standards_walk_step():
    baseline, items, states = walk_items()
    n = request.args.get("n", "1")
    n = int(n) if n.isascii() and n.isdigit() else 0
    if not 1 <= n <= len(items):
        abort(404)
    item = items[n - 1]
    form = answer_form(item)
    if request.method == "POST":
        saved = record_answer(item, form)
        if saved is not None:
            flash(f"Saved: {item.title} — {saved.status_label.lower()}.", "success")
            if saved.status in FAILING:  # stay, to show what to do about it
                return redirect(_walk_url(".standards_walk_step", baseline, n=n, saved=1))
            if n == len(items):
                return redirect(_walk_url(".standards_walk_summary", baseline))
            return redirect(_walk_url(".standards_walk_step", baseline, n=n + 1))
    state = current_state(item) if request.method == "POST" else states.get(item.id)
    return render_template(
        "schools/standards/walk_step.html", school=g.school, baseline=baseline, item=item, n=n, total=len(items),
        state=state, form=form, STATUSES=STATUSES, failing_url=failing_url, walk_url=_walk_url,
        by_platform=item.check_kind in ANSWERED_BY_PLATFORM, just_saved=bool(request.args.get("saved")),
        next_url=(_walk_url(".standards_walk_step", baseline, n=n + 1) if n < len(items)
                  else _walk_url(".standards_walk_summary", baseline))), 422 if form.errors else 200


@bp.get("/standards/self-assessment/summary")
@requires_school_role(*permissions.ASSESSORS)
def standards_walk_summary():
    baseline, items, states = walk_items()
    steps = list(enumerate(items, 1))
    counts = {}
    for item in items:
        status = states[item.id].status if item.id in states else "unknown"
        counts[status] = counts.get(status, 0) + 1
    return render_template(
        "schools/standards/walk_summary.html", school=g.school, baseline=baseline, total=len(items), counts=counts,
        STATUSES=STATUSES, walk_url=_walk_url,
        failing=[(n, i, states[i.id]) for n, i in steps if i.id in states and states[i.id].status in FAILING],
        waiting=[(n, i) for n, i in steps if needs_answer(i, states)])
