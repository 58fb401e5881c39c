"""/api/v1/assets, /locations, /licences: CRUD, filters, cursors, 422 naming the field, 403 and 404."""
from __future__ import annotations

from tests.assets.conftest import add_asset
from tests.conftest import bearer


def test_create_read_and_change_an_asset(app, client, reg):
    headers = bearer(app, reg.tech_oak)
    created = client.post("/api/v1/assets/", json={
        "school_id": reg.oak.id, "tag": "oak-0300", "category_id": reg.laptop.id, "serial": " abc123 ",
        "manufacturer": "Dell", "purchased_on": "2025-09-01", "cost": "499.00", "status": "deployed",
        "assigned_user_id": reg.staff_oak.id}, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert body["tag"] == "OAK-0300" and body["serial"] == "ABC123" and body["replacement_due_on"] == "2030-09-01"
    assert body["school"] == "oak" and body["category"] == "Laptop" and body["cost"] == "499.00"
    url = f"/api/v1/assets/{body['id']}"
    changed = client.patch(url, json={"status": "in_repair", "location_id": reg.room_oak.id, "note": "Fan noise"},
                           headers=headers)
    assert changed.status_code == 200 and changed.json["status"] == "in_repair"
    history = client.get(f"{url}/history", headers=headers).json
    assert history[0]["kind"] == "assigned" and history[0]["changes"] == {"room": [None, "Science block S12"]}
    assert history[1]["changes"] == {"status": ["deployed", "in_repair"]} and history[1]["note"] == "Fan noise"


def test_422s_name_the_field(app, client, reg):
    headers = bearer(app, reg.tech_oak)
    cases = [
        ({"school_id": reg.oak.id, "tag": "ELM-0001", "category_id": reg.laptop.id}, "tag"),
        ({"school_id": reg.oak.id, "tag": "X1", "category_id": reg.laptop.id, "cost": "-5"}, "cost"),
        ({"school_id": reg.oak.id, "tag": "X1", "category_id": reg.laptop.id, "status": "disposed"}, "disposed_on"),
        ({"school_id": reg.oak.id, "tag": "X1", "category_id": reg.laptop.id, "location_id": reg.room_elm.id},
         "location_id"),
        ({"school_id": reg.elm.id, "tag": "X1", "category_id": reg.laptop.id}, "school_id"),
        ({"school_id": reg.oak.id, "category_id": reg.laptop.id}, "tag"),
        ({"school_id": reg.oak.id, "tag": "X1", "category_id": reg.panel.id, "custom": {"screen_size": "big"}},
         "custom_screen_size"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/assets/", json=body, headers=headers)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"]["json"], (body, response.json)
    empty = client.patch(f"/api/v1/assets/{reg.assets['oak_laptop'].id}", json={}, headers=headers)
    assert empty.status_code == 422


def test_filters_and_cursor(app, client, reg):
    for n in range(10, 15):
        add_asset(app, reg.oak, {"tag": f"OAK-{n}", "category_id": reg.laptop.id, "status": "in_stock"})
    headers = bearer(app, reg.trust_tech)
    first = client.get("/api/v1/assets/?limit=3", headers=headers).json
    assert len(first["items"]) == 3 and first["next_cursor"]
    seen = [a["tag"] for a in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/assets/?limit=3&cursor={cursor}", headers=headers).json
        seen += [a["tag"] for a in page["items"]]
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen)) == 8
    only_elm = client.get(f"/api/v1/assets/?school={reg.elm.id}", headers=headers).json["items"]
    assert [a["tag"] for a in only_elm] == ["ELM-0001"]
    serial = client.get("/api/v1/assets/?q=5cg", headers=headers).json["items"]
    assert [a["tag"] for a in serial] == ["OAK-0001"]
    panels = client.get(f"/api/v1/assets/?category={reg.panel.id}&status=deployed", headers=headers).json["items"]
    assert [a["tag"] for a in panels] == ["OAK-0002"]
    assert client.get("/api/v1/assets/?status=borrowed", headers=headers).status_code == 422


def test_another_schools_asset_is_a_404_and_readers_get_403(app, client, make, reg):
    headers = bearer(app, reg.tech_oak)
    elm_id = reg.assets["elm_laptop"].id
    assert client.get(f"/api/v1/assets/{elm_id}", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/assets/{elm_id}", json={"status": "retired"}, headers=headers).status_code == 404
    tags = [a["tag"] for a in client.get("/api/v1/assets/", headers=headers).json["items"]]
    assert tags == ["OAK-0001", "OAK-0002"]
    lead = bearer(app, make.user(role="school_lead", school=reg.oak))
    oak_id = reg.assets["oak_laptop"].id
    assert client.get(f"/api/v1/assets/{oak_id}", headers=lead).status_code == 200
    refused = client.patch(f"/api/v1/assets/{oak_id}", json={"status": "retired"}, headers=lead)
    assert refused.status_code == 403
    staff = bearer(app, reg.staff_oak)
    assert client.get(f"/api/v1/assets/{oak_id}", headers=staff).status_code == 404


def test_locations_and_licences(app, client, reg):
    headers = bearer(app, reg.tech_oak)
    room = client.post("/api/v1/locations/", json={"school_id": reg.oak.id, "name": "Library"}, headers=headers)
    assert room.status_code == 201
    clash = client.post("/api/v1/locations/", json={"school_id": reg.oak.id, "name": "library"}, headers=headers)
    assert clash.status_code == 422 and "name" in clash.json["errors"]["json"]
    names = [r["name"] for r in client.get("/api/v1/locations/", headers=headers).json["items"]]
    assert names == ["Science block S12", "Library"]
    assert client.get(f"/api/v1/locations/{reg.room_elm.id}", headers=headers).status_code == 404
    renamed = client.patch(f"/api/v1/locations/{room.json['id']}", json={"name": "Library 2"}, headers=headers)
    assert renamed.json["name"] == "Library 2"

    own = client.post("/api/v1/licences/", json={"school_id": reg.oak.id, "product": "Adobe Express", "seats": 5,
                                                 "seats_used": 8}, headers=headers)
    assert own.status_code == 201 and own.json["overused"] is True
    trust_wide = client.post("/api/v1/licences/", json={"product": "Microsoft 365", "seats": 5}, headers=headers)
    assert trust_wide.status_code == 403  # a school technician records the school's, not the trust's
    trust = bearer(app, reg.trust_tech)
    assert client.post("/api/v1/licences/", json={"product": "Microsoft 365", "seats": 5},
                       headers=trust).status_code == 201
    products = {lic["product"] for lic in client.get("/api/v1/licences/", headers=headers).json["items"]}
    assert products == {"Adobe Express", "Microsoft 365"}
    elm = bearer(app, reg.tech_elm)
    assert client.get(f"/api/v1/licences/{own.json['id']}", headers=elm).status_code == 404
    bad = client.patch(f"/api/v1/licences/{own.json['id']}", json={"seats": -1}, headers=headers)
    assert bad.status_code == 422 and "seats" in bad.json["errors"]["json"]


def test_the_openapi_document_lists_the_register(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/assets/", "/api/v1/assets/{asset_id}", "/api/v1/assets/{asset_id}/history",
                 "/api/v1/locations/", "/api/v1/locations/{location_id}", "/api/v1/licences/",
                 "/api/v1/licences/{licence_id}"):
        assert path in paths
