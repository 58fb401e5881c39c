"""The API for guidance articles and visits: scoped, validated (422 naming the field), paginated."""
from services.directory import tokens
from services.directory.models import User
from tests.conftest import data


def bearer(app, user):
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="test script")
    return {"Authorization": f"Bearer {secret}"}


ARTICLE = {"title": "Book the laptop trolley", "body": "Use the booking sheet.\n\nReturn it by 3pm.",
           "keywords": "laptops, trolley"}


def test_articles_and_visits_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/articles/", "/api/v1/articles/{article_id}", "/api/v1/visits/", "/api/v1/visits/{visit_id}"):
        assert path in paths


def test_a_school_edtech_writes_and_publishes_an_article(app, client, make):
    oak = make.school("oak")
    headers = bearer(app, make.user(role="edtech", school=oak))
    created = client.post("/api/v1/articles/", json={**ARTICLE, "school_id": oak.id}, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["status"] == "draft" and created.json["school_id"] == oak.id
    article_id = created.json["id"]

    staff = bearer(app, make.user(role="staff", school=oak))
    assert client.get(f"/api/v1/articles/{article_id}", headers=staff).status_code == 404
    published = client.patch(f"/api/v1/articles/{article_id}", json={"status": "published"}, headers=headers)
    assert published.status_code == 200 and published.json["status"] == "published"
    found = client.get("/api/v1/articles/?q=TROLLEY", headers=staff).json["items"]
    assert [a["title"] for a in found] == ["Book the laptop trolley"]
    assert client.patch(f"/api/v1/articles/{article_id}", json={"title": "Mine now"}, headers=staff).status_code == 403


def test_trust_wide_articles_need_a_trust_role(app, client, make):
    oak = make.school("oak")
    school_edtech = bearer(app, make.user(role="edtech", school=oak))
    assert client.post("/api/v1/articles/", json=ARTICLE, headers=school_edtech).status_code == 403
    trust_edtech = bearer(app, make.user(role="edtech"))
    created = client.post("/api/v1/articles/", json={**ARTICLE, "status": "published"}, headers=trust_edtech)
    assert created.status_code == 201 and created.json["school_id"] is None
    staff = bearer(app, make.user(role="staff", school=oak))
    assert [a["id"] for a in client.get("/api/v1/articles/", headers=staff).json["items"]] == [created.json["id"]]
    # An account of the trust with no current role reads nothing.
    nobody = bearer(app, make.user())
    assert client.get("/api/v1/articles/", headers=nobody).json["items"] == []
    assert client.get(f"/api/v1/articles/{created.json['id']}", headers=nobody).status_code == 404


def test_a_bad_article_is_a_422_naming_the_field(app, client, make):
    oak = make.school("oak")
    far = make.school("far", trust=make.trust("Far Trust"))
    headers = bearer(app, make.user(role="it_director"))
    response = client.post("/api/v1/articles/", json={"body": "x", "status": "live"}, headers=headers)
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"title", "status"}
    blank = client.post("/api/v1/articles/", json={**ARTICLE, "title": "   "}, headers=headers)
    assert blank.status_code == 422 and "title" in blank.json["errors"]["json"]
    elsewhere = client.post("/api/v1/articles/", json={**ARTICLE, "school_id": far.id}, headers=headers)
    assert elsewhere.status_code == 422 and "school_id" in elsewhere.json["errors"]["json"]
    created = client.post("/api/v1/articles/", json={**ARTICLE, "school_id": oak.id}, headers=headers).json
    bad = client.patch(f"/api/v1/articles/{created['id']}", json={"status": "gone"}, headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["errors"]["json"]


def test_the_article_list_pages_with_a_cursor(app, client, make):
    make.school("oak")
    headers = bearer(app, make.user(role="service_desk"))
    made = [client.post("/api/v1/articles/", json={**ARTICLE, "title": f"Guide {n}", "status": "published"},
                        headers=headers).json["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/articles/", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})},
                          headers=headers).json
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = client.get("/api/v1/articles/?cursor=nonsense", headers=headers)
    assert bad.status_code == 422 and "cursor" in bad.json["errors"]["query"]


def test_another_schools_article_is_a_404(app, client, make):
    oak, elm = make.school("oak"), make.school("elm")
    elm_headers = bearer(app, make.user(role="edtech", school=elm))
    article = client.post("/api/v1/articles/", json={**ARTICLE, "school_id": elm.id, "status": "published"},
                          headers=elm_headers).json
    oak_headers = bearer(app, make.user(role="edtech", school=oak))
    assert client.get(f"/api/v1/articles/{article['id']}", headers=oak_headers).status_code == 404
    assert client.patch(f"/api/v1/articles/{article['id']}", json={"title": "x"},
                        headers=oak_headers).status_code == 404
    assert client.get("/api/v1/articles/", headers=oak_headers).json["items"] == []


VISIT = {"starts_at": "2026-10-07T08:30:00+01:00", "ends_at": "2026-10-07T12:00:00+01:00", "notes": "Switches"}


def test_a_technician_plans_and_completes_a_visit(app, client, make):
    oak = make.school("oak")
    tech = make.user(role="technician", school=oak, name="Sam Engineer")
    headers = bearer(app, tech)
    ticket = make.ticket(oak, make.user(role="staff", school=oak))
    created = client.post("/api/v1/visits/", json={**VISIT, "school_id": oak.id}, headers=headers)
    assert created.status_code == 201, created.json
    visit = created.json
    assert visit["engineer_id"] == tech.id and visit["engineer_name"] == "Sam Engineer"
    assert visit["starts_at"].startswith("2026-10-07T07:30:00") and visit["status"] == "planned"

    done = client.patch(f"/api/v1/visits/{visit['id']}", headers=headers,
                        json={"status": "done", "notes": "Replaced two switches", "tickets": [ticket.reference]})
    assert done.status_code == 200, done.json
    assert done.json["status"] == "done" and done.json["tickets"] == [ticket.reference]
    listed = client.get(f"/api/v1/visits/?school={oak.id}&status=done", headers=headers).json["items"]
    # the outcome is appended; the plan is kept above it
    assert [v["id"] for v in listed] == [visit["id"]] and listed[0]["notes"].endswith("Done: Replaced two switches")
    again = client.patch(f"/api/v1/visits/{visit['id']}", json={"status": "cancelled"}, headers=headers)
    assert again.status_code == 422 and "status" in again.json["errors"]["json"]


def test_a_bad_visit_is_a_422_naming_the_field(app, client, make):
    oak = make.school("oak")
    headers = bearer(app, make.user(role="msp_engineer", school=oak))
    missing = client.post("/api/v1/visits/", json={"school_id": oak.id, "starts_at": "tomorrow"}, headers=headers)
    assert missing.status_code == 422 and set(missing.json["errors"]["json"]) == {"starts_at", "ends_at"}
    backwards = client.post("/api/v1/visits/", headers=headers, json={
        "school_id": oak.id, "starts_at": "2026-10-07T12:00:00Z", "ends_at": "2026-10-07T09:00:00Z"})
    assert backwards.status_code == 422 and "ends_at" in backwards.json["errors"]["json"]
    visit = client.post("/api/v1/visits/", json={**VISIT, "school_id": oak.id}, headers=headers).json
    bad = client.patch(f"/api/v1/visits/{visit['id']}", json={"status": "done", "tickets": ["ELM-000001"]},
                       headers=headers)
    assert bad.status_code == 422 and "tickets" in bad.json["errors"]["json"]


def test_visits_are_for_the_people_who_support_the_school(app, client, make):
    oak, elm = make.school("oak"), make.school("elm")
    elm_headers = bearer(app, make.user(role="technician", school=elm))
    visit = client.post("/api/v1/visits/", json={**VISIT, "school_id": elm.id}, headers=elm_headers).json
    oak_headers = bearer(app, make.user(role="technician", school=oak))
    assert client.get(f"/api/v1/visits/{visit['id']}", headers=oak_headers).status_code == 404
    assert client.get("/api/v1/visits/", headers=oak_headers).json["items"] == []
    refused = client.post("/api/v1/visits/", json={**VISIT, "school_id": elm.id}, headers=oak_headers)
    assert refused.status_code == 422 and "school_id" in refused.json["errors"]["json"]
    staff = bearer(app, make.user(role="staff", school=elm))
    assert client.get("/api/v1/visits/", headers=staff).json["items"] == []
    technical = bearer(app, make.user(role="technical"))
    assert [v["id"] for v in client.get("/api/v1/visits/", headers=technical).json["items"]] == [visit["id"]]
