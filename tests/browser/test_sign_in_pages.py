"""Real browser: signing in and the home page, for a teacher on a phone and a trust admin."""
from playwright.sync_api import expect

from tests.conftest import PASSWORD


def _sign_in(page, base, email):
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Sign in to trust-it")).to_be_visible()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_teacher_signs_in_on_a_phone_and_sees_their_school(live_server, phone, make):
    oak = make.school("oak", name="Oakwood Academy")
    make.user(role="staff", school=oak, email="amira@oakwood.sch.uk", name="Amira Khan")
    _sign_in(phone, live_server, "amira@oakwood.sch.uk")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Oakwood Academy")
    assert phone.url.endswith("/s/oak/")
    # Nothing is wider than the phone: no sideways scrolling on the portal.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    # The first Tab reaches the skip link, which takes the keyboard to the main content.
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to main content")).to_be_focused()


def test_a_wrong_password_is_announced_on_the_page(live_server, phone, make):
    make.user(role="staff", school=make.school("oak"), email="amira@oak.sch.uk")
    phone.goto(f"{live_server}/login")
    phone.get_by_label("Email address").fill("amira@oak.sch.uk")
    phone.get_by_label("Password").fill("not my password")
    phone.get_by_role("button", name="Sign in").click()
    expect(phone.get_by_role("alert")).to_contain_text("do not match an active account")


def test_a_trust_admin_signs_in_invites_a_technician_and_signs_out(live_server, desktop, make):
    make.school("oak", name="Oakwood Academy")
    make.user(role="trust_admin", email="priya@oakvalley.org.uk", name="Priya Shah")
    _sign_in(desktop, live_server, "priya@oakvalley.org.uk")
    assert desktop.url.endswith("/trust/")
    expect(desktop.get_by_role("heading", level=1)).to_be_visible()
    desktop.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    desktop.get_by_role("link", name="Invite a person").click()
    desktop.get_by_label("Email address").fill("dan@oakwood.sch.uk")
    desktop.get_by_label("Name", exact=True).fill("Dan Price")
    desktop.get_by_label("Role").select_option("technician")
    desktop.get_by_label("School").select_option(label="Oakwood Academy")
    desktop.get_by_role("button", name="Invite").click()
    expect(desktop.get_by_role("heading", level=1)).to_contain_text("Dan Price")
    expect(desktop.get_by_text("Technician").first).to_be_visible()
    desktop.get_by_role("button", name="Sign out").click()
    expect(desktop.get_by_role("heading", name="Sign in to trust-it")).to_be_visible()
