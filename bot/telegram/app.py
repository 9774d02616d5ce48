"""Builds the python-telegram-bot Application: defaults, rate limiter, persistence, services (bot.main attaches handlers and jobs)."""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from sqlalchemy import Engine
from telegram import BotCommand
from telegram import BotCommandScopeAllPrivateChats
from telegram import BotCommandScopeChat
from telegram import MenuButtonWebApp
from telegram import Update
from telegram import WebAppInfo
from telegram.constants import ChatType
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import ApplicationBuilder
from telegram.ext import BaseRateLimiter
from telegram.ext import BaseUpdateProcessor
from telegram.ext import Defaults

from bot.clock import SystemClock
from bot.config import Settings
from bot.config import redact
from bot.db import make_engine
from bot.db import migrate
from bot.domain.calendar import ReportingCalendar
from bot.telegram import commands
from bot.telegram.http import AiohttpRequest
from bot.telegram.persistence import DatabasePersistence
from bot.telegram.persistence import DurableUpdateQueue
from bot.telegram.ratelimit import ReplyFirstRateLimiter
from bot.telegram.ratelimit import replying_to
from bot.telegram.services import ALL
from bot.telegram.services import DISPATCHER
from bot.telegram.services import SERVICES_KEY
from bot.telegram.services import UPDATES
from bot.telegram.services import Services
from bot.text.render import labels

log = logging.getLogger("rapk.app")

# The bulk limiter's burst and pace are this share of the allowed rate. With one process at exactly the fake's
# 30/s token bucket, bench/kabupaten_bench.py saw 218 answers 429 in 3,000 sends and 0.91 of the cap; with the
# slack none, and 0.98 (README «A kabupaten on one machine»).
RATE_HEADROOM = 0.97


class TokenRedactingFilter(logging.Filter):
    """Never log the bot token: PTB and HTTP clients put it in request URLs."""

    def __init__(self, token: str | None = None):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message, self.token)
        if redacted != message:
            record.msg, record.args = redacted, None
        # Tracebacks carry the token too (in URLs and exception text): format and redact them here,
        # the formatter then uses the cached text.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def setup_logging(level: str = "INFO", token: str | None = None) -> None:
    """One line per event; the token is redacted on every handler."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # "Context impl SQLiteImpl" at every start
    redactor = TokenRedactingFilter(token)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenRedactingFilter) for f in handler.filters):
            handler.addFilter(redactor)


def describe_update(update: object) -> str:
    if not isinstance(update, Update):
        return type(update).__name__
    kind = "callback" if update.callback_query else "message" if update.effective_message else "update"
    user = update.effective_user.id if update.effective_user else "-"
    chat = update.effective_chat.id if update.effective_chat else "-"
    return f"update={update.update_id} kind={kind} user={user} chat={chat}"


class RapkApplication(Application):
    """Logs one line per update with its duration and writes persistence right after it; what the
    handlers send to the private chat of the update counts as a reply (bot/telegram/ratelimit.py)."""

    async def initialize(self) -> None:
        try:
            await super().initialize()
        except BaseException:
            # getMe failed (Telegram unreachable, token rejected): PTB leaves the HTTP sessions open.
            await self.bot.shutdown()
            raise

    async def process_update(self, update: object) -> None:
        started = time.perf_counter()
        chat = update.effective_chat if isinstance(update, Update) else None
        try:
            with replying_to(chat.id if chat is not None and chat.type == ChatType.PRIVATE else None):
                await super().process_update(update)
        finally:
            # Conversation state and user_data reach the database before the user's next update,
            # so a restart resumes where the user stopped; then the update leaves the inbox.
            if isinstance(self.persistence, DatabasePersistence) and isinstance(update, Update):
                user_id = update.effective_user.id if update.effective_user else None
                with self.persistence.batch():  # one commit for all of it, in the persistence's writer thread
                    await self.update_persistence()
                    await self.persistence.finish_update(update_id=update.update_id, user_id=user_id,
                                                         user_data=self.user_data.get(user_id) if user_id else None)
            elif self.persistence:
                await self.update_persistence()
            log.info("%s handled in %.1f ms", describe_update(update), (time.perf_counter() - started) * 1000)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; updates of one chat run in order.

    Three hundred PICs reporting at once are not queued behind each other, while one PIC's
    double tap or two devices are handled one after the other (so a conversation never races).
    """

    def __init__(self, max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine) -> None:
        key = None
        if isinstance(update, Update):
            key = update.effective_chat.id if update.effective_chat else (
                update.effective_user.id if update.effective_user else None)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


# Every kind of update, chat_member included (Telegram leaves it out unless asked): the bot learns
# who is in the leadership group from it. Polling (rapk run), the webhook and the tests all ask this.
ALLOWED_UPDATES = Update.ALL_TYPES


def command_menu(scope: str, lang: str) -> list[BotCommand]:
    """One menu of the commands table (bot/telegram/commands.py), described by
    templates/<lang>/command_descriptions.j2."""
    descriptions = labels("command_descriptions", lang)
    return [BotCommand(name, descriptions[name]) for name in commands.menu(scope)]


async def set_person_menu(bot, telegram_user_id: int, *, admin: bool, lang: str, verifier: bool = False,
                          kabupaten: str | None = None) -> bool:
    """One person's command menu by their role: the admin menu in an admin's chat, the verifier menu (the
    PIC menu and /verifikasi) in a verifier's; anyone else gets the PIC menu of all private chats (a chat
    menu left from an earlier role is removed). Called at start-up for every admin, when someone reaches
    the bot (/start, an invite) and when an admin or verifier grant changes. False when Telegram refused:
    someone who never started the bot has no chat yet, their /start sets it. `kabupaten` (KABUPATEN_MENU or
    KABUPATEN_ADMIN_MENU): the kabupaten role's menu, for someone who is neither an OPD admin nor a verifier."""
    scope = BotCommandScopeChat(telegram_user_id)
    try:
        if admin or verifier or kabupaten:
            menu = commands.ADMIN_MENU if admin else commands.VERIFIER_MENU if verifier else kabupaten
            await bot.set_my_commands(command_menu(menu, lang), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as exc:
        log.info("command menu of %s not set: %s", telegram_user_id, exc)
        return False
    return True


async def set_command_menus(application: Application) -> None:
    """PIC commands in private chats, admin commands for admins, summary commands in the leadership group."""
    services: Services = application.bot_data[SERVICES_KEY]
    settings, bot = services.settings, application.bot
    lang = services.lang
    await bot.set_my_commands(command_menu(commands.PIC_MENU, lang), scope=BotCommandScopeAllPrivateChats())
    if settings.webapp_url:
        # The menu button of private chats opens the Mini App (the page answers each person by their role).
        from bot.text.render import labels

        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(
            labels("reminder_buttons", lang)["open_form"], WebAppInfo(settings.webapp_url)))
    from bot.domain.people import admin_telegram_ids  # local: avoids a cycle at import time

    ids = await services.db(admin_telegram_ids, config_ids=settings.admin_telegram_ids)
    for admin_id in ids:
        await set_person_menu(bot, admin_id, admin=True, lang=lang)
    if settings.leadership_chat_id:
        try:
            await bot.set_my_commands(command_menu(commands.LEADERSHIP_MENU, lang),
                                      scope=BotCommandScopeChat(settings.leadership_chat_id))
        except TelegramError as exc:
            log.warning("leadership menu not set: %s", exc)


async def post_init(application: Application) -> None:
    """Start-up work: remember the bot's username, load the holidays, set the command menus, queue what a
    killed process left unhandled, let conversations re-ask what they may not have asked, schedule the jobs."""
    services: Services = application.bot_data[SERVICES_KEY]
    services.bot_username = application.bot.username or services.settings.telegram_bot_username or ""
    # Load this year's holidays now (0.3 s the first time, once per process): otherwise the first burst
    # of updates after a start pays for it, every waiting handler thread at once.
    ReportingCalendar.from_settings(services.settings).is_working_day(services.now().date())
    if services.role != DISPATCHER:  # a dispatcher neither answers updates nor resumes conversations
        await set_command_menus(application)
        if isinstance(application.update_queue, DurableUpdateQueue):
            await application.update_queue.replay(application.bot)
        for resume in services.on_restart:
            await resume(application)
    if services.run_jobs and services.schedule_jobs:
        services.schedule_jobs(application)
    log.info("bot @%s ready (language %s, zone %s, role %s)", services.bot_username, services.lang,
             services.settings.timezone, services.role)


async def run_dispatcher(application: Application) -> None:
    """`rapk run --role dispatcher`: no polling, no web server, only the jobs (the outbox dispatch) until
    SIGTERM or SIGINT. The stop is clean as for the bot: the running dispatch stops claiming, marks what is in
    flight and releases the rest (post_shutdown releases this worker's claims once more)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await application.initialize()
    try:
        await post_init(application)
        await application.start()
        await stop.wait()
    finally:
        if application.running:
            await application.stop()  # JobQueue.stop waits for the running dispatch
        await application.shutdown()
        await post_shutdown(application)


async def post_shutdown(application: Application) -> None:
    """Hand back this worker's unsent outbox claims, then release the database pool."""
    services: Services = application.bot_data[SERVICES_KEY]
    from bot.domain.outbox import release_claims  # local: keeps start-up imports small

    try:
        await services.db(release_claims, worker_id=services.worker_id)
    finally:
        services.engine.dispose()


def api_urls(settings) -> tuple[str, str]:
    """The Bot API and file URLs for TELEGRAM_BASE_URL (a local Bot API server or the fake)."""
    base = settings.telegram_base_url.rstrip("/")
    return (base + "/bot" if not base.endswith("/bot") else base), base.removesuffix("/bot") + "/file/bot"


def build_runtime(settings: Settings, *, engine: Engine | None = None, clock=None,
                  read_timeout: float | None = None, rate_limiter: bool | BaseRateLimiter = True,
                  worker_id: str | None = None, run_jobs: bool = True,
                  schedule_jobs: Callable[[Application], None] | None = None, role: str = ALL) -> Application:
    """The PTB Application with its services and no handler yet (bot.main attaches them).

    `rate_limiter`: True for production's (ReplyFirstRateLimiter), False for none, or one to use. `role`:
    bot.telegram.services ALL, UPDATES or DISPATCHER (no persistence: it handles no update, and writing back
    the conversations it loaded at start would overwrite the serving process's newer ones).
    """
    if settings.telegram_bot_token is None:
        from bot.config import ConfigError

        raise ConfigError("configuration error: TELEGRAM_BOT_TOKEN: required to run the bot")
    engine = engine or make_engine(settings.database_url)
    migrate(engine)
    token = settings.telegram_bot_token.get_secret_value()
    persistence = DatabasePersistence(engine) if role != DISPATCHER else None
    builder = (
        ApplicationBuilder()
        .application_class(RapkApplication)
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.tz,
                           link_preview_options=None))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .concurrent_updates(PerChatUpdateProcessor())
    )
    if persistence is not None:
        builder = builder.persistence(persistence).update_queue(DurableUpdateQueue(persistence))
    if rate_limiter is True:
        # A dispatching process sends the outbox at its share of the cap; an UPDATES one only replies and
        # sends the odd notice or digest, at the whole cap. Paced a little under it (RATE_HEADROOM): at exactly
        # Telegram's rate every early arrival is refused with a whole second's 429.
        rate = settings.telegram_max_messages_per_second if role == UPDATES else settings.dispatch_rate
        paced = rate * RATE_HEADROOM
        # Burst and pace both under Telegram's: a burst of the whole cap empties its bucket, and the next early
        # arrival is refused. Below 1 message/s aiolimiter could not take a single send: no headroom there.
        rate_limiter = ReplyFirstRateLimiter(overall_max_rate=paced if paced >= 1 else rate, max_retries=3)
    if rate_limiter:
        builder = builder.rate_limiter(rate_limiter)
    if settings.telegram_base_url:
        base_url, base_file_url = api_urls(settings)
        builder = builder.base_url(base_url).base_file_url(base_file_url)
    timeouts = {} if read_timeout is None else {"read_timeout": read_timeout, "write_timeout": read_timeout,
                                                "connect_timeout": read_timeout}
    flush = {"before_request": persistence.flush_inbox} if persistence is not None else {}
    builder = builder.request(AiohttpRequest(**timeouts)).get_updates_request(
        AiohttpRequest(connection_pool_size=1, **flush, **timeouts))
    application = builder.build()
    application.bot_data[SERVICES_KEY] = Services(
        settings=settings, engine=engine, clock=clock or SystemClock(),
        bot_username=settings.telegram_bot_username or "",
        worker_id=worker_id or f"bot-{uuid.uuid4().hex[:8]}", run_jobs=run_jobs,
        schedule_jobs=schedule_jobs, role=role,
    )
    return application
