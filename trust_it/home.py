"""The front door: send each person to where they work."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from services.directory.models import School
from trust_it.extensions import db
from trust_it.tenancy import current_scope

bp = Blueprint("home", __name__)

TRUST_DESK = ("service_desk", "technical", "it_director", "trust_admin", "trustee")


@bp.get("/")
@login_required
def index():
    scope = current_scope()
    if scope.has_trust_role(*TRUST_DESK):
        return redirect(url_for("central.dashboard"))
    if scope.school_roles:
        # Their first school by name; the switcher in the header reaches the others.
        school_ids = list(scope.school_roles)
        first = db.session.execute(select(School.id, School.slug).where(School.id.in_(school_ids))
                                   .order_by(School.name).limit(1)).first()
        if first:
            return redirect(_school_landing(first.slug, scope.roles_at(first.id)))
    if scope.has_trust_role("edtech"):
        return redirect(url_for("central.dashboard"))
    return render_template("no_access.html"), 403


def _school_landing(slug: str, roles: frozenset[str]) -> str:
    """Technicians and MSP engineers work the queue; educational technologists its "how do I…" requests."""
    if roles.intersection(("technician", "msp_engineer")):
        return url_for("schools.queue", school=slug)
    if "edtech" in roles:
        return url_for("schools.queue", school=slug, kind="guidance")
    return url_for("schools.home", school=slug)


@bp.get("/switch")
@login_required
def switch_school():
    """The school switcher in the header (a GET form, so it works without JavaScript)."""
    from flask import abort, request
    slug = request.args.get("school", "")
    if not slug:
        return redirect(url_for("home.index"))
    if db.session.execute(select(School.id).where(School.slug == slug)).first() is None:
        abort(404)
    return redirect(url_for("schools.home", school=slug))
