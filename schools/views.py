from datetime import date, timedelta

from flask import g, render_template
from sqlalchemy import select

from schools import bp
from services.base import utcnow
from services.directory import schools as school_service
from services.directory.models import WEEKDAYS, Membership, User
from trust_it.access import requires_school_role
from trust_it.extensions import db
from trust_it.tenancy import SCHOOL_ROLES, TRUST_ROLES, current_scope

EVERYONE = tuple(sorted(set(SCHOOL_ROLES) | set(TRUST_ROLES)))
WORKERS = ("technician", "msp_engineer", "school_lead", "edtech", "service_desk", "technical", "it_director",
           "trust_admin")


@bp.get("/")
@requires_school_role(*EVERYONE)
def home():
    school = g.school
    cal = school_service.calendar_of(school)
    today = date.today()
    week = [(today + timedelta(days=i)) for i in range(7)]
    closures = {c.day: c for c in cal.closures}
    in_term = lambda d: any(t.starts_on <= d <= t.ends_on for t in cal.terms)  # noqa: E731
    days = []
    for d in week:
        hours = cal.hours.get(d.weekday())
        if d in closures:
            status = f"Closed: {closures[d].name}"
        elif cal.terms and not in_term(d):
            status = "School holiday"
        elif hours is None:
            status = "Closed"
        else:
            status = f"{hours.opens:%H:%M}–{hours.closes:%H:%M}"
        days.append((d, status))
    upcoming_terms = [t for t in cal.terms if t.ends_on >= today][:3]
    upcoming_closures = [c for c in cal.closures if c.day >= today][:5]
    roles = current_scope().roles_at(school.id)
    return render_template("schools/home.html", school=school, days=days, terms=upcoming_terms,
                           closures=upcoming_closures, roles=roles, works_here=bool(roles & set(WORKERS)))


@bp.get("/people")
@requires_school_role(*WORKERS)
def people():
    now = utcnow()
    rows = db.session.execute(
        select(User, Membership).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == g.school.id,
               Membership.current_at(now))
        .order_by(User.display_name)).all()
    return render_template("schools/people.html", school=g.school, rows=rows)


@bp.get("/calendar")
@requires_school_role(*EVERYONE)
def calendar():
    return render_template("schools/calendar.html", school=g.school, cal=school_service.calendar_of(g.school),
                           weekdays=WEEKDAYS)
