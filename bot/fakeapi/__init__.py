"""A fake Telegram Bot API server for end-to-end tests, fault tests, benchmarks and `rapk demo`."""

from bot.fakeapi.records import SentCall, SentFile, Stats, User, Violation
from bot.fakeapi.server import FakeTelegram
from bot.fakeapi.spec import ApiSpec, locate_spec

__all__ = ["ApiSpec", "FakeTelegram", "SentCall", "SentFile", "Stats", "User", "Violation", "locate_spec"]
