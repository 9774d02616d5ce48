"""Webhook mode: Telegram POSTs updates to the bot's aiohttp server; /healthz answers for monitoring."""

import asyncio
import socket

import aiohttp

from bot.config import load_settings
from bot.main import build_application
from bot.telegram.webhook import run_webhook
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_webhook_mode_answers_updates_and_reports_health(fake, db_url, small_plan):
    port = _free_port()
    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=db_url,
                             admin_telegram_ids=[ADMIN_ID], webhook_url=f"http://127.0.0.1:{port}/telegram",
                             webhook_secret_token="s3cret-token", _env_file=None)
    app = build_application(settings, run_jobs=False, read_timeout=5)
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(app, webhook_url=settings.webhook_url, listen="127.0.0.1", port=port,
                                             secret="s3cret-token", stop=stop))
    await fake.wait_for(lambda: fake.webhook is not None, timeout=10)
    assert fake.webhook["secret_token"] == "s3cret-token"

    fake.send_command(PIC_ID, "/start")
    reply = await fake.wait_for_message(PIC_ID, contains="Budi Santoso", timeout=10)
    assert "/lapor" in reply["text"]
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
            assert response.status == 200 and (await response.json())["ok"] is True
        # Without Telegram's secret header an update is refused.
        async with http.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 1}) as response:
            assert response.status == 403
    stop.set()
    await asyncio.wait_for(server, timeout=10)
