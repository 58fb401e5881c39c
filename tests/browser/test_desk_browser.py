"""Real browser: a teacher raises a request on a phone; the technician escalates it to the trust."""
import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def _sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_teacher_raises_a_request_on_a_phone_and_the_technician_escalates_it(live_server, phone, desktop, make):
    oak = make.school("oak", name="Oakwood Academy")
    make.user(role="staff", school=oak, email="amira@oakwood.sch.uk", name="Amira Khan")
    make.user(role="technician", school=oak, email="dan@oakwood.sch.uk", name="Dan Price")

    # The teacher, on her phone before period 1.
    _sign_in(phone, live_server, "amira@oakwood.sch.uk")
    phone.get_by_role("link", name="Raise a request").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Raise a request")
    phone.get_by_label("What's wrong?").fill("Projector in room 12 will not turn on")
    phone.get_by_role("group", name="Who is affected?").get_by_label("A class or a team").check()
    phone.get_by_role("group", name="How urgent?").get_by_label("Stops teaching or work now").check()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("status")).to_contain_text(re.compile(r"Request OAK-\d{6} raised"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Projector in room 12 will not turn on")
    reference = re.search(r"OAK-\d{6}", phone.get_by_role("status").inner_text()).group(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # The technician, at a desk: the request is at the top of the queue.
    _sign_in(desktop, live_server, "dan@oakwood.sch.uk")
    expect(desktop.get_by_role("heading", level=1)).to_have_text("Queue")
    first_row = desktop.get_by_role("table").get_by_role("row").nth(1)
    expect(first_row).to_contain_text(reference)
    first_row.get_by_role("link", name="Projector in room 12 will not turn on").click()
    desktop.get_by_label("Why does it need the next tier?").fill(
        "Lamp replaced, still no picture: the projector's board has failed and needs the trust's spares.")
    desktop.get_by_role("button", name="Escalate").click()
    expect(desktop.get_by_role("status")).to_contain_text(f"{reference} escalated to the trust's technical team")
    expect(desktop.locator(".lede")).to_contain_text("Tier 2")
    expect(desktop.get_by_role("table", name=re.compile("Escalations"))).to_contain_text("the projector's board")

    # Back on the phone, the teacher sees it was escalated (the reason itself stays with IT staff).
    phone.reload()
    expect(phone.get_by_text("escalated it to the trust's technical team")).to_be_visible()
