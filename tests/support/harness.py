"""End-to-end harness: the real Application, polling a local fake Bot API server over HTTP."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram.ext import Application

from bot.clock import ManualClock
from bot.config import load_settings
from bot.db import make_engine
from bot.main import build_application
from bot.telegram.app import ALLOWED_UPDATES
from tests.support.watchdog import LoopWatchdog

ADMIN_ID = 1001
LEADER_ID = 2001
PIC_ID = 3001
PIC2_ID = 3002
STRANGER_ID = 9001
LEADERSHIP_CHAT = -100500
OTHER_GROUP = -100600
WIB = ZoneInfo("Asia/Jakarta")


class BotHarness:
    """Starts, stops and restarts the real bot against `fake`, on the test database and a manual clock."""

    def __init__(self, fake, db_url: str, *, now: datetime | None = None, **settings_overrides):
        self.fake = fake
        self.db_url = db_url
        self.clock = ManualClock(now or datetime(2020, 6, 23, 9, 0, tzinfo=WIB))
        settings_overrides = {"admin_telegram_ids": [ADMIN_ID], "leadership_chat_id": LEADERSHIP_CHAT,
                              **settings_overrides}
        self.settings = load_settings(
            telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=db_url, _env_file=None,
            **settings_overrides,
        )
        self.engine = make_engine(db_url)
        self.app: Application | None = None
        self._watchdog: LoopWatchdog | None = None

    async def start(self) -> Application:
        app = build_application(self.settings, engine=self.engine, clock=self.clock, read_timeout=2,
                                run_jobs=False)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        self.fake.attach(app)
        self.app = app
        if self._watchdog is None:
            self._watchdog = LoopWatchdog(asyncio.get_running_loop()).start()
        return app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        if self._watchdog is not None:
            self._watchdog.stop()
            self._watchdog = None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()  # writes persistence one last time
        self.engine.dispose()  # as post_shutdown does: its connections close now, not when collected

    async def restart(self) -> Application:
        """Stop and start a fresh Application on the same database: nothing in memory survives."""
        await self.stop()
        self.engine = make_engine(self.db_url)
        return await self.start()

    @property
    def services(self):
        return self.app.bot_data["services"]


def add_people(fake) -> None:
    """The cast of the end-to-end tests, known to the fake Telegram."""
    fake.add_user(ADMIN_ID, "Admin", username="admin_perencanaan")
    fake.add_user(LEADER_ID, "Kepala", username="kaban")
    fake.add_user(PIC_ID, "Budi", username="budi")
    fake.add_user(PIC2_ID, "Sari", username="sari")
    fake.add_user(STRANGER_ID, "Tamu", username="tamu")
    fake.add_group(LEADERSHIP_CHAT, "Pimpinan BKD", [LEADER_ID, ADMIN_ID])
    fake.add_group(OTHER_GROUP, "Grup Lain", [PIC_ID, STRANGER_ID])


def forge_press(fake, user_id: int, message: dict, callback_data: str) -> dict:
    """A button press with callback data the bot never offered (a forged or replayed callback)."""
    return fake.press_button(user_id, message, callback_data, forge=True)


async def said(fake, user: int, text: str | None = None, press: str | None = None) -> str:
    """`user` types `text` (a /command or an answer) or taps `press`; the texts the bot sent back, joined."""
    before = len(fake.messages_to(user))
    if text is not None:
        fake.send_command(user, text) if text.startswith("/") else fake.send_message(user, text)
    else:
        fake.press(user, press)
    await fake.wait_idle()
    return "\n---\n".join(m.get("text") or "" for m in fake.messages_to(user)[before:])
