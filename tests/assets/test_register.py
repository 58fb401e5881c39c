"""The register's rules: derived fields, validation naming the field, history before → after."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from services.assets import categories, licences, locations, register
from services.assets.errors import AssetError
from services.assets.models import Asset, AssetCategory, AssetEvent, Licence, Location
from services.directory.models import School, User
from services.errors import NotAllowed
from tests.assets.conftest import NOW, add_asset
from tests.conftest import data
from trust_it.tenancy import scope_for


def _asset(s, world, key) -> Asset:
    return s.get(Asset, world.assets[key].id)


def test_serial_and_maker_are_normalised_and_replacement_is_derived(app, reg):
    with data(app) as s:
        laptop = _asset(s, reg, "oak_laptop")
        assert laptop.serial == "5CG1234XYZ"
        assert laptop.manufacturer_key == "hp"
        assert laptop.replacement_due_on == date(2027, 9, 1)  # five years on
        panel = _asset(s, reg, "oak_panel")
        assert panel.replacement_due_on == date(2028, 1, 31)  # eight years on


def test_an_end_of_life_date_of_its_own_wins(app, reg):
    asset = add_asset(app, reg.oak, {"tag": "OAK-9", "category_id": reg.laptop.id, "purchased_on": date(2024, 1, 1),
                                     "end_of_life_on": date(2026, 6, 30)})
    assert asset.replacement_due_on == date(2026, 6, 30)


def test_a_new_life_recomputes_every_asset_of_the_category_in_one_statement(app, reg, count_queries):
    with data(app) as s:
        panel_category = s.get(AssetCategory, reg.panel.id)
        scope = scope_for(s.get(User, reg.trust_tech.id))
        with count_queries() as statements:
            categories.save_category(reg.trust.id, panel_category, scope=scope, name="Interactive panel",
                                     expected_life_months=13, unit_cost=2500,
                                     custom_fields=panel_category.custom_fields)
        updates = [q for q in statements if q.lstrip().upper().startswith("UPDATE ASSETS")]
        assert len(updates) == 1
    with data(app) as s:
        # 31 Jan 2020 + 13 months is the last day of February 2021, as lifecycle.add_months says.
        assert _asset(s, reg, "oak_panel").replacement_due_on == date(2021, 2, 28)
        assert _asset(s, reg, "oak_laptop").replacement_due_on == date(2027, 9, 1)


def test_only_settings_people_change_categories(app, reg):
    with data(app) as s:
        scope = scope_for(s.get(User, reg.tech_oak.id))
        with pytest.raises(NotAllowed):
            categories.save_category(reg.trust.id, s.get(AssetCategory, reg.laptop.id), scope=scope, name="Laptop",
                                     expected_life_months=12, unit_cost=1, custom_fields=[])


@pytest.mark.parametrize("values,field", [
    ({"tag": ""}, "tag"),
    ({"tag": "OAK-0001"}, "tag"),                      # taken in the trust
    ({"tag": "ELM-0001"}, "tag"),                      # taken at another school: still the trust's
    ({"serial": "PF2ABCDE ", "manufacturer": "lenovo"}, "serial"),
    ({"status": "borrowed"}, "status"),
    ({"status": "disposed"}, "disposed_on"),
    ({"status": "disposed", "disposed_on": date(2026, 2, 1)}, "disposal_method"),
    ({"cost": Decimal("-1")}, "cost"),
    ({"cost": "lots"}, "cost"),
    ({"funding": "lottery"}, "funding"),
    ({"category_id": 987654}, "category_id"),
    ({"location_id": "room_elm"}, "location_id"),      # another school's room
    ({"assigned_user_id": "tech_elm"}, "assigned_user_id"),  # someone of another school
    ({"custom": {"colour": "red"}}, "custom_colour"),
    ({"custom": {"screen_size": "big"}, "category": "panel"}, "custom_screen_size"),
    ({"custom": {"wall_mounted": "perhaps"}, "category": "panel"}, "custom_wall_mounted"),
])
def test_bad_values_name_their_field(app, reg, values, field):
    values = dict(values)
    category = reg.panel if values.pop("category", None) == "panel" else reg.laptop
    given = {"tag": "OAK-NEW", "category_id": category.id, **values}
    if given.get("location_id") == "room_elm":
        given["location_id"] = reg.room_elm.id
    if given.get("assigned_user_id") == "tech_elm":
        given["assigned_user_id"] = reg.tech_elm.id
    with data(app) as s:
        with pytest.raises(AssetError) as raised:
            register.create_asset(s.get(School, reg.oak.id), given, by=None, now=NOW)
        s.rollback()
    assert raised.value.field == field


def test_the_same_serial_from_another_maker_is_another_device(app, reg):
    asset = add_asset(app, reg.oak, {"tag": "OAK-7", "serial": "PF2ABCDE", "manufacturer": "Dell",
                                     "category_id": reg.laptop.id})
    assert asset.serial == "PF2ABCDE"


def test_disposal_with_date_and_method_is_recorded(app, reg):
    with data(app) as s:
        laptop = _asset(s, reg, "oak_laptop")
        register.update_asset(laptop, {"status": "disposed", "disposed_on": date(2026, 3, 1),
                                       "disposal_method": "weee_recycler", "wipe_certificate": "WIPE-42"},
                              by=s.get(User, reg.tech_oak.id), now=NOW)
    with data(app) as s:
        kinds = [e.kind for e in s.execute(select(AssetEvent).where(
            AssetEvent.asset_id == reg.assets["oak_laptop"].id).order_by(AssetEvent.id)).scalars()]
        assert kinds == ["created", "assigned", "disposed"]


def test_history_keeps_who_when_and_before_after(app, reg):
    with data(app) as s:
        laptop = _asset(s, reg, "oak_laptop")
        events = register.update_asset(laptop, {"model": "ProBook 450 G9", "location_id": reg.room_oak.id,
                                                "assigned_user_id": None, "cost": "649.5"},
                                       by=s.get(User, reg.tech_oak.id), now=NOW)
    changed, assigned = events
    assert changed.kind == "changed" and changed.actor_id == reg.tech_oak.id and changed.created_at == NOW
    assert changed.changes == {"model": ["ProBook 450 G8", "ProBook 450 G9"], "cost": [None, "649.50"]}
    assert assigned.kind == "assigned"
    assert assigned.changes == {"assigned_to": ["Sam Staff", None], "room": [None, "Science block S12"]}


def test_nothing_changed_records_nothing(app, reg):
    with data(app) as s:
        laptop = _asset(s, reg, "oak_laptop")
        unchanged = {"model": "ProBook 450 G8", "serial": "5CG1234XYZ"}
        assert register.update_asset(laptop, unchanged, by=None, now=NOW) == []


def test_custom_fields_are_kept_in_their_type(app, reg):
    with data(app) as s:
        panel = _asset(s, reg, "oak_panel")
        register.update_asset(panel, {"custom": {"screen_size": "86", "wall_mounted": "yes"}}, by=None, now=NOW)
        assert panel.custom == {"screen_size": 86, "wall_mounted": True}


def test_rooms_are_unique_per_school(app, reg):
    with data(app) as s:
        oak, elm = s.get(School, reg.oak.id), s.get(School, reg.elm.id)
        with pytest.raises(AssetError) as raised:
            locations.create_location(oak, name="science block s12")
        assert raised.value.field == "name"
        assert locations.create_location(elm, name="Science block S12").school_id == elm.id
        counts = dict((r.name, n) for r, n in locations.with_counts(oak.id))
        assert counts == {"Science block S12": 1}
        room = s.get(Location, reg.room_oak.id)
        locations.update_location(room, name="S12", active=False)
        assert [r.name for r in locations.rooms_of(oak.id)] == []


def test_licences_warn_when_overused_and_refuse_nonsense(app, reg):
    with data(app) as s:
        licence = licences.create_licence(reg.trust.id, None, {"product": "Microsoft 365 A3", "seats": 100,
                                                               "seats_used": 120, "expires_on": "2027-08-31"}, now=NOW)
        assert licences.overused(licence)
        school = s.get(School, reg.oak.id)
        own = licences.create_licence(reg.trust.id, school, {"product": "Adobe Express", "seats": 5}, now=NOW)
        assert {lic.product for lic in licences.licences_for(reg.trust.id, reg.oak.id)} == {"Microsoft 365 A3",
                                                                                           "Adobe Express"}
        assert [lic.product for lic in licences.licences_for(reg.trust.id, None)] == ["Microsoft 365 A3"]
    with data(app) as s:
        own = s.get(Licence, own.id)
        for bad, field in (({"product": ""}, "product"), ({"seats": -1}, "seats"), ({"seats": "ten"}, "seats"),
                           ({"expires_on": "31/08/2027"}, "expires_on"), ({"cost": "-3"}, "cost")):
            with pytest.raises(AssetError) as raised:
                licences.update_licence(own, bad, now=NOW)
            assert raised.value.field == field
        s.rollback()
    with data(app) as s:
        assert s.execute(select(Licence).where(Licence.product == "Adobe Express")).scalar_one().seats == 5


def test_custom_field_definitions_are_written_one_a_line(app):
    assert categories.parse_custom_fields("Screen size: number\n\nWall mounted: boolean\nRoom code") == [
        {"key": "screen_size", "label": "Screen size", "type": "number"},
        {"key": "wall_mounted", "label": "Wall mounted", "type": "boolean"},
        {"key": "room_code", "label": "Room code", "type": "text"}]
    with pytest.raises(AssetError) as raised:
        categories.parse_custom_fields("Screen: colour")
    assert raised.value.field == "custom_fields" and "Line 1" in raised.value.message
