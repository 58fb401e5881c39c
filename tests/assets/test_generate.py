"""The generated register the demo and the bench stand on: believable, unique and consistent."""
from datetime import date

from sqlalchemy import func, select

from services.assets.generate import seed_assets
from services.assets.lifecycle import add_months
from services.assets.models import Asset, AssetCategory, AssetEvent, Licence, Location
from services.desk.generate import seed_tickets
from services.desk.models import Ticket
from services.directory.generate import seed_trust
from services.directory.models import School
from tests.conftest import data

TODAY = date(2026, 3, 2)


def test_the_generator_writes_a_register_in_proportion_to_each_school(app):
    with data(app) as s:
        trust = seed_trust(schools=3, users_per_school=5, name="Generated")
        seed_tickets(trust, years=0.3, per_pupil=1.0)
        count = seed_assets(trust, per_pupil=0.5, today=TODAY, link_tickets=5)
        total = s.execute(select(func.count()).select_from(Asset)).scalar()
        created_events = s.execute(select(func.count()).select_from(AssetEvent)
                                   .where(AssetEvent.kind == "created")).scalar()
        by_school = dict(s.execute(select(Asset.school_id, func.count()).group_by(Asset.school_id)).all())
        pupils = dict(s.execute(select(School.id, School.pupils)).all())
        tags = s.execute(select(func.count(func.distinct(Asset.tag)))).scalar()
        serials = s.execute(select(func.count(func.distinct(Asset.manufacturer_key + Asset.serial)))).scalar()
        rooms = s.execute(select(func.count()).select_from(Location)).scalar()
        trust_wide = s.execute(select(func.count()).select_from(Licence).where(Licence.school_id.is_(None))).scalar()
        linked = s.execute(select(Ticket.school_id, Asset.school_id).join(Asset, Ticket.asset_id == Asset.id)).all()
        sample = s.execute(select(Asset, AssetCategory.expected_life_months).join(AssetCategory)
                           .where(Asset.purchased_on.isnot(None)).limit(50)).all()
    assert count == total == created_events
    assert all(n == max(30, int(pupils[sid] * 0.5)) for sid, n in by_school.items())
    assert tags == serials == total  # tags unique in the trust, serials unique per maker
    assert rooms >= 3 * 7 and trust_wide == 4
    assert linked and all(t == a for t, a in linked)  # a ticket names a device of its own school
    for asset, life in sample:
        assert asset.replacement_due_on == add_months(asset.purchased_on, life)
    assert {a.status for a, _ in sample} & {"deployed"}


def test_the_demo_trust_has_a_register_and_its_projector_ticket_names_the_projector(app):
    from services.base import utcnow
    from services.directory.generate import create_demo_trust
    today = utcnow().date()  # the demo's memberships are checked against the clock: it is built for today
    with data(app) as s:
        create_demo_trust(today=today)
        schools_with_assets = s.execute(select(func.count(func.distinct(Asset.school_id)))).scalar()
        ticket = s.execute(select(Ticket).where(Ticket.title.like("Projector in S12%"))).scalar_one()
        asset = s.get(Asset, ticket.asset_id)
        room = s.get(Location, ticket.location_id)
        category = asset.category.name
    assert schools_with_assets == 6
    assert category == "Projector" and asset.school_id == ticket.school_id
    assert room.name == "S12" and asset.location_id == room.id
    assert asset.warranty_ends_on < today < asset.replacement_due_on
