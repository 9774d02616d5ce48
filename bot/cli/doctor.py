"""`rapk doctor`: what is wrong with this installation, and how to fix it."""

import asyncio
from collections.abc import Iterator

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.config import ConfigError, load_settings
from bot.db import alembic_config, make_engine

Check = tuple[bool, str, str]


def run_checks() -> Iterator[Check]:
    try:
        settings = load_settings()
    except ConfigError as exc:
        yield False, str(exc), "fix the key in .env (see .env.example)"
        return
    yield True, "configuration is valid", ""
    engine = make_engine(settings.database_url)
    url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - report any connection failure
        yield False, f"database {url} unreachable: {exc}".splitlines()[0], \
            "check DATABASE_URL, that the server runs and the user may connect"
        return
    yield True, f"database {url} reachable", ""
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    yield (current == head, f"schema at migration {current or 'none'} (newest {head})",
           "run: rapk migrate")
    if settings.telegram_bot_token is None:
        yield False, "TELEGRAM_BOT_TOKEN is not set", "create a bot with @BotFather and put its token in .env"
        return
    yield from asyncio.run(_telegram_checks(settings))
    if not settings.admin_telegram_ids:
        yield False, "ADMIN_TELEGRAM_IDS is empty", "put your Telegram user id in .env so you can manage the bot"


async def _telegram_checks(settings) -> list[Check]:
    from telegram import Bot
    from telegram.error import TelegramError

    kwargs = {}
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        kwargs["base_url"] = base if base.endswith("/bot") else base + "/bot"
    results: list[Check] = []
    bot = Bot(settings.telegram_bot_token.get_secret_value(), **kwargs)
    try:
        await bot.initialize()
        results.append((True, f"token works: the bot is @{bot.username}", ""))
    except TelegramError as exc:
        results.append((False, f"token rejected or Telegram unreachable: {exc}",
                        "check TELEGRAM_BOT_TOKEN (from @BotFather) and TELEGRAM_BASE_URL"))
        return results
    if settings.leadership_chat_id:
        try:
            chat = await bot.get_chat(settings.leadership_chat_id)
            results.append((True, f"leadership chat: {chat.title or chat.id}", ""))
        except TelegramError as exc:
            results.append((False, f"leadership chat {settings.leadership_chat_id} not reachable: {exc}",
                            "add the bot to the group, then set LEADERSHIP_CHAT_ID to the group's id"))
    else:
        results.append((False, "LEADERSHIP_CHAT_ID is not set",
                        "add the bot to the leadership group and put the group's chat id in .env"))
    await bot.shutdown()
    return results
