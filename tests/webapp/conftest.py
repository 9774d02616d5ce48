import pytest

from tests.support.harness import BotHarness
from tests.support.webapp import WEBAPP_URL
from tests.support.webapp import WebApp


@pytest.fixture
async def webapp(fake, db_url, small_plan):
    """The real bot with WEBAPP_URL set and its web server listening, on the small plan (23 June 2020)."""
    harness = BotHarness(fake, db_url, webapp_url=WEBAPP_URL)
    await harness.start()
    served = await WebApp(harness).start()
    yield served
    await served.stop()
    await harness.stop()
