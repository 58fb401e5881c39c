"""Refused Microsoft sign-ins are kept where a trust administrator sees them, with the reason."""
import pytest
from sqlalchemy import select

from services.audit.models import AuditEvent
from tests.auth.test_microsoft_sign_in import OTHER_TID, TID, _callback, _start
from tests.conftest import data, new_client
from tests.fakes.entra import PERSONAL_ACCOUNT_TID


@pytest.fixture
def admin(app, make, login_as):
    trust = make.trust("Oak Valley Learning Trust", tenants=[TID])
    make.school("oak", trust=trust, email_domains=["oak.sch.uk"])
    return login_as(make.user(role="trust_admin", trust=trust))


def _refused(app, entra, **claims):
    client = new_client(app)
    response = _callback(client, entra.form_post(_start(client), **claims))
    assert response.status_code == 403
    return response


def _refusals(app):
    with data(app) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_refused")
                         .order_by(AuditEvent.id)).scalars().all()


CASES = {
    "another tenant": (dict(tid=OTHER_TID, preferred_username="x@elsewhere.org"),
                       "tenant is not allowed"),
    "a personal account": (dict(tid=PERSONAL_ACCOUNT_TID, preferred_username="someone@outlook.com"),
                           "Personal Microsoft accounts cannot sign in"),
    "an expired token": (dict(tid=TID, preferred_username="e@oak.sch.uk", exp_offset=-3600),
                         "the token had expired"),
    "a bad signature": (dict(tid=TID, preferred_username="s@oak.sch.uk", sign_with_other_key=True),
                        "signature does not verify"),
    "a bad issuer": (dict(tid=TID, preferred_username="i@oak.sch.uk", iss="https://sts.example.net/v2.0"),
                     "is not Microsoft&#39;s issuer for its tenant"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_audit_page_says_why_a_microsoft_sign_in_was_refused(app, entra, admin, case):
    claims, reason = CASES[case]
    _refused(app, entra, oid="oid-r", **claims)
    page = admin.get("/trust/audit?action=auth.sign_in_refused")
    assert page.status_code == 200
    assert f"Microsoft sign-in refused for {claims['preferred_username']}" in page.text
    assert reason in page.text
    assert claims["tid"] in page.text  # the tenant id is shown even when no trust has that tenant


def test_a_wrong_client_id_can_be_diagnosed_from_the_audit_page(app, entra, admin):
    _refused(app, entra, tid=TID, oid="oid-a", preferred_username="a@oak.sch.uk", aud="api://someone-elses-app")
    page = admin.get("/trust/audit").text
    assert "another application (api://someone-elses-app) than the one this site is set up as " \
           f"({entra.client_id})" in page
    assert "TRUST_IT_ENTRA_CLIENT_ID" in page
    for fact in ("a@oak.sch.uk", TID, f"https://login.microsoftonline.com/{TID}/v2.0", "api://someone-elses-app"):
        assert f"<code>{fact}</code>" in page
    [event] = _refusals(app)
    assert event.detail["audience_received"] == "api://someone-elses-app"
    assert event.detail["audience_expected"] == entra.client_id


def test_a_known_tenant_is_recorded_for_its_trust_and_an_unknown_one_for_every_trust(app, entra, make):
    first = make.trust("Oak Valley Learning Trust", tenants=[TID])
    second = make.trust("Elm Federation")
    _refused(app, entra, tid=TID, oid="oid-1", preferred_username="e@oak.sch.uk", exp_offset=-3600)
    assert [e.trust_id for e in _refusals(app)] == [first.id]
    _refused(app, entra, tid=OTHER_TID, oid="oid-2", preferred_username="x@elsewhere.org")
    assert sorted(e.trust_id for e in _refusals(app)[1:]) == sorted([first.id, second.id])
    assert None not in [e.trust_id for e in _refusals(app)]


def test_a_made_up_response_leaves_no_record(app, entra, admin):
    client = new_client(app)
    auth_uri = _start(client)
    entra.form_post(auth_uri, tid=TID, oid="oid-s")  # Microsoft issued a code, but not this one
    from tests.auth.test_microsoft_sign_in import _callback_with
    response = _callback_with(client, auth_uri, {"code": "made-up", "state": "forged"})
    assert response.status_code in (302, 403)
    assert _refusals(app) == []
