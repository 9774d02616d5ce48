"""The reporting calendar: quarters, working days, deadlines, reminder days and reporting windows.

Rules (all values come from settings; defaults in brackets):

- Quarters (triwulan) are calendar quarters: TW I Jan–Mar … TW IV Oct–Dec.
- A working day is a weekday that is not an Indonesian national holiday, not a cuti bersama
  day and not one of the agency's extra days off (`EXTRA_DAYS_OFF`).
  National holidays come from `holidays.country_holidays("ID")` (category "public").
  The package also knows the ASN joint leave days (cuti bersama) in its "government"
  category, e.g. 24 and 31 Dec 2020 and 12 May 2021; they count as days off unless
  `cuti_bersama=False`. The package has no automatic "observed" days for Indonesia
  (a holiday on a Sunday is not moved to Monday); its 2020 entry "Pegangti Cuti Bersama
  Hari Raya Idul Fitri" (31 Dec 2020) is the Idul Fitri joint leave that the government
  moved to the end of that year, and is treated like any other cuti bersama day.
- The report deadline is the N-th working day after the quarter end [5]. With N = 0 the
  deadline is the quarter end itself, or the next working day when the quarter ends on a
  day off. Reports are on time until the end of the deadline day (local time).
- Reminders H-d for each configured offset d [7, 3, 1] fall d calendar days before the quarter
  end at the reminder time [08:00 local]; one that falls on a day off moves to the previous
  working day. If two reminders then share a day, only the one closest to the quarter end
  is kept (one message a day is enough).
- A last call ("deadline") at the reminder time on the deadline day; the late list for
  leadership and admins ("late-list") on the first working day after the deadline; overdue
  nudges ("overdue-YYYY-MM-DD") every N working days after the deadline [2] until the
  quarter is locked (the lock is data, not calendar: callers stop asking then).
- The reporting window of a quarter opens at 00:00 local on the day of its first reminder
  and lasts until the next quarter's window opens; `reporting_quarter(at)` names the quarter
  a PIC reports on at a given moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from babel.dates import format_date
from jinja2 import Environment

from bot.text import formatting
from bot.text.render import text_environment

if TYPE_CHECKING:
    from bot.config import Settings

KIND_DEADLINE = "deadline"
KIND_LATE_LIST = "late-list"
OVERDUE_PREFIX = "overdue-"
HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


def h_kind(offset: int) -> str:
    """Reminder kind of the H-`offset` reminder, e.g. "h-7"."""
    return f"h-{offset}"


def overdue_kind(day: date) -> str:
    """Reminder kind of the overdue nudge on `day`, e.g. "overdue-2020-04-09"."""
    return f"{OVERDUE_PREFIX}{day.isoformat()}"


def weekday_date(value: date, lang: str = "id") -> str:
    """`Minggu 22 Maret 2020`: the weekday spelled out, then the long date."""
    return f"{format_date(value, 'EEEE', locale=_locale(lang))} {formatting.long_date(value, lang)}"


def short_date(value: date, lang: str = "id") -> str:
    """`9 Apr 2020`, for lists of many dates."""
    return format_date(value, "d MMM y", locale=_locale(lang))


def _locale(lang: str) -> str:
    return formatting.LOCALES.get(lang, "id_ID")


@lru_cache(maxsize=4)
def _text_environment(lang: str) -> Environment:
    """The project's template environment without HTML escaping, for terminal text and labels."""
    env = text_environment(lang).overlay()
    env.filters = {**env.filters,  # a copy: an overlay shares the parent's filter dict
                   "weekday_date": lambda v: weekday_date(v, lang), "short_date": lambda v: short_date(v, lang)}
    return env


def render_text(name: str, lang: str = "id", **context: Any) -> str:
    """Render templates/<lang>/<name>.j2 as plain text (no HTML escaping)."""
    return _text_environment(lang).get_template(f"{name}.j2").render(**context).strip()


def _labels(lang: str) -> Any:
    """The macros of templates/<lang>/reminder_labels.j2, callable from Python."""
    return _text_environment(lang).get_template("reminder_labels.j2").module


@dataclass(frozen=True)
class DayOff:
    """Why a date is not a working day: kind is holiday / cuti-bersama / agency / weekend."""

    kind: str
    name: str


@lru_cache(maxsize=32)
def _national_days_off(year: int, language: str, cuti_bersama: bool) -> tuple[tuple[date, DayOff], ...]:
    """Indonesia's holidays (and cuti bersama) of a year. The same for every calendar and slow to build
    (about 10 ms each time), while handlers make a calendar per update: built once per process."""
    found: dict[date, DayOff] = {}
    if cuti_bersama:
        joint = holidays.country_holidays("ID", years=year, categories=("government",), language=language)
        found.update({d: DayOff("cuti-bersama", name) for d, name in joint.items()})
    public = holidays.country_holidays("ID", years=year, language=language)
    found.update({d: DayOff("holiday", name) for d, name in public.items()})
    return tuple(found.items())


@dataclass(frozen=True)
class ReminderSlot:
    """One scheduled moment of a quarter's reporting cycle."""

    kind: str  # h-7 / h-3 / h-1 / deadline / late-list / overdue-YYYY-MM-DD
    date: date
    time: time
    local: datetime
    utc: datetime
    reason: str
    nominal: date  # the date before it was moved off a day off
    year: int
    quarter: int

    @property
    def moved(self) -> bool:
        return self.nominal != self.date

    def as_json(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "time": self.time.strftime("%H:%M"), "kind": self.kind}


class ReportingCalendar:
    """Working days, deadlines and reminder slots in the agency's time zone."""

    def __init__(
        self,
        *,
        tz: str | ZoneInfo = "Asia/Jakarta",
        deadline_working_days: int = 5,
        reminder_offsets_days: Iterable[int] = (7, 3, 1),
        reminder_time: time = time(8, 0),
        overdue_every_working_days: int = 2,
        extra_days_off: Iterable[date] = (),
        cuti_bersama: bool = True,
        lang: str = "id",
    ) -> None:
        if deadline_working_days < 0:
            raise ValueError("deadline_working_days must be >= 0")
        if overdue_every_working_days < 1:
            raise ValueError("overdue_every_working_days must be >= 1")
        offsets = sorted(set(reminder_offsets_days), reverse=True)
        if any(d < 1 for d in offsets):
            raise ValueError("reminder offsets must be >= 1 day")
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.deadline_working_days = deadline_working_days
        self.reminder_offsets_days = offsets
        self.reminder_time = reminder_time
        self.overdue_every_working_days = overdue_every_working_days
        self.extra_days_off = frozenset(extra_days_off)
        self.cuti_bersama = cuti_bersama
        self.lang = lang
        self._days_off: dict[int, dict[date, DayOff]] = {}
        # Per quarter, computed once: a calendar never changes after it is made (from_settings shares one).
        self._deadlines: dict[tuple[int, int], date] = {}
        self._window_starts: dict[tuple[int, int], datetime] = {}

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ReportingCalendar:
        """A calendar with the configured values (keyword overrides win)."""
        values: dict[str, Any] = {
            "tz": settings.tz,
            "deadline_working_days": settings.report_deadline_working_days,
            "reminder_offsets_days": settings.reminder_offsets_days,
            "reminder_time": settings.reminder_time,
            "overdue_every_working_days": settings.overdue_every_working_days,
            "extra_days_off": settings.extra_days_off,
            "lang": settings.language,
        }
        values.update(overrides)
        # Every handler asks for the calendar; the same settings give the same (shared, unchanging) one.
        return _shared_calendar(cls, tuple(sorted((k, _hashable(v)) for k, v in values.items())))

    # -- quarters ---------------------------------------------------------------------------

    @staticmethod
    def quarter_start(year: int, quarter: int) -> date:
        _check_quarter(quarter)
        return date(year, 3 * quarter - 2, 1)

    @staticmethod
    def quarter_end(year: int, quarter: int) -> date:
        _check_quarter(quarter)
        if quarter == 4:
            return date(year, 12, 31)
        return date(year, 3 * quarter + 1, 1) - timedelta(days=1)

    @staticmethod
    def quarter_of(day: date) -> tuple[int, int]:
        """(year, quarter) that contains `day`."""
        return day.year, (day.month - 1) // 3 + 1

    @staticmethod
    def next_quarter(year: int, quarter: int) -> tuple[int, int]:
        return (year + 1, 1) if quarter == 4 else (year, quarter + 1)

    @staticmethod
    def previous_quarter(year: int, quarter: int) -> tuple[int, int]:
        return (year - 1, 4) if quarter == 1 else (year, quarter - 1)

    # -- working days -----------------------------------------------------------------------

    def _year_days_off(self, year: int) -> dict[date, DayOff]:
        """Holidays, cuti bersama and agency days off of one year (weekends are not listed)."""
        if year not in self._days_off:
            found = dict(_national_days_off(year, HOLIDAY_LANGUAGES.get(self.lang, "id"), self.cuti_bersama))
            for d in self.extra_days_off:
                if d.year == year and d not in found:
                    found[d] = DayOff("agency", "")
            self._days_off[year] = found
        return self._days_off[year]

    def day_off(self, day: date) -> DayOff | None:
        """Why `day` is not a working day (a holiday name wins over the weekend), or None."""
        found = self._year_days_off(day.year).get(day)
        if found:
            return found
        if day.weekday() >= 5:
            return DayOff("weekend", format_date(day, "EEEE", locale=_locale(self.lang)))
        return None

    def day_off_reason(self, day: date) -> str | None:
        """The day off's name ("Hari Suci Nyepi", "Sabtu", "Cuti bersama"); None on a working day."""
        off = self.day_off(day)
        return None if off is None else str(_labels(self.lang).day_off(off.kind, off.name)).strip()

    def is_working_day(self, day: date) -> bool:
        # day_off without naming the weekday: this runs for every day a deadline or window steps over.
        return day.weekday() < 5 and day not in self._year_days_off(day.year)

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n < 0); `day` itself is not counted."""
        step = timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before `day`."""
        return self.add_working_days(day, -1)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def working_day_on_or_before(self, day: date) -> date:
        return day if self.is_working_day(day) else self.previous_working_day(day)

    def days_off_between(self, start: date, end: date) -> list[tuple[date, DayOff]]:
        """Days off in [start, end], in order."""
        found = []
        day = start
        while day <= end:
            off = self.day_off(day)
            if off:
                found.append((day, off))
            day += timedelta(days=1)
        return found

    # -- deadlines and reminders ------------------------------------------------------------

    def deadline(self, year: int, quarter: int) -> date:
        """Last day to report on time (TW IV's falls in the next year)."""
        found = self._deadlines.get((year, quarter))
        if found is None:
            found = self._deadlines[(year, quarter)] = self._deadline(year, quarter)
        return found

    def _deadline(self, year: int, quarter: int) -> date:
        end = self.quarter_end(year, quarter)
        if self.deadline_working_days == 0:
            return end if self.is_working_day(end) else self.next_working_day(end)
        return self.add_working_days(end, self.deadline_working_days)

    def deadline_end(self, year: int, quarter: int) -> datetime:
        """The first instant (UTC) after the deadline day: a report at or after it is late."""
        local = datetime.combine(self.deadline(year, quarter) + timedelta(days=1), time(0), tzinfo=self.tz)
        return local.astimezone(UTC)

    def late_list_date(self, year: int, quarter: int) -> date:
        """First working day after the deadline: leadership and admins get the late list."""
        return self.next_working_day(self.deadline(year, quarter))

    def _slot(self, year: int, quarter: int, kind: str, day: date, *, nominal: date | None = None,
              **reason: Any) -> ReminderSlot:
        local = datetime.combine(day, self.reminder_time, tzinfo=self.tz)
        nominal = nominal or day
        moved_off = self.day_off(nominal) if nominal != day else None
        text = _labels(self.lang).slot_reason(
            kind=kind, year=year, quarter=quarter, day=day, nominal=nominal,
            moved_kind=moved_off.kind if moved_off else "", moved_name=moved_off.name if moved_off else "",
            quarter_end=self.quarter_end(year, quarter), deadline=self.deadline(year, quarter),
            deadline_working_days=self.deadline_working_days,
            overdue_every=self.overdue_every_working_days, **reason,
        )
        return ReminderSlot(kind=kind, date=day, time=self.reminder_time, local=local,
                            utc=local.astimezone(UTC), reason=str(text).strip(), nominal=nominal,
                            year=year, quarter=quarter)

    def reminder_slots(self, year: int, quarter: int) -> list[ReminderSlot]:
        """H-d reminders before the quarter end (moved off days off) and the deadline-day last call."""
        end = self.quarter_end(year, quarter)
        by_day: dict[date, ReminderSlot] = {}
        for offset in self.reminder_offsets_days:  # largest first: a later, closer one replaces it
            nominal = end - timedelta(days=offset)
            day = self.working_day_on_or_before(nominal)
            by_day[day] = self._slot(year, quarter, h_kind(offset), day, nominal=nominal, offset=offset)
        deadline = self.deadline(year, quarter)
        skipped = self.days_off_between(end + timedelta(days=1), deadline)
        last_call = self._slot(year, quarter, KIND_DEADLINE, deadline, skipped=skipped)
        return [*sorted(by_day.values(), key=lambda s: s.date), last_call]

    def late_list_slot(self, year: int, quarter: int) -> ReminderSlot:
        return self._slot(year, quarter, KIND_LATE_LIST, self.late_list_date(year, quarter))

    def _overdue_days(self, year: int, quarter: int, until: date) -> list[date]:
        days = []
        day = self.add_working_days(self.deadline(year, quarter), self.overdue_every_working_days)
        while day <= until:
            days.append(day)
            day = self.add_working_days(day, self.overdue_every_working_days)
        return days

    def overdue_slots(self, year: int, quarter: int, until: date) -> list[ReminderSlot]:
        """Overdue nudges every N working days after the deadline, up to and including `until`."""
        return [self._slot(year, quarter, overdue_kind(d), d) for d in self._overdue_days(year, quarter, until)]

    def latest_overdue_slot(self, year: int, quarter: int, at: datetime) -> ReminderSlot | None:
        """The last overdue nudge whose time has come at `at` (None before the first one)."""
        for day in reversed(self._overdue_days(year, quarter, self.local_date(at))):
            slot = self._slot(year, quarter, overdue_kind(day), day)
            if slot.utc <= at:
                return slot
        return None

    def calendar_slots(self, year: int, quarter: int) -> list[ReminderSlot]:
        """Every slot of a quarter in time order: reminders, last call, late list and the overdue
        nudges until the next quarter's window opens (they go on while the quarter is unlocked)."""
        next_window = self.window_start(*self.next_quarter(year, quarter))
        last_day = (next_window - timedelta(days=1)).date()
        slots = [*self.reminder_slots(year, quarter), self.late_list_slot(year, quarter),
                 *self.overdue_slots(year, quarter, last_day)]
        return sorted(slots, key=lambda s: s.utc)

    # -- reporting windows ------------------------------------------------------------------

    def window_start(self, year: int, quarter: int) -> datetime:
        """00:00 local on the day of the quarter's first reminder (the quarter end without reminders)."""
        found = self._window_starts.get((year, quarter))
        if found is None:
            found = self._window_starts[(year, quarter)] = self._window_start(year, quarter)
        return found

    def _window_start(self, year: int, quarter: int) -> datetime:
        end = self.quarter_end(year, quarter)
        first = min((self.working_day_on_or_before(end - timedelta(days=d)) for d in self.reminder_offsets_days),
                    default=end)
        return datetime.combine(first, time(0), tzinfo=self.tz)

    def window(self, year: int, quarter: int) -> tuple[datetime, datetime]:
        """[start, end) in local time: from the first reminder day to the next quarter's window."""
        return self.window_start(year, quarter), self.window_start(*self.next_quarter(year, quarter))

    def reporting_quarter(self, at: datetime) -> tuple[int, int]:
        """(year, quarter) a PIC reports on at `at`: the quarter whose window contains it."""
        if at.tzinfo is None:
            raise ValueError("reporting_quarter needs an aware datetime")
        year, quarter = self.quarter_of(at.astimezone(self.tz).date())
        if at >= self.window_start(year, quarter):
            return year, quarter
        return self.previous_quarter(year, quarter)

    def in_window(self, year: int, quarter: int, at: datetime) -> bool:
        start, end = self.window(year, quarter)
        return start <= at < end

    def is_late(self, year: int, quarter: int, at: datetime) -> bool:
        """True when a report made at `at` is after the deadline day."""
        return at >= self.deadline_end(year, quarter)

    def local_date(self, at: datetime) -> date:
        """The agency's calendar date at the aware moment `at`."""
        return at.astimezone(self.tz).date()

    # -- the year's calendar ----------------------------------------------------------------

    def year_calendar(self, year: int) -> dict[str, Any]:
        """The calendar of a year as `rapk calendar YEAR --json` prints it."""
        return {
            "year": year,
            "quarters": [
                {
                    "quarter": q,
                    "end": self.quarter_end(year, q).isoformat(),
                    "deadline": self.deadline(year, q).isoformat(),
                    "reminders": [s.as_json() for s in self.calendar_slots(year, q)],
                }
                for q in range(1, 5)
            ],
        }


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, set | frozenset):
        return frozenset(value)
    return value


@lru_cache(maxsize=16)
def _shared_calendar(cls: type[ReportingCalendar], values: tuple[tuple[str, Any], ...]) -> ReportingCalendar:
    return cls(**dict(values))


def _check_quarter(quarter: int) -> None:
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4, not {quarter!r}")


__all__ = [
    "KIND_DEADLINE", "KIND_LATE_LIST", "OVERDUE_PREFIX", "DayOff", "ReminderSlot", "ReportingCalendar",
    "h_kind", "overdue_kind", "render_text", "short_date", "weekday_date",
]
