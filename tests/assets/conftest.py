"""Asset fixtures: a trust with two schools (Oak, Elm), the standard categories, rooms and a few devices."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from services.assets import categories, locations, register
from services.assets.models import Asset, AssetCategory, Location
from services.directory.models import School
from tests.conftest import data

NOW = datetime(2026, 3, 2, 10, 0)


@dataclass
class Register:
    trust: object
    oak: School
    elm: School
    tech_oak: object
    tech_elm: object
    trust_tech: object
    staff_oak: object
    laptop: AssetCategory
    panel: AssetCategory
    room_oak: Location
    room_elm: Location
    assets: dict = field(default_factory=dict)


def add_asset(app, school, values, by=None, now=NOW) -> Asset:
    with data(app) as s:
        asset = register.create_asset(s.get(School, school.id), values, by=by, now=now)
        _ = asset.school, asset.category
    return asset


@pytest.fixture
def reg(app, make) -> Register:
    trust = make.trust("Oak Valley Learning Trust")
    oak = make.school("oak", name="Oakwood Academy", trust=trust)
    elm = make.school("elm", name="Elmfield Primary", trust=trust)
    tech_oak = make.user(role="technician", school=oak, name="Tess Oak")
    tech_elm = make.user(role="technician", school=elm, name="Ted Elm")
    trust_tech = make.user(role="technical", name="Tina Trust")
    staff_oak = make.user(role="staff", school=oak, name="Sam Staff")
    with data(app) as s:
        cats = {c.name: c for c in categories.ensure_defaults(trust.id)}
        cats["Interactive panel"].custom_fields = [{"key": "screen_size", "label": "Screen size", "type": "number"},
                                                   {"key": "wall_mounted", "label": "Wall mounted", "type": "boolean"}]
        room_oak = locations.create_location(s.get(School, oak.id), name="Science block S12", building="Science")
        room_elm = locations.create_location(s.get(School, elm.id), name="Year 3 classroom")
    world = Register(trust, oak, elm, tech_oak, tech_elm, trust_tech, staff_oak, cats["Laptop"],
                     cats["Interactive panel"], room_oak, room_elm)
    world.assets["oak_laptop"] = add_asset(app, oak, {
        "tag": "OAK-0001", "serial": "5cg1234xyz", "manufacturer": "HP", "model": "ProBook 450 G8",
        "category_id": cats["Laptop"].id, "status": "deployed", "purchased_on": date(2022, 9, 1),
        "assigned_user_id": staff_oak.id, "os": "Windows 11"})
    world.assets["oak_panel"] = add_asset(app, oak, {
        "tag": "OAK-0002", "manufacturer": "Promethean", "model": "ActivPanel 9",
        "category_id": cats["Interactive panel"].id,
        "status": "deployed", "location_id": room_oak.id, "purchased_on": date(2020, 1, 31),
        "custom": {"screen_size": 75}})
    world.assets["elm_laptop"] = add_asset(app, elm, {
        "tag": "ELM-0001", "serial": "PF2ABCDE", "manufacturer": "Lenovo", "model": "ThinkPad E14",
        "category_id": cats["Laptop"].id, "status": "in_stock", "purchased_on": date(2023, 1, 15)})
    return world
