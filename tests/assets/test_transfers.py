"""Moving devices between schools: a batch moves whole or not at all, the history goes with the
device, both schools see the record, and the school it left no longer sees the device."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import select, text
from werkzeug.exceptions import NotFound

from services.assets import transfers
from services.assets.errors import AssetError
from services.assets.models import Asset, AssetEvent, Transfer, TransferItem
from services.audit.models import AuditEvent
from services.directory.models import School, User
from services.errors import NotAllowed
from tests.assets import factories_transfers as f
from tests.conftest import bearer, data
from trust_it.extensions import db
from trust_it.tenancy import get_or_404, scope_for, scoped_get, set_scope

NOW = datetime(2026, 10, 5, 9, 30)


@pytest.fixture
def world(app, make):
    oak, elm = make.school("oak", name="Oakwood Academy"), make.school("elm", name="Elm Primary")
    trust = make.default_trust()
    laptop = f.category(app, trust, "Laptop")
    return {"trust": trust, "oak": oak, "elm": elm, "laptop": laptop,
            "mover": make.user(role="technical", name="Tess Technical"),
            "oak_tech": make.user(role="technician", school=oak),
            "elm_tech": make.user(role="technician", school=elm)}


@contextmanager
def acting_as(app, user):
    """A request of `user`: their scope on the ORM guard and, on PostgreSQL, row-level security."""
    with app.test_request_context():
        person = db.session.get(User, user.id)
        scope = scope_for(person)
        set_scope(scope)
        yield person, scope
        db.session.commit()


def _school(slug) -> School:
    return db.session.execute(select(School).where(School.slug == slug)).scalar_one()


def _move(app, world, tags, *, to="elm", frm="oak", reason="Year 7 laptops for the new cohort"):
    with acting_as(app, world["mover"]) as (person, scope):
        return transfers.transfer(from_school=_school(frm), to_school=_school(to), tags=tags, reason=reason,
                                  by=person, now=NOW, scope=scope)


def _where(app, ids) -> dict[str, str]:
    with data(app) as s:
        rows = s.execute(select(Asset.tag, School.slug).join(School, School.id == Asset.school_id)
                         .where(Asset.id.in_(ids))).all()
    return dict(rows)


def test_a_pasted_batch_moves_with_its_history_rooms_and_people(app, make, world):
    oak, elm = world["oak"], world["elm"]
    pupil_laptop_user = make.user(role="staff", school=oak, name="Only At Oak")
    both = make.user(role="staff", school=oak, name="Works At Both")
    from services.directory import people
    with data(app) as s:
        people.add_membership(s.get(User, both.id), role="staff", school=s.get(School, elm.id))
    s12 = f.room(app, oak, "S12")
    a = f.asset(app, oak, world["laptop"], "OAK-0001", serial="5CG111", location_id=s12.id,
                assigned_user_id=pupil_laptop_user.id, history="Bought for Year 7")
    b = f.asset(app, oak, world["laptop"], "OAK-0002", serial="5CG222", assigned_user_id=both.id)
    c = f.asset(app, oak, world["laptop"], "OAK-0003", serial="5CG333")

    client = _login(app, world["mover"])
    pasted = " oak-0001\r\n\r\nOAK-0002\t\n5cg333 \nOAK-0001\n"  # a scanner's paste: case, blanks, a repeat, a serial
    form = {"from_school_id": oak.id, "to_school_id": elm.id, "tags": pasted, "reason": "Year 7 laptops"}
    check = client.post("/trust/assets/transfers/new", data=form)
    assert check.status_code == 200
    assert "Move 3 devices from Oakwood Academy to Elm Primary?" in check.text
    assert "1 device loses its room" in check.text and "(cleared)" in check.text
    assert _where(app, [a.id, b.id, c.id]) == {"OAK-0001": "oak", "OAK-0002": "oak", "OAK-0003": "oak"}

    done = client.post("/trust/assets/transfers/new", data={**form, "confirmed": "yes"})
    assert done.status_code == 302, done.text
    assert _where(app, [a.id, b.id, c.id]) == {"OAK-0001": "elm", "OAK-0002": "elm", "OAK-0003": "elm"}
    with data(app) as s:
        moved = {x.tag: x for x in s.execute(select(Asset).where(Asset.id.in_([a.id, b.id, c.id]))).scalars()}
        assert moved["OAK-0001"].location_id is None and moved["OAK-0001"].assigned_user_id is None
        assert moved["OAK-0002"].assigned_user_id == both.id  # works at Elm too: keeps the laptop
        events = s.execute(select(AssetEvent).where(AssetEvent.asset_id == a.id)
                           .order_by(AssetEvent.id)).scalars().all()
        assert [(e.kind, e.school_id) for e in events] == [("created", elm.id), ("transferred", elm.id)]
        assert events[1].changes == {"school": ["Oakwood Academy", "Elm Primary"], "location": ["S12", None],
                                     "assigned_to": ["Only At Oak", None]}
        assert events[1].actor_id == world["mover"].id and "Year 7 laptops" in events[1].note
        transfer = s.execute(select(Transfer)).scalar_one()
        assert (transfer.from_school_id, transfer.to_school_id, transfer.asset_count) == (oak.id, elm.id, 3)
        assert sorted(i.tag for i in s.execute(select(TransferItem)).scalars()) == ["OAK-0001", "OAK-0002", "OAK-0003"]
        audit = s.execute(select(AuditEvent).where(AuditEvent.action == "asset.transferred")).scalar_one()
        assert "3 devices moved from Oakwood Academy to Elm Primary" in audit.summary
    assert "Year 7 laptops" in client.get("/trust/assets/transfers").text


def test_one_unknown_tag_and_nothing_moves(app, world):
    oak = world["oak"]
    good = f.many(app, oak, world["laptop"], "OAK", 29)
    client = _login(app, world["mover"])
    tags = "\n".join(a.tag for a in good) + "\nOAK-999"
    response = client.post("/trust/assets/transfers/new", data={
        "from_school_id": oak.id, "to_school_id": world["elm"].id, "tags": tags, "reason": "Refresh",
        "confirmed": "yes"})
    assert response.status_code == 422
    assert "Not in the register: OAK-999." in response.text
    assert 'id="tags-error"' in response.text  # beside the field it is about
    assert set(_where(app, [a.id for a in good]).values()) == {"oak"}
    with data(app) as s:
        assert s.execute(select(Transfer)).first() is None
        assert s.execute(select(AssetEvent).where(AssetEvent.kind == "transferred")).first() is None


def test_devices_elsewhere_or_disposed_are_named_and_nothing_moves(app, make, world):
    oak, elm = world["oak"], world["elm"]
    make.school("ash", name="Ash Juniors")
    made = [f.asset(app, oak, world["laptop"], "OAK-0001"), f.asset(app, elm, world["laptop"], "ELM-0001"),
            f.asset(app, oak, world["laptop"], "OAK-0002", status="disposed"),
            f.asset(app, oak, world["laptop"], "OAK-0003", status="lost_stolen")]
    with pytest.raises(AssetError) as refused:
        _move(app, world, ["OAK-0001", "ELM-0001", "OAK-0002", "OAK-0003"], to="ash")
    assert refused.value.field == "tags"
    message = refused.value.message
    assert "Not at Oakwood Academy: ELM-0001." in message
    assert "Disposed: OAK-0002." in message and "Lost or stolen: OAK-0003." in message
    assert _where(app, [a.id for a in made]) == {"OAK-0001": "oak", "ELM-0001": "elm", "OAK-0002": "oak",
                                                 "OAK-0003": "oak"}
    with data(app) as s:
        assert s.execute(select(Transfer)).first() is None


def test_a_transfer_needs_a_reason_and_another_school_of_the_trust(app, make, world):
    f.asset(app, world["oak"], world["laptop"], "OAK-0001")
    with pytest.raises(AssetError) as no_reason:
        _move(app, world, ["OAK-0001"], reason="  ")
    assert no_reason.value.field == "reason"
    with pytest.raises(AssetError) as same:
        _move(app, world, ["OAK-0001"], to="oak")
    assert same.value.field == "to_school_id"
    other_trust = make.trust("Far Trust")
    make.school("far", trust=other_trust)
    with acting_as(app, world["mover"]) as (person, scope):
        assert scoped_get(School, _far_id(app)) is None  # not in the scope: the page and API find no school
        with pytest.raises(AssetError) as far:
            transfers.transfer(from_school=_school("oak"), to_school=None, tags=["OAK-0001"], reason="x",
                               by=person, now=NOW, scope=scope)
    assert far.value.field == "to_school_id"


def _far_id(app) -> int:
    with data(app) as s:
        return s.execute(select(School.id).where(School.slug == "far")).scalar_one()


def test_only_the_trust_it_team_moves_devices(app, make, world):
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001")
    for user in (world["oak_tech"], make.user(role="trust_admin"), make.user(role="trustee")):
        with acting_as(app, user) as (person, scope):
            with pytest.raises(NotAllowed):
                transfers.transfer(from_school=_school("oak") if scope.sees(world["oak"].id) else None,
                                   to_school=scoped_get(School, world["elm"].id), tags=["OAK-0001"],
                                   reason="x", by=person, now=NOW, scope=scope)
    assert _login(app, world["oak_tech"]).get("/trust/assets/transfers/new").status_code == 403
    response = _api(app, world["oak_tech"], "post", "/api/v1/transfers/",
                    json={"tags": ["OAK-0001"], "to_school_id": world["oak"].id, "reason": "x"})
    assert response.status_code == 403
    assert _where(app, [a.id]) == {"OAK-0001": "oak"}


def test_the_old_school_loses_the_device_but_keeps_the_record(app, world):
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001", history="Bought for the library")
    _move(app, world, ["OAK-0001"])
    with acting_as(app, world["oak_tech"]):
        with pytest.raises(NotFound):
            get_or_404(Asset, a.id)
        assert db.session.execute(select(AssetEvent).where(AssetEvent.asset_id == a.id)).first() is None
    page = _login(app, world["oak_tech"]).get("/s/oak/assets/transfers")
    assert page.status_code == 200
    assert "OAK-0001" in page.text and "Elm Primary" in page.text and "Out" in page.text
    listed = _api(app, world["oak_tech"], "get", "/api/v1/transfers/").json["items"]
    assert [(t["from_school"], t["to_school"], [i["tag"] for i in t["items"]]) for t in listed] == [
        ("Oakwood Academy", "Elm Primary", ["OAK-0001"])]


def test_the_new_school_sees_the_device_and_its_whole_history(app, world):
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001", history="Bought for the library")
    _move(app, world, ["OAK-0001"])
    with acting_as(app, world["elm_tech"]):
        assert get_or_404(Asset, a.id).tag == "OAK-0001"
        notes = db.session.execute(select(AssetEvent.kind, AssetEvent.note).where(AssetEvent.asset_id == a.id)
                                   .order_by(AssetEvent.id)).all()
    assert [k for k, _ in notes] == ["created", "transferred"]
    assert notes[0].note == "Bought for the library"
    page = _login(app, world["elm_tech"]).get("/s/elm/assets/transfers")
    assert "OAK-0001" in page.text and ">In<" in page.text


def test_on_postgresql_the_database_itself_hides_the_moved_device_from_the_old_school(app, backend, world):
    if backend != "postgres":
        pytest.skip("row-level security is PostgreSQL's")
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001")
    _move(app, world, ["OAK-0001"])
    oak_id, elm_id = world["oak"].id, world["elm"].id

    def seen(school_ids: str) -> tuple[int, int, int, int]:
        with app.app_context():  # the app's own role, which neither owns the tables nor bypasses RLS
            with db.engine.begin() as conn:
                conn.execute(text("SELECT set_config('trust_it.school_ids', :ids, true)"), {"ids": school_ids})
                return tuple(conn.execute(text(sql), {"id": a.id}).scalar_one() for sql in (
                    "SELECT count(*) FROM assets WHERE id = :id",
                    "SELECT count(*) FROM asset_events WHERE asset_id = :id",
                    "SELECT count(*) FROM asset_transfers",
                    "SELECT count(*) FROM asset_transfer_items WHERE asset_id = :id"))

    assert seen(str(oak_id)) == (0, 0, 1, 1)
    assert seen(str(elm_id)) == (1, 2, 1, 1)


def test_a_school_sees_no_transfer_between_two_other_schools(app, make, world):
    ash = make.school("ash", name="Ash Juniors")
    f.asset(app, world["elm"], world["laptop"], "ELM-0001")
    _move(app, world, ["ELM-0001"], frm="elm", to="ash")
    client = _login(app, world["oak_tech"])
    assert "ELM-0001" not in client.get("/s/oak/assets/transfers").text
    assert client.get("/s/ash/assets/transfers").status_code == 404
    assert _api(app, world["oak_tech"], "get", "/api/v1/transfers/").json["items"] == []
    assert ash.id


def test_a_30_laptop_batch_costs_a_few_statements_not_30_times_as_many(app, world, count_queries):
    f.many(app, world["oak"], world["laptop"], "ONE", 1)
    thirty = f.many(app, world["oak"], world["laptop"], "OAK", 30)

    def statements(tags) -> list[str]:
        with acting_as(app, world["mover"]) as (person, scope):
            oak, elm = _school("oak"), _school("elm")
            with count_queries() as sent:
                transfers.transfer(from_school=oak, to_school=elm, tags=tags, reason="Refresh", by=person,
                                   now=NOW, scope=scope)
        return sent

    one = statements(["ONE-001"])
    batch = statements([a.tag for a in thirty])
    assert len(batch) == len(one), "\n".join(batch)
    # Read the assets, the people's memberships; write the transfer, the assets, their history,
    # the items, the events and the audit entry.
    assert len(batch) <= 8, "\n".join(batch)
    assert set(_where(app, [a.id for a in thirty]).values()) == {"elm"}


def test_the_api_moves_by_id_and_lists_with_a_cursor(app, world):
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001")
    b = f.asset(app, world["oak"], world["laptop"], "OAK-0002")
    first = _api(app, world["mover"], "post", "/api/v1/transfers/",
                 json={"asset_ids": [a.id], "to_school_id": world["elm"].id, "reason": "Spare for Elm"})
    assert first.status_code == 201, first.json
    assert first.json["from_school_id"] == world["oak"].id and first.json["items"][0]["tag"] == "OAK-0001"
    second = _api(app, world["mover"], "post", "/api/v1/transfers/",
                  json={"tags": ["oak-0002"], "to_school_id": world["elm"].id, "reason": "Another"})
    assert second.status_code == 201
    page = _api(app, world["mover"], "get", "/api/v1/transfers/?limit=1").json
    assert [t["reason"] for t in page["items"]] == ["Spare for Elm"] and page["next_cursor"]
    rest = _api(app, world["mover"], "get", f"/api/v1/transfers/?limit=1&cursor={page['next_cursor']}").json
    assert [t["reason"] for t in rest["items"]] == ["Another"] and rest["next_cursor"] is None
    assert set(_where(app, [a.id, b.id]).values()) == {"elm"}


def test_the_api_names_what_cannot_move(app, make, world):
    a = f.asset(app, world["oak"], world["laptop"], "OAK-0001")
    e = f.asset(app, world["elm"], world["laptop"], "ELM-0001")
    ash = make.school("ash")
    unknown = _api(app, world["mover"], "post", "/api/v1/transfers/",
                   json={"tags": ["OAK-0001", "NOPE-1"], "to_school_id": world["elm"].id, "reason": "x"})
    assert unknown.status_code == 422
    assert "NOPE-1" in unknown.json["errors"]["json"]["tags"][0]
    mixed = _api(app, world["mover"], "post", "/api/v1/transfers/",
                 json={"asset_ids": [a.id, e.id], "to_school_id": ash.id, "reason": "x"})
    assert mixed.status_code == 422 and "different schools" in mixed.json["errors"]["json"]["asset_ids"][0]
    both = _api(app, world["mover"], "post", "/api/v1/transfers/",
                json={"asset_ids": [a.id], "tags": ["OAK-0001"], "to_school_id": ash.id, "reason": "x"})
    assert both.status_code == 422
    assert _where(app, [a.id, e.id]) == {"OAK-0001": "oak", "ELM-0001": "elm"}


# --- helpers -------------------------------------------------------------------------------------

def _login(app, user):
    from tests.conftest import login, new_client
    client = new_client(app)
    login(client, user)
    return client


def _api(app, user, method, url, **kwargs):
    from tests.conftest import new_client
    return getattr(new_client(app), method)(url, headers=bearer(app, user), **kwargs)
