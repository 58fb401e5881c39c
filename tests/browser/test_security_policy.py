"""Real browser: the Content-Security-Policy breaks nothing we serve."""
from playwright.sync_api import expect

from tests.browser.test_sign_in_pages import _sign_in


def _watch_for_refusals(page) -> list[str]:
    refusals: list[str] = []
    page.on("console", lambda msg: refusals.append(msg.text) if "Content Security Policy" in msg.text else None)
    return refusals


def test_signed_in_pages_work_under_the_policy(live_server, desktop, make):
    oak = make.school("oak", name="Oakwood Academy", pupils=420)
    make.school("elm", name="Elm Primary", pupils=210)
    make.user(role="trust_admin", email="priya@oakvalley.org.uk", name="Priya Shah")
    make.ticket(oak)
    refusals = _watch_for_refusals(desktop)
    _sign_in(desktop, live_server, "priya@oakvalley.org.uk")
    assert desktop.url.endswith("/trust/")
    # The pupils chart is drawn without inline styles: Oakwood's bar is twice Elm's.
    widths = desktop.eval_on_selector_all(".bars .bar rect", "rects => rects.map(r => r.getBoundingClientRect().width)")
    assert len(widths) == 2 and abs(max(widths) - 2 * min(widths)) < 2
    assert desktop.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != ""
    for path in ("/account/tokens", "/s/oak/queue", "/trust/audit"):
        desktop.goto(live_server + path)
        expect(desktop.get_by_role("heading", level=1)).to_be_visible()
    assert refusals == []


def test_the_api_documentation_renders_under_its_own_policy(live_server, desktop):
    refusals = _watch_for_refusals(desktop)
    desktop.goto(f"{live_server}/api/v1/docs")
    expect(desktop.locator(".swagger-ui .info .title")).to_contain_text("trust-it")
    expect(desktop.locator(".opblock").first).to_be_visible()
    assert refusals == []
