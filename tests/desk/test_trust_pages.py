"""The trust's service-desk pages, as the central team uses them: the escalations queue, the IT
director's decisions, the outbox, the desk settings and the dashboard's desk summary."""
from __future__ import annotations

from datetime import datetime
from html.parser import HTMLParser

from sqlalchemy import select

from services.audit.models import AuditEvent
from services.desk import sla
from services.desk.escalation import escalate
from services.desk.models import Category, Escalation, Notification, SlaTarget, Ticket, TicketEvent
from services.directory.models import User
from tests.conftest import data

# A Monday afternoon in term time (no terms entered: every weekday counts), 15:00 UK = UTC in March.
MONDAY_3PM = datetime(2026, 3, 2, 15, 0)


class _Tables(HTMLParser):
    """Rows of text cells per table caption: what a reader of the table sees."""

    def __init__(self):
        super().__init__()
        self.tables, self._caption, self._cell, self._row = {}, None, None, None
        self._in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._caption = ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in_caption = False
            self.tables.setdefault(self._caption.strip(), [])
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._caption.strip(), []).append(self._row)
            self._row = None

    def handle_data(self, text):
        if self._in_caption:
            self._caption += text
        elif self._cell is not None:
            self._cell += text


def table(html: str, caption_start: str) -> list[list[str]]:
    parser = _Tables()
    parser.feed(html)
    for caption, rows in parser.tables.items():
        if caption.startswith(caption_start):
            return rows[1:]  # without the header row
    raise AssertionError(f"No table captioned “{caption_start}…” in the page")


def _escalate(app, ticket, *, by, to_tier, reason, decision_kind=None):
    with data(app) as s:
        escalate(s.get(Ticket, ticket.id), by=s.get(User, by.id) if by else None, to_tier=to_tier, reason=reason,
                 decision_kind=decision_kind)


# --- the escalations queue -----------------------------------------------------------------------

def test_the_technical_team_sees_escalations_from_every_school_and_takes_one(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    oak_tech, _elm_tech = make.user(role="technician", school=oak), make.user(role="technician", school=elm)
    sam = make.user(role="technical", name="Sam Network")
    switch = make.ticket(oak, title="Core switch in block B is down")
    wifi = make.ticket(elm, title="Wi-Fi drops in the sports hall")
    toner = make.ticket(oak, title="Toner low in the staff room")  # still with the school
    _escalate(app, switch, by=oak_tech, to_tier=2, reason="Needs the switch config from the trust")
    _escalate(app, wifi, by=None, to_tier=2, reason="Automatic: time ran out")

    client = login_as(sam)
    page = client.get("/trust/escalations")
    assert page.status_code == 200
    rows = table(page.text, "Tickets with the trust's technical team")
    listed = " ".join(" ".join(r) for r in rows)
    assert switch.reference in listed and wifi.reference in listed
    assert toner.reference not in listed
    assert "Oak School" in listed and "Elm School" in listed
    assert "Needs the switch config from the trust" in listed  # who escalated, and why
    assert "Automatic" in listed
    assert f'href="/s/oak/tickets/{switch.id}"' in page.text

    took = client.post(f"/trust/escalations/{switch.id}/take", data={"assignee": "unassigned"})
    assert took.status_code == 302
    back = client.get(took.headers["Location"])  # the queue as it was filtered: unassigned only
    assert f"{switch.reference} is yours now" in back.text
    assert switch.reference not in " ".join(" ".join(r) for r in table(back.text, "Escalated tickets matching"))
    mine = client.get("/trust/escalations?assignee=me")
    assert switch.reference in mine.text and wifi.reference not in mine.text
    with data(app) as s:
        assert s.get(Ticket, switch.id).assignee_id == sam.id


def test_the_queue_shows_the_soonest_due_first_and_filters_by_school(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    tech = make.user(role="service_desk")  # works the tickets of every school of the trust
    low = make.ticket(oak, title="Visualiser flickers", impact=3, urgency=3)   # P4: days to go
    urgent = make.ticket(elm, title="MIS will not open", impact=1, urgency=1)  # P1: hours to go
    for ticket in (low, urgent):
        _escalate(app, ticket, by=tech, to_tier=2, reason="Beyond the school")

    client = login_as(make.user(role="service_desk"))
    rows = table(client.get("/trust/escalations").text, "Tickets with the trust's technical team")
    assert [urgent.reference in " ".join(r) for r in rows] == [True, False]
    only_oak = client.get(f"/trust/escalations?school={oak.id}").text
    assert low.reference in only_oak and urgent.reference not in only_oak


def test_a_school_technician_cannot_open_the_trust_queues(make, login_as):
    oak = make.school("oak")
    client = login_as(make.user(role="technician", school=oak))
    assert client.get("/trust/escalations").status_code == 403
    assert client.get("/trust/decisions").status_code == 403


# --- decisions -----------------------------------------------------------------------------------

def _waiting_for_the_director(app, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    sam = make.user(role="technical", name="Sam Network", email="sam@trust.org.uk")
    ticket = make.ticket(oak, title="Replace the failed core switch")
    _escalate(app, ticket, by=tech, to_tier=2, reason="Switch is dead")
    _escalate(app, ticket, by=sam, to_tier=3, reason="A replacement costs £2,400", decision_kind="spend")
    return ticket, sam


def test_the_director_approves_a_spend_and_the_ticket_goes_back_to_the_trust_team(app, make, login_as):
    ticket, sam = _waiting_for_the_director(app, make)
    director = login_as(make.user(role="it_director", name="Dana Director"))

    queue = director.get("/trust/decisions")
    rows = table(queue.text, "1 waiting for a decision")
    assert ticket.reference in rows[0][0]
    assert rows[0][2] == "Spend" and "£2,400" in rows[0][3] and "Sam Network" in rows[0][4]

    page = director.get(f"/trust/decisions/{ticket.id}")
    assert page.status_code == 200
    assert "A replacement costs £2,400" in page.text and "Switch is dead" in page.text

    done = director.post(f"/trust/decisions/{ticket.id}",
                         data={"decision": "approved", "text": "Approved from the capital budget."})
    assert done.status_code == 302
    after = director.get("/trust/decisions")
    assert "Nothing is waiting for a decision" in after.text
    recent = table(after.text, "The last 1 decisions")
    assert ticket.reference in recent[0][0] and recent[0][2] == "Approved"

    with data(app) as s:
        back = s.get(Ticket, ticket.id)
        assert back.tier == 2
        assert s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                   TicketEvent.kind == "decision")).scalar_one().body \
            == "Approved from the capital budget."
        told = s.execute(select(Notification).where(Notification.ticket_id == ticket.id,
                                                    Notification.kind == "decided")).scalars().all()
        # Everyone who passed it up hears the answer: the school technician and the trust's engineer.
        addresses = [n.to_address for n in told]
        assert len(addresses) == 2 and sam.email in addresses and any(a.startswith("technician-") for a in addresses)


def test_a_decision_without_words_is_refused_beside_the_field(app, make, login_as):
    ticket, _ = _waiting_for_the_director(app, make)
    director = login_as(make.user(role="it_director"))
    refused = director.post(f"/trust/decisions/{ticket.id}", data={"decision": "rejected", "text": "  "})
    assert refused.status_code == 422
    assert 'id="text-error"' in refused.text and "Record the decision in words" in refused.text
    with data(app) as s:
        assert s.get(Ticket, ticket.id).tier == 3
        assert s.execute(select(Escalation).where(Escalation.ticket_id == ticket.id,
                                                  Escalation.decided_at.is_not(None))).first() is None


def test_a_trust_administrator_may_read_a_decision_but_not_make_it(app, make, login_as):
    ticket, _ = _waiting_for_the_director(app, make)
    admin = login_as(make.user(role="trust_admin"))
    page = admin.get(f"/trust/decisions/{ticket.id}")
    assert page.status_code == 200 and "Only the IT director records decisions" in page.text
    assert admin.post(f"/trust/decisions/{ticket.id}", data={"decision": "approved", "text": "Yes"}).status_code == 403


# --- the outbox ----------------------------------------------------------------------------------

def test_the_outbox_lists_this_trusts_emails_only(app, make, login_as):
    oak = make.school("oak")
    far_trust = make.trust("Far Trust")
    far = make.school("far", trust=far_trust)
    make.ticket(oak, title="Printer jam in reception")
    make.ticket(far, title="Far away projector")

    admin = login_as(make.user(role="trust_admin"))
    page = admin.get("/trust/outbox")
    assert page.status_code == 200
    assert "Printer jam in reception" in page.text
    assert "Far away projector" not in page.text
    assert "Kept in the outbox" in page.text  # no mail server in tests: kept for this page

    sent = admin.post("/trust/outbox/send")
    assert sent.status_code == 302
    assert admin.get("/trust/outbox").status_code == 200
    assert login_as(make.user(role="technical")).get("/trust/outbox").status_code == 403


# --- desk settings -------------------------------------------------------------------------------

TRUST_TARGETS = {"sla-p1_response": "0:30", "sla-p1_resolution": "3:00", "sla-p2_response": "1:00",
                 "sla-p2_resolution": "8:00", "sla-p3_response": "4:00", "sla-p3_resolution": "2 days",
                 "sla-p4_response": "1 day", "sla-p4_resolution": "5 days"}


def test_an_override_gives_new_tickets_at_that_school_its_own_due_time(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    admin = login_as(make.user(role="trust_admin"))

    assert admin.post("/trust/desk/settings/targets", data=TRUST_TARGETS).status_code == 302
    saved = admin.post(f"/trust/desk/settings/schools/{oak.id}",
                       data={"sla-p1_response": "0:15", "sla-p1_resolution": "2:00"})
    assert saved.status_code == 302
    page = admin.get("/trust/desk/settings")
    overrides = table(page.text, "Schools with their own targets")
    assert overrides == [["Oak School", "P1", "15 min", "2 h", "Remove the P1 override of Oak School"]]

    at_oak = make.ticket(oak, title="Fire alarm panel offline", impact=1, urgency=1, now=MONDAY_3PM)
    at_elm = make.ticket(elm, title="Fire alarm panel offline", impact=1, urgency=1, now=MONDAY_3PM)
    with data(app) as s:
        oak_clock, elm_clock = sla.calendar_for(oak.id), sla.calendar_for(elm.id)
        assert s.get(Ticket, at_oak.id).resolution_due_at == oak_clock.add_working_minutes(MONDAY_3PM, 120)
        assert s.get(Ticket, at_elm.id).resolution_due_at == elm_clock.add_working_minutes(MONDAY_3PM, 180)
        changes = s.execute(select(AuditEvent).where(AuditEvent.action == "desk.sla_changed")).scalars().all()
        assert {e.school_id for e in changes} == {None, oak.id}


def test_removing_an_override_brings_back_the_trusts_target(app, make, login_as):
    oak = make.school("oak")
    admin = login_as(make.user(role="trust_admin"))
    admin.post(f"/trust/desk/settings/schools/{oak.id}", data={"sla-p2_response": "0:45", "sla-p2_resolution": "6:00"})
    with data(app) as s:
        target = s.execute(select(SlaTarget).where(SlaTarget.school_id == oak.id)).scalar_one()
    assert admin.post(f"/trust/desk/settings/targets/{target.id}/delete").status_code == 302
    assert "Every school uses the trust's targets" in admin.get("/trust/desk/settings").text


def test_targets_that_do_not_add_up_are_refused_beside_the_field(app, make, login_as):
    admin = login_as(make.user(role="trust_admin"))
    backwards = admin.post("/trust/desk/settings/targets", data={**TRUST_TARGETS, "sla-p2_response": "9:00"})
    assert backwards.status_code == 422
    assert 'id="sla-p2_response-error"' in backwards.text
    assert "cannot be due after the resolution" in backwards.text

    unclear = admin.post("/trust/desk/settings/targets", data={**TRUST_TARGETS, "sla-p1_resolution": "4"})
    assert unclear.status_code == 422
    assert "Write 4:00 for 4 hours or 0:04 for 4 minutes" in unclear.text

    zero = admin.post("/trust/desk/settings/targets", data={**TRUST_TARGETS, "sla-p1_response": "0:00"})
    assert zero.status_code == 422 and "must be longer than zero" in zero.text
    with data(app) as s:
        assert s.execute(select(SlaTarget)).first() is None


def test_categories_are_added_renamed_and_retired_with_unique_names(app, make, login_as):
    admin = login_as(make.user(role="trust_admin"))
    added = admin.post("/trust/desk/settings/categories", data={"category-name": "Interactive panels"})
    assert added.status_code == 302
    twice = admin.post("/trust/desk/settings/categories", data={"category-name": "interactive PANELS"})
    assert twice.status_code == 422
    assert 'id="category-name-error"' in twice.text and "already a category called" in twice.text

    with data(app) as s:
        category = s.execute(select(Category)).scalar_one()
    url = f"/trust/desk/settings/categories/{category.id}"
    assert admin.post(url, data={"name": "Classroom panels"}).status_code == 302
    assert admin.post(f"{url}/active", data={"active": "0"}).status_code == 302
    rows = table(admin.get("/trust/desk/settings").text, "Ticket categories")
    assert rows[0][:2] == ["Classroom panels", "Retired"]
    with data(app) as s:
        assert s.get(Category, category.id).active is False


def test_another_trusts_category_is_not_found(app, make, login_as):
    make.school("oak")
    far_trust = make.trust("Far Trust")
    with data(app) as s:
        theirs = Category(trust_id=far_trust.id, name="Far category")
        s.add(theirs)
    admin = login_as(make.user(role="trust_admin"))
    assert admin.get(f"/trust/desk/settings/categories/{theirs.id}").status_code == 404
    assert admin.post(f"/trust/desk/settings/categories/{theirs.id}", data={"name": "Mine now"}).status_code == 404
    assert admin.post(f"/trust/desk/settings/categories/{theirs.id}/active", data={"active": "0"}).status_code == 404
    with data(app) as s:
        assert s.get(Category, theirs.id).name == "Far category" and s.get(Category, theirs.id).active


def test_a_new_trust_starts_from_the_suggestions_only_when_asked(app, make, login_as):
    admin = login_as(make.user(role="trust_admin", name="Alex Admin"))
    first = admin.get("/trust/desk/settings")
    assert "Start with the suggested categories" in first.text
    assert "30 min / 4 h" in first.text  # the suggested P1 targets are shown
    with data(app) as s:
        assert s.execute(select(Category)).first() is None  # looking changed nothing

    assert admin.post("/trust/desk/settings/start").status_code == 302
    page = admin.get("/trust/desk/settings")
    assert "Start with the suggested categories" not in page.text
    assert "Classroom AV" in page.text and "Filtering and safeguarding" in page.text


def test_a_service_has_an_owner_from_the_central_team(app, make, login_as):
    oak = make.school("oak")
    owner = make.user(role="technical", name="Nia Networks")
    teacher = make.user(role="staff", school=oak, name="Tom Teacher")
    admin = login_as(make.user(role="trust_admin"))
    added = admin.post("/trust/desk/settings/services", data={
        "service-name": "Wi-Fi", "service-description": "Wireless in every building",
        "service-owner_id": str(owner.id)})
    assert added.status_code == 302
    rows = table(admin.get("/trust/desk/settings").text, "Services")
    assert rows[0][:4] == ["Wi-Fi", "Wireless in every building", "Nia Networks", "In the catalogue"]

    refused = admin.post("/trust/desk/settings/services", data={"service-name": "Printing",
                                                                "service-owner_id": str(teacher.id)})
    assert refused.status_code == 422 and "central team" in refused.text


# --- the dashboard -------------------------------------------------------------------------------

def test_the_dashboard_counts_open_breached_and_escalated_tickets_by_school(app, make, login_as):
    oak, elm = make.school("oak"), make.school("elm")
    make.school("ash")  # nothing open: listed with its zeros, every school at a glance
    tech = make.user(role="technician", school=elm)
    make.ticket(oak, title="Long overdue", now=datetime(2025, 1, 6, 9, 0))  # its due time is long past
    make.ticket(oak, title="Fresh")
    escalated = make.ticket(elm, title="Needs the trust")
    _escalate(app, escalated, by=tech, to_tier=2, reason="Beyond the school")

    page = login_as(make.user(role="it_director")).get("/trust/")
    rows = table(page.text, "Open tickets by school")
    assert rows == [["Ash School", "0", "0", "0", "0"], ["Elm School", "1", "0", "1", "0"],
                    ["Oak School", "2", "1", "0", "0"]]


def test_walking_the_queue_page_by_page_lists_every_ticket_once_paused_ones_last(app, make):
    from services.desk import trust_queues
    from services.desk.tickets import change_status
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak)
    made = [make.ticket(oak, title=f"Ticket {n}", impact=1 + n % 3, urgency=1 + n % 2) for n in range(7)]
    for ticket in made:
        _escalate(app, ticket, by=tech, to_tier=2, reason="Beyond the school")
    with data(app) as s:  # one waits for its requester: its clock has stopped, so it has no due time
        change_status(s.get(Ticket, made[0].id), "awaiting_requester", by=None)

    with data(app):
        seen, after = [], None
        while True:
            page = trust_queues.escalation_queue(oak.trust_id, me_id=None, after=after, limit=3)
            seen += [t for t, _ in page]
            if len(page) < 3:
                break
            after = trust_queues.DueCursor(trust_queues.due_of(page[-1][0]), page[-1][0].id)
        dues = [trust_queues.due_of(t) for t in seen]
    assert sorted(t.id for t in seen) == sorted(t.id for t in made)
    assert seen[-1].id == made[0].id and dues[-1] is None
    assert dues[:-1] == sorted(dues[:-1])


def test_a_new_override_retargets_the_schools_open_tickets(app, make, login_as):
    oak = make.school("oak")
    ticket = make.ticket(oak, title="Server room too hot", impact=1, urgency=1)  # P1: 4 h by default
    admin = login_as(make.user(role="trust_admin"))
    half = admin.post(f"/trust/desk/settings/schools/{oak.id}", data={"sla-p1_response": "0:20"})
    assert half.status_code == 422
    assert "Enter the P1 resolution target too, or leave both empty" in half.text

    assert admin.post(f"/trust/desk/settings/schools/{oak.id}",
                      data={"sla-p1_response": "0:20", "sla-p1_resolution": "6:00"}).status_code == 302
    with data(app) as s:
        assert s.get(Ticket, ticket.id).sla_target_minutes == 360
        note = s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                   TicketEvent.kind == "sla")).scalar_one()
        assert "6 h of working time" in note.body and not note.public


def test_the_take_button_carries_its_form_token(app, make, login_as):
    import re
    oak = make.school("oak")
    ticket = make.ticket(oak, title="Firewall rule needed for the new MIS")
    _escalate(app, ticket, by=make.user(role="technician", school=oak), to_tier=2, reason="Trust firewall")
    client = login_as(make.user(role="technical"))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/trust/escalations").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert client.post(f"/trust/escalations/{ticket.id}/take").status_code == 400
        assert client.post(f"/trust/escalations/{ticket.id}/take", data={"csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
