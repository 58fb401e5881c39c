"""Assets made straight from the models (and the lifecycle rules), for the transfer and forecast tests."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.assets import lifecycle
from services.assets.models import Asset, AssetCategory, AssetEvent, Location
from services.directory.models import School
from tests.conftest import data


def category(app, trust, name="Laptop", unit_cost=650, years=5) -> AssetCategory:
    with data(app) as s:
        made = AssetCategory(trust_id=trust.id, name=name, expected_life_months=years * 12,
                             unit_cost=Decimal(unit_cost), custom_fields=[])
        s.add(made)
    return made


def room(app, school, name="Science block S12") -> Location:
    with data(app) as s:
        made = Location(school_id=school.id, name=name)
        s.add(made)
    return made


def asset(app, school, kind: AssetCategory, tag: str, *, purchased_on: date | None = None,
          end_of_life_on: date | None = None, history: str = "", **values) -> Asset:
    """An asset as the register would hold it: keys derived, replacement date from the category's life,
    and a 'created' event (with `history` as its note) so there is a history to follow."""
    with data(app) as s:
        school_row = s.get(School, school.id)
        made = Asset(trust_id=school_row.trust_id, school_id=school.id, tag=tag, category_id=kind.id,
                     purchased_on=purchased_on, end_of_life_on=end_of_life_on,
                     replacement_due_on=lifecycle.replacement_due(purchased_on, kind.expected_life_months,
                                                                  end_of_life_on),
                     manufacturer_key=lifecycle.manufacturer_key(values.get("manufacturer")),
                     **{**values, "serial": lifecycle.serial_key(values.get("serial"))}, custom={})
        s.add(made)
        s.flush()
        s.add(AssetEvent(asset_id=made.id, school_id=school.id, kind="created", changes={},
                         note=history or f"Added {tag}"))
    return made


def many(app, school, kind, prefix: str, n: int, **values) -> list[Asset]:
    """`n` assets in one transaction: PREFIX-001, PREFIX-002, …"""
    with data(app) as s:
        trust_id = s.get(School, school.id).trust_id
        made = [Asset(trust_id=trust_id, school_id=school.id, tag=f"{prefix}-{i:03d}", category_id=kind.id,
                      serial=f"{prefix}SN{i:03d}", manufacturer="Dell", manufacturer_key="dell",
                      model="Latitude 3440", custom={}, **values) for i in range(1, n + 1)]
        s.add_all(made)
        s.flush()
        s.add_all([AssetEvent(asset_id=a.id, school_id=school.id, kind="created", changes={}, note="Bought")
                   for a in made])
    return made
