"""Polling mode with WEBAPP_URL set: `rapk run`'s loop serves the Mini App on WEBHOOK_LISTEN:WEBHOOK_PORT."""

import asyncio

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.config import load_settings
from bot.main import build_application
from bot.telegram.webhook import run_polling_with_web
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.webapp import WEBAPP_URL

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the server, not the database


async def test_polling_mode_serves_the_mini_app_and_answers_the_chat(fake, db_url, small_plan, unused_port):
    from datetime import datetime

    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=db_url,
                             webapp_url=WEBAPP_URL, webhook_port=unused_port, _env_file=None)
    app = build_application(settings, clock=ManualClock(datetime(2020, 6, 23, 9, 0, tzinfo=WIB)), run_jobs=False,
                            read_timeout=2)
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling_with_web(app, listen="127.0.0.1", port=unused_port, stop=stop))
    try:
        async with aiohttp.ClientSession() as http:
            deadline = asyncio.get_running_loop().time() + 20
            while True:  # until the server listens: each try is a refused connection, then a yield to the loop
                assert asyncio.get_running_loop().time() < deadline, "the web server never listened"
                try:
                    async with http.get(f"http://127.0.0.1:{unused_port}/webapp") as response:
                        page = await response.text()
                    break
                except aiohttp.ClientConnectorError:
                    await asyncio.sleep(0)  # yield to the server starting on this loop
                    if task.done():
                        task.result()
            assert "tgWebAppData" in page
            async with http.post(f"http://127.0.0.1:{unused_port}/webapp/api/page") as response:
                assert response.status == 401
        fake.attach(app)
        fake.send_command(PIC_ID, "/lapor")
        await fake.wait_idle()
        assert "TW II 2020" in fake.messages_to(PIC_ID)[-1]["text"]
    finally:
        stop.set()
        await task
