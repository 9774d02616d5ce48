"""A fake Telegram Bot API server for end-to-end tests, fault tests, benchmarks and `rapk demo`."""

from fake_telegram.records import SentCall, SentFile, Stats, User, Violation
from fake_telegram.server import FakeTelegram
from fake_telegram.spec import ApiSpec, locate_spec

__all__ = ["ApiSpec", "FakeTelegram", "SentCall", "SentFile", "Stats", "User", "Violation", "locate_spec"]
