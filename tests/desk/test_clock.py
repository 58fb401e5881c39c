"""SLA clocks on school time, as the IT team would check them against the school diary.

Times in the stories are what the classroom clock says; the database (and so the
API) works in naive UTC, so the key DST cases spell the expected UTC out by hand
rather than converting, to catch an hour's slip instead of agreeing with it.
"""
import random
import time as stopwatch
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from services.desk.clock import DEFAULT_TARGETS, SCHOOL_DAY_MINUTES, WorkingCalendar, priority_for

LONDON = ZoneInfo("Europe/London")
SCHOOL_HOURS = {weekday: (time(8, 0), time(16, 30)) for weekday in range(5)}
AUTUMN_2026 = [(date(2026, 9, 2), date(2026, 10, 23)), (date(2026, 11, 2), date(2026, 12, 18))]
SPRING_2027 = [(date(2027, 1, 5), date(2027, 2, 12)), (date(2027, 2, 22), date(2027, 3, 25))]
SUMMER_2027 = [(date(2027, 4, 12), date(2027, 5, 28)), (date(2027, 6, 7), date(2027, 7, 21))]
AUTUMN_2027 = [(date(2027, 9, 2), date(2027, 12, 17))]
ALL_YEAR = WorkingCalendar(SCHOOL_HOURS)  # no terms entered yet: every weekday is a school day


def school(y, m, d, hh, mm=0):
    """Classroom-clock time in London as the naive UTC the database would hold."""
    local = datetime(y, m, d, hh, mm, tzinfo=LONDON)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


# --- which days count ---------------------------------------------------------------

def test_a_school_day_is_an_open_weekday_in_term_that_is_not_a_closure():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026, frozenset({date(2026, 9, 7)}))
    assert calendar.is_working_day(date(2026, 9, 2))        # first day of term
    assert calendar.is_working_day(date(2026, 10, 23))      # last day before half term
    assert not calendar.is_working_day(date(2026, 9, 1))    # summer holiday
    assert not calendar.is_working_day(date(2026, 9, 5))    # Saturday
    assert not calendar.is_working_day(date(2026, 9, 7))    # INSET day
    assert not calendar.is_working_day(date(2026, 10, 26))  # half term


def test_a_school_without_term_dates_keeps_the_clock_running_on_every_working_weekday():
    assert ALL_YEAR.is_working_day(date(2026, 8, 12))       # a summer Wednesday
    assert not ALL_YEAR.is_working_day(date(2026, 8, 15))   # still not Saturday


def test_a_weekday_missing_from_the_hours_is_closed():
    no_fridays = WorkingCalendar({weekday: (time(8), time(16, 30)) for weekday in range(4)})
    assert not no_fridays.is_working_day(date(2026, 6, 5))
    assert no_fridays.add_working_minutes(school(2026, 6, 4, 16), 60) == school(2026, 6, 8, 8, 30)


# --- a normal school day ------------------------------------------------------------

def test_a_ticket_in_the_morning_is_due_later_the_same_morning():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 10), 30) == school(2026, 6, 2, 10, 30)


def test_opening_time_is_local_so_nine_oclock_in_summer_is_eight_utc():
    assert ALL_YEAR.next_working_moment(datetime(2026, 6, 2, 5, 0)) == datetime(2026, 6, 2, 7, 0)
    assert ALL_YEAR.next_working_moment(datetime(2026, 12, 2, 5, 0)) == datetime(2026, 12, 2, 8, 0)
    assert ALL_YEAR.add_working_minutes(datetime(2026, 6, 2, 8, 0), 60) == datetime(2026, 6, 2, 9, 0)


def test_a_ticket_after_closing_is_due_that_long_after_the_next_opening():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 17), 30) == school(2026, 6, 3, 8, 30)


def test_a_ticket_just_before_closing_splits_its_time_over_two_days():
    # 10 minutes before 16:30 today, the other 20 from 08:00 tomorrow.
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 16, 20), 30) == school(2026, 6, 3, 8, 20)


def test_a_target_that_runs_out_exactly_at_closing_is_due_at_closing_not_next_morning():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 16), 30) == school(2026, 6, 2, 16, 30)


def test_a_ticket_before_the_school_opens_starts_counting_at_opening():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 6, 45), 45) == school(2026, 6, 2, 8, 45)


# --- the next working moment and zero targets -----------------------------------------

def test_next_working_moment_is_now_when_open_and_the_next_opening_otherwise():
    assert ALL_YEAR.next_working_moment(school(2026, 6, 2, 11, 17)) == school(2026, 6, 2, 11, 17)
    assert ALL_YEAR.next_working_moment(school(2026, 6, 2, 8)) == school(2026, 6, 2, 8)
    assert ALL_YEAR.next_working_moment(school(2026, 6, 2, 7, 59)) == school(2026, 6, 2, 8)
    assert ALL_YEAR.next_working_moment(school(2026, 6, 2, 16, 30)) == school(2026, 6, 3, 8)  # closed at 16:30
    assert ALL_YEAR.next_working_moment(school(2026, 6, 5, 23, 30)) == school(2026, 6, 8, 8)


def test_a_zero_minute_target_raised_on_saturday_is_due_at_monday_opening():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 6, 10), 0) == school(2026, 6, 8, 8)


def test_a_zero_or_negative_target_raised_during_the_day_is_due_straight_away():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 10), 0) == school(2026, 6, 2, 10)
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 2, 10), -15) == school(2026, 6, 2, 10)


# --- weekends, half term, bank holidays, Christmas --------------------------------------

def test_friday_afternoon_tickets_carry_over_the_weekend():
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 5, 16), 60) == school(2026, 6, 8, 8, 30)


def test_the_clock_stops_for_half_term_and_the_clocks_going_back():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026)
    raised = datetime(2026, 10, 23, 15, 0)  # Friday 16:00 BST, last day before half term
    due = calendar.add_working_minutes(raised, 60)
    assert due == datetime(2026, 11, 2, 8, 30)  # Monday 08:30 GMT, first day back
    assert calendar.working_minutes_between(raised, due) == 60


def test_a_due_time_across_the_october_change_lands_on_the_local_clock():
    raised = datetime(2026, 10, 23, 15, 0)  # Friday 16:00 BST
    assert ALL_YEAR.add_working_minutes(raised, 60) == datetime(2026, 10, 26, 8, 30)  # Monday 08:30 GMT
    # Monday 09:00 GMT: 30 minutes on Friday plus 60 on Monday, not an hour more or less.
    assert ALL_YEAR.working_minutes_between(raised, datetime(2026, 10, 26, 9, 0)) == 90


def test_a_due_time_across_the_march_change_lands_on_the_local_clock():
    raised = datetime(2026, 3, 27, 16, 0)  # Friday 16:00 GMT
    assert ALL_YEAR.add_working_minutes(raised, 60) == datetime(2026, 3, 30, 7, 30)  # Monday 08:30 BST


def test_a_bank_holiday_monday_is_skipped():
    calendar = WorkingCalendar(SCHOOL_HOURS, closures=frozenset({date(2026, 5, 4)}))  # Early May
    assert calendar.add_working_minutes(school(2026, 5, 1, 16), 60) == school(2026, 5, 5, 8, 30)
    assert calendar.working_minutes_between(school(2026, 5, 4, 8), school(2026, 5, 4, 16, 30)) == 0


def test_an_inset_day_in_the_middle_of_the_week_is_skipped():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026, frozenset({date(2026, 11, 4)}))
    assert calendar.add_working_minutes(school(2026, 11, 3, 16), 60) == school(2026, 11, 5, 8, 30)


def test_the_christmas_holiday_stops_the_clock_across_the_new_year():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026 + SPRING_2027)
    raised = school(2026, 12, 18, 16)  # last afternoon of the autumn term
    due = calendar.add_working_minutes(raised, 60)
    assert due == school(2027, 1, 5, 8, 30)  # spring term starts on the Tuesday
    assert calendar.working_minutes_between(raised, due) == 60


def test_without_term_dates_christmas_only_stops_the_clock_if_entered_as_closures():
    raised = school(2026, 12, 24, 16)
    assert ALL_YEAR.add_working_minutes(raised, 60) == school(2026, 12, 25, 8, 30)
    closed = WorkingCalendar(SCHOOL_HOURS, closures=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    assert closed.add_working_minutes(raised, 60) == school(2026, 12, 29, 8, 30)


def test_days_outside_term_count_no_working_time_even_in_school_hours():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026)
    assert calendar.working_minutes_between(school(2026, 10, 26, 8), school(2026, 10, 30, 16, 30)) == 0


# --- counting working time ---------------------------------------------------------

def test_working_minutes_count_only_open_time():
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 2, 7), school(2026, 6, 2, 9)) == 60
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 5, 16), school(2026, 6, 8, 9)) == 90
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 1, 0), school(2026, 6, 8, 0)) == 5 * 510


def test_working_minutes_are_zero_for_an_empty_or_backwards_range():
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 2, 10), school(2026, 6, 2, 10)) == 0
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 2, 11), school(2026, 6, 2, 10)) == 0


def test_part_minutes_round_down_but_add_up_across_the_night():
    start = school(2026, 6, 2, 16, 29) + timedelta(seconds=30)
    assert ALL_YEAR.working_minutes_between(start, school(2026, 6, 2, 17)) == 0
    assert ALL_YEAR.working_minutes_between(start, school(2026, 6, 3, 8) + timedelta(seconds=30)) == 1


def test_a_calendar_with_no_terms_ahead_counts_zero_rather_than_failing():
    lapsed = WorkingCalendar(SCHOOL_HOURS, [(date(2020, 9, 1), date(2021, 7, 21))])
    assert lapsed.working_minutes_between(school(2026, 1, 1, 0), school(2028, 1, 1, 0)) == 0


# --- big targets and broken calendars -------------------------------------------------

def test_a_five_day_resolution_target_is_a_school_week():
    wednesday = school(2026, 6, 3, 10)
    assert ALL_YEAR.add_working_minutes(wednesday, 5 * 510) == school(2026, 6, 10, 10)
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 1, 8), 5 * 510) == school(2026, 6, 5, 16, 30)


def test_forty_school_days_from_the_first_morning_of_term_skip_half_term():
    calendar = WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026)
    # 38 days to half term (2 Sep - 23 Oct), then Monday 2 and Tuesday 3 November.
    assert calendar.add_working_minutes(school(2026, 9, 2, 8), 40 * 510) == school(2026, 11, 3, 16, 30)


def test_huge_targets_walk_day_by_day_not_minute_by_minute():
    began = stopwatch.perf_counter()
    target = 10 * 190 * 510  # ten school years of minutes
    due = ALL_YEAR.add_working_minutes(school(2026, 6, 2, 10), target)
    assert ALL_YEAR.working_minutes_between(school(2026, 6, 2, 10), due) == target
    assert stopwatch.perf_counter() - began < 2


def test_a_calendar_that_never_opens_fails_loudly_instead_of_hanging():
    lapsed = WorkingCalendar(SCHOOL_HOURS, [(date(2020, 9, 1), date(2021, 7, 21))])
    shut = WorkingCalendar({})
    for calendar in (lapsed, shut):
        with pytest.raises(ValueError, match="no working time"):
            calendar.next_working_moment(datetime(2026, 6, 2, 9))
        with pytest.raises(ValueError, match="no working time"):
            calendar.add_working_minutes(datetime(2026, 6, 2, 9), 30)


def test_a_long_summer_holiday_is_not_mistaken_for_a_dead_calendar():
    calendar = WorkingCalendar(SCHOOL_HOURS, [(date(2026, 4, 13), date(2026, 7, 22))] + AUTUMN_2026)
    assert calendar.add_working_minutes(school(2026, 7, 22, 16), 60) == school(2026, 9, 2, 8, 30)


# --- the two halves agree -----------------------------------------------------------

@pytest.mark.parametrize("calendar", [
    ALL_YEAR,
    WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026 + SPRING_2027 + SUMMER_2027 + AUTUMN_2027,
                    frozenset({date(2026, 9, 7), date(2027, 1, 4), date(2027, 5, 3)})),
    WorkingCalendar({0: (time(7, 30), time(18)), 2: (time(8, 45), time(12, 15)), 5: (time(9), time(9, 1))}),
], ids=["no-terms", "school-year", "odd-hours"])
def test_counting_the_minutes_to_a_due_time_gives_back_the_target(calendar):
    rng = random.Random(20260902)
    first = datetime(2026, 8, 20)  # a year of starts: both clock changes, every holiday
    for _ in range(300):
        start = first + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        target = rng.choice([1, 29, 30, 510, 511, 1020, 2550]) if rng.random() < 0.3 else rng.randint(1, 6000)
        due = calendar.add_working_minutes(start, target)
        assert due > start
        assert calendar.working_minutes_between(start, due) == target, (start, target, due)


# --- priority matrix and targets ----------------------------------------------------

@pytest.mark.parametrize(("impact", "urgency", "priority"), [
    (1, 1, 1),
    (1, 2, 2), (2, 1, 2),
    (1, 3, 3), (2, 2, 3), (3, 1, 3),
    (2, 3, 4), (3, 2, 4), (3, 3, 4),
])
def test_priority_follows_the_itil_matrix(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (1, 4), (4, 4), (-1, 2), (None, 1), ("1", 1)])
def test_priority_rejects_values_off_the_scale(impact, urgency):
    with pytest.raises(ValueError):
        priority_for(impact, urgency)


def test_default_targets_are_counted_in_school_days_of_510_minutes():
    assert SCHOOL_DAY_MINUTES == 8 * 60 + 30
    assert DEFAULT_TARGETS == {1: (30, 240), 2: (60, 480), 3: (240, 1020), 4: (510, 2550)}
    for response, resolution in DEFAULT_TARGETS.values():
        assert response < resolution
    # A P4 logged at Monday opening has until Friday closing.
    assert ALL_YEAR.add_working_minutes(school(2026, 6, 1, 8), DEFAULT_TARGETS[4][1]) == school(2026, 6, 5, 16, 30)


# --- guarding against set-up mistakes ---------------------------------------------------

def test_mistyped_hours_terms_and_zones_are_refused_when_the_calendar_is_built():
    with pytest.raises(ValueError, match="before closing"):
        WorkingCalendar({0: (time(16, 30), time(8))})
    with pytest.raises(ValueError, match="weekday"):
        WorkingCalendar({7: (time(8), time(16, 30))})
    with pytest.raises(ValueError, match="ends before it starts"):
        WorkingCalendar(SCHOOL_HOURS, [(date(2026, 10, 23), date(2026, 9, 2))])
    with pytest.raises(ZoneInfoNotFoundError):
        WorkingCalendar(SCHOOL_HOURS, tz="Europe/Londn")


def test_aware_datetimes_are_refused_rather_than_read_as_utc():
    with pytest.raises(TypeError, match="naive UTC"):
        ALL_YEAR.next_working_moment(datetime(2026, 6, 2, 9, tzinfo=LONDON))
    with pytest.raises(TypeError, match="naive UTC"):
        ALL_YEAR.working_minutes_between(datetime(2026, 6, 2, 9), datetime(2026, 6, 2, 10, tzinfo=timezone.utc))


def test_a_calendar_is_frozen_against_later_edits_and_can_be_a_cache_key():
    hours = dict(SCHOOL_HOURS)
    terms = list(AUTUMN_2026)
    calendar = WorkingCalendar(hours, terms, {date(2026, 9, 7)})
    hours.pop(0)
    terms.clear()
    assert calendar.is_working_day(date(2026, 9, 14))
    assert not calendar.is_working_day(date(2026, 9, 7))
    assert calendar == WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026, frozenset({date(2026, 9, 7)}))
    assert len({calendar, WorkingCalendar(SCHOOL_HOURS, AUTUMN_2026, frozenset({date(2026, 9, 7)}))}) == 1
