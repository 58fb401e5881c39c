"""Real browser: the trust's standards heatmap by keyboard alone, and a school's first self-assessment
on a phone — both checked with axe-core, and nothing scrolls sideways on the phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from services.base import utcnow
from services.directory.models import School
from services.standards import assessments, conformance
from tests.browser.test_assets_browser import (
    assert_accessible,
    assert_no_sideways_scrolling,
    handset,  # noqa: F401  (a 390×844 phone)
)
from tests.conftest import PASSWORD, data
from tests.standards.conftest import figures, item, world  # noqa: F401  (the standards world and figures)


def _sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def answered(app, world, figures):  # noqa: F811
    now = utcnow()
    with data(app) as s:
        conformance.refresh(world.trust.id, None, now=now)
        oak = s.get(School, world.primary.id)
        assessments.record_attestation(oak, item(s, world.trust.id, "DFE-WIRELESS"), status="met",
                                       evidence="Survey by the installer", by=None, now=now)
    return world


def test_the_heatmap_is_reached_and_worked_by_keyboard(live_server, desktop, handset, make, answered):  # noqa: F811
    page = desktop
    email = make.user(role="technical", trust=answered.trust).email
    _sign_in(page, live_server, email)
    page.goto(f"{live_server}/trust/standards")
    expect(page.get_by_role("heading", level=1)).to_have_text("Standards across the trust")
    assert_accessible(page)

    # Tab reaches the first cell of the table: every cell is a link.
    first_cell = page.locator("table.heatmap td.hm a").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('td.hm') !== null"):
            break
    expect(first_cell).to_be_focused()
    expect(first_cell).to_contain_text("Unknown")  # Elm, broadband: nobody has measured it

    # The arrow keys move between cells: right along the row, down to the next school.
    page.keyboard.press("ArrowRight")
    expect(page.locator("table.heatmap tbody tr").nth(0).locator("td.hm a").nth(1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    oak_row = page.locator("table.heatmap tbody tr").nth(1)
    expect(oak_row.locator("th")).to_contain_text("Oak School")
    expect(oak_row.locator("td.hm a").nth(1)).to_be_focused()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wireless = oak_row.locator("td.hm a").nth(3)
    expect(wireless).to_be_focused()
    expect(wireless).to_contain_text("Met")

    # Enter opens the school's page for that item.
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wireless network")
    expect(page.locator("ol.history")).to_contain_text("Survey by the installer")
    assert_accessible(page)

    # The filters live in the address: core standards only, sorted by share met.
    page.goto(f"{live_server}/trust/standards")
    page.get_by_label("Core standards for 2030 only").check()
    page.get_by_label("Sort by").select_option("met")
    page.get_by_role("button", name="Show").click()
    assert "core=1" in page.url and "sort=met" in page.url
    expect(page.locator("table.heatmap th.hm-item")).to_have_count(6)
    expect(page.locator("table.heatmap tbody tr").first.locator("th")).to_contain_text("Oak School")
    assert_accessible(page)

    # On a phone the table gives way to a card per school: its counts and what needs attention.
    _sign_in(handset, live_server, email)
    handset.goto(f"{live_server}/trust/standards")
    expect(handset.locator("table.heatmap")).to_be_hidden()
    oak_card = handset.locator(".school-card", has_text="Oak School")
    expect(oak_card).to_contain_text("Met")
    expect(oak_card).to_contain_text("Needs attention")
    assert_accessible(handset)
    assert_no_sideways_scrolling(handset)


def test_a_first_self_assessment_on_a_phone(live_server, handset, make, answered):  # noqa: F811
    page = handset
    _sign_in(page, live_server, make.user(role="school_lead", school=answered.primary, trust=answered.trust).email)
    page.goto(f"{live_server}/s/oak/standards")
    assert_accessible(page)
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="Self-assessment").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Self-assessment")
    assert_accessible(page)
    assert_no_sideways_scrolling(page)

    page.get_by_role("link", name="Carry on with item 1").click()
    expect(page.locator(".progress-text")).to_have_text("Item 1 of 12")
    expect(page.get_by_role("heading", level=1)).to_have_text("Broadband internet")
    assert_accessible(page)
    assert_no_sideways_scrolling(page)

    # Too slow for a primary: the next steps show before moving on.
    page.get_by_label("Record what was measured").check()
    page.get_by_label("Download (Mbps)").fill("40")
    page.get_by_label("Upload (Mbps)").fill("10")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#next-steps")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="Next item").click()

    # Switching is answered from the records: nothing to type.
    expect(page.locator(".progress-text")).to_have_text("Item 2 of 12")
    expect(page.get_by_text("Answered from the school's records")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Next item").click()

    # Cabling: met, with what shows it; the walk moves on by itself.
    expect(page.get_by_role("heading", level=1)).to_have_text("Network cabling")
    page.get_by_label("Met", exact=True).check()
    page.get_by_label("What shows this").fill("Cabling survey, summer 2025")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".progress-text")).to_have_text("Item 4 of 12")

    # Stop here; the summary lists the next steps so far.
    page.get_by_role("link", name="Stop here and carry on later").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Standards")
    page.goto(f"{live_server}/s/oak/standards/self-assessment")
    expect(page.get_by_role("link", name="Carry on with item 5")).to_be_visible()
    page.goto(f"{live_server}/s/oak/standards/self-assessment/summary")
    expect(page.locator("ol.steps")).to_contain_text("Broadband internet")
    assert_accessible(page)
    assert_no_sideways_scrolling(page)
