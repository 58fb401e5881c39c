"""Real browser: a school's head asks for an exception to a standard on a phone, and sees it listed.

The form (with an error beside its field, then done) and the list are checked with axe-core and
for sideways scrolling on a phone.
"""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from services.base import utcnow
from tests.browser.test_assets_browser import assert_accessible, assert_no_sideways_scrolling
from tests.conftest import PASSWORD, data
from tests.standards.conftest import item, world  # noqa: F401  (the standards world: a trust, a primary)


def test_a_head_asks_for_an_exception_on_a_phone(live_server, phone, app, make, world):  # noqa: F811
    head = make.user(role="school_lead", school=world.primary, name="Hana Head")
    with data(app) as s:
        backups = item(s, world.trust.id, "RPA-BACKUPS")

    phone.goto(f"{live_server}/s/oak/standards/items/{backups.id}/exception")
    phone.get_by_label("Email address").fill(head.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Ask for an exception to RPA-BACKUPS")
    assert_accessible(phone)
    assert_no_sideways_scrolling(phone)

    # Nothing said: the error is beside the field, and the page is still accessible.
    phone.get_by_role("button", name="Ask for the exception").click()
    expect(phone.locator("#justification-error")).to_contain_text("Say why the school cannot meet this")
    assert_accessible(phone)

    phone.get_by_label("Why the school cannot meet this for now").fill(
        "The backup appliance is being replaced over the summer; nightly cloud copies continue.")
    phone.get_by_label("Until").fill((utcnow().date() + timedelta(days=60)).isoformat())
    phone.get_by_role("button", name="Ask for the exception").click()

    expect(phone.get_by_role("heading", level=1)).to_contain_text("Exceptions to the standards")
    expect(phone.get_by_role("status")).to_contain_text("the trust's technical team has it")
    expect(phone.locator("table")).to_contain_text("RPA-BACKUPS")
    expect(phone.locator("table")).to_contain_text("With the trust's technical team")
    assert_accessible(phone)
    assert_no_sideways_scrolling(phone)
