"""/api/v1/baselines, /assessments and /compliance: reading, changing, 422s naming the field, 403s."""
from datetime import timedelta

from services.base import utcnow
from services.directory.models import School
from services.standards import conformance
from services.standards.checks import Figure
from tests.conftest import bearer, data
from tests.standards.conftest import baseline, item


def _ids(app, world, code, item_code):
    with data(app) as s:
        return baseline(s, world.trust.id, code).id, item(s, world.trust.id, item_code).id


def test_the_trust_reads_baselines_items_and_versions(app, client, make, world):
    headers = bearer(app, make.user(role="trustee", trust=world.trust))
    page = client.get("/api/v1/baselines/?limit=2", headers=headers).json
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"/api/v1/baselines/?cursor={page['next_cursor']}", headers=headers).json
    assert {b["code"] for b in page["items"] + rest["items"]} == {"DFE-DTS", "CYBER-ESSENTIALS", "RPA-CYBER",
                                                                  "TRUST-OPS"}
    dfe_id, _ = _ids(app, world, "DFE-DTS", "DFE-WIRELESS")
    items = client.get(f"/api/v1/baselines/{dfe_id}/items?limit=200", headers=headers).json["items"]
    assert len(items) == 12 and sum(i["core_2030"] for i in items) == 6
    versions = client.get(f"/api/v1/baselines/{dfe_id}/versions", headers=headers).json["items"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published")]


def test_the_technical_team_edits_publishes_and_diffs(app, client, make, world, figures):
    headers = bearer(app, make.user(role="technical", trust=world.trust))
    rpa_id, cyberalarm_id = _ids(app, world, "RPA-CYBER", "RPA-CYBERALARM")
    changed = client.patch(f"/api/v1/baselines/{rpa_id}/items/{cyberalarm_id}", json={"review_days": 180},
                           headers=headers)
    assert changed.status_code == 200, changed.json
    assert changed.json["version"] == 2 and changed.json["review_days"] == 180
    added = client.post(f"/api/v1/baselines/{rpa_id}/items", json={
        "code": "RPA-CONTACTS", "title": "Incident contacts printed", "check_kind": "attestation",
        "review_days": 365}, headers=headers)
    assert added.status_code == 201, added.json
    published = client.post(f"/api/v1/baselines/{rpa_id}/publish", json={"note": "Half-yearly CyberAlarm check"},
                            headers=headers)
    assert published.status_code == 200 and published.json["status"] == "published"
    diff = client.get(f"/api/v1/baselines/{rpa_id}/diff?from=1&to=2", headers=headers).json
    assert diff["added"] == ["RPA-CONTACTS"] and diff["removed"] == []
    assert diff["changed"][0]["fields"] == {"review_days": {"before": 365, "after": 180}}
    # Publishing held every school to the new items at once.
    with data(app):
        rows = {r.item.code for r in conformance.rows_for([world.primary.id], baseline_id=rpa_id)}
    assert "RPA-CONTACTS" in rows


def test_baseline_422s_name_the_field(app, client, make, world):
    headers = bearer(app, make.user(role="it_director", trust=world.trust))
    rpa_id, backups_id = _ids(app, world, "RPA-CYBER", "RPA-BACKUPS")
    cases = [
        (f"/api/v1/baselines/{rpa_id}/items", {"code": "X", "title": "Y", "check_kind": "derived",
                                               "check_key": "made.up"}, "check_key"),
        (f"/api/v1/baselines/{rpa_id}/items", {"code": "X", "title": "Y", "check_kind": "attestation"},
         "review_days"),
        (f"/api/v1/baselines/{rpa_id}/items", {"code": "RPA-BACKUPS", "title": "Again", "check_kind": "attestation",
                                               "review_days": 10}, "code"),
        ("/api/v1/baselines/", {"code": "RPA-CYBER", "title": "Clash"}, "code"),
        ("/api/v1/baselines/", {"title": "No code"}, "code"),
        (f"/api/v1/baselines/{rpa_id}/publish", {}, "version"),
    ]
    for url, body, field in cases:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (url, body, response.json)
        assert field in response.json["errors"]["json"], (body, response.json)
    bad_diff = client.get(f"/api/v1/baselines/{rpa_id}/diff?from=1&to=9", headers=headers)
    assert bad_diff.status_code == 422 and "to" in bad_diff.json["errors"]["query"]


def test_school_people_and_readers_cannot_change_baselines(app, client, make, world):
    rpa_id, backups_id = _ids(app, world, "RPA-CYBER", "RPA-BACKUPS")
    desk = bearer(app, make.user(role="service_desk", trust=world.trust))
    assert client.patch(f"/api/v1/baselines/{rpa_id}/items/{backups_id}", json={"review_days": 5},
                        headers=desk).status_code == 403
    head = bearer(app, make.user(role="school_lead", school=world.primary, trust=world.trust))
    # School people read the items they are held to through /compliance, not the baselines whole.
    assert client.get("/api/v1/baselines/", headers=head).json["items"] == []
    assert client.get(f"/api/v1/baselines/{rpa_id}", headers=head).status_code == 403
    other = make.trust("Far Trust")
    far = bearer(app, make.user(role="technical", trust=other))
    assert client.get(f"/api/v1/baselines/{rpa_id}", headers=far).status_code == 404


def test_a_head_records_answers_and_reads_compliance(app, client, make, world, figures):
    figures.table["assets.supported_os_share"] = {world.primary.id: Figure(90.0, 90, 100, "90 of 100")}
    head = make.user(role="school_lead", school=world.primary, trust=world.trust)
    headers = bearer(app, head)
    _, backups_id = _ids(app, world, "RPA-CYBER", "RPA-BACKUPS")
    _, broadband_id = _ids(app, world, "DFE-DTS", "DFE-BROADBAND")
    _, servers_id = _ids(app, world, "DFE-DTS", "DFE-SERVERS")
    made = client.post("/api/v1/assessments/", json={
        "school_id": world.primary.id, "item_id": backups_id, "status": "met",
        "evidence": "Restored the MIS on Monday"}, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["assessed_by_id"] == head.id and made.json["expires_at"]
    measured = client.post("/api/v1/assessments/", json={
        "school_id": world.primary.id, "item_id": broadband_id, "values": {"download": 150, "upload": 40}},
        headers=headers).json
    assert measured["status"] == "met" and measured["values"] == {"download": 150.0, "upload": 40.0}
    client.post("/api/v1/assessments/", json={"school_id": world.primary.id, "item_id": servers_id,
                                              "status": "not_applicable", "reason": "No servers"}, headers=headers)
    listed = client.get(f"/api/v1/assessments/?school={world.primary.id}", headers=headers).json["items"]
    assert [a["item_code"] for a in listed] == ["RPA-BACKUPS", "DFE-BROADBAND", "DFE-SERVERS"]
    with data(app):
        conformance.refresh(world.trust.id, None, now=utcnow() + timedelta(minutes=1))
    school = client.get(f"/api/v1/compliance/schools/{world.primary.id}", headers=headers).json
    statuses = {i["code"]: i["status"] for i in school["items"]}
    assert statuses["RPA-BACKUPS"] == "met" and statuses["DFE-SERVERS"] == "not_applicable"
    assert statuses["DFE-DEVICES"] == "partly_met" and statuses["DFE-WIRELESS"] == "unknown"
    devices = next(i for i in school["items"] if i["code"] == "DFE-DEVICES")
    assert devices["figures"]["numerator"] == 90 and devices["value"] == 90.0
    assert school["core_2030_met"] == 1 and school["core_2030_applicable"] == 6  # broadband
    # The head sees their own school only, in the list and in the totals.
    cards = client.get("/api/v1/compliance/schools", headers=headers).json["items"]
    assert [c["school_id"] for c in cards] == [world.primary.id]
    assert client.get(f"/api/v1/compliance/schools/{world.secondary.id}", headers=headers).status_code == 404
    totals = client.get("/api/v1/compliance/", headers=headers).json
    assert totals["schools"] == 1 and totals["counts"]["met"] == 2


def test_trust_totals_count_every_school(app, client, make, world, figures):
    with data(app):
        conformance.refresh(world.trust.id, None, now=utcnow())
    headers = bearer(app, make.user(role="it_director", trust=world.trust))
    totals = client.get("/api/v1/compliance/", headers=headers).json
    assert totals["schools"] == 2 and totals["core_2030_applicable"] == 12
    assert totals["schools_meeting_core_2030"] == 0
    cards = client.get("/api/v1/compliance/schools?limit=1", headers=headers).json
    assert len(cards["items"]) == 1 and cards["next_cursor"]


def test_assessment_422s_and_403s(app, client, make, world):
    head = bearer(app, make.user(role="school_lead", school=world.primary, trust=world.trust))
    _, backups_id = _ids(app, world, "RPA-CYBER", "RPA-BACKUPS")
    _, broadband_id = _ids(app, world, "DFE-DTS", "DFE-BROADBAND")
    _, devices_id = _ids(app, world, "DFE-DTS", "DFE-DEVICES")
    p = world.primary.id
    cases = [
        ({"school_id": p, "item_id": backups_id, "status": "met"}, "evidence"),
        ({"school_id": p, "item_id": broadband_id}, "values"),
        ({"school_id": p, "item_id": broadband_id, "values": {"download": 150}}, "values"),
        ({"school_id": p, "item_id": devices_id, "status": "met", "evidence": "Fine"}, "status"),
        ({"school_id": p, "item_id": backups_id, "status": "not_applicable"}, "reason"),
        ({"school_id": p, "item_id": 987654, "status": "met", "evidence": "x"}, "item_id"),
        ({"school_id": world.secondary.id, "item_id": backups_id, "status": "met", "evidence": "x"}, "school_id"),
        ({"school_id": p, "item_id": backups_id, "status": "brilliant"}, "status"),
        ({"item_id": backups_id, "status": "met"}, "school_id"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/assessments/", json=body, headers=head)
        assert response.status_code == 422, (body, response.json)
        assert field in response.json["errors"]["json"], (body, response.json)
    staff = bearer(app, make.user(role="staff", school=world.primary, trust=world.trust))
    assert client.post("/api/v1/assessments/", json={"school_id": p, "item_id": backups_id, "status": "met",
                                                      "evidence": "x"}, headers=staff).status_code == 403
    director = bearer(app, make.user(role="it_director", trust=world.trust))
    assert client.post("/api/v1/assessments/", json={"school_id": p, "item_id": backups_id, "status": "met",
                                                      "evidence": "x"}, headers=director).status_code == 403
    with data(app) as s:
        assert s.get(School, p) is not None
