"""The error handler: a Telegram outage while polling is one log line per retry, anything else is a bug report."""

import logging

from telegram.error import NetworkError
from telegram.error import TimedOut

from tests.support.harness import ADMIN_ID


async def test_telegram_unreachable_while_polling_is_one_line_and_no_admin_notice(harness, fake, caplog):
    app = harness.app
    caplog.set_level(logging.INFO, logger="rapk.errors")
    before = len(fake.messages_to(ADMIN_ID))
    # What run_polling does with a failed getUpdates (rapk run): the application's error handlers get it.
    for error in (NetworkError("aiohttp.ClientConnectorError: Cannot connect to host"), TimedOut()):
        await app.process_error(update=None, error=error)
    records = [r for r in caplog.records if r.name == "rapk.errors"]
    assert [(r.levelname, r.exc_info) for r in records] == [("WARNING", None), ("WARNING", None)]
    assert "Telegram unreachable, trying again: aiohttp.ClientConnectorError" in records[0].getMessage()
    assert len(fake.messages_to(ADMIN_ID)) == before

    # A bug is still logged with its traceback, and the admins hear of it.
    await app.process_error(update=None, error=RuntimeError("boom"))
    bug = [r for r in caplog.records if r.name == "rapk.errors"][-1]
    assert bug.levelname == "ERROR" and bug.exc_info is not None
    notice = await fake.wait_for_message(ADMIN_ID, contains="RuntimeError: boom", since=0)
    assert notice is not None
