"""A fake Telegram Bot API server for end-to-end tests, fault tests, benchmarks and `rapk demo`."""

from fake_telegram.records import SentCall
from fake_telegram.records import SentFile
from fake_telegram.records import Stats
from fake_telegram.records import User
from fake_telegram.records import Violation
from fake_telegram.server import FakeTelegram
from fake_telegram.spec import ApiSpec
from fake_telegram.spec import locate_spec

__all__ = ["ApiSpec", "FakeTelegram", "SentCall", "SentFile", "Stats", "User", "Violation", "locate_spec"]
