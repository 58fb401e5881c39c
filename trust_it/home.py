"""The front door: send each person to where they work."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
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
        slug = db.session.execute(select(School.slug).where(School.id.in_(school_ids))
                                  .order_by(School.name).limit(1)).scalar()
        if slug:
            return redirect(url_for("schools.home", school=slug))
    if scope.has_trust_role("edtech"):
        return redirect(url_for("central.dashboard"))
    return render_template("no_access.html"), 403


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
