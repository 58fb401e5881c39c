"""Service-desk SLA clocks that run on school time.

A ticket raised at 16:20 on a Friday before half term is not "late" on the
Saturday: the clock only runs while the school is open. A school's open time is
its working hours per weekday (local wall-clock time), limited to its term dates
and minus closure days (INSET days, bank holidays).

Everything that goes in or comes out is a naive UTC datetime, because that is
what the database stores; the calendar logic happens in the school's own time
zone so that "08:00" means 08:00 on the classroom clock in GMT and in BST alike.

The arithmetic walks one day at a time (one working window per day), never one
minute at a time, so a five-day resolution target costs a handful of steps.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from types import MappingProxyType
from typing import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_TARGETS", "SCHOOL_DAY_MINUTES", "WorkingCalendar", "priority_for"]

# The longest stretch without a single working day we will search before deciding the
# calendar can never open. The summer holiday is about six weeks, so 400 days only trips
# on a calendar that is genuinely empty (terms all in the past, no working hours) rather
# than leaving a request thread spinning forever.
MAX_IDLE_DAYS = 400

_ONE_DAY = timedelta(days=1)
_ONE_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class WorkingCalendar:
    """When one school's SLA clock runs.

    `hours` maps weekday (0 = Monday) to (opens, closes) in local time; a missing
    weekday is closed. Hours must not cross midnight (opens < closes), which keeps
    every working window inside one local date. `terms` are inclusive date ranges;
    left empty, every date counts as in term so a school that has not entered its
    term dates yet still gets a running clock on its working weekdays rather than a
    clock that never starts.
    """

    hours: Mapping[int, tuple[time, time]]
    terms: Sequence[tuple[date, date]] = ()
    closures: frozenset[date] = frozenset()
    tz: str = "Europe/London"

    def __post_init__(self) -> None:
        # Copy the inputs so a caller mutating its own dict or list cannot change a
        # calendar that is meant to be frozen (and may be cached per school).
        hours = MappingProxyType(dict(self.hours))
        for weekday, (opens, closes) in hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            if not opens < closes:
                raise ValueError(f"weekday {weekday}: opening {opens} must be before closing {closes}")
        terms = tuple((first, last) for first, last in self.terms)
        for first, last in terms:
            if first > last:
                raise ValueError(f"term starting {first} ends before it starts ({last})")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "closures", frozenset(self.closures))
        ZoneInfo(self.tz)  # fail now on a misspelt zone, not on the first ticket
        # Each date's window, worked out once: the sweep asks about the same few days for every
        # ticket of a school (not a field, so equality and hashing ignore it).
        object.__setattr__(self, "_windows", {})

    def __hash__(self) -> int:
        # The generated hash would choke on the hours mapping; hashing its sorted items
        # lets a calendar serve as a cache key.
        return hash((tuple(sorted(self.hours.items())), self.terms, self.closures, self.tz))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)  # ZoneInfo caches instances, so this is cheap

    def is_working_day(self, d: date) -> bool:
        """Open that weekday, not a closure, and inside a term (or no terms entered)."""
        if d.weekday() not in self.hours or d in self.closures:
            return False
        return not self.terms or any(first <= d <= last for first, last in self.terms)

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole minutes of working time in [start, end); 0 if end <= start.

        Seconds are summed across days before rounding down, so a minute split
        between one evening's close and the next morning still counts once.
        """
        _require_naive(start, end)
        if end <= start:
            return 0
        total = timedelta()
        d, last = self._local_date(start), self._local_date(end)
        while d <= last:
            window = self._window(d)
            if window:
                opens, closes = window
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta():
                    total += overlap
            d += _ONE_DAY
        return total // _ONE_MINUTE

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` working minutes after `start` (naive UTC).

        A target that lands exactly on closing time is due at closing, not at the
        next opening. With minutes <= 0 the answer is the next working moment, so a
        zero-minute target on a Saturday is due at Monday's opening, not "already".
        """
        _require_naive(start)
        if minutes <= 0:
            return self.next_working_moment(start)
        remaining = timedelta(minutes=minutes)
        for opens, closes in self._windows_from(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: _windows_from never ends without raising")

    def next_working_moment(self, at: datetime) -> datetime:
        """`at` itself if the school is open then, else its next opening (naive UTC).

        Windows are half-open: at exactly closing time the school is shut.
        """
        _require_naive(at)
        for opens, closes in self._windows_from(at):
            if closes > at:
                return max(opens, at)
        raise AssertionError("unreachable: _windows_from never ends without raising")

    def _window(self, d: date) -> tuple[datetime, datetime] | None:
        """The local date's working window as naive UTC, or None if not a working day."""
        if d in self._windows:
            return self._windows[d]
        window = None
        if self.is_working_day(d):
            opens, closes = self.hours[d.weekday()]
            window = self._to_utc(datetime.combine(d, opens)), self._to_utc(datetime.combine(d, closes))
        self._windows[d] = window
        return window

    def _windows_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows from the local date containing `at` onwards, without end.

        Raises ValueError after MAX_IDLE_DAYS consecutive non-working days, so an
        empty calendar fails loudly instead of looping forever.
        """
        d, idle = self._local_date(at), 0
        while True:
            window = self._window(d)
            if window:
                idle = 0
                yield window
            else:
                idle += 1
                if idle > MAX_IDLE_DAYS:
                    raise ValueError(f"calendar has no working time in the {MAX_IDLE_DAYS} days up to {d}")
            d += _ONE_DAY

    def _local_date(self, utc: datetime) -> date:
        return utc.replace(tzinfo=timezone.utc).astimezone(self.zone).date()

    def _to_utc(self, local: datetime) -> datetime:
        # fold=0 resolves the wall-clock hour repeated or skipped by a DST change to its
        # first reading; school hours never fall in that 01:00-02:00 hour anyway.
        return local.replace(tzinfo=self.zone).astimezone(timezone.utc).replace(tzinfo=None)


def _require_naive(*moments: datetime) -> None:
    """Reject aware datetimes: silently treating 09:00+01:00 as 09:00 UTC would be an hour out."""
    for moment in moments:
        if moment.tzinfo is not None:
            raise TypeError(f"expected a naive UTC datetime, got {moment.isoformat()}")


# ITIL's impact x urgency matrix, 1 = high ... 3 = low on both axes.
_PRIORITY = {
    (1, 1): 1,
    (1, 2): 2, (2, 1): 2,
    (1, 3): 3, (2, 2): 3, (3, 1): 3,
    (2, 3): 4, (3, 2): 4, (3, 3): 4,
}


def priority_for(impact: int, urgency: int) -> int:
    """Priority 1 (critical) to 4 (low) from impact and urgency, each 1 (high) to 3 (low)."""
    try:
        return _PRIORITY[impact, urgency]
    except (KeyError, TypeError):
        raise ValueError(f"impact and urgency must each be 1, 2 or 3; got {impact!r}, {urgency!r}") from None


# A "day" in these targets is 510 working minutes, i.e. the usual 08:00-16:30 support
# cover. Targets are stored in working minutes, not days, so at a school open 08:30-15:30
# (420 minutes) a "1 day" target spills into the next morning; that is deliberate, as the
# trust promises the same amount of support time to every school.
SCHOOL_DAY_MINUTES = 510

# Priority -> (first response, resolution), both in working minutes.
DEFAULT_TARGETS: dict[int, tuple[int, int]] = {
    1: (30, 240),                                          # 30 min / 4 h
    2: (60, 480),                                          # 1 h / 8 h
    3: (240, 2 * SCHOOL_DAY_MINUTES),                      # 4 h / 2 days
    4: (SCHOOL_DAY_MINUTES, 5 * SCHOOL_DAY_MINUTES),       # 1 day / 5 days
}
