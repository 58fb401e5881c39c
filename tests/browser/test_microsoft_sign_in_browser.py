"""Real browser: Microsoft's form_post comes back cross-site and still signs the person in.

Chromium enforces SameSite: the page Microsoft serves (here the fake identity platform's,
fulfilled at login.microsoftonline.com) POSTs to our callback from another site, so only
cookies marked SameSite=None come with it.
"""
import pytest
from playwright.sync_api import expect

from services.directory.models import Trust
from services.directory.signin import add_rule
from tests.auth.test_microsoft_sign_in import TID
from tests.conftest import data


@pytest.fixture
def oak(app, make):
    trust = make.trust("Oak Valley Learning Trust", tenants=[TID])
    school = make.school("oak", name="Oakwood Academy", trust=trust, email_domains=["oak.sch.uk"])
    with data(app) as s:
        add_rule(s.get(Trust, trust.id), claim="email_domain", value="oak.sch.uk", role="staff")
    return school


def _microsoft_answers(page, entra, **claims):
    def fulfil(route):
        if "/oauth2/v2.0/authorize" in route.request.url:
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body=entra.form_post_page(route.request.url, **claims))
        else:
            route.abort()
    page.route("https://login.microsoftonline.com/**", fulfil)


def test_a_teacher_signs_in_with_microsoft_through_a_cross_site_form_post(live_server, desktop, entra, oak):
    _microsoft_answers(desktop, entra, tid=TID, oid="oid-amira", name="Amira Khan",
                       preferred_username="amira@oak.sch.uk")
    posted = []
    desktop.on("request", lambda r: posted.append(r) if r.url.endswith("/auth/microsoft/callback") else None)
    desktop.goto(f"{live_server}/s/oak/")
    desktop.get_by_role("link", name="Sign in with Microsoft 365").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("Oakwood Academy")
    assert desktop.url == f"{live_server}/s/oak/"
    # The code came in the POST body, never in an address.
    assert [r.method for r in posted] == ["POST"] and "code=" in (posted[0].post_data or "")
    assert all("code=" not in r.url for r in posted)
    # The sign-in cookie was used up; the session cookie is the ordinary Lax one.
    cookies = {c["name"]: c for c in desktop.context.cookies()}
    assert "trust_it_microsoft_sign_in" not in cookies
    assert cookies["session"]["sameSite"] == "Lax"
