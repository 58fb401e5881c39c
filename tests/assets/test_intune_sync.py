"""Intune sync against a local Graph: paging, throttling, a failed page, an expiring token, untidy answers."""
from datetime import datetime, timedelta

from sqlalchemy import select

from services.assets.models import Asset, AssetCategory, SyncMapping
from services.directory.models import School, Trust
from tests.assets import intune_world
from tests.assets.intune_world import NOW, TID, assets, events, run_sync
from tests.conftest import data
from tests.fakes.graph import EXPIRE_TOKEN, FakeGraph, device

local_microsoft, microsoft, world = intune_world.local_microsoft, intune_world.microsoft, intune_world.world


def _devices(microsoft, *devices):
    microsoft.graph.devices[TID] = list(devices)


def test_every_page_is_read_and_each_device_becomes_an_asset(app, world, microsoft):
    _devices(microsoft, *(device(n) for n in range(1, 6)))  # three pages of two
    run = run_sync(app)
    assert (run.status, run.devices, run.created, run.updated, run.skipped) == ("succeeded", 5, 5, 0, 0)
    assert microsoft.graph.pages_served() == 3
    assert "serialNumber" in microsoft.graph.requests[0][1]["$select"]  # only the fields we use
    laptop = assets(app)["OAK-LT-0001"]
    assert (laptop.school_id, laptop.serial, laptop.tag, laptop.manufacturer, laptop.model) == (
        world["oak"].id, "5CG0000001", "5CG0000001", "HP", "HP ProBook 450 G8")
    assert (laptop.os, laptop.os_version, laptop.compliance, laptop.encrypted, laptop.status) == (
        "Windows", "10.0.22631.3447", "compliant", True, "deployed")
    assert laptop.last_seen_at == datetime(2026, 1, 10, 8, 15)
    assert laptop.intune_device_id == "00000001-1111-2222-3333-444455556666"
    with data(app) as s:
        assert s.get(AssetCategory, laptop.category_id).name == "Laptop"
    assert len(events(app, "created")) == 5


def test_a_second_run_records_what_changed_before_and_after(app, world, microsoft):
    _devices(microsoft, device(1), device(2))
    run_sync(app)
    _devices(microsoft, device(1, osVersion="10.0.26100.2033", complianceState="noncompliant"), device(2))
    run = run_sync(app, now=NOW + timedelta(days=1))
    assert (run.created, run.updated, run.unchanged) == (0, 1, 1)
    synced = events(app, "synced")
    assert len(synced) == 1
    assert synced[0].changes == {"os_version": ["10.0.22631.3447", "10.0.26100.2033"],
                                 "compliance": ["compliant", "noncompliant"]}


def test_a_throttled_page_waits_the_fractional_retry_after_then_carries_on(app, world, microsoft):
    _devices(microsoft, *(device(n) for n in range(1, 6)))
    microsoft.graph.on_page(2, FakeGraph.throttled("2.128"), FakeGraph.throttled("0.5"))
    run = run_sync(app)
    assert (run.status, run.created) == ("succeeded", 5)
    assert microsoft.slept == [2.128, 0.5]  # waited as told, through the injected sleeper


def test_a_page_failing_midway_applies_nothing_and_the_next_run_completes(app, world, microsoft):
    with data(app) as s:  # in the register already, with an old OS: page 1 would update it
        known = Asset(trust_id=world["trust"].id, school_id=world["elm"].id, tag="ELM-0001", serial="5CG0000001",
                      manufacturer="HP", manufacturer_key="hp", category_id=_laptops(app, world), os="Windows",
                      os_version="10.0.19045")
        s.add(known)
    _devices(microsoft, *(device(n) for n in range(1, 6)))
    microsoft.graph.on_page(2, FakeGraph.server_error())
    failed = run_sync(app)
    assert failed.status == "failed" and "500" in failed.error and "Nothing was changed" in failed.error
    assert (failed.created, failed.updated) == (0, 0)
    register = assets(app)
    assert list(register) == [""] and register[""].os_version == "10.0.19045"  # nothing from page 1
    assert events(app) == []

    again = run_sync(app, now=NOW + timedelta(hours=1))
    assert (again.status, again.created, again.updated) == ("succeeded", 4, 1)
    assert assets(app)["OAK-LT-0001"].os_version == "10.0.22631.3447"


def test_a_token_expiring_mid_run_gets_one_fresh_token_and_a_retry(app, world, microsoft):
    _devices(microsoft, *(device(n) for n in range(1, 6)))
    microsoft.graph.on_page(2, EXPIRE_TOKEN)
    run = run_sync(app)
    assert (run.status, run.created) == ("succeeded", 5)
    assert microsoft.entra.count("POST", f"{microsoft.url}/{TID}/oauth2/v2.0/token") == 2


def test_a_refused_secret_fails_the_run_with_microsofts_reason_and_no_secret(app, world, microsoft, monkeypatch):
    monkeypatch.setitem(app.config, "INTUNE_CLIENT_SECRET", "an-old-secret-value")
    _devices(microsoft, device(1))
    run = run_sync(app)
    assert run.status == "failed" and "Invalid client secret" in run.error
    assert "an-old-secret-value" not in run.error
    assert microsoft.graph.pages_served() == 0


def test_empty_strings_are_unknowns_and_0001_means_never(app, world, microsoft):
    with data(app) as s:
        s.add(Asset(trust_id=world["trust"].id, school_id=world["oak"].id, tag="OAK-0042", serial="5CG0000002",
                    manufacturer="HP", manufacturer_key="hp", model="HP ProBook 450 G8", name="OAK-LT-0002",
                    category_id=_laptops(app, world), os="Windows", os_version="10.0.22631.3447"))
    _devices(microsoft,
             device(1, serialNumber="", model="", manufacturer="", lastSyncDateTime="0001-01-01T00:00:00Z"),
             device(2, model="", osVersion="", complianceState="", isEncrypted=None))
    run = run_sync(app)
    assert (run.status, run.created, run.updated) == ("succeeded", 1, 1)
    changed = events(app, "synced")[0].changes
    assert set(changed) == {"intune_device_id", "last_seen_at"}  # "" overwrote nothing
    found = assets(app)
    never = found["OAK-LT-0001"]
    assert (never.serial, never.model, never.manufacturer, never.last_seen_at) == (None, "", "", None)
    assert never.tag == "IN-00000001111122223333444455556666"  # no serial to use as its tag
    kept = found["OAK-LT-0002"]
    assert (kept.model, kept.os_version, kept.tag) == ("HP ProBook 450 G8", "10.0.22631.3447", "OAK-0042")


def test_cloud_pcs_and_virtual_machines_are_skipped_with_a_reason(app, world, microsoft):
    _devices(microsoft,
             device(1, model="Cloud PC Enterprise 2vCPU/8GB/128GB", manufacturer="Microsoft Corporation",
                    serialNumber="0000-0001-2345-6789-0123-4567-89"),
             device(2, model="Virtual Machine", manufacturer="Microsoft Corporation"),
             device(3, model="VMware7,1", manufacturer="VMware, Inc.", serialNumber="VMware-56 4d 1a 2b"),
             device(4, model="Standard PC (Q35 + ICH9, 2009)", manufacturer="QEMU"),
             device(5, model="Surface Laptop 5", manufacturer="Microsoft Corporation"))
    run = run_sync(app)
    assert (run.status, run.created, run.skipped, run.unplaced) == ("succeeded", 1, 4, 0)
    assert list(assets(app)) == ["OAK-LT-0005"]  # the Surface is hardware
    reasons = {s["device"]: s["reason"] for s in run.details["skipped"]}
    assert reasons["OAK-LT-0001"].startswith("Windows 365 Cloud PC")
    assert reasons["OAK-LT-0002"].startswith("Virtual machine")
    assert reasons["OAK-LT-0003"].startswith("VMware virtual machine")
    assert reasons["OAK-LT-0004"].startswith("QEMU virtual machine")


def test_one_serial_listed_twice_counts_once_the_most_recently_synced(app, world, microsoft):
    _devices(microsoft,
             device(1, deviceName="OAK-OLD-RECORD", lastSyncDateTime="2025-09-01T10:00:00Z"),
             device(2, serialNumber="5CG0000001", deviceName="OAK-LT-0001", lastSyncDateTime="2026-01-11T10:00:00Z"))
    run = run_sync(app)
    assert (run.created, run.skipped) == (1, 1)
    assert list(assets(app)) == ["OAK-LT-0001"]
    assert "listed twice" in run.details["skipped"][0]["reason"]


def test_the_primary_user_is_assigned_only_when_a_member_of_the_assets_school(app, world, microsoft, make):
    pupil_tech = make.user(role="staff", school=world["oak"], email="sam.teacher@oakwood.sch.uk")
    make.user(role="staff", school=world["elm"], email="elm.teacher@elmfield.sch.uk")
    _devices(microsoft,
             device(1, userPrincipalName="Sam.Teacher@oakwood.sch.uk"),
             device(2, userPrincipalName="elm.teacher@elmfield.sch.uk"),   # at another school
             device(3, userPrincipalName="", emailAddress="", userId=None))  # no user at all
    run = run_sync(app)
    assert (run.status, run.created) == ("succeeded", 3)
    found = assets(app)
    assert found["OAK-LT-0001"].assigned_user_id == pupil_tech.id
    assert found["OAK-LT-0002"].assigned_user_id is None
    assert found["OAK-LT-0003"].assigned_user_id is None


def test_a_device_unseen_for_30_days_is_marked_once_and_cleared_when_it_returns(app, world, microsoft):
    _devices(microsoft, device(1), device(2))
    run_sync(app)
    later = NOW + timedelta(days=40)
    _devices(microsoft, device(2, lastSyncDateTime="2026-02-20T08:00:00Z"))  # device 1 left Intune
    run = run_sync(app, now=later)
    assert run.unseen == 1
    gone = assets(app)["OAK-LT-0001"]
    assert gone.unseen_since == datetime(2026, 1, 10, 8, 15)  # when it was last seen
    assert assets(app)["OAK-LT-0002"].unseen_since is None
    assert run_sync(app, now=later + timedelta(days=1)).unseen == 0  # marked once

    _devices(microsoft, device(1, lastSyncDateTime="2026-02-22T08:00:00Z"), device(2))
    back = run_sync(app, now=later + timedelta(days=2))
    assert back.updated >= 1 and assets(app)["OAK-LT-0001"].unseen_since is None


def test_mapping_rules_are_tried_in_order_and_no_match_is_unplaced(app, world, microsoft, make):
    with data(app) as s:
        trust = s.get(Trust, world["trust"].id)
        from services.assets import intune_settings
        intune_settings.add_rule(trust, kind="group", value="Elmfield devices", school=s.get(School, world["elm"].id))
        intune_settings.add_rule(trust, kind="user_school")
    make.user(role="staff", school=world["elm"], email="jo@elmfield.sch.uk")
    microsoft.graph.member_of["user-in-elm-group"] = [{"id": "9f1c", "displayName": "Elmfield devices"}]
    _devices(microsoft,
             device(1, deviceName="OAK-LT-0001", userId="user-in-elm-group"),  # the prefix rule comes first
             device(2, deviceName="LAPTOP-7QK2", userId="user-in-elm-group"),  # placed by the group rule
             device(3, deviceName="DESKTOP-99", userPrincipalName="jo@elmfield.sch.uk"),  # by the user's school
             device(4, deviceName="KIOSK-01"))  # nothing matches
    run = run_sync(app)
    found = assets(app)
    assert found["OAK-LT-0001"].school_id == world["oak"].id
    assert found["LAPTOP-7QK2"].school_id == world["elm"].id
    assert found["DESKTOP-99"].school_id == world["elm"].id
    assert "KIOSK-01" not in found
    assert (run.created, run.unplaced, run.skipped, run.details["unplaced"]) == (3, 1, 1, ["KIOSK-01"])
    member_of = [path for path, _ in microsoft.graph.requests if path.endswith("/memberOf")]
    assert member_of == ["/v1.0/users/user-in-elm-group/memberOf"]  # once, only for unmapped new devices


def test_a_serial_matches_whatever_the_makers_spelling(app, world, microsoft):
    with data(app) as s:
        s.add(Asset(trust_id=world["trust"].id, school_id=world["elm"].id, tag="ELM-0007", serial="5CG0000001",
                    manufacturer="Hewlett Packard", manufacturer_key="hewlett packard",
                    category_id=_laptops(app, world)))
    _devices(microsoft, device(1))
    run = run_sync(app)
    assert (run.created, run.updated) == (0, 1)
    only = assets(app)["OAK-LT-0001"]
    assert (only.tag, only.school_id, only.manufacturer) == ("ELM-0007", world["elm"].id, "Hewlett Packard")


def test_writes_are_set_based_not_one_statement_per_device(app, world, microsoft, count_queries):
    _devices(microsoft, *(device(n) for n in range(1, 41)))
    microsoft.graph.page_size = 100
    with count_queries() as statements:
        run = run_sync(app)
    assert run.created == 40
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert sum("INTO assets" in s or 'INTO "assets"' in s for s in writes) == 1
    assert sum("asset_events" in s for s in writes) == 1
    assert len(statements) < 40


def _laptops(app, world) -> int:
    from services.assets import categories
    with data(app):
        return categories.by_name(world["trust"].id)["laptop"].id


def test_the_nightly_job_is_scheduled_on_the_sync_queue(app):
    from trust_it import jobs
    nightly = jobs.load_periodic()["assets.intune_sync"]
    assert (nightly.queue, nightly.every) == ("sync", 86400)
    assert nightly.task == "services.assets.intune_jobs:sync_every_tenant"


def test_rules_are_kept_in_the_order_they_are_tried(app, world):
    with data(app) as s:
        from services.assets import intune_settings
        trust = s.get(Trust, world["trust"].id)
        second = intune_settings.add_rule(trust, kind="user_school")
        intune_settings.move_rule_up(second)
        kinds = [r.kind for r in intune_settings.rules_of(trust.id)]
    assert kinds == ["user_school", "name_prefix"]
    with data(app) as s:
        assert s.execute(select(SyncMapping.position).order_by(SyncMapping.position)).scalars().all() == [1, 2]
