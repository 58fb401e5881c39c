"""Committing an import: the pages and the API, progress, all-or-nothing, the real rq worker."""
import io

import pytest
from sqlalchemy import select

from services.assets import import_writer
from services.assets.models import AssetEvent, ImportRun
from services.audit.models import AuditEvent
from tests.assets.import_helpers import TODAY, assets, csv_bytes, preview, reload, school_with_room
from tests.conftest import REDIS_URL, bearer, data, new_client

HEADER = "Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date"


def _rows(n, start=1):
    return [f"T-{i:04d},SER{i:04d},Lenovo,ThinkPad,Laptop,2024-09-0{1 + i % 9}" for i in range(start, start + n)]


def test_technician_uploads_previews_and_imports_on_the_page(app, make, login_as):
    oak = school_with_room(app, make)
    tech = login_as(make.user(role="technician", school=oak))
    page = tech.post("/s/oak/assets/import", data={"file": (io.BytesIO(csv_bytes([HEADER, *_rows(3)])), "a.csv")},
                     content_type="multipart/form-data")
    assert page.status_code == 302
    run_page = tech.get(page.headers["Location"])
    assert "to add" in run_page.text and ">3<" in run_page.text
    done = tech.post(page.headers["Location"], data={})
    assert done.status_code == 302
    finished = tech.get(page.headers["Location"])
    assert "Done: 3 added, 0 changed." in finished.text
    assert sorted(assets(app)) == ["T-0001", "T-0002", "T-0003"]
    status = tech.get(page.headers["Location"] + "/status").get_json()
    assert status == {"id": status["id"], "status": "done", "done": 3, "total": 3, "percent": 100, "created": 3,
                      "updated": 0, "error": ""}
    with data(app) as s:
        events = s.execute(select(AssetEvent)).scalars().all()
        audit = s.execute(select(AuditEvent).where(AuditEvent.action == "assets.imported")).scalar_one()
    assert {e.kind for e in events} == {"imported"} and len(events) == 3
    assert audit.summary == "Imported a.csv: 3 assets added, 0 updated"


def test_the_page_asks_for_the_date_order_and_names_bad_rows(app, make, login_as):
    oak = school_with_room(app, make)
    tech = login_as(make.user(role="technician", school=oak))
    content = csv_bytes([HEADER, "A-1,S1,HP,ProBook,Laptop,01/02/2024", "A-2,S2,HP,ProBook,Laptop,99/99/2024"])
    page = tech.post("/s/oak/assets/import", data={"file": (io.BytesIO(content), "b.csv")},
                     content_type="multipart/form-data")
    run_page = tech.get(page.headers["Location"])
    assert "How are the file&#39;s dates written?" in run_page.text
    assert "Line 3, column F (Purchase Date)" in run_page.text
    refused = tech.post(page.headers["Location"], data={"valid_rows_only": "y"})
    assert refused.status_code == 422 and "day/month or month/day" in refused.text
    assert tech.post(page.headers["Location"], data={"date_order": "dmy", "valid_rows_only": "y"}).status_code == 302
    assert str(assets(app)["A-1"].purchased_on) == "2024-02-01"


def test_who_may_import(app, make, login_as):
    oak = school_with_room(app, make)
    assert login_as(make.user(role="staff", school=oak)).get("/s/oak/assets/import").status_code == 403
    assert login_as(make.user(role="school_lead", school=oak)).get("/s/oak/assets/import").status_code == 403
    assert login_as(make.user(role="technician", school=oak)).get("/trust/assets/import").status_code == 403
    assert login_as(make.user(role="it_director")).get("/trust/assets/import").status_code == 200


def test_trust_wide_file_names_each_rows_school(app, make, login_as):
    school_with_room(app, make)
    school_with_room(app, make, slug="elm")
    director = login_as(make.user(role="technical"))
    content = csv_bytes(["Asset Tag,Serial,Manufacturer,Category,School", "W-1,S1,HP,Laptop,Oak School",
                         "W-2,S2,HP,Laptop,elm", "W-3,S3,HP,Laptop,Nowhere High"])
    page = director.post("/trust/assets/import", data={"file": (io.BytesIO(content), "trust.csv")},
                         content_type="multipart/form-data")
    assert "Line 4, column E (School): “Nowhere High” is not a school of the trust." in \
        director.get(page.headers["Location"]).text
    director.post(page.headers["Location"], data={"valid_rows_only": "y"})
    found = assets(app)
    assert found["W-1"].school.slug == "oak" and found["W-2"].school.slug == "elm" and "W-3" not in found


def test_api_upload_preview_commit_and_poll(app, make):
    oak = school_with_room(app, make)
    tech = make.user(role="technician", school=oak)
    client, headers = new_client(app), bearer(app, tech)
    created = client.post("/api/v1/asset-imports/", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(csv_bytes([HEADER, *_rows(2)])), "api.csv"),
                                "school_id": str(oak.id)})
    assert created.status_code == 201, created.text
    run = created.get_json()
    assert (run["status"], run["preview"]["create"]) == ("previewed", 2)
    committed = client.post(f"/api/v1/asset-imports/{run['id']}/commit", headers=headers, json={})
    assert committed.status_code == 202, committed.text
    polled = client.get(f"/api/v1/asset-imports/{run['id']}", headers=headers).get_json()
    assert (polled["status"], polled["done"], polled["total"], polled["created"]) == ("done", 2, 2, 2)
    again = client.post(f"/api/v1/asset-imports/{run['id']}/commit", headers=headers, json={})
    assert again.status_code == 422 and again.get_json()["errors"]["json"] == {"file": ["This file has already "
                                                                                         "been imported."]}


def test_api_refuses_a_trust_wide_import_to_a_school_role(app, make):
    oak = school_with_room(app, make)
    tech = make.user(role="technician", school=oak)
    response = new_client(app).post("/api/v1/asset-imports/", headers=bearer(app, tech),
                                    content_type="multipart/form-data",
                                    data={"file": (io.BytesIO(csv_bytes([HEADER, *_rows(1)])), "api.csv")})
    assert response.status_code == 403


def test_progress_moves_batch_by_batch(app, make, monkeypatch):
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, *_rows(5)]))
    monkeypatch.setattr(import_writer, "BATCH", 2)
    seen = []
    with data(app) as s:
        found = s.get(ImportRun, run.id)
        found.status = "queued"
        import_writer.write(found, today=TODAY, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 5), (2, 5), (4, 5), (5, 5)]
    assert reload(app, run).status == "done" and len(assets(app)) == 5


def test_a_failure_midway_writes_nothing(app, make, monkeypatch):
    oak = school_with_room(app, make)
    run = preview(app, oak, csv_bytes([HEADER, *_rows(5)]))
    monkeypatch.setattr(import_writer, "BATCH", 2)
    calls = []

    def fail_on_third(done, total):
        calls.append(done)
        if done == 4:
            raise RuntimeError("disk full")
    with data(app) as s:
        found = s.get(ImportRun, run.id)
        found.status = "queued"
        import_writer.write(found, today=TODAY, progress=fail_on_third)
    failed = reload(app, run)
    assert failed.status == "failed" and "wrote nothing" in failed.error
    assert assets(app) == {}
    with data(app) as s:
        assert s.execute(select(AssetEvent)).scalars().all() == []


needs_redis = pytest.mark.skipif(not REDIS_URL, reason="TRUST_IT_TEST_REDIS_URL not set")


@needs_redis
def test_a_real_rq_worker_imports_on_the_imports_queue(app, make, database_url):
    from redis import Redis

    from tests.jobs.test_jobs import _run_worker
    oak = school_with_room(app, make)
    Redis.from_url(REDIS_URL).flushdb()
    app.config.update(REDIS_URL=REDIS_URL, JOB_INLINE=False)
    try:
        run = preview(app, oak, csv_bytes([HEADER, *_rows(30)]))
        with data(app) as s:
            from services.assets import importer
            importer.commit(s.get(ImportRun, run.id), date_order=None, valid_rows_only=False, today=TODAY)
        assert reload(app, run).status == "queued" and assets(app) == {}
        result = _run_worker(database_url, "--queues", "imports")
        assert result.returncode == 0, result.stderr
    finally:
        app.config.update(REDIS_URL=None, JOB_INLINE=True)
        Redis.from_url(REDIS_URL).flushdb()
    done = reload(app, run)
    assert (done.status, done.done, done.total, done.created) == ("done", 30, 30, 30)
    assert len(assets(app)) == 30
