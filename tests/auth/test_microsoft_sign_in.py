"""Microsoft 365 sign-in through msal, against a fake identity platform at msal's http_client hook."""
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from services.audit.models import AuditEvent
from services.directory.models import Trust, User
from services.directory.signin import add_rule
from tests.conftest import data, new_client
from tests.fakes.entra import PERSONAL_ACCOUNT_TID

TID = "6c1f4a52-3b7e-4d2a-9f10-2b8e5c7d9a01"
OTHER_TID = "0b0b0b0b-1111-2222-3333-444444444444"


@pytest.fixture
def trust_with_rules(app, make):
    trust = make.trust("Oak Valley Learning Trust", tenants=[TID])
    oak = make.school("oak", trust=trust, email_domains=["oak.sch.uk"])
    with data(app) as s:
        t = s.get(Trust, trust.id)
        add_rule(t, claim="app_role", value="School.Technician", role="technician")
        add_rule(t, claim="app_role", value="Trust.ITDirector", role="it_director")
        add_rule(t, claim="email_domain", value="oak.sch.uk", role="staff")
    return trust, oak


def _start(client):
    response = client.get("/login/microsoft")
    assert response.status_code == 302
    return response.headers["Location"]


def _callback(client, answer):
    """The browser submitting Microsoft's form_post page to our callback."""
    url, fields = answer
    return client.post(urlsplit(url).path, data=fields)


def _callback_with(client, auth_uri, fields):
    return client.post(urlsplit(parse_qs(urlsplit(auth_uri).query)["redirect_uri"][0]).path, data=fields)


def test_a_new_technician_is_created_with_the_mapped_role(app, client, entra, trust_with_rules):
    auth_uri = _start(client)
    query = parse_qs(urlsplit(auth_uri).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    response = _callback(client, entra.form_post(auth_uri, tid=TID, oid="oid-dan", name="Dan Price",
                                                    preferred_username="dan@oak.sch.uk", email="dan@oak.sch.uk",
                                                    roles=["School.Technician"]))
    assert response.status_code == 302, response.text
    assert client.get("/").headers["Location"].endswith("/s/oak/queue")
    with data(app) as s:
        user = s.execute(select(User).where(User.entra_oid == "oid-dan")).scalar_one()
        assert (user.email, user.display_name, user.entra_tid) == ("dan@oak.sch.uk", "Dan Price", TID)
        assert sorted((m.role, m.source) for m in user.memberships) == [("staff", "entra"), ("technician", "entra")]
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "auth.sign_in",
                                                  AuditEvent.actor_id == user.id)).scalar() is not None


def test_signing_in_again_finds_the_same_person_and_refreshes_roles(app, entra, trust_with_rules, make):
    trust, oak = trust_with_rules
    first = new_client(app)
    _callback(first, entra.form_post(_start(first), tid=TID, oid="oid-martin", preferred_username="martin@oak.sch.uk",
                                        email="martin@oak.sch.uk", roles=["Trust.ITDirector"]))
    assert first.get("/").headers["Location"].endswith("/trust/")
    # The director's app role is withdrawn in Entra and their address changes; a manual role stays.
    with data(app) as s:
        user = s.execute(select(User).where(User.entra_oid == "oid-martin")).scalar_one()
        from services.directory.models import School
        from services.directory.people import add_membership
        add_membership(user, role="school_lead", school=s.get(School, oak.id))
    second = new_client(app)
    response = _callback(second, entra.form_post(_start(second), tid=TID, oid="oid-martin",
                                                    preferred_username="m.hughes@oak.sch.uk",
                                                    email="m.hughes@oak.sch.uk", roles=[]))
    assert response.status_code == 302
    with data(app) as s:
        users = s.execute(select(User).where(User.entra_oid == "oid-martin")).scalars().all()
        assert len(users) == 1
        assert sorted(m.role for m in users[0].memberships) == ["school_lead", "staff"]
    assert second.get("/").headers["Location"].endswith("/s/oak/")


def test_an_invited_person_is_linked_at_first_sign_in(app, entra, trust_with_rules, make):
    trust, oak = trust_with_rules
    invited = make.user(role="school_lead", school=oak, email="helen@oak.sch.uk", trust=trust, password=None)
    client = new_client(app)
    _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-helen", preferred_username="helen@oak.sch.uk",
                                         email="helen@oak.sch.uk"))
    with data(app) as s:
        user = s.get(User, invited.id)
        assert (user.entra_tid, user.entra_oid) == (TID, "oid-helen")
        assert {m.role for m in user.memberships} == {"school_lead", "staff"}


def test_a_tenant_not_allowed_for_the_trust_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.form_post(_start(client), tid=OTHER_TID, oid="oid-x",
                                                    preferred_username="x@elsewhere.org", email="x@elsewhere.org"))
    assert response.status_code == 403
    assert "tenant is not allowed" in response.text
    assert client.get("/").status_code == 302  # not signed in
    with data(app) as s:
        assert s.execute(select(User).where(User.entra_oid == "oid-x")).scalar() is None


def test_a_personal_microsoft_account_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.form_post(_start(client), tid=PERSONAL_ACCOUNT_TID, oid="oid-p",
                                                    preferred_username="someone@outlook.com",
                                                    email="someone@outlook.com"))
    assert response.status_code == 403
    assert "Personal Microsoft accounts cannot sign in" in response.text


def test_a_tampered_state_is_refused(app, client, entra, trust_with_rules):
    url, fields = entra.form_post(_start(client), tid=TID, oid="oid-s", preferred_username="s@oak.sch.uk",
                                  email="s@oak.sch.uk")
    response = client.post(urlsplit(url).path, data={**fields, "state": "forged-state"})
    assert response.status_code == 403
    assert "did not match this sign-in attempt" in response.text
    with data(app) as s:
        assert s.execute(select(User).where(User.entra_oid == "oid-s")).scalar() is None


def test_a_token_with_another_nonce_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-n",
                                                    preferred_username="n@oak.sch.uk", email="n@oak.sch.uk",
                                                    nonce="replayed-nonce"))
    assert response.status_code == 403
    assert "did not match this sign-in attempt" in response.text


def test_an_expired_id_token_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-e",
                                                    preferred_username="e@oak.sch.uk", email="e@oak.sch.uk",
                                                    exp_offset=-3600))
    assert response.status_code == 403
    assert "The sign-in token has expired." in response.text


def test_a_token_for_another_application_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-a",
                                                    preferred_username="a@oak.sch.uk", email="a@oak.sch.uk",
                                                    aud="someone-elses-app"))
    assert response.status_code == 403
    assert "not issued for this application" in response.text


def test_a_callback_without_a_started_sign_in_is_sent_back(app, client, entra, trust_with_rules):
    response = client.get("/auth/microsoft/callback?code=abc&state=def")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_the_sign_in_page_offers_microsoft_only_when_configured(app, client, entra):
    assert "Sign in with Microsoft 365" in client.get("/login").text
    app.config["ENTRA_ENABLED"] = False
    page = client.get("/login").text
    assert "Sign in with Microsoft 365" not in page
    assert 'name="password"' in page


def test_microsoft_posts_the_code_and_a_code_in_the_address_is_not_accepted(app, client, entra, trust_with_rules):
    auth_uri = _start(client)
    assert parse_qs(urlsplit(auth_uri).query)["response_mode"] == ["form_post"]
    url, fields = entra.form_post(auth_uri, tid=TID, oid="oid-q", preferred_username="q@oak.sch.uk")
    as_query = client.get(urlsplit(url).path, query_string=fields)
    assert as_query.status_code == 302 and as_query.headers["Location"].endswith("/login")
    assert "/login" in client.get("/").headers["Location"]  # not signed in


def test_the_callback_needs_no_csrf_token_but_only_answers_the_sign_in_this_browser_started(
        app, entra, trust_with_rules):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        browser, other = new_client(app), new_client(app)
        answer = entra.form_post(_start(browser), tid=TID, oid="oid-c", preferred_username="c@oak.sch.uk")
        # Another browser (a login-CSRF victim) cannot be signed in with it: it started no sign-in.
        stolen = _callback(other, answer)
        assert stolen.status_code == 302 and stolen.headers["Location"].endswith("/login")
        assert "/login" in other.get("/").headers["Location"]
        response = _callback(browser, answer)
        assert response.status_code == 302, response.text
        assert browser.get("/").headers["Location"].endswith("/s/oak/")
        # Used once: the same answer again finds no sign-in waiting.
        again = _callback(new_client(app), answer)
        assert again.headers["Location"].endswith("/login")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_sign_in_in_progress_travels_in_a_cookie_that_comes_back_on_microsofts_post(app, client, entra):
    response = client.get("/login/microsoft")
    cookie = next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("trust_it_microsoft_sign_in="))
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert attributes["samesite"] == "SameSite=None" and "secure" in attributes and "httponly" in attributes
    assert attributes["path"] == "Path=/auth/microsoft/callback"
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"  # every other form keeps its protection


def test_the_page_asked_for_before_microsoft_sign_in_is_where_it_ends(app, client, entra, trust_with_rules):
    client.get("/login?next=/s/oak/calendar")
    response = _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-n2",
                                                 preferred_username="n2@oak.sch.uk"))
    assert response.headers["Location"] == "/s/oak/calendar"


def test_signing_out_ends_a_microsoft_session_for_a_copied_cookie_too(app, client, entra, trust_with_rules):
    _callback(client, entra.form_post(_start(client), tid=TID, oid="oid-o", preferred_username="o@oak.sch.uk"))
    assert client.get("/s/oak/").status_code == 200
    thief = new_client(app)
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/s/oak/").status_code == 200
    client.post("/logout")
    assert thief.get("/s/oak/").status_code == 302
