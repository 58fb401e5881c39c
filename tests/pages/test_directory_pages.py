"""The trust administrator's pages: schools, calendars, people, sign-in mappings, audit."""
import re
from datetime import date, datetime

import time_machine
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.directory.models import Closure, Membership, School, SignInRule, User
from tests.conftest import PASSWORD, data, new_client


def test_admin_adds_a_school_and_sees_it_in_the_directory(app, make, login_as):
    admin = login_as(make.user(role="trust_admin"))
    response = admin.post("/trust/schools/new", data={
        "name": "Ash Grove Primary", "slug": "", "urn": "150123", "la_estab": "3302123", "phase": "Primary",
        "pupils": "210", "support_model": "msp", "email_domains": "ashgrove.sch.uk, @AshGrove.org.uk",
        "timezone": "Europe/London"})
    assert response.status_code == 302
    with data(app) as s:
        school = s.execute(select(School).where(School.urn == "150123")).scalar_one()
        assert school.slug == "ash-grove-primary"
        assert school.email_domains == ["ashgrove.org.uk", "ashgrove.sch.uk"]
        assert len(s.execute(select(Membership)).all()) == 1  # only the admin's
    assert "Ash Grove Primary" in admin.get("/trust/schools").text


def test_a_bad_urn_is_shown_beside_the_field_and_nothing_is_saved(app, make, login_as):
    make.school("oak", urn="149001")
    admin = login_as(make.user(role="trust_admin"))
    response = admin.post("/trust/schools/new", data={"name": "Copy", "urn": "149001", "phase": "Primary",
                                                      "support_model": "msp", "timezone": "Europe/London"})
    assert response.status_code == 422
    assert "URN 149001 belongs to another school" in response.text
    assert 'aria-invalid="true"' in response.text
    with data(app) as s:
        assert s.execute(select(School).where(School.name == "Copy")).scalar() is None


def test_only_trust_admins_change_schools(app, make, login_as):
    oak = make.school("oak")
    director = login_as(make.user(role="it_director"))
    assert director.get("/trust/schools").status_code == 200
    assert director.get(f"/trust/schools/{oak.id}/edit").status_code == 403
    assert login_as(make.user(role="technician", school=oak)).get("/trust/schools").status_code == 403


def test_admin_builds_a_school_calendar(app, make, login_as):
    oak = make.school("oak")
    admin = login_as(make.user(role="trust_admin"))
    base = f"/trust/schools/{oak.id}/calendar"
    assert admin.post(f"{base}/terms", data={"term-name": "Autumn 1", "term-starts_on": "2026-09-02",
                                             "term-ends_on": "2026-10-23"}).status_code == 302
    overlap = admin.post(f"{base}/terms", data={"term-name": "Oops", "term-starts_on": "2026-10-01",
                                                "term-ends_on": "2026-10-30"})
    assert overlap.status_code == 422 and "overlaps Autumn 1" in overlap.text
    assert admin.post(f"{base}/closures", data={"closure-day": "2026-09-01", "closure-kind": "inset",
                                                "closure-name": "INSET: safeguarding"}).status_code == 302
    assert admin.post(f"{base}/bank-holidays", data={"starts_on": "2026-09-01",
                                                     "ends_on": "2027-08-31"}).status_code == 302
    hours = {"open_0": "1", "opens_0": "07:45", "closes_0": "16:00"}
    for d in range(1, 5):
        hours.update({f"open_{d}": "1", f"opens_{d}": "08:00", f"closes_{d}": "16:30"})
    assert admin.post(f"{base}/hours", data=hours).status_code == 302
    bad = admin.post(f"{base}/hours", data={"open_0": "1", "opens_0": "17:00", "closes_0": "08:00"})
    assert bad.status_code == 422 and "must open before it closes" in bad.text
    with data(app) as s:
        closures = s.execute(select(Closure).where(Closure.school_id == oak.id).order_by(Closure.day)).scalars().all()
        days = [c.day for c in closures]
        assert date(2026, 12, 25) in days and date(2027, 3, 26) in days  # Christmas, Good Friday 2027
        assert closures[0].name == "INSET: safeguarding"
    page = admin.get(base).text
    assert "Autumn 1" in page and "Christmas Day" in page and "07:45" in page
    # Staff of the school see the calendar read-only on their portal.
    staff = login_as(make.user(role="staff", school=oak))
    assert "Autumn 1" in staff.get("/s/oak/calendar").text


@time_machine.travel(datetime(2026, 9, 1, 9, 0))  # the contract runs to the end of this school year
def test_admin_invites_a_contractor_with_an_end_date_and_it_is_audited(app, make, login_as):
    oak = make.school("oak")
    admin_user = make.user(role="trust_admin")
    admin = login_as(admin_user)
    response = admin.post("/trust/users/new", data={"email": "kate@brightmsp.co.uk", "display_name": "Kate Fisher",
                                                    "role": "msp_engineer", "school": str(oak.id),
                                                    "expires_at": "2027-08-31T23:59"})
    assert response.status_code == 302
    with data(app) as s:
        kate = s.execute(select(User).where(User.email == "kate@brightmsp.co.uk")).scalar_one()
        # Typed as UK time (BST in August), stored as UTC.
        assert [(m.role, m.school_id, m.expires_at) for m in kate.memberships] == [
            ("msp_engineer", oak.id, datetime(2027, 8, 31, 22, 59))]
        actions = s.execute(select(AuditEvent.action).where(AuditEvent.actor_id == admin_user.id)).scalars().all()
    assert {"user.created", "membership.added"} <= set(actions)
    assert "Kate Fisher" in admin.get("/trust/users").text


def test_inviting_a_school_role_without_a_school_leaves_no_account(app, make, login_as):
    admin = login_as(make.user(role="trust_admin"))
    response = admin.post("/trust/users/new", data={"email": "x@oak.sch.uk", "display_name": "X", "role": "technician",
                                                    "school": ""})
    assert response.status_code == 422 and "choose the school" in response.text
    with data(app) as s:
        assert s.execute(select(User).where(User.email == "x@oak.sch.uk")).scalar() is None


def test_admin_changes_a_role_and_the_person_lands_somewhere_new(app, make, login_as):
    oak = make.school("oak")
    person = make.user(role="staff", school=oak)
    admin = login_as(make.user(role="trust_admin"))
    membership_id = person.memberships[0].id
    assert admin.post(f"/trust/users/{person.id}/memberships/{membership_id}/role",
                      data={"role": "technician"}).status_code == 302
    with data(app) as s:
        assert [m.role for m in s.get(User, person.id).memberships] == ["technician"]
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "membership.removed")).scalar()


def test_admin_deactivates_a_person_and_their_session_ends(app, make, login_as):
    oak = make.school("oak")
    person = make.user(role="staff", school=oak)
    their_browser = login_as(person)
    admin = login_as(make.user(role="trust_admin"))
    assert admin.post(f"/trust/users/{person.id}/active", data={"active": "0"}).status_code == 302
    assert their_browser.get("/s/oak/").status_code == 302
    assert "Deactivated" in admin.get(f"/trust/users/{person.id}").text or "deactivated" in admin.get(
        f"/trust/users/{person.id}").text


def test_admin_maps_an_app_role_and_allows_a_tenant(app, make, login_as):
    make.school("oak", email_domains=["oak.sch.uk"])
    admin = login_as(make.user(role="trust_admin"))
    tid = "6c1f4a52-3b7e-4d2a-9f10-2b8e5c7d9a01"
    added = admin.post("/trust/sign-in/tenants", data={"tenant_id": tid.upper(), "label": "Trust tenant"})
    assert added.status_code == 302
    bad = admin.post("/trust/sign-in/tenants", data={"tenant_id": "not-a-guid"})
    assert bad.status_code == 422 and "GUID" in bad.text
    assert admin.post("/trust/sign-in/rules", data={"claim": "app_role", "value": "School.Technician",
                                                    "role": "technician", "school": ""}).status_code == 302
    page = admin.get("/trust/sign-in").text
    assert tid in page and "School.Technician" in page
    with data(app) as s:
        assert s.execute(select(SignInRule.value)).scalar() == "School.Technician"


def test_the_audit_log_is_for_admins_and_the_director(app, make, login_as):
    oak = make.school("oak")
    admin = make.user(role="trust_admin", name="Priya Shah")
    login_as(admin).post("/trust/users/new", data={"email": "a@oak.sch.uk", "display_name": "A", "role": "staff",
                                                   "school": str(oak.id)})
    director = login_as(make.user(role="it_director"))
    page = director.get("/trust/audit")
    assert page.status_code == 200 and "a@oak.sch.uk" in page.text and "Priya Shah" in page.text
    assert login_as(make.user(role="service_desk")).get("/trust/audit").status_code == 403


def test_every_form_needs_its_csrf_token(app, make):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        admin = make.user(role="trust_admin")
        client = new_client(app)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code == 400
        assert client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        assert client.post("/trust/schools/new", data={"name": "Forged"}).status_code == 400
        assert client.post("/logout").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_home_sends_each_role_where_they_work(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    assert login_as(make.user(role="staff", school=oak)).get("/").headers["Location"].endswith("/s/oak/")
    assert login_as(make.user(role="technician", school=elm)).get("/").headers["Location"].endswith("/s/elm/queue")
    assert login_as(make.user(role="msp_engineer", school=oak)).get("/").headers["Location"].endswith("/s/oak/queue")
    assert login_as(make.user(role="edtech", school=oak)).get("/").headers["Location"].endswith(
        "/s/oak/queue?kind=guidance")
    assert login_as(make.user(role="school_lead", school=oak)).get("/").headers["Location"].endswith("/s/oak/")
    assert login_as(make.user(role="it_director")).get("/").headers["Location"].endswith("/trust/")
    assert login_as(make.user(role="trustee")).get("/").headers["Location"].endswith("/trust/")


def test_the_school_switcher_lists_only_my_schools(app, make, login_as):
    oak, elm, _ash = make.school("oak"), make.school("elm"), make.school("ash")
    engineer = make.user(role="msp_engineer", school=oak)
    with data(app) as s:
        from services.directory.people import add_membership
        add_membership(s.get(User, engineer.id), role="msp_engineer", school=s.get(School, elm.id))
    client = login_as(engineer)
    page = client.get("/s/oak/").text
    assert 'id="school-switcher"' in page and "Elm School" in page and "Ash School" not in page
    assert client.get("/switch?school=elm").headers["Location"].endswith("/s/elm/")
    assert client.get("/switch?school=ash").status_code == 404
