"""Microsoft 365 sign-in through msal, against a fake identity platform at msal's http_client hook."""
from urllib.parse import parse_qs, urlencode, urlsplit

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


def _callback(client, url):
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_a_new_technician_is_created_with_the_mapped_role(app, client, entra, trust_with_rules):
    auth_uri = _start(client)
    query = parse_qs(urlsplit(auth_uri).query)
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    response = _callback(client, entra.redirect_url(auth_uri, tid=TID, oid="oid-dan", name="Dan Price",
                                                    preferred_username="dan@oak.sch.uk", email="dan@oak.sch.uk", roles=["School.Technician"]))
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
    _callback(first, entra.redirect_url(_start(first), tid=TID, oid="oid-martin", preferred_username="martin@oak.sch.uk", email="martin@oak.sch.uk",
                                        roles=["Trust.ITDirector"]))
    assert first.get("/").headers["Location"].endswith("/trust/")
    # The director's app role is withdrawn in Entra and their address changes; a manual role stays.
    with data(app) as s:
        user = s.execute(select(User).where(User.entra_oid == "oid-martin")).scalar_one()
        from services.directory.people import add_membership
        from services.directory.models import School
        add_membership(user, role="school_lead", school=s.get(School, oak.id))
    second = new_client(app)
    response = _callback(second, entra.redirect_url(_start(second), tid=TID, oid="oid-martin",
                                                    preferred_username="m.hughes@oak.sch.uk", email="m.hughes@oak.sch.uk", roles=[]))
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
    _callback(client, entra.redirect_url(_start(client), tid=TID, oid="oid-helen", preferred_username="helen@oak.sch.uk", email="helen@oak.sch.uk"))
    with data(app) as s:
        user = s.get(User, invited.id)
        assert (user.entra_tid, user.entra_oid) == (TID, "oid-helen")
        assert {m.role for m in user.memberships} == {"school_lead", "staff"}


def test_a_tenant_not_allowed_for_the_trust_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.redirect_url(_start(client), tid=OTHER_TID, oid="oid-x",
                                                    preferred_username="x@elsewhere.org", email="x@elsewhere.org"))
    assert response.status_code == 403
    assert "tenant is not allowed" in response.text
    assert client.get("/").status_code == 302  # not signed in
    with data(app) as s:
        assert s.execute(select(User).where(User.entra_oid == "oid-x")).scalar() is None


def test_a_personal_microsoft_account_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.redirect_url(_start(client), tid=PERSONAL_ACCOUNT_TID, oid="oid-p",
                                                    preferred_username="someone@outlook.com", email="someone@outlook.com"))
    assert response.status_code == 403
    assert "Personal Microsoft accounts cannot sign in" in response.text


def test_a_tampered_state_is_refused(app, client, entra, trust_with_rules):
    url = entra.redirect_url(_start(client), tid=TID, oid="oid-s", preferred_username="s@oak.sch.uk", email="s@oak.sch.uk")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["state"] = "forged-state"
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 403
    assert "did not match this sign-in attempt" in response.text
    with data(app) as s:
        assert s.execute(select(User).where(User.entra_oid == "oid-s")).scalar() is None


def test_a_token_with_another_nonce_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.redirect_url(_start(client), tid=TID, oid="oid-n",
                                                    preferred_username="n@oak.sch.uk", email="n@oak.sch.uk", nonce="replayed-nonce"))
    assert response.status_code == 403
    assert "did not match this sign-in attempt" in response.text


def test_an_expired_id_token_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.redirect_url(_start(client), tid=TID, oid="oid-e",
                                                    preferred_username="e@oak.sch.uk", email="e@oak.sch.uk", exp_offset=-3600))
    assert response.status_code == 403
    assert "The sign-in token has expired." in response.text


def test_a_token_for_another_application_is_refused(app, client, entra, trust_with_rules):
    response = _callback(client, entra.redirect_url(_start(client), tid=TID, oid="oid-a",
                                                    preferred_username="a@oak.sch.uk", email="a@oak.sch.uk", aud="someone-elses-app"))
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
