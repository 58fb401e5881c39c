"""Real browser: a technician scans an asset label on a phone and updates the device; a school imports a file.

Both check the pages with axe-core (WCAG 2.x A and AA rules) and that nothing scrolls sideways on a phone.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from services.assets import locations
from services.directory.models import School
from tests.assets.conftest import reg  # noqa: F401  (the register fixture: Oak and Elm, rooms, devices)
from tests.conftest import PASSWORD, data

PHONE = {"width": 390, "height": 844}
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
             "resultTypes": ["violations"]}


@pytest.fixture
def handset(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def assert_accessible(page):
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page, options=AXE_RULES)
    assert results.violations_count == 0, results.generate_report()


def assert_no_sideways_scrolling(page):
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


def test_a_technician_scans_a_label_signs_in_and_updates_the_device(live_server, handset, app, reg):  # noqa: F811
    with data(app) as s:
        locations.create_location(s.get(School, reg.oak.id), name="Library L1")
    panel = reg.assets["oak_panel"]
    phone = handset

    # The QR code on the label holds the asset's address; the phone is not signed in yet.
    phone.goto(f"{live_server}/s/oak/assets/{panel.id}")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Sign in")
    phone.get_by_label("Email address").fill(reg.tech_oak.email)
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()

    expect(phone.get_by_role("heading", level=1)).to_contain_text("OAK-0002")
    assert phone.url == f"{live_server}/s/oak/assets/{panel.id}"
    assert_accessible(phone)
    assert_no_sideways_scrolling(phone)

    phone.get_by_label("Status", exact=True).select_option(label="In repair")
    phone.get_by_label("Room", exact=True).select_option(label="Library L1")
    phone.get_by_label("Note", exact=True).fill("Cracked screen, sent to the repairer")
    phone.get_by_role("button", name="Save").click()

    expect(phone.get_by_role("status")).to_contain_text("OAK-0002 updated.")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("In repair")
    expect(phone.locator(".summary-list")).to_contain_text("Library L1")
    history = phone.locator("ol.history")
    expect(history).to_contain_text("Room: Science block S12 → Library L1")
    expect(history).to_contain_text(re.compile(r"Status: .*deployed.* → .*repair", re.I))
    expect(history).to_contain_text("Cracked screen, sent to the repairer")
    assert_accessible(phone)
    assert_no_sideways_scrolling(phone)

    # The list offers labels for what it shows; the choice page works on the phone too.
    phone.goto(f"{live_server}/s/oak/assets?status=in_repair")
    assert_no_sideways_scrolling(phone)
    phone.get_by_role("link", name="Print labels").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Print asset labels")
    expect(phone.locator(".lede")).to_contain_text("1 asset matches")
    assert_accessible(phone)
    assert_no_sideways_scrolling(phone)


def test_a_technician_imports_a_file_and_watches_it_finish(live_server, desktop, app, reg, tmp_path):  # noqa: F811
    page = desktop
    file = Path(tmp_path) / "laptops.csv"
    file.write_text("Asset Tag,Serial Number,Manufacturer,Model Name,Category,Purchase Date\r\n"
                    "OAK-1001,SER1001,Lenovo,ThinkPad E14,Laptop,2024-09-02\r\n"
                    "OAK-1002,SER1002,Lenovo,ThinkPad E14,Laptop,2024-09-02\r\n", encoding="utf-8")
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(reg.tech_oak.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/s/oak/assets/import")
    assert_accessible(page)

    page.get_by_label("Register file (CSV)").set_input_files(str(file))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("laptops.csv")
    expect(page.locator(".card").first).to_contain_text("2")
    expect(page.locator(".card").first).to_contain_text("to add")
    assert_accessible(page)

    page.get_by_role("button", name="Import").click()
    # The job runs inline in the tests (no Redis for the live server): the progress page shows it done,
    # and the page's script polls the status until then when a real worker is slower.
    expect(page.locator("#import-state")).to_contain_text("Done: 2 added, 0 changed.", timeout=15000)
    expect(page.locator("#import-bar")).to_have_attribute("value", "100")
    assert_accessible(page)

    page.goto(f"{live_server}/s/oak/assets?q=OAK-100")
    expect(page.get_by_role("link", name="OAK-1001")).to_be_visible()
