from flask import render_template
from sqlalchemy import func, select

from services.audit import log
from services.base import utcnow
from services.desk import trust_queues
from services.directory.models import Membership, School
from trust_it.access import TRUST_STAFF, requires_trust_role
from trust_it.central import bp
from trust_it.central.helpers import current_trust
from trust_it.extensions import db
from trust_it.tenancy import current_scope


@bp.get("/")
@requires_trust_role(*TRUST_STAFF)
def dashboard():
    trust = current_trust()
    now = utcnow()
    # One aggregate query: schools with their count of people holding a current membership.
    people = (select(Membership.school_id, func.count(func.distinct(Membership.user_id)).label("people"))
              .where(Membership.current_at(now))
              .group_by(Membership.school_id).subquery())
    rows = db.session.execute(
        select(School, func.coalesce(people.c.people, 0))
        .outerjoin(people, people.c.school_id == School.id)
        .where(School.trust_id == trust.id).order_by(School.name)).all()
    by_model = db.session.execute(select(School.support_model, func.count()).where(School.trust_id == trust.id)
                                  .group_by(School.support_model)).all()
    by_phase = db.session.execute(select(School.phase, func.count(), func.coalesce(func.sum(School.pupils), 0))
                                  .where(School.trust_id == trust.id).group_by(School.phase)
                                  .order_by(School.phase)).all()
    recent = []
    if current_scope().has_trust_role("trust_admin", "it_director"):
        recent = log.page(trust.id, limit=8)
    desk = trust_queues.open_counts_by_school(trust.id, now)  # one GROUP BY over open tickets
    return render_template("central/dashboard.html", trust=trust, rows=rows, by_model=by_model,
                           by_phase=by_phase, recent=recent, desk=desk,
                           total_pupils=sum(p for _, _, p in by_phase))
