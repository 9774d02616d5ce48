"""pytest fixture `fake_telegram`: a started FakeTelegram; the test fails on any API violation.

Registered as a pytest plugin by the `pytest11` entry point: installing this package provides it.
"""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from fake_telegram.server import FakeTelegram


@contextlib.asynccontextmanager
async def checked_fake_telegram(**options: Any) -> AsyncIterator[FakeTelegram]:
    """A started FakeTelegram; on exit, fail the running test if the bot broke the API."""
    fake = FakeTelegram(**options)
    async with fake:
        yield fake
    if fake.violations:
        pytest.fail(fake.violations_report(), pytrace=False)


@pytest_asyncio.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1 for this test; violations fail the test at teardown."""
    async with checked_fake_telegram() as fake:
        yield fake
