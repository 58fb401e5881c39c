"""Bank holidays as a school business manager would check them against gov.uk.

Expected dates are the published England-and-Wales lists from
https://www.gov.uk/bank-holidays, written out by hand rather than computed, so
the tests catch a wrong rule instead of agreeing with it.
"""

from datetime import date

import pytest

from services.directory.bank_holidays import BankHoliday, between, easter_sunday, england_and_wales

GOV_UK_ENGLAND_AND_WALES = {
    2019: ["01-01", "04-19", "04-22", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2020: ["01-01", "04-10", "04-13", "05-08", "05-25", "08-31", "12-25", "12-28"],
    2021: ["01-01", "04-02", "04-05", "05-03", "05-31", "08-30", "12-27", "12-28"],
    2022: ["01-03", "04-15", "04-18", "05-02", "06-02", "06-03", "08-29", "09-19", "12-26", "12-27"],
    2023: ["01-02", "04-07", "04-10", "05-01", "05-08", "05-29", "08-28", "12-25", "12-26"],
    2024: ["01-01", "03-29", "04-01", "05-06", "05-27", "08-26", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "05-05", "05-26", "08-25", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "05-04", "05-25", "08-31", "12-25", "12-28"],
    2027: ["01-01", "03-26", "03-29", "05-03", "05-31", "08-30", "12-27", "12-28"],
}


def _dates(holidays: list[BankHoliday]) -> list[date]:
    return [holiday.date for holiday in holidays]


def _named(year: int) -> dict[date, str]:
    return {holiday.date: holiday.name for holiday in england_and_wales(year)}


@pytest.mark.parametrize("year", sorted(GOV_UK_ENGLAND_AND_WALES))
def test_every_year_matches_the_gov_uk_list(year):
    expected = [date.fromisoformat(f"{year}-{md}") for md in GOV_UK_ENGLAND_AND_WALES[year]]
    assert _dates(england_and_wales(year)) == expected


@pytest.mark.parametrize("year", range(2000, 2051))
def test_no_bank_holiday_ever_falls_on_a_weekend_and_none_repeats(year):
    holidays = england_and_wales(year)
    assert all(holiday.date.weekday() < 5 for holiday in holidays)
    assert len(set(_dates(holidays))) == len(holidays)
    assert _dates(holidays) == sorted(_dates(holidays))


def test_easter_sunday_for_the_spring_term_break():
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2027) == date(2027, 3, 28)


def test_boxing_day_on_a_saturday_gives_monday_28th_off_in_2026():
    names = _named(2026)
    assert names[date(2026, 12, 25)] == "Christmas Day"
    assert names[date(2026, 12, 28)] == "Boxing Day (substitute day)"
    assert date(2026, 12, 26) not in names


def test_christmas_on_a_saturday_gives_monday_27th_and_tuesday_28th_off_in_2027():
    names = _named(2027)
    assert names[date(2027, 12, 27)] == "Christmas Day (substitute day)"
    assert names[date(2027, 12, 28)] == "Boxing Day (substitute day)"


def test_christmas_on_a_sunday_keeps_boxing_day_on_monday_and_moves_christmas_to_tuesday():
    names = _named(2022)
    assert names[date(2022, 12, 26)] == "Boxing Day"
    assert names[date(2022, 12, 27)] == "Christmas Day (substitute day)"


def test_new_year_on_a_weekend_is_taken_the_following_monday():
    assert _named(2022)[date(2022, 1, 3)] == "New Year's Day (substitute day)"
    assert _named(2023)[date(2023, 1, 2)] == "New Year's Day (substitute day)"


def test_2020_early_may_holiday_moved_to_friday_for_ve_day():
    names = _named(2020)
    assert date(2020, 5, 4) not in names
    assert names[date(2020, 5, 8)] == "Early May bank holiday (VE day)"


def test_2022_platinum_jubilee_and_state_funeral():
    names = _named(2022)
    assert date(2022, 5, 30) not in names
    assert names[date(2022, 6, 2)] == "Spring bank holiday"
    assert names[date(2022, 6, 3)] == "Platinum Jubilee bank holiday"
    assert names[date(2022, 9, 19)] == "Bank Holiday for the State Funeral of Queen Elizabeth II"


def test_2023_coronation_is_an_extra_day_alongside_early_may():
    names = _named(2023)
    assert names[date(2023, 5, 1)] == "Early May bank holiday"
    assert names[date(2023, 5, 8)] == "Bank holiday for the coronation of King Charles III"


def test_2012_diamond_jubilee_moved_spring_bank_holiday():
    assert _dates(between(date(2012, 5, 1), date(2012, 6, 30))) == [
        date(2012, 5, 7),
        date(2012, 6, 4),
        date(2012, 6, 5),
    ]


def test_christmas_holidays_spanning_new_year_include_both_ends():
    holidays = between(date(2026, 12, 25), date(2027, 1, 1))
    assert _dates(holidays) == [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]


def test_summer_term_2026_has_two_may_bank_holidays():
    holidays = between(date(2026, 4, 13), date(2026, 7, 22))
    assert holidays == [
        BankHoliday(date(2026, 5, 4), "Early May bank holiday"),
        BankHoliday(date(2026, 5, 25), "Spring bank holiday"),
    ]


def test_a_range_that_ends_before_it_starts_is_empty():
    assert between(date(2026, 12, 31), date(2026, 1, 1)) == []
