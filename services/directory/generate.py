"""Believable data: the demo trust, and large generated trusts for benchmarks (bulk inserts)."""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from services.base import utcnow
from services.directory import people, signin
from services.directory import schools as school_service
from services.directory.bank_holidays import between as bank_holidays_between
from services.directory.models import Closure, Membership, School, Term, Trust, User, WorkingHours
from trust_it.extensions import db

DEMO_PASSWORD = "demo-password-2026"


def school_year_start(today: date) -> int:
    return today.year if today.month >= 8 else today.year - 1


def _weekday_on_or_after(d: date, weekday: int) -> date:
    return d + timedelta(days=(weekday - d.weekday()) % 7)


def standard_terms(start_year: int) -> list[tuple[str, date, date]]:
    """Six terms of an English school year, shaped like most local authorities' calendars."""
    from services.directory.bank_holidays import easter_sunday
    y = start_year
    autumn1 = _weekday_on_or_after(date(y, 9, 2), 0)           # first Monday from 2 Sept
    half1 = _weekday_on_or_after(date(y, 10, 24), 0)           # October half term week
    christmas = _weekday_on_or_after(date(y, 12, 17), 4)       # last Friday before Christmas
    spring1 = _weekday_on_or_after(date(y + 1, 1, 5), 0)
    feb = _weekday_on_or_after(date(y + 1, 2, 12), 0)          # February half term week
    easter = easter_sunday(y + 1)
    spring2_end = easter - timedelta(days=3)                    # Thursday before Good Friday
    summer1 = easter + timedelta(days=15)                       # two weeks' Easter holiday
    last_may_monday = max(date(y + 1, 5, d) for d in range(25, 32) if date(y + 1, 5, d).weekday() == 0)
    return [
        ("Autumn 1", autumn1, half1 - timedelta(days=3)),
        ("Autumn 2", half1 + timedelta(days=7), christmas),
        ("Spring 1", spring1, feb - timedelta(days=3)),
        ("Spring 2", feb + timedelta(days=7), spring2_end),
        ("Summer 1", summer1, last_may_monday - timedelta(days=3)),
        ("Summer 2", last_may_monday + timedelta(days=7), _weekday_on_or_after(date(y + 1, 7, 17), 2)),
    ]


def add_standard_calendar(school: School, start_year: int) -> None:
    for name, starts, ends in standard_terms(start_year):
        db.session.add(Term(school_id=school.id, name=name, starts_on=starts, ends_on=ends))
    first_day = standard_terms(start_year)[0][1]
    db.session.add(Closure(school_id=school.id, day=first_day, kind="inset", name="INSET day"))
    db.session.flush()
    school_service.add_bank_holidays(school, date(start_year, 9, 1), date(start_year + 1, 8, 31))


DEMO_SCHOOLS = [
    # name, slug, urn, la_estab, phase, pupils, support model, domain
    ("Oakwood Academy", "oakwood", "149001", "3304001", "Secondary", 1180, "in_house", "oakwood.sch.uk"),
    ("Riverside High School", "riverside", "149002", "3304002", "Secondary", 960, "in_house", "riverside.sch.uk"),
    ("Elm Street Primary", "elm-street", "149003", "3302001", "Primary", 410, "msp", "elmstreet.sch.uk"),
    ("Willow Bank Primary", "willow-bank", "149004", "3302002", "Primary", 205, "msp", "willowbank.sch.uk"),
    ("Hazel Grove Infant School", "hazel-grove", "149005", "3302003", "Primary", 180, "msp", "hazelgrove.sch.uk"),
    ("Birchfield Primary", "birchfield", "149006", "3302004", "Primary", 320, "msp", "birchfield.sch.uk"),
]

# email, name, role, school slug (None = trust-wide)
DEMO_PEOPLE = [
    ("admin@oakvalley.org.uk", "Priya Shah", "trust_admin", None),
    ("director@oakvalley.org.uk", "Martin Hughes", "it_director", None),
    ("servicedesk@oakvalley.org.uk", "Chloe Evans", "service_desk", None),
    ("technical@oakvalley.org.uk", "Tom Okafor", "technical", None),
    ("edtech@oakvalley.org.uk", "Sian Lloyd", "edtech", None),
    ("trustee@oakvalley.org.uk", "Judith Barnes", "trustee", None),
    ("lead@oakwood.sch.uk", "Helen Carter", "school_lead", "oakwood"),
    ("tech@oakwood.sch.uk", "Dan Price", "technician", "oakwood"),
    ("staff@oakwood.sch.uk", "Amira Khan", "staff", "oakwood"),
    ("tech@riverside.sch.uk", "Gareth Jones", "technician", "riverside"),
    ("staff@riverside.sch.uk", "Lucy Morgan", "staff", "riverside"),
    ("staff@elmstreet.sch.uk", "Ben Ward", "staff", "elm-street"),
    ("engineer@brightmsp.co.uk", "Kate Fisher", "msp_engineer", "elm-street"),
]


def create_demo_trust(today: date | None = None) -> Trust:
    today = today or date.today()
    trust = Trust(name="Oak Valley Learning Trust", companies_house_number="09876543", gias_group_uid="16001")
    db.session.add(trust)
    db.session.flush()
    by_slug = {}
    for name, slug, urn, la_estab, phase, pupils, model, domain in DEMO_SCHOOLS:
        school = school_service.create_school(trust, name=name, slug=slug, urn=urn, la_estab=la_estab, phase=phase,
                                              pupils=pupils, support_model=model, email_domains=[domain])
        add_standard_calendar(school, school_year_start(today))
        by_slug[slug] = school
    for email, name, role, slug in DEMO_PEOPLE:
        user = people.create_user(trust_id=trust.id, email=email, display_name=name, password=DEMO_PASSWORD)
        people.add_membership(user, role=role, school=by_slug.get(slug))
    # The MSP engineer covers every primary until the contract ends.
    msp = people.find_by_email("engineer@brightmsp.co.uk")
    from trust_it.formatting import uk_to_utc
    contract_end = uk_to_utc(datetime.combine(date(school_year_start(today) + 1, 8, 31), time(23, 59)))
    for slug in ("elm-street", "willow-bank", "hazel-grove", "birchfield"):
        people.add_membership(msp, role="msp_engineer", school=by_slug[slug], expires_at=contract_end)
    _demo_desk(trust, by_slug, today)
    from services.assets.generate import demo_register
    demo_register(trust, by_slug["oakwood"], today)
    # The standards with two years of the schools' answers behind them: a spread to look at.
    from services.standards.generate import seed_standards
    seed_standards(trust, now=datetime.combine(today, time(8)), rng=random.Random(2026))
    # Sign-in rules an administrator would set up for Microsoft 365.
    for value, role in (("School.Staff", "staff"), ("School.Technician", "technician"),
                        ("Trust.ServiceDesk", "service_desk"), ("Trust.Technical", "technical"),
                        ("Trust.ITDirector", "it_director"), ("Trust.Admin", "trust_admin")):
        signin.add_rule(trust, claim="app_role", value=value, role=role)
    return trust


def seed_trust(*, schools: int, users_per_school: int, name: str | None = None, rng: random.Random | None = None
               ) -> Trust:
    """A generated trust of any size, written with bulk inserts (a 150-school trust in seconds)."""
    rng = rng or random.Random(2026)
    tag = secrets.token_hex(3)
    trust = Trust(name=name or f"Generated Trust {tag}")
    db.session.add(trust)
    db.session.flush()
    now = utcnow()
    start_year = school_year_start(date.today())
    phases = ["Primary"] * 7 + ["Secondary"] * 2 + ["All-through"]
    school_rows = []
    for i in range(schools):
        phase = rng.choice(phases)
        school_rows.append({
            "trust_id": trust.id,
            "name": f"{_school_name(rng)} {'Academy' if phase != 'Primary' else 'Primary'} {tag}-{i}",
            "slug": f"g{tag}-{i}", "urn": None, "phase": phase, "ticket_prefix": f"{tag[:4].upper()}{i}",
            "ticket_counter": 0,
            "pupils": rng.randint(900, 1800) if phase != "Primary" else rng.randint(90, 630),
            "support_model": "in_house" if phase != "Primary" else rng.choice(["msp", "msp", "trust_central"]),
            "email_domains": [f"g{tag}-{i}.sch.uk"], "timezone": "Europe/London", "created_at": now})
    db.session.execute(insert(School), school_rows)
    ids = list(db.session.execute(select(School.id).where(School.trust_id == trust.id).order_by(School.id)).scalars())
    terms = standard_terms(start_year)
    holidays = bank_holidays_between(date(start_year, 9, 1), date(start_year + 1, 8, 31))
    db.session.execute(insert(WorkingHours), [
        {"school_id": sid, "weekday": d, "opens": time(8, 0), "closes": time(16, 30)} for sid in ids for d in range(5)])
    db.session.execute(insert(Term), [
        {"school_id": sid, "name": n, "starts_on": s, "ends_on": e} for sid in ids for n, s, e in terms])
    db.session.execute(insert(Closure), [
        {"school_id": sid, "day": h.date, "kind": "bank_holiday", "name": h.name} for sid in ids for h in holidays])
    password = generate_password_hash(DEMO_PASSWORD)
    user_rows, member_specs = [], []
    for sid in ids:
        for j in range(users_per_school):
            role = "technician" if j == 0 else ("school_lead" if j == 1 else "staff")
            user_rows.append({"trust_id": trust.id, "email": f"user{j}@s{sid}.g{tag}.sch.uk",
                              "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "password_hash": password,
                              "active": True, "session_token": secrets.token_hex(16), "created_at": now})
            member_specs.append((sid, role))
    for role in ("trust_admin", "it_director", "service_desk", "technical"):
        user_rows.append({"trust_id": trust.id, "email": f"{role}@g{tag}.trust.org.uk",
                          "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "password_hash": password,
                          "active": True, "session_token": secrets.token_hex(16), "created_at": now})
        member_specs.append((None, role))
    for chunk in range(0, len(user_rows), 5000):
        db.session.execute(insert(User), user_rows[chunk:chunk + 5000])
    user_ids = list(db.session.execute(select(User.id).where(User.trust_id == trust.id).order_by(User.id)).scalars())
    # The trust is new: its users are exactly the rows just inserted, in the order of their specs.
    member_rows = [{"user_id": uid, "school_id": sid, "trust_id": None if sid else trust.id, "role": role,
                    "source": "manual", "created_at": now}
                   for uid, (sid, role) in zip(user_ids, member_specs, strict=True)]
    for chunk in range(0, len(member_rows), 5000):
        db.session.execute(insert(Membership), member_rows[chunk:chunk + 5000])
    db.session.flush()
    return trust


FIRST = ["Amelia", "Oliver", "Isla", "George", "Ava", "Noah", "Freya", "Arthur", "Mia", "Leo", "Sophie", "Harry",
         "Grace", "Jacob", "Ffion", "Rhys", "Zara", "Yusuf", "Niamh", "Kwame"]
LAST = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Patel", "Roberts",
        "Khan", "Walker", "Wright", "Robinson", "Thompson", "Hughes", "Edwards", "Green", "Lewis"]
PLACES = ["Oak", "Ash", "Beech", "Cedar", "Holly", "Larch", "Maple", "Rowan", "Yew", "Alder", "Brook", "Meadow",
          "Hill", "Vale", "Park", "Moor", "Field", "Lea", "Marsh", "Heath"]


def _school_name(rng: random.Random) -> str:
    return f"{rng.choice(PLACES)}{rng.choice(['wood', 'field', 'brook', ' Green', ' Hill', 'ley', 'ton'])}"


def _demo_desk(trust: Trust, by_slug: dict, today: date) -> None:
    """A morning's worth of tickets so every queue has something real in it."""
    from services.desk import escalation, tickets
    from services.desk.catalogue import ensure_defaults
    from services.desk.models import Category

    ensure_defaults(trust)
    from services.desk.knowledge import create_article
    edtech = people.find_by_email("edtech@oakvalley.org.uk")
    for title, body, keywords in DEMO_ARTICLES:
        create_article(trust_id=trust.id, school=None, title=title, body=body, keywords=keywords,
                       status="published", by=edtech)
    cats = {c.name: c for c in db.session.execute(select(Category).where(Category.trust_id == trust.id)).scalars()}
    who = {email: people.find_by_email(email) for email, *_ in DEMO_PEOPLE}
    staff, tech = who["staff@oakwood.sch.uk"], who["tech@oakwood.sch.uk"]
    oak = by_slug["oakwood"]
    projector = tickets.create_ticket(oak, requester=staff, title="Projector in S12 won't turn on",
                                      description="Period 1 starts at 08:50; the projector shows no light.",
                                      impact=2, urgency=1, category=cats["Classroom AV"])
    tickets.assign(projector, tech, by=tech)
    tickets.reply(projector, by=tech, body="On my way with a spare lamp.")
    wifi = tickets.create_ticket(oak, requester=staff, title="Wi-Fi drops in the science block", impact=1, urgency=2,
                                 category=cats["Wi-Fi and network"])
    tickets.assign(wifi, tech, by=tech)
    escalation.escalate(wifi, by=tech, to_tier=2, reason="Core switch in the science block is flapping; "
                                                         "needs the trust network team.")
    tickets.create_ticket(oak, requester=staff, title="How do I share a OneNote class notebook with a cover teacher?",
                          kind="guidance", impact=3, urgency=3, category=cats["Software"])
    riverside = by_slug["riverside"]
    lucy = who["staff@riverside.sch.uk"]
    tickets.create_ticket(riverside, requester=lucy, title="Reprographics copier jammed", impact=2, urgency=2,
                          category=cats["Printing"])
    elm = by_slug["elm-street"]
    board = tickets.create_ticket(elm, requester=who["staff@elmstreet.sch.uk"],
                                  title="Interactive panel in Year 2 needs replacing", impact=2, urgency=3,
                                  category=cats["Procurement"])
    escalation.escalate(board, by=who["engineer@brightmsp.co.uk"], to_tier=2, reason="Panel out of warranty")
    escalation.escalate(board, by=who["technical@oakvalley.org.uk"], to_tier=3, decision_kind="spend",
                        reason="Replacement panel £2,150 from the capital budget")


DEMO_ARTICLES = [
    ("The projector will not turn on",
     "Check the wall switch by the whiteboard and the projector's own power light.\n\n"
     "Use the remote's power button once and wait a full minute: projectors cool down before they start again.\n\n"
     "If the light blinks red, the lamp or filter needs a technician: raise a request with the room number.",
     "projector, projectors, display, panel, screen, lamp"),
    ("Reset your password or your MFA",
     "Go to the Microsoft sign-in page and choose \"Forgot my password\". You need the phone you registered.\n\n"
     "New phone? Ask IT to reset your MFA: raise a request, and have your new phone with you.",
     "password, passwords, mfa, authenticator, locked out, login"),
    ("Share a OneNote class notebook with a cover teacher",
     "In Teams, open the class team, then Class Notebook, then Manage notebooks.\n\n"
     "Add the cover teacher as a co-teacher for the day; remove them afterwards.",
     "onenote, class notebook, cover, share, teams"),
]
