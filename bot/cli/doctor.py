"""`rapk doctor`: what is wrong with this installation, and how to fix it."""

import asyncio
import logging
from collections.abc import Iterator

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.config import ConfigError
from bot.config import load_settings
from bot.db import alembic_config
from bot.db import make_engine

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
    # PTB logs what it cannot parse with a traceback; the doctor reports each failure in one line itself.
    logging.getLogger("telegram").setLevel(logging.CRITICAL)
    yield from asyncio.run(_telegram_checks(settings))
    if not settings.admin_telegram_ids:
        yield False, "ADMIN_TELEGRAM_IDS is empty", "put your Telegram user id in .env so you can manage the bot"


async def _telegram_checks(settings) -> list[Check]:
    from telegram import Bot
    from telegram.error import InvalidToken

    from bot.config import redact

    kwargs = {}
    if settings.telegram_base_url:
        base = settings.telegram_base_url.rstrip("/")
        kwargs["base_url"] = base if base.endswith("/bot") else base + "/bot"
    results: list[Check] = []
    token = settings.telegram_bot_token.get_secret_value()
    bot = Bot(token, **kwargs)
    try:
        return await _bot_checks(bot, settings, results)
    except InvalidToken:
        results.append((False, "token rejected by Telegram", "check TELEGRAM_BOT_TOKEN (from @BotFather)"))
    except Exception as exc:  # noqa: BLE001 - unreachable, a wrong URL, an answer that is not the Bot API
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        results.append((False, redact(f"Telegram unreachable or answering wrongly: {first}", token),
                        "check TELEGRAM_BASE_URL (http://host:port) and the network"))
    finally:
        await bot.shutdown()
    return results


async def _bot_checks(bot, settings, results: list[Check]) -> list[Check]:
    from telegram.error import TelegramError

    await bot.initialize()
    results.append((True, f"token works: the bot is @{bot.username}", ""))
    if settings.leadership_chat_id:
        try:
            chat = await bot.get_chat(settings.leadership_chat_id)
            results.append((True, f"leadership chat: {chat.title or chat.id}", ""))
            me = await bot.get_chat_member(settings.leadership_chat_id, bot.id)
            admin = me.status in ("administrator", "creator")
            results.append((admin, f"the bot is {'an admin' if admin else 'not an admin'} of the leadership chat",
                            "make it an admin of the group: only then does Telegram tell it who joins and leaves"))
        except TelegramError as exc:
            results.append((False, f"leadership chat {settings.leadership_chat_id} not reachable: {exc}",
                            "add the bot to the group, then set LEADERSHIP_CHAT_ID to the group's id"))
    else:
        results.append((False, "LEADERSHIP_CHAT_ID is not set",
                        "add the bot to the leadership group and put the group's chat id in .env"))
    return results
