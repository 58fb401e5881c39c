"""The web pages and the API give every role the same answer for every desk action: allowed on
both or refused on both. Each case also names who is allowed, so the rules are written down here."""
from datetime import timedelta
from functools import cache

import pytest
from werkzeug.security import generate_password_hash

from services.base import utcnow
from services.desk import escalation, visits
from services.desk.models import Category, Ticket
from services.directory.models import School, User
from tests.conftest import PASSWORD, bearer, data

SCHOOL_ROLES = {"staff", "technician", "msp_engineer", "edtech", "school_lead"}
# Who acts: a role at Oak (or across the trust); "requester" is the member of staff who raised the ticket.
ROLES = ("requester", "staff", "technician", "msp_engineer", "edtech", "school_lead", "service_desk", "technical",
         "it_director", "trustee", "trust_admin", "trust_edtech")
WORKERS = {"technician", "msp_engineer", "edtech", "service_desk", "technical", "it_director", "trust_edtech"}
TRUST_TIER = {"service_desk", "technical", "it_director"}

ALLOWED = {
    "read": WORKERS | {"school_lead", "requester"},
    "reply": WORKERS | {"requester"},
    "note": WORKERS,
    "status": WORKERS,
    "priority": WORKERS,
    "classify": WORKERS,
    "assign to me": WORKERS,
    "assign a tier-2 ticket to me": TRUST_TIER,
    "escalate from tier 1": WORKERS,
    "escalate from tier 2": {"service_desk", "technical"},  # the IT director decides rather than escalates
    "decide": {"it_director"},
    "raise": set(ROLES) - {"trustee"},
    "read a visit": {"technician", "msp_engineer", "school_lead", "service_desk", "technical", "it_director",
                     "trust_admin"},
    "plan a visit": {"technician", "msp_engineer", "service_desk", "technical", "it_director"},
    "write the school's guidance": {"edtech", "technician", "school_lead", "trust_edtech", "service_desk",
                                    "technical", "it_director", "trust_admin"},
    "write the trust's guidance": {"trust_edtech", "service_desk", "technical", "it_director", "trust_admin"},
}


@cache
def _password_hash() -> str:
    # Hashing is slow on purpose: one hash serves every test here; only the actor signs in.
    return generate_password_hash(PASSWORD)


class World:
    def __init__(self, app, make, role):
        self.app, self.make = app, make
        self.oak = make.school("oak")
        self.teacher = make.user(role="staff", school=self.oak, name="Teacher", password=None)
        if role == "requester":
            self.actor = self.teacher
        else:
            name = "edtech" if role == "trust_edtech" else role
            at_school = role in SCHOOL_ROLES
            self.actor = make.user(role=name, school=self.oak if at_school else None, name="Actor", password=None)
        with data(app) as s:
            s.get(User, self.actor.id).password_hash = _password_hash()
            self.category = Category(trust_id=self.oak.trust_id, name="Printing", active=True)
            s.add(self.category)

    def ticket(self, tier: int = 1) -> Ticket:
        ticket = self.make.ticket(self.oak, self.teacher)
        with data(self.app) as s:
            row = s.get(Ticket, ticket.id)
            for to_tier in range(2, tier + 1):
                escalation.escalate(row, by=None, to_tier=to_tier, reason="Time ran out")
        return ticket

    def visit(self):
        engineer = self.make.user(role="technician", school=self.oak, name="Engineer", password=None)
        starts = utcnow().replace(microsecond=0) + timedelta(days=2)
        with data(self.app) as s:
            return visits.plan_visit(s.get(School, self.oak.id), engineer=s.get(User, engineer.id),
                                     starts_at=starts, ends_at=starts + timedelta(hours=2))


def _page(world, web, action):
    """The action as the web pages do it: the response status."""
    oak = "/s/oak"
    if action == "raise":
        return web.post(f"{oak}/tickets/new", data={"title": "Printer jammed", "kind": "incident", "impact": "3",
                                                    "urgency": "2"})
    if action == "read a visit":
        return web.get(f"{oak}/visits/{world.visit().id}")
    if action == "plan a visit":
        day = (utcnow() + timedelta(days=3)).date().isoformat()
        return web.post(f"{oak}/visits/new", data={"engineer_id": world.actor.id, "day": day, "starts_at": "09:00",
                                                   "ends_at": "11:00"})
    if action == "write the school's guidance":
        return web.post(f"{oak}/guidance/new", data={"title": "Unjam the printer", "body": "Open tray 2.",
                                                     "keywords": "", "status": "draft"})
    if action == "write the trust's guidance":
        return web.post("/trust/guidance/new", data={"title": "Unjam the printer", "body": "Open tray 2.",
                                                     "keywords": "", "status": "draft"})
    tier = {"escalate from tier 2": 2, "assign a tier-2 ticket to me": 2, "decide": 3}.get(action, 1)
    t = world.ticket(tier)
    base = f"{oak}/tickets/{t.id}"
    forms = {
        "reply": ("reply", {"reply-body": "Thank you"}),
        "note": ("reply", {"reply-body": "Toner ordered", "reply-internal": "y"}),
        "status": ("status", {"status-status": "in_progress"}),
        "priority": ("priority", {"priority-impact": "1", "priority-urgency": "1"}),
        "classify": ("classify", {"classify-category_id": str(world.category.id), "classify-service_id": ""}),
        "assign to me": ("assign", {"assign-assignee_id": "me"}),
        "assign a tier-2 ticket to me": ("assign", {"assign-assignee_id": "me"}),
        "escalate from tier 1": ("escalate", {"escalate-reason": "Needs the trust"}),
        "escalate from tier 2": ("escalate", {"escalate-reason": "Costs money", "escalate-decision_kind": "spend"}),
    }
    if action == "read":
        return web.get(base)
    if action == "decide":
        return web.post(f"/trust/decisions/{t.id}", data={"decision": "approved", "text": "Buy it"})
    route, form = forms[action]
    return web.post(f"{base}/{route}", data=form)


def _api(world, client, headers, action):
    """The same action through /api/v1: the response status."""
    api = "/api/v1"
    if action == "raise":
        return client.post(f"{api}/tickets/", headers=headers, json={"title": "Printer jammed",
                                                                      "school_id": world.oak.id})
    if action == "read a visit":
        return client.get(f"{api}/visits/{world.visit().id}", headers=headers)
    if action == "plan a visit":
        starts = (utcnow() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
        return client.post(f"{api}/visits/", headers=headers, json={
            "school_id": world.oak.id, "starts_at": starts.isoformat() + "Z",
            "ends_at": (starts + timedelta(hours=2)).isoformat() + "Z"})
    if action in ("write the school's guidance", "write the trust's guidance"):
        school_id = world.oak.id if action == "write the school's guidance" else None
        return client.post(f"{api}/articles/", headers=headers, json={
            "title": "Unjam the printer", "body": "Open tray 2.", "school_id": school_id})
    tier = {"escalate from tier 2": 2, "assign a tier-2 ticket to me": 2, "decide": 3}.get(action, 1)
    t = world.ticket(tier)
    base = f"{api}/tickets/{t.id}"
    if action == "read":
        return client.get(base, headers=headers)
    if action in ("reply", "note"):
        return client.post(f"{base}/comments", headers=headers,
                           json={"body": "Thank you", "public": action == "reply"})
    patches = {"status": {"status": "in_progress"}, "priority": {"impact": 1, "urgency": 1},
               "classify": {"category_id": world.category.id}, "assign to me": {"assignee_id": world.actor.id},
               "assign a tier-2 ticket to me": {"assignee_id": world.actor.id}}
    if action in patches:
        return client.patch(base, headers=headers, json=patches[action])
    if action == "escalate from tier 1":
        return client.post(f"{base}/escalations", headers=headers, json={"to_tier": 2, "reason": "Needs the trust"})
    if action == "escalate from tier 2":
        return client.post(f"{base}/escalations", headers=headers,
                           json={"to_tier": 3, "reason": "Costs money", "decision_kind": "spend"})
    assert action == "decide"
    return client.post(f"{base}/decision", headers=headers, json={"decision": "approved", "text": "Buy it"})


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_the_page_and_the_api_agree(app, make, client, login_as, role, action):
    world = World(app, make, role)
    web = login_as(world.actor)
    page = _page(world, web, action)
    api = _api(world, client, bearer(app, world.actor), action)
    expected = role in ALLOWED[action]
    answers = {"page": (page.status_code, page.status_code < 400), "api": (api.status_code, api.status_code < 400)}
    assert answers == {"page": (page.status_code, expected), "api": (api.status_code, expected)}, api.text[:300]
