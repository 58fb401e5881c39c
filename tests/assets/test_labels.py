"""Asset labels: PDF sheets in Avery layouts and single labels, each with the tag, the school and a QR code
of the asset's page; the selection is the list's filters within the person's school."""
from __future__ import annotations

import re
import zlib

import segno

from services.assets import labels
from tests.assets.conftest import add_asset
from tests.conftest import PASSWORD, new_client

_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def pages_of(pdf: bytes) -> int:
    """Pages of a PDF, also when WeasyPrint packs its objects into compressed object streams."""
    texts = [pdf]
    for raw in _STREAM.findall(pdf):
        try:
            texts.append(zlib.decompress(raw))
        except zlib.error:
            pass
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", text)) for text in texts)


def _laptops(app, reg, school, prefix, n):
    for i in range(n):
        add_asset(app, school, {"tag": f"{prefix}-{i:04d}", "category_id": reg.laptop.id, "status": "deployed"})


def test_one_asset_prints_a_single_label_by_default(reg, login_as):
    client = login_as(reg.tech_oak)
    asset = reg.assets["oak_laptop"]
    got = client.get(f"/s/oak/assets/{asset.id}/label.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    assert got.data.startswith(b"%PDF") and pages_of(got.data) == 1
    assert 'filename="oak-0001-labels-single.pdf"' in got.headers["Content-Disposition"]
    sheet = client.get(f"/s/oak/assets/{asset.id}/label.pdf?layout=l7651")
    assert sheet.status_code == 200 and pages_of(sheet.data) == 1
    assert client.get(f"/s/oak/assets/{asset.id}/label.pdf?layout=huge").status_code == 422


def test_twenty_two_assets_fill_two_l7160_sheets(app, reg, login_as):
    _laptops(app, reg, reg.oak, "OAKL", 20)   # with the fixture's two Oak devices: 22
    client = login_as(reg.tech_oak)
    got = client.get("/s/oak/assets/labels.pdf?layout=l7160")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert pages_of(got.data) == 2
    assert pages_of(client.get("/s/oak/assets/labels.pdf?layout=l7163").data) == 2   # 14 a sheet
    assert pages_of(client.get("/s/oak/assets/labels.pdf?layout=l7651").data) == 1   # 65 a sheet
    assert pages_of(client.get("/s/oak/assets/labels.pdf?layout=single").data) == 22


def test_sheets_place_labels_row_by_row_on_avery_geometry():
    l7160 = labels.LAYOUTS["l7160"]
    placed = labels.sheets([labels.Label(f"T{i}", "Oakwood", f"https://x/{i}") for i in range(22)], l7160)
    assert [len(sheet) for sheet in placed] == [21, 1]
    first, second, fourth = placed[0][0], placed[0][1], placed[0][3]
    assert (first.left, first.top) == (7.25, 15.15)
    assert (second.left, second.top) == (73.25, 15.15)       # 63.5 mm label + 2.5 mm gap
    assert (fourth.left, fourth.top) == (7.25, 53.25)        # the next row, 38.1 mm down
    last = placed[0][-1]
    assert round(last.left + l7160.label_width, 2) == 202.75 and round(last.top + l7160.label_height, 2) == 281.85
    for layout in labels.LAYOUTS.values():                   # every label lies on the page
        right, bottom = layout.position(layout.per_sheet - 1)
        assert right + layout.label_width <= layout.page_width and bottom + layout.label_height <= layout.page_height


def _label(app, asset_id, host) -> labels.Label:
    """The label the pages make for an asset, in a request to `host`."""
    from services.assets.models import Asset
    from trust_it.central.asset_labels import label_of
    from trust_it.extensions import db
    from trust_it.tenancy import unscoped
    with app.test_request_context("/", base_url=host), unscoped():
        return label_of(db.session.get(Asset, asset_id))


def test_the_qr_code_encodes_the_asset_page_address(app, reg):
    asset = reg.assets["oak_panel"]
    label = _label(app, asset.id, "https://it.oakvalley.org.uk")
    expected_url = f"https://it.oakvalley.org.uk/s/oak/assets/{asset.id}"
    assert label.url == expected_url and label.tag == "OAK-0002" and label.school == "Oakwood Academy"
    assert label.qr.matrix == segno.make_qr(expected_url, error="m").matrix
    assert label.qr_image() == segno.make_qr(expected_url, error="m").svg_data_uri(border=2, scale=4)


def test_labels_carry_the_public_address_when_one_is_set(app, reg, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://it.oakvalley.org.uk/")
    asset = reg.assets["oak_panel"]
    label = _label(app, asset.id, "http://10.0.0.5:8000")   # printed from inside the school's network
    assert label.url == f"https://it.oakvalley.org.uk/s/oak/assets/{asset.id}"


def test_the_sheet_carries_each_labels_qr_code(app, reg, login_as):
    layout = labels.LAYOUTS["l7163"]
    label = labels.Label("OAK-<0001>", "Oakwood Academy", "https://it.example/s/oak/assets/1")
    html = labels.sheet_html(labels.sheets([label], layout), layout)
    assert ">OAK-&lt;0001&gt;<" in html  # the document escapes what it prints, as the pages do
    label = labels.Label("OAK-0001", "Oakwood Academy", "https://it.example/s/oak/assets/1")
    html = labels.sheet_html(labels.sheets([label], layout), layout)
    assert label.qr_image() in html and "Oakwood Academy" in html and ">OAK-0001<" in html


def test_the_selection_keeps_the_lists_filters_and_the_school(app, reg, login_as):
    _laptops(app, reg, reg.elm, "ELML", 30)
    client = login_as(reg.tech_oak)
    in_room = client.get(f"/s/oak/assets/labels?room={reg.room_oak.id}")
    assert in_room.status_code == 200 and "1 asset matches" in in_room.text
    assert f'name="room" value="{reg.room_oak.id}"' in in_room.text        # the filter goes on to the PDF
    # Another school named in the query string changes nothing: the school is the page's.
    assert "2 assets match" in client.get(f"/s/oak/assets/labels?school={reg.elm.id}").text
    assert pages_of(client.get(f"/s/oak/assets/labels.pdf?layout=single&school={reg.elm.id}").data) == 2
    assert pages_of(client.get(f"/s/oak/assets/labels.pdf?layout=single&room={reg.room_oak.id}").data) == 1
    nothing = client.get("/s/oak/assets/labels.pdf?layout=single&q=NOSUCHTAG")
    assert nothing.status_code == 422 and "nothing to print" in nothing.text


def test_trust_wide_labels_follow_the_school_filter(app, reg, login_as):
    _laptops(app, reg, reg.elm, "ELML", 3)
    client = login_as(reg.trust_tech)
    assert "6 assets match" in client.get("/trust/assets/labels").text
    only_elm = client.get(f"/trust/assets/labels?school={reg.elm.id}")
    assert "4 assets match" in only_elm.text and f'name="school" value="{reg.elm.id}"' in only_elm.text
    got = client.get(f"/trust/assets/labels.pdf?layout=single&school={reg.elm.id}")
    assert got.status_code == 200 and pages_of(got.data) == 4
    assert client.get("/trust/assets/labels.pdf?layout=nope").status_code == 422


def test_a_run_stops_at_the_maximum(app, reg, login_as, monkeypatch):
    monkeypatch.setattr(labels, "MAX_LABELS", 1)
    page = login_as(reg.tech_oak).get("/s/oak/assets/labels")
    assert "at most 1 labels" in page.text
    got = login_as(reg.tech_oak).get("/s/oak/assets/labels.pdf?layout=single")
    assert got.status_code == 200 and pages_of(got.data) == 1


def test_roles_that_may_not_read_the_register_get_403(reg, login_as):
    client = login_as(reg.staff_oak)
    asset = reg.assets["oak_laptop"]
    assert client.get(f"/s/oak/assets/{asset.id}/label.pdf").status_code == 403
    assert client.get("/s/oak/assets/labels.pdf?layout=l7160").status_code == 403
    assert client.get("/s/oak/assets/labels").status_code == 403
    assert client.get("/trust/assets/labels.pdf").status_code == 403


def test_another_schools_asset_label_is_a_404(reg, login_as):
    elm_asset = reg.assets["elm_laptop"]
    assert login_as(reg.tech_oak).get(f"/s/oak/assets/{elm_asset.id}/label.pdf").status_code == 404
    assert login_as(reg.tech_oak).get(f"/s/elm/assets/{elm_asset.id}/label.pdf").status_code == 404


def test_the_list_pages_offer_labels_and_exports_with_their_filters(reg, login_as):
    page = login_as(reg.tech_oak).get("/s/oak/assets?status=deployed").text
    for path in ("labels", "export.csv", "export.xlsx"):
        assert f"/s/oak/assets/{path}?status=deployed" in page
    trust = login_as(reg.trust_tech).get(f"/trust/assets?school={reg.oak.id}").text
    for path in ("labels", "export.csv", "export.xlsx"):
        assert f"/trust/assets/{path}?school={reg.oak.id}" in trust


# --- scanning a label ---------------------------------------------------------------------------

def test_scanning_a_label_signed_in_opens_the_asset(reg, login_as):
    asset = reg.assets["oak_panel"]
    page = login_as(reg.tech_oak).get(f"/s/oak/assets/{asset.id}")
    assert page.status_code == 200 and "OAK-0002" in page.text and "Update status, room or person" in page.text


def test_scanning_a_label_signed_out_signs_in_then_lands_on_the_asset(app, reg):
    client = new_client(app)
    asset = reg.assets["oak_panel"]
    first = client.get(f"/s/oak/assets/{asset.id}")
    assert first.status_code == 302 and "/login" in first.headers["Location"]
    assert "OAK-0002" not in first.text
    sign_in_page = client.get(first.headers["Location"])
    assert sign_in_page.status_code == 200
    done = client.post("/login", data={"email": reg.tech_oak.email, "password": PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/s/oak/assets/{asset.id}")
    assert "OAK-0002" in client.get(done.headers["Location"]).text


def test_scanning_another_schools_label_is_a_404(reg, login_as):
    asset = reg.assets["oak_panel"]
    assert login_as(reg.tech_elm).get(f"/s/oak/assets/{asset.id}").status_code == 404
