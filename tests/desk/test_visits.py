"""Visits: a technician plans a visit, marks it done with the requests worked on, or cancels
it; the school's visits can be subscribed to as an iCalendar feed."""
import html
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import icalendar
import time_machine
from sqlalchemy import select

from services.desk import visits
from services.desk.models import Visit
from services.directory import people
from services.directory.models import School, User
from tests.conftest import data, new_client


def _plan(client, school="oak", day="2026-10-07", start="08:30", end="12:00", notes="Switch upgrade", engineer=None):
    form = {"day": day, "starts_at": start, "ends_at": end, "notes": notes}
    if engineer is not None:
        form["engineer_id"] = str(engineer.id)
    return client.post(f"/s/{school}/visits/new", data=form)


def _visit(app):
    with data(app) as s:
        return s.execute(select(Visit).order_by(Visit.id.desc())).scalars().first()


def _feed_url(client, school="oak"):
    """The address shown under "Subscribe in Outlook" (path and query, for the test client)."""
    page = client.get(f"/s/{school}/visits").text
    parts = urlsplit(html.unescape(re.search(r'id="feed-url" value="([^"]+)"', page).group(1)))
    return f"{parts.path}?{parts.query}"


def test_a_technician_plans_a_visit_in_uk_time(app, make, login_as):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak, name="Sam Engineer")
    tech = login_as(tech_user)
    response = _plan(tech, engineer=tech_user)
    assert response.status_code == 302
    visit = _visit(app)
    # 08:30 on 7 October is British Summer Time: 07:30 UTC.
    assert (visit.starts_at, visit.ends_at) == (datetime(2026, 10, 7, 7, 30), datetime(2026, 10, 7, 11, 0))
    page = tech.get("/s/oak/visits").text
    planned = page[page.index("Planned"):page.index("Done and cancelled")]
    assert "Sam Engineer" in planned and "7 Oct 2026 08:30" in planned and "Switch upgrade" in planned


def test_a_visit_that_ends_before_it_starts_is_refused(app, make, login_as):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak)
    response = _plan(login_as(tech_user), start="13:00", end="09:00", engineer=tech_user)
    assert response.status_code == 422
    assert "The visit must end after it starts." in response.text
    assert _visit(app) is None


def test_the_engineer_marks_a_visit_done_with_the_requests_worked_on(app, make, login_as):
    oak = make.school("oak")
    staff = make.user(role="staff", school=oak)
    printer = make.ticket(oak, staff, title="Printer jams")
    wifi = make.ticket(oak, staff, title="Wi-Fi drops in the hall")
    msp_user = make.user(role="msp_engineer", school=oak, name="Alex MSP")
    msp = login_as(msp_user)
    _plan(msp, engineer=msp_user)
    visit = _visit(app)
    done = msp.post(f"/s/oak/visits/{visit.id}/done", data={
        "notes": "Replaced the fuser; moved the access point.", "tickets": f"{printer.reference}, {wifi.reference}"})
    assert done.status_code == 302
    page = msp.get("/s/oak/visits").text
    past = page[page.index("Done and cancelled"):]
    assert "Done" in past and printer.reference in past and wifi.reference in past
    detail = msp.get(f"/s/oak/visits/{visit.id}").text
    assert "Replaced the fuser" in detail and "Printer jams" in detail
    again = msp.post(f"/s/oak/visits/{visit.id}/done", data={"notes": "twice"})
    assert again.status_code == 422 and "already done" in again.text


def test_a_planned_visit_is_cancelled(app, make, login_as):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak)
    tech = login_as(tech_user)
    lead = login_as(make.user(role="school_lead", school=oak))
    _plan(tech, engineer=tech_user)
    visit = _visit(app)
    assert lead.post(f"/s/oak/visits/{visit.id}/cancel").status_code == 403  # the school lead reads visits
    assert tech.post(f"/s/oak/visits/{visit.id}/cancel").status_code == 302
    assert _visit(app).status == "cancelled"
    past = lead.get("/s/oak/visits").text.split("Done and cancelled", 1)[1]
    assert "Cancelled" in past


def test_staff_do_not_see_visits_and_another_schools_visit_is_a_404(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    elm_tech = make.user(role="technician", school=elm)
    _plan(login_as(elm_tech), school="elm", notes="Elm's secret visit", engineer=elm_tech)
    visit = _visit(app)
    assert login_as(make.user(role="staff", school=oak)).get("/s/oak/visits").status_code == 403
    oak_tech = login_as(make.user(role="technician", school=oak))
    assert oak_tech.get(f"/s/oak/visits/{visit.id}").status_code == 404
    assert oak_tech.post(f"/s/oak/visits/{visit.id}/cancel").status_code == 404
    assert "Elm&#39;s secret visit" not in oak_tech.get("/s/oak/visits").text
    assert _visit(app).status == "planned"


@time_machine.travel(datetime(2026, 10, 1, 9, 0))  # the feed shows recent and coming visits
def test_the_calendar_feed_lists_the_schools_visits(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    tech_user = make.user(role="technician", school=oak, name="Sam Engineer")
    tech = login_as(tech_user)
    _plan(tech, engineer=tech_user, notes="Switch upgrade")
    first = _visit(app)
    _plan(tech, engineer=tech_user, day="2026-11-04", start="13:00", end="15:30", notes="Printers")
    second = _visit(app)
    tech.post(f"/s/oak/visits/{second.id}/cancel")
    elm_tech = make.user(role="technician", school=elm)
    _plan(login_as(elm_tech), school="elm", notes="Elm only", engineer=elm_tech)

    calendar_app = new_client(app)  # no session: a calendar subscribes with the address alone
    response = calendar_app.get(_feed_url(tech))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"visit-{first.id}@trust-it", f"visit-{second.id}@trust-it"}
    event = events[f"visit-{first.id}@trust-it"]
    assert event.decoded("DTSTART") == datetime(2026, 10, 7, 7, 30, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 10, 7, 11, 0, tzinfo=timezone.utc)
    assert str(event["SUMMARY"]) == "IT visit: Sam Engineer at Oak School"
    assert str(event["DESCRIPTION"]) == "Switch upgrade"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[f"visit-{second.id}@trust-it"]["STATUS"]) == "CANCELLED"


def test_the_feed_refuses_a_bad_or_borrowed_key(app, make, login_as):
    oak, _elm = make.school("oak"), make.school("elm")
    tech_user = make.user(role="technician", school=oak)
    url = _feed_url(login_as(tech_user))
    anonymous = new_client(app)
    assert anonymous.get(url).status_code == 200
    assert anonymous.get("/s/oak/visits.ics").status_code == 404
    assert anonymous.get(url + "tampered").status_code == 404
    # The key names its school: it does not open another school's feed.
    assert anonymous.get(url.replace("/s/oak/", "/s/elm/")).status_code == 404
    assert anonymous.get(url.replace("/s/oak/", "/s/nowhere/")).status_code == 404
    # A key signed with another secret is worthless; staff of the school get no feed of its visits.
    staff = make.user(role="staff", school=oak)
    with data(app) as s:
        forged = visits.feed_key("not-the-secret", s.get(School, oak.id), s.get(User, tech_user.id))
        staff_key = visits.feed_key(app.config["SECRET_KEY"], s.get(School, oak.id), s.get(User, staff.id))
    assert anonymous.get(f"/s/oak/visits.ics?key={forged}").status_code == 404
    assert anonymous.get(f"/s/oak/visits.ics?key={staff_key}").status_code == 404


def test_the_feed_stops_when_the_person_is_deactivated(app, make, login_as):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak)
    url = _feed_url(login_as(tech_user))
    anonymous = new_client(app)
    assert anonymous.get(url).status_code == 200
    with data(app) as s:
        people.set_active(s.get(User, tech_user.id), False)
    assert anonymous.get(url).status_code == 404
    with data(app) as s:
        people.set_active(s.get(User, tech_user.id), True)
    assert anonymous.get(url).status_code == 404  # a new session token: the old address stays dead


def test_the_feed_stops_when_the_person_loses_their_role(app, make, login_as):
    oak = make.school("oak")
    tech_user = make.user(role="technician", school=oak)
    url = _feed_url(login_as(tech_user))
    with data(app) as s:
        people.remove_membership(s.get(User, tech_user.id).memberships[0])
    assert new_client(app).get(url).status_code == 404
