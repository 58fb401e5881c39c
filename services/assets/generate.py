"""Generated asset registers for the demo and the bench, in bulk.

Volumes follow school size (devices per pupil: pupils' Chromebooks and tablets, staff laptops,
classroom panels, the network), ages spread over a decade of purchases so warranties lapse and
replacements fall due in every year of the forecast, and a few percent are retired or disposed.
150 schools at three devices per pupil is about 300 000 assets.
"""
from __future__ import annotations

import random
import string
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from services.assets import categories as category_service
from services.assets.lifecycle import add_months, manufacturer_key, replacement_due
from services.assets.models import Asset, AssetEvent, Licence, Location
from services.desk.models import Category, Ticket
from services.directory.models import Membership, School, Trust
from trust_it.extensions import db

# category: (weight, [(manufacturer, model, os, os version)], warranty years, cost range £, tag code)
KINDS = {
    "Laptop": (28, [("Dell", "Latitude 3440", "Windows", "11 23H2"),
                    ("Lenovo", "ThinkPad L14 Gen 4", "Windows", "11 23H2"),
                    ("HP", "ProBook 440 G8", "Windows", "10 22H2"), ("Apple", "MacBook Air M2", "macOS", "14.6")],
               3, (450, 900), "LT"),
    "Chromebook": (24, [("Acer", "Chromebook Spin 511", "ChromeOS", "126"), ("Lenovo", "300e Chromebook Gen 3",
                                                                              "ChromeOS", "126"),
                        ("HP", "Chromebook 11 G8 EE", "ChromeOS", "118")], 3, (220, 330), "CB"),
    "Tablet": (15, [("Apple", "iPad (10th generation)", "iPadOS", "17.5"), ("Apple", "iPad (9th generation)",
                                                                          "iPadOS", "17.5")], 1, (280, 420), "TB"),
    "Desktop": (12, [("Dell", "OptiPlex 7010", "Windows", "11 23H2"), ("HP", "ProDesk 400 G6", "Windows", "10 22H2"),
                     ("Lenovo", "ThinkCentre M70q", "Windows", "11 22H2")], 3, (450, 750), "PC"),
    "Interactive panel": (4, [("Promethean", "ActivPanel 9 75\"", "", ""), ("SMART", "Board MX275-V4", "", "")],
                          5, (1800, 3200), "IP"),
    "Projector": (3, [("Epson", "EB-695Wi", "", ""), ("Optoma", "ZW350ST", "", "")], 3, (600, 1100), "PJ"),
    "Printer/copier": (2, [("Canon", "imageRUNNER ADVANCE DX C3826i", "", ""), ("Kyocera", "TASKalfa 3554ci", "", "")],
                       5, (1200, 2600), "PR"),
    "Wireless access point": (3, [("Ubiquiti", "UniFi U6 Pro", "", ""), ("Meraki", "MR36", "", "")],
                              5, (150, 600), "AP"),
    "Switch": (1.5, [("HPE Aruba", "2930F 48G PoE+", "", ""), ("Cisco", "Catalyst 9200L-48P", "", "")],
               5, (1200, 3500), "SW"),
    "Phone": (2, [("Yealink", "T54W", "", ""), ("Apple", "iPhone SE (3rd generation)", "iOS", "17.5")],
              1, (120, 430), "PH"),
    "UPS": (0.5, [("APC", "Smart-UPS 1500", "", "")], 3, (450, 900), "UP"),
    "Server": (0.2, [("Dell", "PowerEdge R350", "Windows Server", "2022")], 5, (3000, 6500), "SV"),
    "Firewall": (0.1, [("Fortinet", "FortiGate 60F", "", ""), ("Sophos", "XGS 2100", "", "")], 5, (900, 3500), "FW"),
    "Other": (1.7, [("IPEVO", "V4K visualiser", "", ""), ("Bose", "Companion 2 speakers", "", "")], 1, (60, 200), "OT"),
}
STATUS_WEIGHTS = [("deployed", 80), ("in_stock", 8), ("in_repair", 2), ("retired", 5), ("disposed", 4),
                  ("lost_stolen", 1)]
SUPPLIERS = ["XMA", "Misco", "CDW UK", "Softcat", "RM Education", "Computacenter", "Stone Group"]
FUNDING = [("school_budget", 60), ("trust_capital", 30), ("grant", 10)]
NAMED_ROOMS = [("Server room", "Main building"), ("ICT suite 1", "Main building"), ("ICT suite 2", "Main building"),
               ("Library", "Main building"), ("Staff room", "Main building"), ("Reception", "Main building"),
               ("Hall", "Main building")]
TRUST_LICENCES = [("Microsoft 365 A3 for faculty", "Microsoft", 1.1), ("Smoothwall Filter", "Smoothwall", 1.0),
                  ("Sophos Intercept X Education", "Sophos", 1.3), ("Adobe Creative Cloud Education", "Adobe", 0.05)]
SCHOOL_LICENCES = [("Purple Mash", "2Simple"), ("Sparx Maths", "Sparx"), ("Reading Plus", "Reading Solutions UK"),
                   ("CPOMS StaffSafe", "CPOMS")]


def _rooms(school: School, rng: random.Random) -> list[dict]:
    classrooms = max(4, (school.pupils or 300) // 25)
    blocks = ["Main building", "Science block", "Humanities block", "Sports hall", "Annexe"]
    rows = [{"school_id": school.id, "name": name, "building": building, "active": True}
            for name, building in NAMED_ROOMS]
    for n in range(1, classrooms + 1):
        block = blocks[n % (3 if school.phase == "Primary" else len(blocks))]
        rows.append({"school_id": school.id, "name": f"{block.split()[0][0]}{n}", "building": block, "active": True})
    return rows


def _serial(rng: random.Random, maker: str, n: int) -> str:
    """Unique per maker by construction (a running number), shaped like real serials."""
    head = "".join(rng.choices(string.ascii_uppercase, k=2)) + str(rng.randint(1, 9))
    return f"{maker[:2].upper()}{head}{n:07d}"


def seed_assets(trust: Trust, *, per_pupil: float = 3.0, today: date, rng: random.Random | None = None,
                chunk: int = 20_000, link_tickets: int = 40) -> int:
    """Rooms, assets (with a 'created' history entry each), licences and tickets naming devices; returns
    the number of assets. Bulk inserts, a few statements per chunk; flushes, never commits."""
    rng = rng or random.Random(11)
    cats = {c.name: c for c in category_service.ensure_defaults(trust.id)}
    names = [n for n in KINDS if n in cats]
    weights = [KINDS[n][0] for n in names]
    statuses, status_w = zip(*STATUS_WEIGHTS, strict=True)
    funding, funding_w = zip(*FUNDING, strict=True)
    schools = db.session.execute(select(School).where(School.trust_id == trust.id).order_by(School.id)).scalars().all()
    total, serial_no = 0, 0
    rows: list[dict] = []
    for school in schools:
        db.session.execute(insert(Location), _rooms(school, rng))
        rooms = list(db.session.execute(select(Location.id).where(Location.school_id == school.id)).scalars())
        staff = list(db.session.execute(select(Membership.user_id).where(Membership.school_id == school.id)).scalars())
        count = max(30, int((school.pupils or 300) * per_pupil))
        for n in range(1, count + 1):
            name = rng.choices(names, weights)[0]
            _, models, warranty_years, (low, high), code = KINDS[name]
            maker, model, os_name, os_version = rng.choice(models)
            category = cats[name]
            purchased = today - timedelta(days=rng.randint(20, 365 * 9))
            status = rng.choices(statuses, status_w)[0]
            serial_no += 1
            personal = name in ("Laptop", "Tablet", "Phone") and staff and rng.random() < 0.6
            fixed = name in ("Interactive panel", "Projector", "Printer/copier", "Wireless access point", "Switch",
                             "Desktop", "Server", "UPS", "Firewall")
            managed = (os_name in ("Windows", "ChromeOS", "macOS", "iPadOS", "iOS")
                       and status in ("deployed", "in_repair"))
            seen = (datetime.combine(today, datetime.min.time()) - timedelta(hours=rng.randint(1, 24 * 120))
                    if managed else None)
            rows.append({
                "school_id": school.id, "trust_id": trust.id, "tag": f"{school.ticket_prefix}-{code}{n:05d}",
                "serial": _serial(rng, maker, serial_no), "manufacturer": maker,
                "manufacturer_key": manufacturer_key(maker), "model": model, "model_number": "",
                "name": f"{school.ticket_prefix}-{code}-{n:04d}" if managed else "",
                "category_id": category.id, "os": os_name, "os_version": os_version, "status": status,
                "assigned_user_id": rng.choice(staff) if personal and status == "deployed" else None,
                "location_id": rng.choice(rooms) if fixed or rng.random() < 0.3 else None,
                "purchased_on": purchased, "supplier": rng.choice(SUPPLIERS),
                "order_number": f"PO{purchased.year}-{rng.randint(1000, 9999)}",
                "cost": Decimal(rng.randint(low, high)), "funding": rng.choices(funding, funding_w)[0],
                "warranty_ends_on": add_months(purchased, 12 * warranty_years),
                "end_of_life_on": None,
                "replacement_due_on": replacement_due(purchased, category.expected_life_months),
                "disposed_on": purchased + timedelta(days=365 * 6) if status == "disposed" else None,
                "disposal_method": "weee_recycler" if status == "disposed" else None,
                "wipe_certificate": f"WEEE-{rng.randint(10000, 99999)}" if status == "disposed" else "",
                # Managed devices carry an Intune id as synced ones do: "known to Intune" means having one.
                "intune_device_id": str(uuid.UUID(int=rng.getrandbits(128))) if managed else None,
                "compliance": ("compliant" if rng.random() < 0.9 else "noncompliant")
                if managed and os_name == "Windows" else None,
                "encrypted": (rng.random() < 0.93) if managed and os_name == "Windows" else None,
                "last_seen_at": seen, "unseen_since": None, "notes": "", "custom": {},
                "created_at": datetime.combine(purchased, datetime.min.time()),
                "updated_at": datetime.combine(purchased, datetime.min.time())})
            if len(rows) >= chunk:
                total += _flush(rows)
        total += _flush(rows)
        _licences(trust, school, rng, today)
    _trust_licences(trust, schools, today)
    if link_tickets:
        _link_tickets(trust, schools, rng, link_tickets)
    db.session.flush()
    return total


def _flush(rows: list[dict]) -> int:
    """Assets, then one 'created' history entry each: two statements a chunk (RETURNING gives the ids)."""
    if not rows:
        return 0
    n = len(rows)
    # Core inserts of the tables: the ORM's bulk insert leaves out None values, so rows with a person
    # and rows without would go in separate statements, often one row at a time.
    table = Asset.__table__
    made = db.session.execute(insert(table).returning(table.c.id, table.c.school_id, table.c.created_at), rows).all()
    db.session.execute(insert(AssetEvent.__table__), [
        {"asset_id": asset_id, "school_id": school_id, "kind": "created", "actor_id": None, "changes": {},
         "note": "Added to the register", "created_at": created} for asset_id, school_id, created in made])
    rows.clear()
    return n


def _licences(trust: Trust, school: School, rng: random.Random, today: date) -> None:
    pupils = school.pupils or 300
    db.session.execute(insert(Licence), [
        {"trust_id": trust.id, "school_id": school.id, "product": product, "vendor": vendor,
         "seats": pupils, "seats_used": int(pupils * rng.uniform(0.7, 1.05)),
         "expires_on": today + timedelta(days=rng.randint(-20, 400)), "cost": Decimal(int(pupils * rng.uniform(1, 4))),
         "reference": f"AG-{rng.randint(100000, 999999)}", "notes": ""}
        for product, vendor in rng.sample(SCHOOL_LICENCES, 2)])


def _trust_licences(trust: Trust, schools: list[School], today: date) -> None:
    people = sum(s.pupils or 300 for s in schools) // 8
    db.session.execute(insert(Licence), [
        {"trust_id": trust.id, "school_id": None, "product": product, "vendor": vendor, "seats": int(people * ratio),
         "seats_used": int(people * ratio * 0.92), "expires_on": date(today.year + 1, 8, 31),
         "cost": Decimal(int(people * ratio * 12)), "reference": "", "notes": ""}
        for product, vendor, ratio in TRUST_LICENCES])


def _link_tickets(trust: Trust, schools: list[School], rng: random.Random, per_school: int) -> None:
    """Tickets about devices and classroom AV name one of their school's devices: one UPDATE in all."""
    about_devices = select(Category.id).where(Category.trust_id == trust.id,
                                              Category.name.in_(("Devices", "Classroom AV")))
    pairs = []
    for school in schools:
        tickets = db.session.execute(select(Ticket.id).where(
            Ticket.school_id == school.id, Ticket.category_id.in_(about_devices))
            .order_by(Ticket.id.desc()).limit(per_school)).scalars().all()
        if not tickets:
            continue
        assets = db.session.execute(select(Asset.id, Asset.location_id).where(
            Asset.school_id == school.id, Asset.status == "deployed").limit(per_school * 4)).all()
        for ticket_id in tickets:
            if assets:
                asset_id, location_id = rng.choice(assets)
                pairs.append({"ticket": ticket_id, "asset": asset_id, "room": location_id})
    if pairs:
        # Core, not the ORM: an executemany UPDATE with its own WHERE (the ORM's bulk form wants primary keys).
        table = Ticket.__table__
        db.session.connection().execute(update(table).where(table.c.id == bindparam("ticket"))
                                        .values(asset_id=bindparam("asset"), location_id=bindparam("room")), pairs)


def demo_register(trust: Trust, oakwood: School, today: date) -> int:
    """The demo trust's register: a believable few hundred devices per school, and the projector in
    Oakwood's S12 that the demo's first ticket is about."""
    count = seed_assets(trust, per_pupil=0.3, today=today, link_tickets=3)
    room = Location(school_id=oakwood.id, name="S12", building="Science block")
    db.session.add(room)
    db.session.flush()
    projector = Asset(school_id=oakwood.id, trust_id=trust.id, tag=f"{oakwood.ticket_prefix}-PJ00S12",
                      serial="X5JK7702134", manufacturer="Epson", manufacturer_key="epson", model="EB-695Wi",
                      category_id=category_service.by_name(trust.id)["projector"].id, status="deployed",
                      location_id=room.id, purchased_on=add_months(today, -62), supplier="XMA",
                      cost=Decimal("849.00"), funding="school_budget", warranty_ends_on=add_months(today, -26))
    projector.replacement_due_on = replacement_due(projector.purchased_on, 84)
    db.session.add(projector)
    db.session.flush()
    db.session.add(AssetEvent(school_id=oakwood.id, asset_id=projector.id, kind="created",
                              note="Added to the register"))
    ticket = db.session.execute(select(Ticket).where(Ticket.school_id == oakwood.id,
                                                     Ticket.title.like("Projector in S12%"))).scalar_one_or_none()
    if ticket:
        ticket.asset_id, ticket.location_id = projector.id, room.id
    db.session.flush()
    return count + 1
