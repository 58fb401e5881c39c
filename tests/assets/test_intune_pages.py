"""The trust's Intune sync page, "sync now", the sync-runs API, and the job on a real rq worker."""
from sqlalchemy import select

from services.assets.models import Asset, SyncMapping, SyncRun, SyncTenant
from tests.assets import intune_world
from tests.assets.intune_world import NOW, TID, run_sync, tenant_row
from tests.conftest import bearer, data
from tests.fakes.graph import device
from tests.jobs import test_jobs
from tests.jobs.test_jobs import _run_worker, needs_redis
from trust_it import jobs

local_microsoft, microsoft, world = intune_world.local_microsoft, intune_world.microsoft, intune_world.world
redis_app = test_jobs.redis_app


def test_the_technical_team_turns_a_tenant_on_adds_a_rule_and_syncs_now(app, make, microsoft, login_as):
    trust = make.trust(tenants=[TID])
    oak = make.school("oak", name="Oakwood Academy", trust=trust)
    microsoft.graph.devices[TID] = [device(1), device(2, deviceName="ELM-LT-0002")]
    tech = login_as(make.user(role="technical", trust=trust, name="Priya Technical"))
    tenant = tenant_row(app)

    assert tech.post(f"/trust/assets/intune/tenants/{tenant.id}", data={"synced": "1"}).status_code == 302
    added = tech.post("/trust/assets/intune/rules", data={"kind": "name_prefix", "value": "OAK-",
                                                          "school": str(oak.id)})
    assert added.status_code == 302
    assert tech.post(f"/trust/assets/intune/tenants/{tenant.id}/sync").status_code == 302  # inline: runs at once

    page = tech.get("/trust/assets/intune")
    assert page.status_code == 200
    assert "Device name starts with “OAK-” → Oakwood Academy" in page.text
    assert "Completed, started by Priya Technical" in page.text
    with data(app) as s:
        run = s.execute(select(SyncRun)).scalar_one()
        assert (run.created, run.unplaced, run.trigger) == (1, 1, "by_hand")
        assert s.execute(select(Asset.name)).scalars().all() == ["OAK-LT-0001"]
    detail = tech.get(f"/trust/assets/intune/runs/{run.id}")
    assert detail.status_code == 200 and "ELM-LT-0002" in detail.text  # not placed, by name


def test_the_page_never_shows_the_client_secret(app, world, microsoft, login_as, make):
    page = login_as(make.user(role="it_director", trust=world["trust"])).get("/trust/assets/intune")
    assert page.status_code == 200
    assert microsoft.entra.client_id in page.text and microsoft.entra.client_secret not in page.text


def test_a_rule_without_a_school_is_refused_beside_its_field(app, world, login_as, make):
    admin = login_as(make.user(role="trust_admin", trust=world["trust"]))
    answer = admin.post("/trust/assets/intune/rules", data={"kind": "group", "value": "Elmfield devices",
                                                            "school": ""})
    assert answer.status_code == 422 and "Choose the school these devices belong to." in answer.text
    with data(app) as s:
        assert s.execute(select(SyncMapping.kind)).scalars().all() == ["name_prefix"]  # only the world's


def test_service_desk_reads_the_runs_but_may_not_change_the_settings(app, world, microsoft, login_as, make):
    microsoft.graph.devices[TID] = [device(1)]
    run_sync(app)
    desk = login_as(make.user(role="service_desk", trust=world["trust"]))
    page = desk.get("/trust/assets/intune")
    assert page.status_code == 200 and "Completed" in page.text and "Add a rule" not in page.text
    tenant = tenant_row(app)
    assert desk.post(f"/trust/assets/intune/tenants/{tenant.id}/sync").status_code == 403
    assert login_as(make.user(role="staff", school=world["oak"])).get("/trust/assets/intune").status_code == 403


def test_sync_now_for_a_tenant_not_synced_says_so(app, world, login_as, make):
    with data(app) as s:
        s.execute(SyncTenant.__table__.delete())
    admin = login_as(make.user(role="trust_admin", trust=world["trust"]))
    answer = admin.post(f"/trust/assets/intune/tenants/{tenant_row(app).id}/sync", follow_redirects=True)
    assert "Turn on the sync for this tenant first." in answer.text


def test_the_api_lists_the_trusts_runs_a_page_at_a_time(app, world, microsoft, client, make):
    microsoft.graph.devices[TID] = [device(1)]
    for hours in range(3):
        run_sync(app, now=NOW.replace(hour=9 + hours))
    headers = bearer(app, make.user(role="technical", trust=world["trust"]))
    first = client.get("/api/v1/sync-runs/?limit=2", headers=headers)
    assert first.status_code == 200
    assert [r["created"] for r in first.json["items"]] == [1, 0]
    assert first.json["items"][0]["status"] == "succeeded" and first.json["items"][0]["tenant"] == TID
    second = client.get(f"/api/v1/sync-runs/?limit=2&cursor={first.json['next_cursor']}", headers=headers)
    assert [r["unchanged"] for r in second.json["items"]] == [1] and second.json["next_cursor"] is None

    other_trust = make.trust("Far Trust")
    far = client.get("/api/v1/sync-runs/", headers=bearer(app, make.user(role="technical", trust=other_trust)))
    assert far.json["items"] == []
    staff = bearer(app, make.user(role="staff", school=world["oak"]))
    assert client.get("/api/v1/sync-runs/", headers=staff).json["items"] == []  # runs are for IT roles


@needs_redis
def test_sync_now_is_a_job_a_real_rq_worker_runs(redis_app, world, microsoft, database_url, login_as, make,
                                                  monkeypatch):
    microsoft.graph.devices[TID] = [device(1), device(2)]
    admin = login_as(make.user(role="technical", trust=world["trust"]))
    assert admin.post(f"/trust/assets/intune/tenants/{tenant_row(redis_app).id}/sync").status_code == 302
    with data(redis_app) as s:
        assert s.execute(select(SyncRun)).first() is None  # queued, not run: a worker takes it
    for name, value in {"TRUST_IT_INTUNE_CLIENT_ID": microsoft.entra.client_id,
                        "TRUST_IT_INTUNE_CLIENT_SECRET": microsoft.entra.client_secret,
                        "TRUST_IT_INTUNE_AUTHORITY_HOST": microsoft.url, "TRUST_IT_GRAPH_URL": microsoft.url,
                        "REQUESTS_CA_BUNDLE": microsoft.cafile}.items():  # the worker trusts the local server
        monkeypatch.setenv(name, value)
    result = _run_worker(database_url, "--queues", "sync")
    assert result.returncode == 0, result.stderr
    with data(redis_app) as s:
        run = s.execute(select(SyncRun)).scalar_one()
        assert (run.status, run.created, run.trigger) == ("succeeded", 2, "by_hand"), run.error
    assert jobs.load_periodic()["assets.intune_sync"].queue == "sync"


def test_a_sync_refreshes_the_trusts_standards_so_a_device_losing_encryption_is_drift_at_once(app, world,
                                                                                             microsoft, login_as,
                                                                                             make):
    from services.standards import baselines
    from services.standards.models import Conformance, DriftEvent, StandardItem
    microsoft.graph.devices[TID] = [device(1), device(2)]
    with data(app):
        baselines.load_shipped(world["trust"].id, now=NOW)
    tech = login_as(make.user(role="technical", trust=world["trust"]))
    sync_now = f"/trust/assets/intune/tenants/{tenant_row(app).id}/sync"
    assert tech.post(sync_now).status_code == 302  # inline: the sync, then the refresh it queued

    def encryption():
        with data(app) as s:
            return s.execute(select(Conformance.status, Conformance.value).join(StandardItem)
                             .where(StandardItem.check_key == "intune.encrypted_share",
                                    Conformance.school_id == world["oak"].id)).all()
    assert encryption() and all(row == ("met", 100.0) for row in encryption())
    microsoft.graph.devices[TID] = [device(1), device(2, isEncrypted=False)]
    assert tech.post(sync_now).status_code == 302
    assert all(status == "not_met" and value == 50.0 for status, value in encryption())
    with data(app) as s:
        assert s.execute(select(DriftEvent).where(DriftEvent.school_id == world["oak"].id)).first() is not None
