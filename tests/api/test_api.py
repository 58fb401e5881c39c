from sqlalchemy import select

from services.directory import tokens
from services.directory.models import ApiToken, User
from tests.conftest import data


def bearer(app, user):
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="test script")
    return {"Authorization": f"Bearer {secret}"}


def test_openapi_document_lists_the_resources(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/schools/", "/api/v1/users/", "/api/v1/me/", "/api/v1/tokens/"):
        assert path in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_without_credentials_the_api_answers_401_in_json(client):
    response = client.get("/api/v1/schools/")
    assert response.status_code == 401
    assert "token" in response.json["message"]


def test_a_revoked_token_stops_working(app, client, make):
    admin = make.user(role="trust_admin")
    headers = bearer(app, admin)
    assert client.get("/api/v1/me/", headers=headers).status_code == 200
    with data(app) as s:
        tokens.revoke_token(s.execute(select(ApiToken)).scalar_one())
    assert client.get("/api/v1/me/", headers=headers).status_code == 401


def test_tokens_are_stored_hashed(app, client, make):
    admin = make.user(role="trust_admin")
    created = client.post("/api/v1/tokens/", json={"name": "Intune report"}, headers=bearer(app, admin))
    assert created.status_code == 201
    secret = created.json["token"]
    with data(app) as s:
        stored = s.execute(select(ApiToken.token_hash)).scalars().all()
    assert secret not in stored and all(len(h) == 64 for h in stored)
    listed = client.get("/api/v1/tokens/", headers={"Authorization": f"Bearer {secret}"}).json["items"]
    assert "token" not in listed[0] and listed[0]["name"] in ("test script", "Intune report")


def test_a_bad_body_is_a_422_naming_the_field(app, client, make):
    headers = bearer(app, make.user(role="trust_admin"))
    response = client.post("/api/v1/schools/", json={"name": "Ash Primary", "urn": "12ab56", "phase": "Infant"},
                           headers=headers)
    assert response.status_code == 422
    fields = response.json["errors"]["json"]
    assert set(fields) == {"urn", "phase"}
    assert "6 digits" in fields["urn"][0]


def test_a_rule_broken_in_the_service_is_a_422_naming_the_field(app, client, make):
    make.school("oak", urn="149001")
    headers = bearer(app, make.user(role="trust_admin"))
    response = client.post("/api/v1/schools/", json={"name": "Copycat", "urn": "149001"}, headers=headers)
    assert response.status_code == 422
    assert "149001" in response.json["errors"]["json"]["urn"][0]


def test_trust_admin_creates_a_person_with_a_role(app, client, make):
    oak = make.school("oak")
    headers = bearer(app, make.user(role="trust_admin"))
    response = client.post("/api/v1/users/", headers=headers, json={
        "email": "new.tech@oak.sch.uk", "display_name": "New Tech",
        "memberships": [{"role": "technician", "school_id": oak.id}]})
    assert response.status_code == 201, response.json
    assert response.json["memberships"][0]["role"] == "technician"
    bad = client.post("/api/v1/users/", headers=headers, json={
        "email": "wrong@oak.sch.uk", "display_name": "Wrong", "memberships": [{"role": "technician"}]})
    assert bad.status_code == 422
    assert "memberships.0.school" in bad.json["errors"]["json"]
    with data(app) as s:  # nothing half-written: no account without its role
        assert s.execute(select(User).where(User.email == "wrong@oak.sch.uk")).scalar() is None


def test_staff_cannot_change_schools(app, client, make):
    oak = make.school("oak")
    headers = bearer(app, make.user(role="staff", school=oak))
    assert client.patch(f"/api/v1/schools/{oak.id}", json={"name": "Mine now"}, headers=headers).status_code == 403


def test_lists_paginate_with_a_cursor(app, client, make):
    for i in range(7):
        make.school(f"school-{i}")
    headers = bearer(app, make.user(role="it_director"))
    seen, cursor, pages = [], None, 0
    while True:
        response = client.get("/api/v1/schools/", query_string={"limit": 3, **({"cursor": cursor} if cursor else {})},
                              headers=headers)
        assert response.status_code == 200
        seen += [s["slug"] for s in response.json["items"]]
        cursor, pages = response.json["next_cursor"], pages + 1
        if not cursor:
            break
    assert pages == 3
    assert seen == [f"school-{i}" for i in range(7)]
    assert client.get("/api/v1/schools/", query_string={"cursor": "garbage!"}, headers=headers).status_code == 422
    assert client.get("/api/v1/schools/", query_string={"limit": 1000}, headers=headers).status_code == 422


def test_me_shows_roles_and_schools(app, client, make):
    oak, _elm = make.school("oak"), make.school("elm")
    tech = make.user(role="technician", school=oak)
    me = client.get("/api/v1/me/", headers=bearer(app, tech)).json
    assert me["user"]["email"] == tech.email
    assert me["schools"] == [{"id": oak.id, "slug": "oak", "name": "Oak School", "roles": ["technician"]}]


def test_a_session_write_needs_the_csrf_token(app, make):
    """The browser session may call the API, but a write must carry the page's CSRF token."""
    from tests.conftest import new_client
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = new_client(app)
        page = client.get("/login")
        import re
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
        user = make.user(role="trust_admin")
        from tests.conftest import PASSWORD
        assert client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token}).status_code == 302
        assert client.post("/api/v1/tokens/", json={"name": "x"}).status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/tokens").text).group(1)
        assert client.post("/api/v1/tokens/", json={"name": "x"}, headers={"X-CSRFToken": token}).status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
