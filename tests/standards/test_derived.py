"""Standards items the platform answers itself: each derived check against real register, Intune and desk
rows, for the schools asked for (and no other), with the devices or tickets behind a failing figure."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from services.assets import listing, search_args
from services.desk import escalation, knowledge, queues, tickets, training
from services.desk.models import STATUSES, Ticket
from services.directory.models import School, Term, User
from services.standards.derived import CHECKS, compute_all, usual_term_start
from services.standards.figures import Figure
from tests.assets import factories_transfers as f
from tests.assets import intune_world
from tests.assets.intune_world import TID, run_sync
from tests.conftest import data
from tests.fakes.graph import device
from trust_it.extensions import db
from trust_it.tenancy import scope_for, set_scope

# Every figure is judged at the moment passed in: a Monday morning in the spring term of 2026.
NOW = datetime(2026, 3, 2, 10, 0)
SPRING = date(2026, 1, 5)

local_microsoft, microsoft = intune_world.local_microsoft, intune_world.microsoft


@pytest.fixture
def world(app, make):
    trust = make.trust("Oak Valley Learning Trust")
    oak = make.school("oak", name="Oakwood Academy", trust=trust)
    elm = make.school("elm", name="Elmfield Primary", trust=trust)
    ash = make.school("ash", name="Ashgrove Infants", trust=trust)  # nothing recorded at all
    with data(app) as s:
        for school in (oak, elm):
            s.add_all([Term(school_id=school.id, name="Autumn 2025", starts_on=date(2025, 9, 3),
                            ends_on=date(2025, 12, 19)),
                       Term(school_id=school.id, name="Spring 2026", starts_on=SPRING, ends_on=date(2026, 3, 27))])
    kinds = {name: f.category(app, trust, name) for name in
             ("Laptop", "Desktop", "Tablet", "Chromebook", "Interactive panel", "Switch", "Firewall",
              "Wireless access point")}
    return {"trust": trust, "oak": oak, "elm": elm, "ash": ash, "kinds": kinds,
            "director": make.user(role="it_director"), "technical": make.user(role="technical"),
            "tech_oak": make.user(role="technician", school=oak)}


@contextmanager
def as_user(app, user):
    """Inside a request of `user`: the ORM guard and PostgreSQL's row-level security both apply."""
    with app.test_request_context():
        set_scope(scope_for(db.session.get(User, user.id)))
        yield


def figures(app, world, keys, school_ids=None, *, user=None, now=NOW) -> dict[str, dict[int, Figure]]:
    with as_user(app, user or world["director"]):
        return compute_all(db.session, set(keys), school_ids, now)


def register_list(app, world, args: dict, user=None) -> set[str]:
    """The tags the register's list shows for these query arguments (what the figure's link opens)."""
    with as_user(app, user or world["director"]):
        filters = search_args.filters_from_args({k: [v] for k, v in args.items()}, today=NOW.date())
        return {a.tag for a in listing.page(filters, limit=500).items}


def ids(world, *names):
    return [world[n].id for n in names]


# --- the asset register -----------------------------------------------------------------------------

def test_supported_os_share_counts_end_user_devices_in_use_by_the_forecasts_rules(app, world):
    k, oak = world["kinds"], world["oak"]
    f.asset(app, oak, k["Laptop"], "OAK-1", os="Windows", os_version="10.0.26100.2033", status="deployed")
    f.asset(app, oak, k["Desktop"], "OAK-2", os="Windows 11 Education", os_version="23H2", status="deployed")
    f.asset(app, oak, k["Tablet"], "OAK-3", os="iPadOS", os_version="17.4", status="in_stock")
    f.asset(app, oak, k["Laptop"], "OAK-4", os="Windows 10 Pro", os_version="10.0.19045", status="deployed")
    f.asset(app, oak, k["Chromebook"], "OAK-5", os="ChromeOS", end_of_life_on=date(2025, 6, 1),
            status="deployed")                                                 # past its auto-update expiry
    f.asset(app, oak, k["Laptop"], "OAK-6", os="Windows 10 Pro", status="retired")      # not in use
    f.asset(app, oak, k["Interactive panel"], "OAK-7", os="Windows 10", status="deployed")  # not end-user
    f.asset(app, world["elm"], k["Laptop"], "ELM-1", os="Windows 10", status="deployed")

    got = figures(app, world, {"assets.supported_os_share"}, ids(world, "oak", "ash"))["assets.supported_os_share"]
    oak_figure = got[oak.id]
    assert (oak_figure.numerator, oak_figure.denominator, oak_figure.value) == (3, 5, 60.0)
    assert "3 of 5 end-user devices" in oak_figure.detail
    assert register_list(app, world, oak_figure.failing_url_args) == {"OAK-4", "OAK-5"}
    assert got[world["ash"].id] == Figure(None, 0, 0, got[world["ash"].id].detail,
                                         {"school": str(world["ash"].id), "group": "end_user",
                                          "support": "unsupported"})
    assert world["elm"].id not in got  # not asked for: not counted, not returned


def test_a_year_on_the_same_devices_have_left_support(app, world):
    k, oak = world["kinds"], world["oak"]
    f.asset(app, oak, k["Laptop"], "OAK-1", os="Windows", os_version="10.0.22631.3447", status="deployed")
    before = figures(app, world, {"assets.supported_os_share"}, [oak.id])["assets.supported_os_share"][oak.id]
    after = figures(app, world, {"assets.supported_os_share"}, [oak.id],
                    now=NOW + timedelta(days=365))["assets.supported_os_share"][oak.id]
    assert (before.value, after.value) == (100.0, 0.0)  # Windows 11 23H2 ended on 10 November 2026


def test_network_kit_out_of_warranty_is_a_count_of_kit_in_use(app, world):
    k, oak = world["kinds"], world["oak"]
    f.asset(app, oak, k["Switch"], "SW-1", warranty_ends_on=date(2025, 1, 31), status="deployed")
    f.asset(app, oak, k["Firewall"], "FW-1", warranty_ends_on=date(2026, 3, 1), status="deployed")
    f.asset(app, oak, k["Wireless access point"], "AP-1", warranty_ends_on=date(2028, 1, 1), status="deployed")
    f.asset(app, oak, k["Wireless access point"], "AP-2", warranty_ends_on=None, status="deployed")
    f.asset(app, oak, k["Switch"], "SW-2", warranty_ends_on=date(2020, 1, 1), status="disposed")
    f.asset(app, oak, k["Laptop"], "LT-1", warranty_ends_on=date(2020, 1, 1), status="deployed")

    got = figures(app, world, {"assets.network_kit_in_warranty"})["assets.network_kit_in_warranty"]
    assert (got[oak.id].value, got[oak.id].numerator, got[oak.id].denominator) == (2.0, 2, 4)
    assert register_list(app, world, got[oak.id].failing_url_args) == {"SW-1", "FW-1"}
    assert got[world["elm"].id].value is None and got[world["elm"].id].denominator == 0


# --- Intune ---------------------------------------------------------------------------------------------

@pytest.fixture
def synced(app, world, microsoft):
    """Oakwood's devices as the Intune sync brought them in from the local Graph."""
    from services.assets import intune_settings
    from services.directory.models import EntraTenant, Trust
    with data(app) as s:
        trust = s.get(Trust, world["trust"].id)
        s.add(EntraTenant(trust_id=trust.id, tenant_id=TID, label="Oak Valley"))
        s.flush()
        intune_settings.set_synced(trust, trust.tenants[0], True)
        intune_settings.add_rule(trust, kind="name_prefix", value="OAK-", school=s.get(School, world["oak"].id))
    microsoft.graph.devices[TID] = [
        device(1, lastSyncDateTime="2026-02-27T08:00:00Z"),
        device(2, isEncrypted=False, lastSyncDateTime="2026-02-27T08:00:00Z"),
        device(3, isEncrypted="", lastSyncDateTime="2025-11-20T08:00:00Z"),    # unknown; unseen since November
        device(4, operatingSystem="iOS", osVersion="17.4", model="iPad", manufacturer="Apple", isEncrypted=False,
               lastSyncDateTime="0001-01-01T00:00:00Z"),                     # never synced
        device(5, lastSyncDateTime="2025-12-10T08:00:00Z"),                   # 82 days ago: still seen
    ]
    run = run_sync(app, now=NOW)
    assert run.status == "succeeded" and run.created == 5
    return microsoft


def test_encrypted_share_of_windows_devices_intune_manages(app, world, synced):
    oak = world["oak"]
    f.asset(app, oak, world["kinds"]["Laptop"], "OAK-HAND", os="Windows 11", encrypted=None)  # not in Intune
    got = figures(app, world, {"intune.encrypted_share"})["intune.encrypted_share"]
    assert (got[oak.id].numerator, got[oak.id].denominator, got[oak.id].value) == (2, 4, 50.0)
    assert register_list(app, world, got[oak.id].failing_url_args) == {"5CG0000002", "5CG0000003"}
    assert got[world["elm"].id].value is None


def test_devices_unseen_for_ninety_days_include_the_never_seen(app, world, synced):
    oak = world["oak"]
    got = figures(app, world, {"intune.unseen_90_days"})["intune.unseen_90_days"]
    assert (got[oak.id].value, got[oak.id].numerator, got[oak.id].denominator) == (2.0, 2, 5)
    assert register_list(app, world, got[oak.id].failing_url_args) == {"5CG0000003", "5CG0000004"}
    later = figures(app, world, {"intune.unseen_90_days"}, now=NOW + timedelta(days=10))["intune.unseen_90_days"]
    assert later[oak.id].value == 3.0  # device 5 passes its 90 days
    assert got[world["ash"].id].value is None


# --- the service desk ---------------------------------------------------------------------------------

def _resolve(app, ticket, at: datetime):
    with data(app) as s:
        tickets.change_status(s.get(Ticket, ticket.id), "resolved", by=None, now=at)


def test_resolved_within_target_this_term(app, world, make):
    oak, elm = world["oak"], world["elm"]
    monday = datetime(2026, 2, 23, 9, 0)
    quick = make.ticket(oak, now=monday)
    _resolve(app, quick, monday + timedelta(minutes=20))
    slow = make.ticket(oak, now=monday)
    _resolve(app, slow, monday + timedelta(days=4))                 # four school days for a P1
    last_term = make.ticket(oak, now=datetime(2025, 12, 8, 9, 0))
    _resolve(app, last_term, datetime(2025, 12, 8, 9, 30))
    make.ticket(oak, now=monday)                                      # still open: not resolved this term
    no_terms = make.ticket(world["ash"], now=datetime(2026, 2, 2, 9, 0))
    _resolve(app, no_terms, datetime(2026, 2, 2, 9, 10))

    got = figures(app, world, {"desk.resolved_within_target_share"})["desk.resolved_within_target_share"]
    assert (got[oak.id].numerator, got[oak.id].denominator, got[oak.id].value) == (1, 2, 50.0)
    assert "since 5 January 2026" in got[oak.id].detail
    assert got[oak.id].failing_url_args == {"status": "any", "kind": "", "resolved_since": "2026-01-05",
                                          "sla": "missed"}
    assert got[elm.id].value is None and got[elm.id].denominator == 0
    ash = got[world["ash"].id]
    assert (ash.value, ash.denominator) == (100.0, 1) and "no term dates" in ash.detail

    with as_user(app, world["director"]):
        listed = queues.school_queue(oak.id, queues.QueueFilters(statuses=tuple(STATUSES), resolved_since=SPRING,
                                                                 sla_missed=True), now=NOW).items
    assert [t.id for t in listed] == [slow.id]


def test_the_queue_page_lists_the_missed_requests_the_figure_links_to(app, world, make, login_as):
    oak = world["oak"]
    monday = datetime(2026, 2, 23, 9, 0)
    quick, slow = make.ticket(oak, now=monday, title="Quick one"), make.ticket(oak, now=monday, title="Slow one")
    _resolve(app, quick, monday + timedelta(minutes=20))
    _resolve(app, slow, monday + timedelta(days=4))
    args = figures(app, world, {"desk.resolved_within_target_share"})["desk.resolved_within_target_share"][
        oak.id].failing_url_args
    page = login_as(world["tech_oak"]).get("/s/oak/queue", query_string=args)
    assert page.status_code == 200
    assert slow.reference in page.text and quick.reference not in page.text
    assert "that missed their resolution target" in page.text
    assert 'name="resolved_since" value="2026-01-05"' in page.text  # kept when other filters change


def _escalate(app, ticket, to_tier, at, by=None, kind=None):
    with data(app) as s:
        return escalation.escalate(s.get(Ticket, ticket.id), by=s.get(User, by.id) if by else None, to_tier=to_tier,
                                   reason="Needs the next tier", decision_kind=kind, now=at)


def test_escalations_answered_in_time_this_term(app, world, make):
    oak = world["oak"]
    tuesday = datetime(2026, 2, 24, 9, 0)
    handed = make.ticket(oak, now=tuesday)
    _escalate(app, handed, 2, tuesday)
    with data(app) as s:  # the trust team answers within its window: handed back
        escalation.hand_back(s.get(Ticket, handed.id), by=s.get(User, world["technical"].id),
                             reason="Core switch replaced; please check the room", now=tuesday + timedelta(hours=1))
    ignored = make.ticket(oak, now=tuesday)
    _escalate(app, ignored, 2, tuesday)
    _escalate(app, ignored, 3, tuesday + timedelta(days=2))          # the sweep: the team's window ran out
    with data(app) as s:
        escalation.decide(s.get(Ticket, ignored.id), by=s.get(User, world["director"].id), decision="approved",
                          text="Buy the replacement switch", now=tuesday + timedelta(days=3))
    taken = make.ticket(oak, now=tuesday)
    _escalate(app, taken, 2, tuesday)
    with data(app) as s, time_machine.travel(tuesday + timedelta(hours=2), tick=False):
        tickets.assign(s.get(Ticket, taken.id), s.get(User, world["technical"].id),
                       by=s.get(User, world["technical"].id), now=tuesday + timedelta(hours=2))
    _escalate(app, taken, 3, tuesday + timedelta(days=2))            # taken in time, though not finished in it
    waiting = make.ticket(oak, now=NOW - timedelta(minutes=30))
    _escalate(app, waiting, 2, NOW - timedelta(minutes=10))          # still inside its window: no outcome yet
    before = make.ticket(oak, now=datetime(2025, 12, 1, 9, 0))
    _escalate(app, before, 2, datetime(2025, 12, 1, 10, 0))          # last term

    got = figures(app, world, {"desk.escalations_answered_share"})["desk.escalations_answered_share"]
    # Met: handed back, the decision, taken; late: ignored until the sweep moved it; the director has not
    # decided `taken` yet and is still inside a week; `waiting` is still inside its window.
    assert (got[oak.id].numerator, got[oak.id].denominator, got[oak.id].value) == (3, 4, 75.0)
    assert got[world["elm"].id].value is None
    with as_user(app, world["director"]):
        filters = queues.QueueFilters(statuses=tuple(STATUSES), late_escalations_since=SPRING)
        listed = queues.school_queue(oak.id, filters, now=NOW).items
    assert [t.id for t in listed] == [ignored.id]
    assert got[oak.id].failing_url_args == {"status": "any", "kind": "",
                                          "escalated_late_since": "2026-01-05"}


def test_a_decision_left_waiting_a_week_is_late(app, world, make):
    oak = world["oak"]
    asked = make.ticket(oak, now=datetime(2026, 2, 16, 9, 0))
    _escalate(app, asked, 2, datetime(2026, 2, 16, 9, 1))
    # The trust team answers by passing it up by hand: a spend only the IT director can approve.
    _escalate(app, asked, 3, datetime(2026, 2, 16, 9, 5), by=world["technical"], kind="spend")
    early = figures(app, world, {"desk.escalations_answered_share"}, [oak.id], now=datetime(2026, 2, 20, 9))
    late = figures(app, world, {"desk.escalations_answered_share"}, [oak.id])
    assert (early["desk.escalations_answered_share"][oak.id].numerator,
            early["desk.escalations_answered_share"][oak.id].denominator) == (1, 1)  # the decision: not due yet
    assert late["desk.escalations_answered_share"][oak.id].value == 50.0


def test_guidance_given_counts_articles_for_the_school_and_training_held_this_term(app, world, make):
    oak, elm = world["oak"], world["elm"]
    with data(app) as s, time_machine.travel(datetime(2026, 2, 10, 9, 0), tick=False):
        trust_id = world["trust"].id
        knowledge.create_article(trust_id=trust_id, school=None, title="Connecting to the Wi-Fi",
                                 body="Choose the staff network.", status="published", by=None)
        knowledge.create_article(trust_id=trust_id, school=s.get(School, oak.id), title="Printing in S12",
                                 body="Use the copier by the door.", status="published", by=None)
        knowledge.create_article(trust_id=trust_id, school=s.get(School, oak.id), title="Draft only",
                                 body="Not yet.", status="draft", by=None)
        knowledge.create_article(trust_id=trust_id, school=s.get(School, elm.id), title="Elm's own",
                                 body="For Elmfield.", status="published", by=None)
    with data(app) as s:
        training.create_session(s.get(School, oak.id), held_on=date(2026, 2, 11), topic="Using the panels",
                                led_by=None)
        training.create_session(s.get(School, oak.id), held_on=date(2025, 11, 11), topic="Last term", led_by=None)
        training.create_session(s.get(School, oak.id), held_on=date(2026, 3, 20), topic="Planned", led_by=None)

    got = figures(app, world, {"desk.guidance_given"})["desk.guidance_given"]
    assert (got[oak.id].value, got[oak.id].numerator) == (3.0, 3)  # trust-wide + Oak's article, one session
    assert "2 guidance articles" in got[oak.id].detail and "1 training session" in got[oak.id].detail
    assert got[elm.id].value == 2.0
    assert got[world["ash"].id].value == 1.0  # the trust-wide article reaches every school


# --- scope, every school, and one statement each -------------------------------------------------------

def test_every_check_gives_every_school_asked_for_a_figure_and_no_other(app, world):
    got = figures(app, world, set(CHECKS), ids(world, "oak", "ash"))
    assert set(got) == set(CHECKS)
    for key, by_school in got.items():
        assert set(by_school) == {world["oak"].id, world["ash"].id}, key
        for figure in by_school.values():
            assert figure.denominator >= 0 and figure.detail
    assert figures(app, world, set(CHECKS), []) == {key: {} for key in CHECKS}
    with pytest.raises(KeyError):
        figures(app, world, {"assets.nonsense"})


def test_none_means_every_school_the_caller_sees(app, world, make):
    k = world["kinds"]
    f.asset(app, world["oak"], k["Laptop"], "OAK-1", os="Windows 10", status="deployed")
    f.asset(app, world["elm"], k["Laptop"], "ELM-1", os="Windows 10", status="deployed")
    other_trust = make.trust("Another Trust")
    make.school("far", name="Faraway High", trust=other_trust)

    trust_wide = figures(app, world, {"assets.supported_os_share"})["assets.supported_os_share"]
    assert set(trust_wide) == set(ids(world, "oak", "elm", "ash"))
    own = figures(app, world, {"assets.supported_os_share"}, user=world["tech_oak"])["assets.supported_os_share"]
    assert set(own) == {world["oak"].id} and own[world["oak"].id].denominator == 1
    asked_beyond = figures(app, world, {"assets.supported_os_share"}, ids(world, "oak", "elm"),
                           user=world["tech_oak"])["assets.supported_os_share"]
    assert set(asked_beyond) == {world["oak"].id}  # Elmfield is outside the technician's scope


def test_each_check_is_one_statement_however_many_schools_and_devices(app, world, make, count_queries):
    k = world["kinds"]

    def statements_per_check() -> dict[str, int]:
        out = {}
        for key in CHECKS:
            with as_user(app, world["director"]):
                db.session.execute(select(1))  # the scope reaches the database before counting starts
                with count_queries() as sent:
                    compute_all(db.session, {key}, None, NOW)
                out[key] = len([s for s in sent if "set_config" not in s])
        return out

    few = statements_per_check()
    for n in range(4):
        school = make.school(f"extra-{n}", name=f"Extra School {n}", trust=world["trust"])
        f.many(app, school, k["Laptop"], f"EX{n}", 12, os="Windows 10", status="deployed")
        make.ticket(school, now=NOW - timedelta(days=3))
    many = statements_per_check()
    assert few == many == {key: 1 for key in CHECKS}


def test_the_usual_term_starts_stand_in_for_missing_term_dates():
    assert usual_term_start(date(2026, 10, 5)) == date(2026, 9, 1)
    assert usual_term_start(date(2026, 2, 5)) == date(2026, 1, 1)
    assert usual_term_start(date(2026, 6, 5)) == date(2026, 4, 1)


def test_the_registers_trust_list_shows_the_devices_a_figure_links_to(app, world, login_as):
    k, oak = world["kinds"], world["oak"]
    f.asset(app, oak, k["Laptop"], "OAK-OLD", os="Windows 10 Pro", os_version="10.0.19045", status="deployed")
    f.asset(app, oak, k["Tablet"], "OAK-IPAD", os="iPadOS", os_version="17.4", status="deployed")
    f.asset(app, oak, k["Interactive panel"], "OAK-PANEL", os="Windows 10", status="deployed")
    f.asset(app, world["elm"], k["Laptop"], "ELM-OLD", os="Windows 10", status="deployed")
    args = figures(app, world, {"assets.supported_os_share"}, [oak.id])["assets.supported_os_share"][
        oak.id].failing_url_args
    page = login_as(world["director"]).get("/trust/assets", query_string=args)
    assert page.status_code == 200
    assert "OAK-OLD" in page.text
    for tag in ("OAK-IPAD", "OAK-PANEL", "ELM-OLD"):
        assert tag not in page.text
