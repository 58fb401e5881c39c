"""The refresh forecast: devices due and their cost per financial year (September to August), per
school and trust-wide, and devices whose operating system leaves support."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest

from services.assets import forecast
from services.assets.lifecycle import financial_year, financial_year_label
from services.directory.models import User
from tests.assets import factories_transfers as f
from tests.conftest import bearer, login, new_client
from trust_it.central.asset_forecast import uk_today
from trust_it.charts import Bar, bar_chart
from trust_it.extensions import db
from trust_it.tenancy import scope_for, set_scope

TODAY = date(2026, 6, 15)  # in the financial year 2025–26


@pytest.fixture
def world(app, make):
    oak, elm = make.school("oak", name="Oakwood Academy"), make.school("elm", name="Elm Primary")
    trust = make.default_trust()
    return {"trust": trust, "oak": oak, "elm": elm,
            "laptop": f.category(app, trust, "Laptop", unit_cost=650, years=5),
            "desktop": f.category(app, trust, "Desktop", unit_cost=600, years=6),
            "chromebook": f.category(app, trust, "Chromebook", unit_cost=300, years=5),
            "director": make.user(role="it_director")}


@contextmanager
def as_user(app, user):
    with app.test_request_context():
        set_scope(scope_for(db.session.get(User, user.id)))
        yield


def _forecast(app, world, **kwargs) -> forecast.Forecast:
    with as_user(app, world["director"]):
        return forecast.forecast(world["trust"].id, today=kwargs.pop("today", TODAY), **kwargs)


def _due(app, school, kind, tag, due: date, **values):
    """A device whose end of life (and so replacement) is `due`."""
    return f.asset(app, school, kind, tag, end_of_life_on=due, **values)


def test_the_financial_year_turns_on_1_september(app, world):
    _due(app, world["oak"], world["laptop"], "A1", date(2026, 8, 31))
    _due(app, world["oak"], world["laptop"], "A2", date(2026, 9, 1))
    _due(app, world["oak"], world["laptop"], "A3", date(2030, 8, 31))   # the fifth year's last day
    _due(app, world["oak"], world["laptop"], "A4", date(2030, 9, 1))    # beyond the five years
    result = _forecast(app, world)
    assert result.years == [2025, 2026, 2027, 2028, 2029]
    assert result.labels[0] == "2025–26"
    assert [(t.financial_year, t.devices) for t in result.totals()] == [
        (2025, 1), (2026, 1), (2027, 0), (2028, 0), (2029, 1)]
    assert result.totals()[0].starts_on == date(2025, 9, 1) and result.totals()[0].ends_on == date(2026, 8, 31)


def test_overdue_devices_land_in_the_first_year(app, world):
    _due(app, world["oak"], world["laptop"], "OLD", date(2019, 3, 1))
    _due(app, world["oak"], world["laptop"], "DUE", date(2026, 7, 1))
    bought = f.asset(app, world["oak"], world["desktop"], "D1", purchased_on=date(2020, 1, 10))  # + 6 years
    assert bought.replacement_due_on == date(2026, 1, 10)
    result = _forecast(app, world)
    first = result.totals()[0]
    assert first.devices == 3
    assert result.overdue == 2  # the 2019 laptop and the desktop due in January; July is still to come


def test_costs_by_category_and_school_and_gone_devices_left_out(app, world):
    oak, elm = world["oak"], world["elm"]
    for n in range(3):
        _due(app, oak, world["laptop"], f"L{n}", date(2027, 1, 1))
    _due(app, elm, world["laptop"], "L9", date(2027, 1, 1))
    _due(app, oak, world["desktop"], "D1", date(2027, 2, 1))
    _due(app, oak, world["desktop"], "D2", date(2027, 2, 1))
    _due(app, oak, world["desktop"], "GONE", date(2027, 2, 1), status="disposed")
    _due(app, oak, world["desktop"], "LOST", date(2027, 2, 1), status="lost_stolen")
    result = _forecast(app, world)
    assert dict(result.by_category()) == {"Desktop": {2026: (2, Decimal("1200.00"))},
                                          "Laptop": {2026: (4, Decimal("2600.00"))}}
    assert result.by_school() == {oak.id: {2026: (5, Decimal("3150.00"))}, elm.id: {2026: (1, Decimal("650.00"))}}
    assert result.totals()[1].cost == Decimal("3800.00")
    only_elm = _forecast(app, world, school_ids=[elm.id])
    assert [(line.category, line.devices) for line in only_elm.replacement] == [("Laptop", 1)]


def test_unsupported_operating_systems_by_the_year_their_updates_end(app, world):
    oak, laptop, chromebook = world["oak"], world["laptop"], world["chromebook"]
    f.asset(app, oak, laptop, "W10", os="Windows 10 Education", os_version="22H2")
    f.asset(app, oak, laptop, "W10B", os="Windows", os_version="10.0.19045.4291")      # Intune's way
    f.asset(app, oak, laptop, "W11-23", os="Windows", os_version="10.0.22631.3296")    # 23H2: 10 Nov 2026
    f.asset(app, oak, laptop, "W11-24", os="Windows 11 Education", os_version="24H2")  # 12 Oct 2027
    f.asset(app, oak, laptop, "SRV", os="Windows Server 2019 Standard", os_version="10.0.17763")  # 9 Jan 2029
    f.asset(app, oak, laptop, "MAC13", os="macOS", os_version="13.6.7")                # Ventura: 15 Sep 2025
    f.asset(app, oak, laptop, "MAC26", os="macOS", os_version="26.1")                  # three newer: 2028
    f.asset(app, oak, chromebook, "CB1", os="ChromeOS", end_of_life_on=date(2027, 6, 1))
    f.asset(app, oak, chromebook, "CB2", os="ChromeOS")                                # no expiry recorded
    f.asset(app, oak, laptop, "LNX", os="Ubuntu", os_version="24.04")
    f.asset(app, oak, laptop, "GONE", os="Windows 10 Pro", status="retired")
    result = _forecast(app, world)
    found = {os: (ends, years) for os, ends, years in result.unsupported_by_os()}
    assert found == {
        "Windows 10": (date(2025, 10, 14), {2025: 2}),
        "macOS 13 Ventura": (date(2025, 9, 15), {2025: 1}),
        "Windows 11 23H2": (date(2026, 11, 10), {2026: 1}),
        "Windows 11 24H2": (date(2027, 10, 12), {2027: 1}),
        "Windows Server 2019": (date(2029, 1, 9), {2028: 1}),
        "macOS 26 Tahoe (date estimated)": (date(2028, 9, 15), {2028: 1}),
        "ChromeOS (past auto-update expiry)": (None, {2026: 1}),
    }
    assert result.unsupported_today == 3  # Windows 10 twice and Ventura
    assert [t.unsupported for t in result.totals()] == [3, 2, 1, 2, 0]


def test_two_queries_whatever_the_number_of_schools(app, make, world, count_queries):
    for n in range(4):
        school = make.school(f"s{n}")
        _due(app, school, world["laptop"], f"S{n}", date(2027, 1, 1), os="Windows 10")
    with as_user(app, world["director"]):
        with count_queries() as sent:
            result = forecast.forecast(world["trust"].id, today=TODAY)
    assert result.totals()[1].devices == 4
    assert len([s for s in sent if "assets" in s]) == 2


def test_the_chart_says_its_figures_in_words():
    chart = bar_chart([Bar("2025–26", 1300, "£1,300 (2 devices)"), Bar("2026–27", 0, "£0 (0 devices)")],
                      chart_id="c", title="Cost by year", summary="Replacement cost.")
    assert 'role="img"' in chart and 'aria-labelledby="c-title c-desc"' in chart
    assert '<desc id="c-desc">Replacement cost. 2025–26: £1,300 (2 devices); 2026–27: £0 (0 devices)</desc>' in chart
    assert "<script" not in chart and "style=" not in chart


def _second_year() -> tuple[int, str]:
    """The pages use today's date: the second financial year from now, and its label."""
    year = financial_year(uk_today()) + 1
    return year, financial_year_label(year)


def test_the_trust_page_shows_years_categories_schools_and_a_described_chart(app, world):
    year, label = _second_year()
    _due(app, world["oak"], world["laptop"], "L1", date(year + 1, 1, 1))
    _due(app, world["elm"], world["laptop"], "L2", date(year + 1, 1, 1))
    _due(app, world["elm"], world["desktop"], "D1", date(year + 1, 3, 1), os="Windows 10 Pro")
    client = new_client(app)
    login(client, world["director"])
    page = client.get("/trust/assets/forecast")
    assert page.status_code == 200
    text = page.text
    assert f"{label}: £1,900 (3 devices)" in text  # the chart's description
    assert "2 · £1,300" in text and "1 · £600" in text  # laptops and desktops in 2026–27
    assert "Oakwood Academy" in text and "Elm Primary" in text
    assert "Windows 10" in text


def test_a_school_sees_its_own_forecast_and_not_another_schools(app, make, world):
    year, label = _second_year()
    _due(app, world["oak"], world["laptop"], "L1", date(year + 1, 1, 1))
    _due(app, world["elm"], world["laptop"], "L2", date(year + 1, 1, 1))
    tech = make.user(role="technician", school=world["oak"])
    client = new_client(app)
    login(client, tech)
    page = client.get("/s/oak/assets/forecast")
    api = client.get(f"/api/v1/forecast/?school_id={world['oak'].id}")
    assert page.status_code == 200 and f"{label}: £650 (1 device)" in page.text
    assert client.get("/s/elm/assets/forecast").status_code == 404
    assert client.get("/trust/assets/forecast").status_code == 403
    assert [(y["label"], y["devices"], y["cost"]) for y in api.json["years"]][1] == (label, 1, "650.00")
    assert [line["school_id"] for line in api.json["replacement"]] == [world["oak"].id]


def test_the_api_answers_for_the_schools_you_read(app, make, world):
    _due(app, world["oak"], world["laptop"], "L1", date(2020, 1, 1))
    headers = bearer(app, world["director"])
    client = new_client(app)
    trust_wide = client.get("/api/v1/forecast/", headers=headers).json
    assert trust_wide["years"][0]["devices"] == 1 and trust_wide["replacement"][0]["overdue"] == 1
    assert client.get("/api/v1/forecast/?school_id=987654", headers=headers).status_code == 404
    staff = make.user(role="staff", school=world["oak"])
    refused = client.get(f"/api/v1/forecast/?school_id={world['oak'].id}", headers=bearer(app, staff))
    assert refused.status_code == 403
    assert client.get("/api/v1/forecast/", headers=bearer(app, staff)).json["replacement"] == []
