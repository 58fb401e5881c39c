"""The Intune sync page on a phone, in Chromium (beside the other browser tests, which share one browser)."""
from tests.assets import intune_world
from tests.assets.intune_world import TID, run_sync
from tests.conftest import PASSWORD
from tests.fakes.graph import device

local_microsoft, microsoft, world = intune_world.local_microsoft, intune_world.microsoft, intune_world.world


def test_the_sync_page_fits_a_phone(app, world, microsoft, make, phone, live_server):
    microsoft.graph.devices[TID] = [device(1), device(2, deviceName="KIOSK-LIBRARY-01")]
    run_sync(app)
    make.user(role="technical", trust=world["trust"], email="priya@oakvalley.org.uk")
    phone.goto(f"{live_server}/login")
    phone.get_by_label("Email address").fill("priya@oakvalley.org.uk")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.goto(f"{live_server}/trust/assets/intune")
    assert phone.get_by_role("heading", level=1).inner_text() == "Intune sync"
    assert "1 not placed" in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scrolling
