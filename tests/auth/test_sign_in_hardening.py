"""Regressions from review: claims Microsoft does not verify never link accounts or pick schools."""

import pytest
from sqlalchemy import select

from services.directory.models import Trust, User
from services.directory.signin import add_rule
from tests.auth.test_microsoft_sign_in import TID, _callback, _start
from tests.conftest import data, new_client


@pytest.fixture
def two_schools(app, make):
    trust = make.trust("Oak Valley", tenants=[TID])
    oak = make.school("oak", trust=trust, email_domains=["oak.sch.uk"])
    elm = make.school("elm", trust=trust, email_domains=["elm.sch.uk"])
    with data(app) as s:
        add_rule(s.get(Trust, trust.id), claim="app_role", value="School.Technician", role="technician")
    return trust, oak, elm


def test_an_email_claim_cannot_take_over_a_local_admin(app, entra, two_schools, make):
    trust, oak, elm = two_schools
    make.user(role="trust_admin", email="admin@oak.sch.uk", trust=trust)  # has a password: break-glass
    client = new_client(app)
    response = _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-attacker",
                                                    preferred_username="admin@oak.sch.uk", email="admin@oak.sch.uk"))
    assert response.status_code == 403
    assert client.get("/trust/users").status_code == 302  # not signed in
    with data(app) as s:
        assert s.execute(select(User).where(User.entra_oid == "oid-attacker")).scalar() is None


def test_the_school_comes_from_the_sign_in_name_not_the_email_claim(app, entra, two_schools):
    trust, oak, elm = two_schools
    client = new_client(app)
    _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-x", preferred_username="x@oak.sch.uk",
                                         email="x@elm.sch.uk", roles=["School.Technician"]))
    assert client.get("/s/oak/").status_code == 200
    assert client.get("/s/elm/").status_code == 404


def test_a_guest_from_a_personal_account_is_refused(app, entra, two_schools):
    client = new_client(app)
    response = _callback(client, entra.form_post(
        _start(client), tid=TID, oid="oid-guest", preferred_username="guest_outlook.com#EXT#@oak.sch.uk",
        idp="https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/"))
    assert response.status_code == 403


def test_an_expired_manual_role_does_not_block_the_mapped_one(app, entra, two_schools, make):
    from datetime import datetime, timedelta
    trust, oak, elm = two_schools
    _user = make.user(role="technician", school=oak, email="dan@oak.sch.uk", trust=trust, password=None,
                      expires_at=datetime.utcnow() - timedelta(days=1))
    client = new_client(app)
    _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-dan", preferred_username="dan@oak.sch.uk",
                                         roles=["School.Technician"]))
    assert client.get("/s/oak/").status_code == 200


def test_a_second_trust_reusing_a_school_name_gets_its_own_address(app, make, login_as):
    make.school("oakwood", name="Oakwood", trust=make.trust("First Trust"))
    other_admin = make.user(role="trust_admin", trust=make.trust("Second Trust"))
    client = login_as(other_admin)
    response = client.post("/trust/schools/new", data={"name": "Oakwood", "phase": "Primary", "support_model": "msp",
                                                       "timezone": "Europe/London"})
    assert response.status_code == 302
    taken = client.post("/trust/schools/new", data={"name": "Other", "slug": "oakwood", "phase": "Primary",
                                                    "support_model": "msp", "timezone": "Europe/London"})
    assert taken.status_code == 422 and "already taken" in taken.text


def test_bearer_writes_need_no_csrf_token(app, make):
    from services.directory import tokens
    user = make.user(role="trust_admin")
    with data(app) as s:
        _, secret = tokens.create_token(s.get(User, user.id), name="script")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = new_client(app).post("/api/v1/tokens/", json={"name": "another"},
                                        headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_huge_ids_and_cursors_are_not_server_errors(app, make, login_as):
    client = login_as(make.user(role="trust_admin"))
    assert client.get("/api/v1/schools/99999999999999999999999").status_code == 404
    import base64
    cursor = base64.urlsafe_b64encode(b'{"after": 1e999}').decode().rstrip("=")
    assert client.get("/api/v1/schools/", query_string={"cursor": cursor}).status_code == 422
    assert client.get("/api/v1/users/", query_string={"school": 10**20}).status_code == 422
