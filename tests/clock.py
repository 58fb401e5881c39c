"""The test run's clock: with TRUST_IT_TEST_CLOCK_OFFSET_DAYS=N every test runs N days in the
future, still ticking, so a test that passes today is shown to pass next year too.

The offset moves Python's clock (datetime, date, time.time) in the test process and in the
`trust-it` processes the tests start (`run_cli`); it does not move PostgreSQL's clock, which is
why business rules compare with Python's `now`, nor Chromium's, which is why no page compares
the browser's time with the server's. A test that needs a particular moment freezes it with
`time_machine.travel(...)`, which nests inside the shifted clock.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

OFFSET_VARIABLE = "TRUST_IT_TEST_CLOCK_OFFSET_DAYS"


def offset_days() -> float:
    """Days ahead; a fraction moves the time of day too (2.25 is two days and six hours)."""
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    try:
        return float(raw or 0)
    except ValueError:
        raise SystemExit(f"{OFFSET_VARIABLE} must be a number of days, not {raw!r}") from None


def shift_clock():
    """Start travelling `offset_days()` ahead; returns the travel to stop, or None for no offset."""
    days = offset_days()
    if not days:
        return None
    import time_machine
    travel = time_machine.travel(datetime.now(timezone.utc) + timedelta(days=days), tick=True)
    travel.start()
    return travel
