"""Injectable time: the bot asks a clock, never datetime.now(), so calendar tests are exact."""

from datetime import UTC
from datetime import datetime
from datetime import timedelta


class SystemClock:
    """Real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """Time that moves only when told to (tests, demo)."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)

    def advance(self, **delta) -> datetime:
        self._now += timedelta(**delta)
        return self._now
