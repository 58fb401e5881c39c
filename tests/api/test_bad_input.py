"""Bad input is a clear error naming the field, never a 500: NUL characters, broken cursors,
numbers beyond the database's integers, and PATCH requests with nothing in them.

PostgreSQL is where these used to fail (it refuses a NUL in text and an out-of-range INTEGER
parameter); the `app` fixture runs every test on SQLite and, when configured, PostgreSQL.
"""
import pytest

from tests.api.test_tickets_api import bearer
from tests.conftest import login


@pytest.fixture
def desk(app, make):
    oak = make.school("oak")
    person = make.user(role="service_desk")
    ticket = make.ticket(oak)
    return oak, person, ticket, bearer(app, person)


NUL_REQUESTS = [
    ("post", "/api/v1/tickets/", {"json": {"title": "Printer\x00jam", "school_id": "{oak}"}}, "json", "title"),
    ("get", "/api/v1/tickets/", {"query_string": {"status": "new\x00"}}, "query", "status"),
    ("get", "/api/v1/users/", {"query_string": {"q": "ada\x00"}}, "query", "q"),
    ("get", "/api/v1/schools/", {"query_string": {"q": "\x00"}}, "query", "q"),
    ("post", "/api/v1/tickets/{ticket}/comments", {"json": {"body": "thanks\x00"}}, "json", "body"),
    ("post", "/api/v1/users/", {"json": {"email": "a@example.org.uk", "display_name": "Ada",
                                         "memberships": [{"role": "staff\x00"}]}}, "json", "memberships.0.role"),
]


@pytest.mark.parametrize("method, url, kwargs, location, field", NUL_REQUESTS,
                         ids=[f"{r[0]} {r[1]} {r[4]}" for r in NUL_REQUESTS])
def test_a_nul_character_anywhere_in_an_api_request_is_a_422_naming_the_field(
        client, desk, method, url, kwargs, location, field):
    oak, _, ticket, headers = desk
    url = url.format(ticket=ticket.id)
    if "json" in kwargs and kwargs["json"].get("school_id") == "{oak}":
        kwargs = {"json": {**kwargs["json"], "school_id": oak.id}}
    response = getattr(client, method)(url, headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    assert response.json["errors"] == {location: {field: [
        "Contains a NUL character (\\0), which cannot be stored. Remove it and try again."]}}
    assert field in response.json["message"]


def test_a_nul_character_in_a_page_or_form_is_a_400_page_naming_the_field(app, make):
    oak = make.school("oak")
    staff = make.user(role="staff", school=oak)
    client = app.test_client()
    login(client, staff)
    switched = client.get("/switch", query_string={"school": "oak\x00"})
    assert switched.status_code == 400
    assert "“school”" in switched.text and "NUL character" in switched.text
    raised = client.post("/s/oak/tickets/new", data={"title": "Board\x00", "description": "Broken",
                                                      "kind": "incident", "impact": 3, "urgency": 3})
    assert raised.status_code == 400 and "“title”" in raised.text
    signed_in = app.test_client().post("/login", data={"email": "a\x00@example.org.uk", "password": "x"})
    assert signed_in.status_code == 400 and "“email”" in signed_in.text


@pytest.mark.parametrize("cursor", ["WzFd", "MQ", "bnVsbA", "eyJhZnRlciI6dHJ1ZX0", "eyJhZnRlciI6OTk5OTk5OTk5OTl9",
                                    "%%%"])
def test_a_malformed_cursor_is_a_422_naming_the_cursor(client, desk, cursor):
    *_, headers = desk
    for url in ("/api/v1/tickets/", "/api/v1/schools/", "/api/v1/users/", "/api/v1/articles/"):
        response = client.get(url, query_string={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert response.json["errors"] == {"query": {"cursor": ["Not a valid cursor."]}}


def test_ids_beyond_the_databases_integers_are_refused_or_find_nothing(client, desk):
    *_, headers = desk
    huge = "4602150095"
    assert client.get(f"/api/v1/tickets/?assignee={huge}", headers=headers).status_code == 422
    for url in (f"/api/v1/tickets/?school={huge}", f"/api/v1/users/?school={huge}",
                f"/api/v1/articles/?school={huge}", f"/api/v1/visits/?school={huge}"):
        assert client.get(url, headers=headers).status_code == 422, url
    for url in (f"/api/v1/tickets/{huge}", f"/api/v1/schools/{huge}", f"/api/v1/users/{huge}",
                f"/api/v1/tickets/{huge}/comments", f"/api/v1/users/1/memberships/{huge}"):
        response = client.get(url, headers=headers) if "memberships" not in url else client.delete(url, headers=headers)
        assert response.status_code == 404, url


def test_page_filters_beyond_the_databases_integers_find_nothing_rather_than_fail(app, make):
    oak = make.school("oak")
    staff = make.user(role="staff", school=oak)
    admin = make.user(role="trust_admin")
    make.ticket(oak, staff, title="Interactive board dead")
    staff_client, admin_client = app.test_client(), app.test_client()
    login(staff_client, staff)
    login(admin_client, admin)
    mine = staff_client.get("/s/oak/tickets?before=99999999999")
    assert mine.status_code == 200 and "Interactive board dead" in mine.text
    assert staff_client.get("/s/oak/tickets/99999999999").status_code == 404
    for url in ("/trust/audit?before=99999999999&school=99999999999", "/trust/users?after=99999999999",
                "/trust/users?school=-99999999999", "/trust/outbox?before=99999999999"):
        assert admin_client.get(url).status_code == 200, url


def test_a_patch_with_nothing_to_change_is_a_422(client, desk):
    oak, _, ticket, headers = desk
    for url in (f"/api/v1/tickets/{ticket.id}", f"/api/v1/schools/{oak.id}"):
        empty = client.patch(url, headers=headers)
        assert empty.status_code == 422, (url, empty.text)
        assert empty.json["errors"] == {"json": {"_schema": ["Send at least one field to change."]}}
        assert client.patch(url, json={}, headers=headers).status_code == 422


def test_moments_in_responses_carry_their_time_zone(client, desk):
    *_, ticket, headers = desk
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).json
    assert body["created_at"].endswith("+00:00") and body["resolution_due_at"].endswith("+00:00")
    assert body["first_response_at"] is None
    spec = client.get("/api/v1/openapi.json").json["components"]["schemas"]["TicketDetail"]["properties"]
    assert spec["first_response_at"]["type"] == ["string", "null"] or spec["first_response_at"].get("nullable")
