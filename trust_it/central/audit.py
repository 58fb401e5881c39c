from flask import render_template, request

from services.audit import log
from services.directory import schools as school_service
from trust_it.access import requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust
from trust_it.ids import db_int

PAGE = 50


@bp.get("/audit")
@requires_trust_role("trust_admin", "it_director")
def audit():
    trust = current_trust()
    before = request.args.get("before", type=db_int)
    action = request.args.get("action") or None
    school_id = request.args.get("school", type=db_int)
    events = log.page(trust.id, before_id=before, action=action, school_id=school_id, limit=PAGE + 1)
    more = len(events) > PAGE
    events = events[:PAGE]
    return render_template("central/audit.html", events=events, action=action, school_id=school_id,
                           schools=school_service.schools_of_trust(trust.id),
                           next_before=events[-1].id if more else None)
