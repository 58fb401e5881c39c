"""Exporting the register: streamed CSV and XLSX of a filtered list, formulas neutralised, and an
export imported back changes nothing."""
import csv
import io
import zipfile

from sqlalchemy import select

from services.assets.models import Asset, AssetCategory
from tests.assets.import_helpers import assets, commit, csv_bytes, preview, school_with_room
from tests.conftest import data

FILE = ["Asset Tag,Serial Number,Manufacturer,Model,Category,Room,Assigned to,Purchase Date,Purchase Cost,"
        "Warranty ends,Funding,Encrypted,Notes,Screen size,Device name",
        "RT-1,5CG1,HP,EliteBook,Laptop,Science block S12,{email},2024-09-01,\"£1,299.50\",2027-09-01,Grant,yes,"
        "\"Line one\nline two, with a comma\",14,=cmd|' /C calc'!A0",
        "RT-2,5CG2,HP,EliteBook,Laptop,,,2023-01-02,650,,,,,,+44 1234",
        "RT-3,,Dell,OptiPlex,Desktop,,,,,,,no,@SUM(1+1),,-lab-pc"]


def _world(app, make):
    oak = school_with_room(app, make)
    tech = make.user(role="technician", school=oak, email="tech@oak.sch.uk")
    run = preview(app, oak, csv_bytes([line.format(email=tech.email) for line in FILE]), by=tech)
    assert run.preview["error_count"] == 0, run.preview["errors"]
    commit(app, run)
    return oak, tech


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_school_export_is_streamed_and_neutralises_formulas(app, make, login_as):
    oak, tech = _world(app, make)
    response = login_as(tech).get("/s/oak/assets/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="oak-assets.csv"'
    rows = _csv(response)
    header, by_tag = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:3] == ["Asset tag", "Device name", "Serial number"] and header[-1] == "screen_size"
    assert by_tag["RT-1"]["Device name"] == "'=cmd|' /C calc'!A0"
    assert by_tag["RT-3"]["Notes"] == "'@SUM(1+1)" and by_tag["RT-3"]["Device name"] == "'-lab-pc"
    assert by_tag["RT-1"]["Purchase cost"] == "1299.50" and by_tag["RT-1"]["Room"] == "Science block S12"
    assert by_tag["RT-1"]["Assigned to"] == "tech@oak.sch.uk" and by_tag["RT-1"]["Replacement due"] == "2029-09-01"


def test_export_then_import_changes_nothing(app, make, login_as):
    oak, tech = _world(app, make)
    before = {tag: (a.name, a.notes, a.custom, a.cost, a.encrypted, a.assigned_user_id, a.location_id, a.updated_at)
              for tag, a in assets(app).items()}
    exported = login_as(tech).get("/s/oak/assets/export.csv").get_data()
    run = preview(app, oak, exported, by=tech)
    assert (run.preview["create"], run.preview["update"], run.preview["unchanged"]) == (0, 0, 3), run.preview
    assert run.preview["error_count"] == 0
    after = {tag: (a.name, a.notes, a.custom, a.cost, a.encrypted, a.assigned_user_id, a.location_id, a.updated_at)
             for tag, a in assets(app).items()}
    assert after == before
    assert after["RT-1"][0] == "=cmd|' /C calc'!A0" and after["RT-1"][1] == "Line one\nline two, with a comma"


def test_an_edited_export_updates_what_changed_with_history(app, make, login_as):
    oak, tech = _world(app, make)
    exported = login_as(tech).get("/s/oak/assets/export.csv").get_data(as_text=True)
    run = preview(app, oak, exported.replace("EliteBook", "EliteBook G9", 1).encode(), by=tech)
    assert (run.preview["update"], run.preview["unchanged"]) == (1, 2)
    done = commit(app, run)
    assert (done.status, done.updated) == ("done", 1)
    assert assets(app)["RT-1"].model == "EliteBook G9"


def test_filters_narrow_the_export(app, make, login_as):
    oak, tech = _world(app, make)
    with data(app) as s:
        desktop = s.execute(select(AssetCategory).where(AssetCategory.name == "Desktop")).scalar_one()
    rows = _csv(login_as(tech).get(f"/s/oak/assets/export.csv?category={desktop.id}"))
    assert [r[0] for r in rows[1:]] == ["RT-3"]
    rows = _csv(login_as(tech).get("/s/oak/assets/export.csv?q=5CG"))
    assert [r[0] for r in rows[1:]] == ["RT-1", "RT-2"]


def test_xlsx_export_holds_the_same_rows_as_text(app, make, login_as):
    _world(app, make)
    director = make.user(role="it_director")
    response = login_as(director).get("/trust/assets/export.xlsx")
    assert response.status_code == 200 and response.is_streamed
    book = zipfile.ZipFile(io.BytesIO(response.get_data()))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "RT-1" in sheet and "=cmd|" in sheet and "<f>" not in sheet  # text, never a formula


def test_who_may_export(app, make, login_as):
    oak, _ = _world(app, make)
    staff = make.user(role="staff", school=oak)
    assert login_as(staff).get("/s/oak/assets/export.csv").status_code == 403
    assert login_as(staff).get("/trust/assets/export.csv").status_code == 403
    lead = make.user(role="school_lead", school=oak)
    assert login_as(lead).get("/s/oak/assets/export.csv").status_code == 200


def test_api_export_only_holds_schools_the_caller_reads(app, make):
    from tests.conftest import bearer, new_client
    oak, tech = _world(app, make)
    elm = school_with_room(app, make, slug="elm")
    with data(app) as s:
        a = s.execute(select(Asset).where(Asset.tag == "RT-2")).scalar_one()
        a.school_id = elm.id  # as a transfer would leave it
    response = new_client(app).get(f"/api/v1/asset-export/csv?school={elm.id}", headers=bearer(app, tech))
    assert response.status_code == 200
    assert [r[0] for r in _csv(response)[1:]] == []
    response = new_client(app).get("/api/v1/asset-export/csv", headers=bearer(app, tech))
    assert [r[0] for r in _csv(response)[1:]] == ["RT-1", "RT-3"]
