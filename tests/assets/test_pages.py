"""The register's pages: the school's list and asset, forms with errors beside their fields, the trust-wide list."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.assets.models import Asset, AssetCategory, AssetEvent
from tests.assets.conftest import add_asset
from tests.conftest import data


def test_technician_lists_searches_and_filters_their_school(reg, login_as):
    client = login_as(reg.tech_oak)
    page = client.get("/s/oak/assets")
    assert page.status_code == 200
    assert "OAK-0001" in page.text and "OAK-0002" in page.text and "ELM-0001" not in page.text
    assert "OAK-0001" in client.get("/s/oak/assets?q=5cg12").text            # serial prefix, any case
    assert "OAK-0001" not in client.get("/s/oak/assets?q=activpanel").text    # model, part of a word
    panels = client.get(f"/s/oak/assets?category={reg.panel.id}").text
    assert "OAK-0002" in panels and "OAK-0001" not in panels
    in_room = client.get(f"/s/oak/assets?room={reg.room_oak.id}").text
    assert "OAK-0002" in in_room and "OAK-0001" not in in_room


def test_the_list_pages_by_tag(app, reg, login_as):
    for n in range(3, 8):
        add_asset(app, reg.oak, {"tag": f"OAK-000{n}", "category_id": reg.laptop.id})
    client = login_as(reg.tech_oak)
    from services.assets import listing
    listing.PAGE_SIZE, old = 4, listing.PAGE_SIZE
    try:
        first = client.get("/s/oak/assets").text
        assert "OAK-0004" in first and "OAK-0005" not in first and "after=OAK-0004" in first
        second = client.get("/s/oak/assets?after=OAK-0004").text
        assert "OAK-0005" in second and ">OAK-0004<" not in second and "More assets" not in second
    finally:
        listing.PAGE_SIZE = old


def _list_statements(client, url, count_queries):
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return [s for s in statements if "FROM assets" in s or "FROM assets" in s.replace("\n", " ")]


def test_one_query_lists_a_page_whatever_its_size(app, reg, login_as, count_queries):
    client = login_as(reg.trust_tech)
    before = _list_statements(client, "/trust/assets", count_queries)
    for n in range(10, 40):
        add_asset(app, reg.oak if n % 2 else reg.elm, {"tag": f"T-{n}", "category_id": reg.laptop.id,
                                                       "location_id": reg.room_oak.id if n % 2 else None})
    after = _list_statements(client, "/trust/assets", count_queries)
    assert len(after) == len(before) == 2  # the page (with school, category, person, room) and its counts
    school_page = _list_statements(login_as(reg.tech_oak), "/s/oak/assets", count_queries)
    assert len(school_page) == 2


def test_trust_wide_list_shows_every_school_with_a_school_filter(reg, login_as):
    client = login_as(reg.trust_tech)
    page = client.get("/trust/assets")
    assert "OAK-0001" in page.text and "ELM-0001" in page.text and "Elmfield Primary" in page.text
    only_elm = client.get(f"/trust/assets?school={reg.elm.id}").text
    assert "ELM-0001" in only_elm and "OAK-0001" not in only_elm
    assert f'/s/elm/assets/{reg.assets["elm_laptop"].id}' in page.text


def test_school_technician_cannot_see_or_change_another_schools_asset(reg, login_as):
    client = login_as(reg.tech_oak)
    elm_id = reg.assets["elm_laptop"].id
    assert client.get(f"/s/oak/assets/{elm_id}").status_code == 404
    assert client.get(f"/s/elm/assets/{elm_id}").status_code == 404
    assert client.post(f"/s/oak/assets/{elm_id}/quick", data={"quick-status": "in_repair"}).status_code == 404
    assert client.post(f"/s/oak/assets/{elm_id}/edit", data={"tag": "X"}).status_code == 404
    assert client.get("/trust/assets").status_code == 403


def test_school_lead_reads_but_does_not_change(app, make, reg, login_as):
    lead = make.user(role="school_lead", school=reg.oak)
    client = login_as(lead)
    oak_id = reg.assets["oak_laptop"].id
    page = client.get(f"/s/oak/assets/{oak_id}")
    assert page.status_code == 200 and "Update status" not in page.text
    assert client.get("/s/oak/assets/new").status_code == 403
    assert client.post(f"/s/oak/assets/{oak_id}/quick", data={"quick-status": "in_repair"}).status_code == 403


def test_adding_an_asset_and_its_errors_beside_their_fields(app, reg, login_as):
    client = login_as(reg.tech_oak)
    bad = client.post("/s/oak/assets/new", data={"tag": "ELM-0001", "category_id": str(reg.laptop.id),
                                                 "status": "in_stock"})
    assert bad.status_code == 422
    assert 'id="tag-error"' in bad.text and "already used in the trust" in bad.text
    negative = client.post("/s/oak/assets/new", data={"tag": "OAK-0100", "category_id": str(reg.laptop.id),
                                                      "status": "disposed"})
    assert negative.status_code == 422 and 'id="disposed_on-error"' in negative.text
    good = client.post("/s/oak/assets/new", data={
        "tag": "oak-0100", "category_id": str(reg.laptop.id), "status": "deployed", "serial": "abc 123",
        "purchased_on": "2024-09-01", "cost": "499.99", "assigned_user_id": str(reg.staff_oak.id)})
    assert good.status_code == 302
    with data(app) as s:
        asset = s.execute(select(Asset).where(Asset.tag == "OAK-0100")).scalar_one()
        assert asset.school_id == reg.oak.id and asset.replacement_due_on == date(2029, 9, 1)
    assert good.headers["Location"].endswith(f"/s/oak/assets/{asset.id}")


def test_custom_fields_of_the_category_on_the_form(app, reg, login_as):
    client = login_as(reg.tech_oak)
    panel_id = reg.assets["oak_panel"].id
    form = client.get(f"/s/oak/assets/{panel_id}/edit")
    assert 'name="custom_screen_size"' in form.text and 'value="75"' in form.text
    bad = client.post(f"/s/oak/assets/{panel_id}/edit", data={
        "tag": "OAK-0002", "category_id": str(reg.panel.id), "status": "deployed", "custom_screen_size": "huge"})
    assert bad.status_code == 422 and 'id="custom_screen_size-error"' in bad.text
    good = client.post(f"/s/oak/assets/{panel_id}/edit", data={
        "tag": "OAK-0002", "category_id": str(reg.panel.id), "status": "deployed", "custom_screen_size": "86",
        "custom_wall_mounted": "yes", "location_id": str(reg.room_oak.id), "purchased_on": "2020-01-31"})
    assert good.status_code == 302
    with data(app) as s:
        assert s.get(Asset, panel_id).custom == {"screen_size": 86, "wall_mounted": True}


def test_quick_update_from_the_asset_page_records_history(app, reg, login_as):
    client = login_as(reg.tech_oak)
    laptop_id = reg.assets["oak_laptop"].id
    response = client.post(f"/s/oak/assets/{laptop_id}/quick", data={
        "quick-status": "in_repair", "quick-location_id": str(reg.room_oak.id), "quick-assigned_user_id": "",
        "quick-note": "Cracked screen"})
    assert response.status_code == 302
    page = client.get(f"/s/oak/assets/{laptop_id}").text
    assert "In repair" in page and "Cracked screen" in page and "Sam Staff → —" in page
    with data(app) as s:
        kinds = [e.kind for e in s.execute(select(AssetEvent).where(AssetEvent.asset_id == laptop_id)).scalars()]
    assert kinds == ["created", "assigned", "changed", "assigned"]
    wrong_room = client.post(f"/s/oak/assets/{laptop_id}/quick", data={
        "quick-status": "deployed", "quick-location_id": str(reg.room_elm.id)})
    assert wrong_room.status_code == 422


def test_rooms_and_licences_pages(app, reg, login_as):
    client = login_as(reg.tech_oak)
    assert "Science block S12" in client.get("/s/oak/assets/rooms").text
    assert client.post("/s/oak/assets/rooms", data={"name": "Library", "building": "Main"}).status_code == 302
    clash = client.post("/s/oak/assets/rooms", data={"name": "library"})
    assert clash.status_code == 422 and 'id="name-error"' in clash.text
    assert client.post("/s/oak/assets/licences", data={"product": "Adobe Express", "seats": "5",
                                                       "seats_used": "7"}).status_code == 302
    page = client.get("/s/oak/assets/licences").text
    assert "Adobe Express" in page and "2 over" in page
    assert "Adobe Express" not in login_as(reg.tech_elm).get("/s/elm/assets/licences").text


def test_settings_people_change_a_categorys_life(app, make, reg, login_as):
    admin = make.user(role="trust_admin")
    client = login_as(admin)
    response = client.post(f"/trust/assets/categories/{reg.laptop.id}", data={
        "name": "Laptop", "expected_life_months": "48", "unit_cost": "700", "custom_fields": "Charger: boolean",
        "active": "y"})
    assert response.status_code == 302
    with data(app) as s:
        assert s.get(AssetCategory, reg.laptop.id).custom_fields[0]["key"] == "charger"
        assert s.get(Asset, reg.assets["oak_laptop"].id).replacement_due_on == date(2026, 9, 1)
    tech = login_as(reg.tech_oak)
    assert tech.post(f"/trust/assets/categories/{reg.laptop.id}", data={"name": "x"}).status_code == 403
    assert login_as(reg.trust_tech).post("/trust/assets/categories", data={
        "name": "Visualiser", "expected_life_months": "60", "unit_cost": "0"}).status_code == 302


def test_trust_licences(app, reg, login_as):
    client = login_as(reg.trust_tech)
    assert client.post("/trust/assets/licences", data={"product": "Microsoft 365 A3", "seats": "900",
                                                       "school_id": ""}).status_code == 302
    assert client.post("/trust/assets/licences", data={"product": "Sophos", "seats": "x"}).status_code == 422
    assert "Microsoft 365 A3" in login_as(reg.tech_elm).get("/s/elm/assets/licences").text
