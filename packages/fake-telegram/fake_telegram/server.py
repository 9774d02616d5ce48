"""A fake Telegram Bot API server that the real python-telegram-bot Application talks to.

The bot is built with `.base_url(fake.base_url).base_file_url(fake.base_file_url)`; PTB then
POSTs to `<base_url><token>/<method>` and downloads from `<base_file_url><token>/<file_path>`.
Every request is checked against api.json and Telegram's content rules; a breach is recorded in
`violations` and answered as Telegram would (400 "Bad Request: ..."), so the bot sees the same
error it would get in production and the test fails afterwards.

Synchronisation never sleeps: every request, update and state change wakes the waiters
(`wait_for`, `wait_for_message`, `wait_idle`, long polls), which then re-check their condition.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import struct
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol

import aiohttp
from aiohttp import web

from fake_telegram import faults as flt
from fake_telegram import rules
from fake_telegram.records import SEND_METHODS
from fake_telegram.records import CallbackState
from fake_telegram.records import Event
from fake_telegram.records import Group
from fake_telegram.records import SentCall
from fake_telegram.records import SentFile
from fake_telegram.records import Stats
from fake_telegram.records import StoredFile
from fake_telegram.records import StoredMessage
from fake_telegram.records import User
from fake_telegram.records import Violation
from fake_telegram.rules import ApiError
from fake_telegram.rules import Rejected
from fake_telegram.spec import ApiSpec
from fake_telegram.spec import FileRef
from fake_telegram.tghtml import ParsedText
from fake_telegram.tghtml import utf16_len
from fake_telegram.transcript import render_transcript

if TYPE_CHECKING:
    from telegram.ext import Application
    from telegram.ext import ApplicationBuilder

log = logging.getLogger("rapk.fakeapi")

MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD = 50 * 1024 * 1024
# Update kinds Telegram leaves out unless asked for by allowed_updates.
NOT_DEFAULT_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message")
QUERY_TOO_OLD = ("Bad Request: query is too old and response timeout expired or query ID is invalid")
BLOCKED = "Forbidden: bot was blocked by the user"
HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n")
# The call being answered: each aiohttp request runs in its own task, so this is per request.
_CURRENT_CALL: ContextVar[SentCall | None] = ContextVar("fakeapi_current_call", default=None)


class Clock(Protocol):
    """What message dates are taken from (bot.clock.ManualClock fits)."""

    def now(self) -> datetime: ...


class _Changes:
    """Wakes waiters when something changes; firing is synchronous, so plain methods
    (send_message, block...) can fire without a task or a lock.

    A change in one chat (a request naming its chat_id) wakes the waiters of that chat and those
    waiting on everything; any other change wakes all. So 300 drivers each waiting for their own
    chat are not all woken by every message of the other 299."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()
        self._by_chat: dict[object, set[asyncio.Future[None]]] = {}

    def fire(self, chat: object = None) -> None:
        woken = [self._waiters]
        if chat is None:
            woken += self._by_chat.values()
        elif chat in self._by_chat:
            woken.append(self._by_chat[chat])
        for waiters in woken:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
            waiters.clear()

    async def wait(self, timeout: float | None, chat: object = None) -> None:
        """Return on the next change (in `chat`, when given), or after `timeout` seconds (None: no limit)."""
        if timeout is not None and timeout <= 0:
            return
        waiter = asyncio.get_running_loop().create_future()
        waiters = self._waiters if chat is None else self._by_chat.setdefault(chat, set())
        waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            waiters.discard(waiter)
            if chat is not None and not waiters:
                self._by_chat.pop(chat, None)

    async def until(self, predicate: Callable[[], Any], timeout: float | None, chat: object = None) -> Any:
        """predicate()'s first truthy value, re-checked on each change (in `chat`); falsy at the timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return result
            await self.wait(left, chat)


class FakeTelegram:
    """A Bot API server on 127.0.0.1 in the running event loop; see the module docstring.

    `strict` (default) answers 400 also for what Telegram tolerates but the API forbids
    (unknown parameters, unescaped '&' or '>'), so the bot fails where the mistake is.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "rapk_test_bot",
        api_spec_path: str | os.PathLike[str] | None = None,
        *,
        bot_name: str = "RAPK Bot",
        strict: bool = True,
        privacy_mode: bool = True,
        timeout_delay: float = 30.0,
        clock: Clock | None = None,
    ):
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_name = bot_name
        self.strict = strict
        self.privacy_mode = privacy_mode  # in groups the bot gets only commands and replies to it
        self.timeout_delay = timeout_delay
        self.clock = clock  # message dates follow it when given, else wall time
        self.spec = ApiSpec.load(api_spec_path)

        self.sent: list[SentCall] = []
        self.violations: list[Violation] = []
        self.stats = Stats()
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.webhook: dict[str, Any] | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status; 0 = no answer)
        self._pusher: asyncio.Task[None] | None = None
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}

        self._updates: list[dict[str, Any]] = []  # queued, not yet confirmed by an offset
        self._redeliver: list[dict[str, Any]] = []  # duplicates to hand out once more
        self._update_ids = itertools.count(10001)
        self._last_update: dict[str, Any] | None = None
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0

        self._messages: dict[tuple[int, int], StoredMessage] = {}
        self._by_chat: dict[int, list[StoredMessage]] = {}  # in message_id order
        self._message_ids: dict[int, itertools.count] = {}
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._files_sent: dict[int, list[SentFile]] = {}
        self._callbacks: dict[str, CallbackState] = {}
        self._callback_seq = itertools.count(1)
        self.events: list[Event] = []
        self._seq = 0  # event counter: sends, edits and user actions, in order
        self._last_user_seq: dict[int, int] = {}

        self._faults: list[flt.Fault] = []
        self._random: flt.RandomFaults | None = None
        self._rate: flt.RateLimit | None = None
        self._latency = 0.0

        self._changes = _Changes()
        self._closing = False
        self._inflight = 0
        self._last_activity = 0.0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"
        self.application: Application | None = None  # set by run_application / attach

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, port: int = 0, host: str = "127.0.0.1") -> FakeTelegram:
        """Serve HTTP on host:port (a free port by default) in the running loop."""
        self._closing = False
        self._last_activity = self._now()
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a request whose client gave up (read timeout) is cancelled,
        # so held "timeout" requests and long polls end with their connection.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = self._runner.addresses[0][1]
        log.debug("fake Telegram serving on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """End long polls and held requests, then close the server."""
        if self._runner is None:
            return
        self._closing = True
        self._changes.fire()
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def root_url(self) -> str:
        """The server root, e.g. for a TELEGRAM_BASE_URL setting that appends /bot itself."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder.base_url: PTB appends the token and then /<method>."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder.base_file_url: PTB appends the token and /<file_path>."""
        return f"http://{self._host}:{self.port}/file/bot"

    def builder(self) -> ApplicationBuilder:
        """An ApplicationBuilder already pointed at this server (token and URLs)."""
        from telegram.ext import ApplicationBuilder

        return (ApplicationBuilder().token(self.token)
                .base_url(self.base_url).base_file_url(self.base_file_url))

    def attach(self, application: Application) -> None:
        """Tell wait_idle which Application to watch (its update queue)."""
        self.application = application

    @contextlib.asynccontextmanager
    async def run_application(
        self, application: Application, poll_timeout: int = 10
    ) -> AsyncIterator[Application]:
        """Initialize, start and poll `application` against this server; stop it on exit."""
        self.attach(application)
        async with application:
            await application.start()
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=poll_timeout)
            try:
                yield application
            finally:
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()

    # -- users, groups, commands -----------------------------------------------------------------

    def add_user(self, user_id: int, first_name: str, username: str | None = None,
                 last_name: str | None = None, language_code: str | None = "id",
                 *, started: bool = True) -> User:
        """A user; `started=False` means they never opened the bot (it cannot write first)."""
        user = User(user_id, first_name, username, last_name, language_code, started=started)
        self.users[user_id] = user
        return user

    def add_group(self, chat_id: int, title: str, member_ids: Iterable[int],
                  admin_ids: Iterable[int] = (), *, creator_id: int | None = None,
                  bot_is_admin: bool = False) -> Group:
        """A group chat with the bot in it; ids must be negative (<= -10**12 for supergroups)."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative on Telegram")
        admins = set(admin_ids)
        members = set(member_ids) | admins | ({creator_id} if creator_id else set())
        unknown = members - set(self.users)
        if unknown:
            raise ValueError(f"add_user first for {sorted(unknown)}")
        group = Group(chat_id, title, members, admins, creator_id, bot_is_admin=bot_is_admin)
        self.groups[chat_id] = group
        return group

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send to them answers 403."""
        self._user(user_id).blocked = True

    def unblock(self, user_id: int) -> None:
        self._user(user_id).blocked = False

    def commands(self, scope: dict[str, Any] | str | None = None,
                 language_code: str = "") -> list[tuple[str, str]] | None:
        """The command menu set for a scope ("default", "all_private_chats", or a scope dict).

        None when setMyCommands was never called for that scope.
        """
        stored = self._commands.get((_scope_key(scope), language_code))
        if stored is None:
            return None
        return [(c["command"], c["description"]) for c in stored]

    # -- feeding updates -------------------------------------------------------------------------

    def send_message(self, user_id: int, text: str, chat_id: int | None = None, *,
                     reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """The user writes `text` (a command when it starts with "/"); returns the Update."""
        chat_id = user_id if chat_id is None else chat_id
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            token = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(token)}]
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        message = self._user_message(user_id, chat_id, content)
        self._event(Event("user_text", chat_id, user_id, text))
        return self._queue_message(message)

    def edit_message(self, user_id: int, message: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits a text message they sent earlier (`message`: the Message or the Update
        send_message returned); Telegram sends an `edited_message` update with the new text."""
        message = message.get("message", message)
        chat_id = message["chat"]["id"]
        stored = self._messages.get((chat_id, message["message_id"]))
        if stored is None or stored.from_bot or stored.data["from"]["id"] != user_id:
            raise AssertionError(f"user {user_id} sent no message {message['message_id']} in chat {chat_id}")
        if "text" not in stored.data:
            raise AssertionError(f"message {message['message_id']} has no text to edit")
        data = {k: v for k, v in stored.data.items() if k != "entities"}
        data.update(text=text, edit_date=self._date())
        if text.startswith("/"):
            token = text.split(maxsplit=1)[0]
            data["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(token)}]
        stored.data = data
        self._event(Event("user_edit", chat_id, user_id, text))
        body = {"edited_message": json.loads(json.dumps(data))}
        if data["chat"]["type"] != "private" and self.privacy_mode and not text.startswith("/"):
            return {"update_id": None, **body}
        return self._queue(body)

    def send_command(self, user_id: int, command: str, args: str | None = None,
                     chat_id: int | None = None, *, mention: bool | None = None) -> dict[str, Any]:
        """The user sends /command [args]; in groups it is sent as /command@botname."""
        command = command if command.startswith("/") else f"/{command}"
        in_group = chat_id is not None and chat_id != user_id
        if (in_group if mention is None else mention) and "@" not in command:
            command = f"{command}@{self.bot_username}"
        text = command if not args else f"{command} {args}"
        return self.send_message(user_id, text, chat_id)

    def press_button(self, user_id: int, message: dict[str, Any], callback_data: str,
                     chat_id: int | None = None, *, forge: bool = False) -> dict[str, Any]:
        """The user taps the inline button carrying `callback_data` on a bot message.

        `forge=True` sends the callback even when no such button is (still) on the message:
        a replayed or forged callback, as a modified client can send.
        """
        chat_id = message["chat"]["id"] if chat_id is None else chat_id
        stored = self._messages.get((chat_id, message["message_id"]))
        if (stored is None or stored.deleted) and not forge:
            raise AssertionError(f"message {message['message_id']} is not in chat {chat_id}")
        current = stored.data if stored is not None else message
        label = next((b["text"] for row in _inline_rows(current)
                      for b in row if b.get("callback_data") == callback_data), None)
        if label is None and not forge:
            raise AssertionError(
                f"no button with callback_data {callback_data!r} on message {message['message_id']}; "
                f"buttons now: {self.buttons(current)}")
        query_id = f"{self.bot_id}{next(self._callback_seq):06d}"
        self._callbacks[query_id] = CallbackState(user_id, chat_id, message["message_id"])
        self._event(Event("press", chat_id, user_id, label or f"forged: {callback_data}"))
        return self._queue({"callback_query": {
            "id": query_id,
            "from": self._user(user_id).to_dict(),
            "message": json.loads(json.dumps(current)),
            "chat_instance": str(abs(chat_id) * 7919 + 17),
            "data": callback_data,
        }})

    def press(self, user_id: int, text: str, chat_id: int | None = None) -> dict[str, Any]:
        """Tap the button labelled `text` on the latest bot message in the chat that has it."""
        chat_id = user_id if chat_id is None else chat_id
        for stored in reversed(self._chat_messages(chat_id, from_bot=True)):
            for row in _inline_rows(stored.data):
                for button in row:
                    if button.get("text") == text:
                        if "callback_data" not in button:
                            raise AssertionError(f"button [{text}] opens {button}, it sends no callback")
                        return self.press_button(user_id, stored.data, button["callback_data"], chat_id)
        shown = [(m.message_id, self.buttons(m.data)) for m in self._chat_messages(chat_id, True)
                 if _inline_rows(m.data)][-5:]
        raise AssertionError(f"no button [{text}] in chat {chat_id}; buttons by message: {shown}")

    def send_document(self, user_id: int, file_name: str, content: bytes, mime_type: str,
                      caption: str | None = None, chat_id: int | None = None) -> dict[str, Any]:
        """The user uploads a document; getFile and the file URL serve it back to the bot."""
        chat_id = user_id if chat_id is None else chat_id
        stored = self._store_file(content, file_name, mime_type, "documents")
        body: dict[str, Any] = {"document": {**stored.file_dict(), "file_name": file_name,
                                             "mime_type": mime_type}}
        if caption:
            body["caption"] = caption
        message = self._user_message(user_id, chat_id, body)
        self._event(Event("user_file", chat_id, user_id, caption or "",
                          detail=f"document {file_name} ({_size(content)})"))
        return self._queue_message(message)

    def send_photo(self, user_id: int, content: bytes, caption: str | None = None,
                   chat_id: int | None = None) -> dict[str, Any]:
        """The user sends a photo (one size, dimensions read from a PNG header when present)."""
        chat_id = user_id if chat_id is None else chat_id
        stored = self._store_file(content, None, "image/jpeg", "photos")
        width, height = _image_size(content)
        body: dict[str, Any] = {"photo": [{**stored.file_dict(), "width": width, "height": height}]}
        if caption:
            body["caption"] = caption
        message = self._user_message(user_id, chat_id, body)
        self._event(Event("user_file", chat_id, user_id, caption or "", detail=f"photo ({_size(content)})"))
        return self._queue_message(message)

    def add_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update as given (update_id assigned when missing)."""
        body = {k: v for k, v in update.items() if k != "update_id"}
        if "update_id" in update:
            return self._queue(body, update_id=update["update_id"])
        return self._queue(body)

    def duplicate_last_update(self) -> dict[str, Any]:
        """Deliver the last update once more, same update_id, as Telegram sometimes does."""
        if self._last_update is None:
            raise AssertionError("no update was sent yet")
        self._redeliver.append(self._last_update)
        self._touch()
        return self._last_update

    # -- faults ----------------------------------------------------------------------------------

    def fail_next(self, method: str | None, error: str = "429", count: int = 1,
                  retry_after: float = 1, chat_id: int | None = None,
                  description: str | None = None) -> None:
        """The next `count` calls of `method` (to `chat_id`, if given) fail with `error`.

        retry_after may be fractional for fast tests; Telegram itself sends whole seconds.
        """
        self._faults.append(flt.Fault(flt.check_kind(error), method, chat_id, count,
                                      retry_after, description))

    def set_random_faults(self, rate: float = 0.2, kinds: Iterable[str] = ("429", "500", "timeout"),
                          seed: int = 1, retry_after: float = 1,
                          methods: Iterable[str] | None = ("sendMessage",)) -> None:
        """Fail a seeded random share of calls; rate=0 turns it off."""
        self._random = (flt.RandomFaults(rate, tuple(kinds), seed, retry_after,
                                         tuple(methods) if methods is not None else None)
                        if rate > 0 else None)

    def set_rate_limit(self, per_second: float | None = 300, per_chat_per_second: float | None = None,
                       per_group_per_minute: float | None = None) -> None:
        """Answer 429 with retry_after to sends over these rates (None: unlimited).

        Telegram's own limits are about 30/s overall, 1/s per chat and 20/min per group.
        """
        self._rate = flt.RateLimit(per_second, per_chat_per_second, per_group_per_minute)

    def set_latency(self, seconds: float = 0.1) -> None:
        """Answer every request (not long polls) `seconds` after it arrived, as Telegram's round trip
        does: the request is processed halfway, so a client that goes away in the second half (a
        timeout, a killed process) has had its message delivered without learning so. 0 turns it off."""
        if seconds < 0:
            raise ValueError("latency must be 0 or more seconds")
        self._latency = float(seconds)

    def clear_faults(self) -> None:
        self._faults.clear()
        self._random = None
        self._rate = None

    # -- record ----------------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[SentCall]:
        """Calls of `method` (all calls when None), in arrival order."""
        return [c for c in self.sent if method is None or c.method.lower() == method.lower()]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they stand now (edits applied, deleted ones gone)."""
        return [m.data for m in self._chat_messages(chat_id, from_bot=True)]

    def last_message_to(self, chat_id: int) -> dict[str, Any] | None:
        messages = self.messages_to(chat_id)
        return messages[-1] if messages else None

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        stored = self._messages.get((chat_id, message_id))
        return None if stored is None or stored.deleted else stored.data

    @staticmethod
    def buttons(message: dict[str, Any] | None) -> list[list[str]]:
        """Inline button labels of a message, row by row."""
        return [[b.get("text", "") for b in row] for row in _inline_rows(message or {})]

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """The custom reply keyboard the user sees now, or None."""
        for stored in reversed(self._chat_messages(chat_id, from_bot=True, include_deleted=True)):
            markup = stored.markup or {}
            if "keyboard" in markup:
                return _keyboard_rows(markup)
            if markup.get("remove_keyboard"):
                return None
        return None

    @property
    def pending_updates(self) -> list[int]:
        """Ids of queued updates the bot has not confirmed (by a later getUpdates offset)."""
        return [u["update_id"] for u in self._redeliver + self._updates]

    def files_sent_to(self, chat_id: int) -> list[SentFile]:
        """Files the bot uploaded to a chat: (filename, content, method) each."""
        return list(self._files_sent.get(chat_id, []))

    def unanswered_callbacks(self) -> list[str]:
        """Callback query ids the bot never answered (the user's button keeps spinning)."""
        return [qid for qid, state in self._callbacks.items() if not state.answered]

    def transcript(self, names: dict[int, str] | None = None, *, show_failures: bool = True) -> str:
        """The conversation so far as readable lines (what `rapk demo` prints)."""
        return render_transcript(self.events, self.users, self.groups, names or {},
                                 show_failures=show_failures)

    def assert_no_violations(self) -> None:
        if self.violations:
            raise AssertionError(self.violations_report())

    def violations_report(self) -> str:
        lines = [f"{len(self.violations)} Bot API violation(s) against {self.spec.version}:"]
        lines += [f"  - {v}" for v in self.violations]
        return "\n".join(lines)

    # -- waiting ---------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, *, chat_id: int | None = None) -> Any:
        """Wait until predicate() is truthy (re-checked on every request and update); return it.

        With `chat_id`, re-checked only on changes in that chat (and on changes naming no chat): for a
        predicate about that chat alone, as a benchmark's many drivers wait."""
        result = await self._changes.until(predicate, timeout, chat_id)
        if not result:
            raise AssertionError(
                f"condition not met within {timeout}s; last calls: {self._recent_calls()}")
        return result

    def mark(self) -> int:
        """A point in the conversation, for wait_for_message(since=...)."""
        return self._seq

    async def wait_for_message(self, chat_id: int, contains: str | None = None,
                               count: int | None = None, timeout: float = 5.0,
                               since: int | None = None) -> dict[str, Any]:
        """Wait for bot messages in a chat sent or edited after `since`; return the latest.

        `since` defaults to the user's last action in that chat, so "send, then wait" finds the
        reply even when the bot already answered; for messages the bot sends on its own
        (reminders), pass `since=fake.mark()` taken before triggering them. `contains` matches the text or caption with
        HTML stripped; `count` waits for that many matching messages.
        """
        since = self._last_user_seq.get(chat_id, 0) if since is None else since

        def matching() -> list[dict[str, Any]]:
            found = [m.data for m in self._chat_messages(chat_id, True) if m.seq > since
                     and (contains is None or contains in _message_text(m.data))]
            return found if len(found) >= (count or 1) else []

        try:
            found = await self.wait_for(matching, timeout, chat_id=chat_id)
        except AssertionError:
            current = [_message_text(m)[:200] for m in self.messages_to(chat_id)[-3:]]
            raise AssertionError(
                f"no bot message to {chat_id} containing {contains!r} (count={count}) within "
                f"{timeout}s; latest: {current}; last calls: {self._recent_calls()}") from None
        return found[-1]

    async def wait_idle(self, application: Application | None = None, timeout: float = 15.0,
                        quiet: float = 0.05) -> None:
        """Return once the bot has handled everything sent to it and gone quiet.

        Criterion, in order: (1) every queued update was confirmed by a later getUpdates offset,
        so the updater has put it on the application's queue; (2) with an Application (given or
        attached), its update_queue is joined: PTB calls task_done only after the handlers ran;
        (3) no request is in flight and none arrived for `quiet` seconds of loop time, which
        catches work handlers leave running (tasks, jobs due now). Without an Application only
        (1) and (3) apply, so `quiet` must then cover the longest handler gap.

        `timeout` bounds the wait, it times nothing: a database under a whole suite's load has kept a handler
        waiting over 5 s, and a bot that is idle sooner is waited for no longer.
        """
        application = application or self.application
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def settled() -> bool:
            return not self._updates and not self._redeliver and self._inflight == 0

        try:
            while True:
                await self.wait_for(settled, deadline - loop.time())
                if application is not None:
                    await asyncio.wait_for(application.update_queue.join(), deadline - loop.time())
                # Quiet window: each change restarts it.
                while not (settled() and self._now() - self._last_activity >= quiet):
                    if loop.time() >= deadline:
                        raise TimeoutError
                    left = quiet - (self._now() - self._last_activity) if settled() else None
                    await self._changes.wait(min(left, deadline - loop.time()) if left
                                             else deadline - loop.time())
                if application is None or application.update_queue.empty():
                    return
        except (TimeoutError, AssertionError):
            pending = [u["update_id"] for u in self._updates]
            raise AssertionError(
                f"bot not idle within {timeout}s: unconfirmed updates {pending}, "
                f"{self._inflight} request(s) in flight; last calls: {self._recent_calls()}"
            ) from None

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            self._activity(+1)
            try:
                return self._serve_file(path[len("/file/bot"):])
            finally:
                self._activity(-1)
        if not path.startswith("/bot"):
            return _json_error(404, "Not Found")
        token, _, method = path[len("/bot"):].partition("/")
        if token != self.token:
            return _json_error(401, "Unauthorized")
        try:
            raw = await _read_params(request)
        except ValueError as exc:
            return _json_error(400, f"Bad Request: {exc}")
        call = SentCall(method, dict(raw), _chat_of(raw), self._now())
        self.sent.append(call)
        self.stats.requests += 1
        # A long poll waiting for updates is the bot being idle, not busy.
        busy = 0 if method.lower() == "getupdates" else 1
        self._activity(+busy, chat=call.chat_id)
        _CURRENT_CALL.set(call)
        # A round trip like Telegram's (set_latency): half on the way in, half on the way back.
        delay = self._latency / 2 if busy else 0.0
        try:
            if delay:
                await asyncio.sleep(delay)  # a client that gives up now sent nothing
            response = await self._answer(request, call, raw)
            if delay:
                await asyncio.sleep(delay)  # a client that gives up now lost the answer, not the message
            return response
        except asyncio.CancelledError:
            call.status = -1  # the client went away (its read timeout) before an answer
            raise
        finally:
            self._activity(-busy, chat=call.chat_id)

    async def _answer(self, request: web.Request, call: SentCall,
                      raw: dict[str, str | FileRef]) -> web.StreamResponse:
        try:
            result = await self._process(call, raw)
        except _HeldTimeout:
            call.status = 504  # the client waited longer than timeout_delay
            return _json_error(504, "Gateway Timeout")
        except _Disconnect:
            call.status = -1
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            self._count_error(exc.status)
            if call.method in SEND_METHODS or call.method.startswith("editMessage"):
                self._event(Event("failed", _int_or_none(call.chat_id) or 0,
                                  detail=f"{call.method}: {exc.status} {exc.description}"))
            if exc.status == 502 and exc.description == "Bad Gateway":
                return web.Response(status=502, body=HTML_502, content_type="text/html")
            return _json_error(exc.status, exc.description, exc.parameters)
        call.status, call.response = 200, result
        self.stats.ok += 1
        return web.json_response({"ok": True, "result": result})

    async def _process(self, call: SentCall, raw: dict[str, str | FileRef]) -> Any:
        method = self.spec.method_name(call.method)
        if method is None:
            # Telegram answers an unknown method with 404 Not Found (PTB: EndPointNotFound).
            self._violate(call.method, "unknown method (not in the Bot API)", raw)
            raise ApiError(404, "Not Found")
        call.method = method
        params, problems = self.spec.check_request(method, raw)
        # What arrived, decoded where the spec allowed (undecodable values stay as sent).
        call.params = {**raw, **params}
        if "chat_id" in params:
            call.chat_id = params["chat_id"]
        blocking = []
        for problem in problems:
            self._violate(method, problem.message, call.params)
            # Telegram ignores unknown parameters; strict mode refuses them to stop the bot there.
            if self.strict or not problem.message.startswith("unknown parameter"):
                blocking.append(problem)
        if blocking:
            raise ApiError(400, blocking[0].description)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            if self.spec.methods[method].get("returns") != ["Boolean"]:
                self._violate(method, "method not implemented by the fake server", params)
                raise ApiError(400, f"Bad Request: fake API: {method} is not implemented")
            handler = self._accept  # set*/delete*/pin*...: recorded and answered True
        fault = None if method == "getUpdates" else self._draw_fault(method, call.chat_id)
        try:
            if fault is not None:
                return await self._inject(fault, call, handler, params)
            return await _maybe_await(handler(params))
        except Rejected as exc:
            self._violate(method, exc.problem, params)
            raise ApiError(exc.status, exc.description) from None

    def _lenient(self, description: str, problem: str) -> None:
        """Something Telegram accepts but the Bot API forbids: recorded; refused when strict."""
        call = _CURRENT_CALL.get()
        self._violate(call.method if call else "?", problem, call.params if call else {})
        if self.strict:
            raise ApiError(400, description)

    def _violate(self, method: str, problem: str, params: dict[str, Any]) -> None:
        shown = {k: v for k, v in params.items() if not isinstance(v, FileRef)}
        self.violations.append(Violation(method, problem, shown))
        log.warning("Bot API violation: %s: %s", method, problem)

    def _count_error(self, status: int) -> None:
        if status == 400:
            self.stats.bad_requests += 1
        elif status == 403:
            self.stats.forbidden += 1
        elif status == 429:
            self.stats.rate_limited += 1
        elif status >= 500:
            self.stats.server_errors += 1

    # -- faults ----------------------------------------------------------------------------------

    def _draw_fault(self, method: str, chat_id: int | str | None) -> flt.Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.matches(method, chat_id):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        if self._random is not None:
            kind = self._random.draw(method)
            if kind is not None:
                return flt.Fault(kind, method, None, 1, self._random.retry_after)
        if self._rate is not None and method in SEND_METHODS:
            is_group = _int_or_none(chat_id) in self.groups
            retry = self._rate.check(self._now(), chat_id, is_group)
            if retry:
                return flt.Fault("429", method, None, 1, retry)
        return None

    async def _inject(self, fault: flt.Fault, call: SentCall, handler: Callable[..., Any],
                      params: dict[str, Any]) -> Any:
        kind = fault.kind
        if kind == "429":
            retry = fault.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry:g}", {"retry_after": retry})
        if kind == "403":
            raise ApiError(403, fault.description or BLOCKED)
        if kind == "400":
            raise ApiError(400, fault.description or "Bad Request: injected fault")
        if kind == "502":
            raise ApiError(502, "Bad Gateway")
        if kind in ("500", "503", "504"):
            reason = {"500": "Internal Server Error", "503": "Service Unavailable",
                      "504": "Gateway Timeout"}[kind]
            raise ApiError(int(kind), fault.description or reason)
        if kind == "disconnect":
            self.stats.disconnects += 1
            raise _Disconnect
        # Timeouts: the answer is held past the client's read timeout. Plain "timeout" is
        # recorded as not delivered (the simplest reading of a lost request); use
        # "timeout_after_delivery" for the case where Telegram delivered and the answer was lost.
        if kind == "timeout_after_delivery":
            call.response = await _maybe_await(handler(params))
        self.stats.timeouts += 1
        call.error = "timeout"
        # Held until the client hangs up (the handler is cancelled), the server stops, or
        # timeout_delay passes.
        await self._changes.until(lambda: self._closing, self.timeout_delay)
        raise _HeldTimeout

    # -- getUpdates and webhook ------------------------------------------------------------------

    async def _m_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                                     "active; use deleteWebhook to delete the webhook first")
        if "allowed_updates" in p:
            self._allowed_updates = list(p["allowed_updates"])
            self._updates = [u for u in self._updates if self._allowed(u)]
        offset = p.get("offset")
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = max(1, min(100, p.get("limit", 100)))
        # A newer getUpdates ends an older one with 409, as Telegram does to a second instance.
        self._poll_generation += 1
        generation = self._poll_generation
        self._changes.fire()  # wakes the older poll (and wait_idle, which watches the queue)
        await self._changes.until(
            lambda: bool(self._redeliver or self._updates) or self._closing
            or generation != self._poll_generation, max(0, p.get("timeout", 0)))
        if generation != self._poll_generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                     "that only one bot instance is running")
        batch = self._redeliver[:limit]
        del self._redeliver[:len(batch)]
        batch += self._updates[:limit - len(batch)]
        return batch

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next((k for k in update if k != "update_id"), "")
        if not self._allowed_updates:
            return kind not in NOT_DEFAULT_UPDATES
        return kind in self._allowed_updates

    def _m_setWebhook(self, p: dict[str, Any]) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in p:
            self._allowed_updates = list(p["allowed_updates"])
        # Telegram wants HTTPS on port 443, 80, 88 or 8443; the fake also takes a local http URL.
        self.webhook = {k: v for k, v in p.items() if not isinstance(v, FileRef)}
        if self._pusher is None:
            self._pusher = asyncio.get_running_loop().create_task(self._push_updates())
        self._changes.fire()
        return True

    async def _push_updates(self) -> None:
        """While a webhook is set, POST each update to it in order, as Telegram does.

        An update leaves the queue on a 2xx answer; otherwise it is retried after a pause.
        """
        async with aiohttp.ClientSession() as session:
            while not self._closing:
                await self._changes.until(
                    lambda: self._closing or (self.webhook and (self._redeliver or self._updates)), None)
                if self._closing:
                    return
                assert self.webhook is not None
                update = (self._redeliver or self._updates)[0]
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                status = 0
                self._activity(+1)
                try:
                    async with session.post(self.webhook["url"], json=update, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=10)) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    pass
                finally:
                    self.webhook_deliveries.append((update["update_id"], status))
                    self._activity(-1)
                if 200 <= status < 300:
                    for queue in (self._redeliver, self._updates):
                        if queue and queue[0] is update:
                            queue.pop(0)
                            break
                    self._touch()
                else:
                    # Telegram retries a failing webhook later; this pause only paces the retries.
                    await asyncio.sleep(0.2)

    def _m_deleteWebhook(self, p: dict[str, Any]) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _m_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": (self.webhook or {}).get("url", ""),
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self.webhook and self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    # -- bot identity and menus ------------------------------------------------------------------

    def _m_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages":
                not self.privacy_mode, "supports_inline_queries": False,
                "can_connect_to_business": False, "has_main_web_app": False}

    def _accept(self, p: dict[str, Any]) -> bool:
        return True

    def _m_setMyCommands(self, p: dict[str, Any]) -> bool:
        commands = rules.check_commands(p["commands"])
        scope = p.get("scope") or {}
        if "chat_id" in scope:
            chat = self._chat(scope["chat_id"])  # Telegram: "chat not found" for an unknown chat
            if chat["type"] == "private" and not self.users[chat["id"]].started:
                raise ApiError(400, "Bad Request: chat not found")
        self._commands[_commands_key(p)] = commands
        return True

    def _m_getMyCommands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        return self._commands.get(_commands_key(p), [])

    def _m_deleteMyCommands(self, p: dict[str, Any]) -> bool:
        self._commands.pop(_commands_key(p), None)
        return True

    def _m_setChatMenuButton(self, p: dict[str, Any]) -> bool:
        self.menu_buttons[p.get("chat_id")] = p.get("menu_button", {"type": "default"})
        return True

    def _m_getChatMenuButton(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.menu_buttons.get(p.get("chat_id"), self.menu_buttons.get(None, {"type": "commands"}))

    # -- chats -----------------------------------------------------------------------------------

    def _m_getChat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    def _m_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p["chat_id"])
        return self._member(chat["id"], p["user_id"])

    def _m_getChatAdministrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._chat(p["chat_id"])
        group = self.groups.get(chat["id"])
        if group is None:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        ids = sorted(group.admins | ({group.creator_id} if group.creator_id else set()))
        return [self._member(group.id, uid) for uid in ids]

    def _m_getChatMemberCount(self, p: dict[str, Any]) -> int:
        chat = self._chat(p["chat_id"])
        group = self.groups.get(chat["id"])
        return 2 if group is None else len(group.members) + int(group.bot_is_member)

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        if user_id == self.bot_id:
            group = self.groups.get(chat_id)
            status = "administrator" if group and group.bot_is_admin else "member"
            user = self._bot_user()
        else:
            if user_id not in self.users:
                raise ApiError(400, "Bad Request: user not found")
            user = self.users[user_id].to_dict()
            group = self.groups.get(chat_id)
            if group is None:
                status = "member" if user_id == chat_id else "left"
            elif user_id == group.creator_id:
                return {"status": "creator", "user": user, "is_anonymous": False}
            elif user_id in group.admins:
                status = "administrator"
            else:
                status = "member" if user_id in group.members else "left"
        if status == "administrator":
            rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                      "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                      "can_change_info", "can_invite_users", "can_post_stories",
                      "can_edit_stories", "can_delete_stories")
            return {"status": status, "user": user,
                    **{r: r not in ("can_be_edited", "is_anonymous") for r in rights}}
        return {"status": status, "user": user}

    # -- sending ---------------------------------------------------------------------------------

    def _m_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        parsed = self._text(p["text"], p.get("parse_mode"), p.get("entities"))
        markup = rules.check_markup(p.get("reply_markup"))
        chat = self._target(p["chat_id"])
        content: dict[str, Any] = {"text": parsed.text}
        if parsed.entities:
            content["entities"] = parsed.entities
        if p.get("link_preview_options"):
            content["link_preview_options"] = p["link_preview_options"]
        return self._bot_message(chat, content, markup, p)

    def _m_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_file(p, "photo", "sendPhoto")

    def _m_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._send_file(p, "document", "sendDocument")

    def _m_sendMediaGroup(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        """An album of 2-10 photos/videos, or of documents only, or of audio only, each sent by file id,
        URL or upload; every message carries the same media_group_id."""
        media = p["media"]
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise ApiError(400, "Bad Request: wrong number of media in the album: 2-10 expected")
        kinds = {item.get("type") for item in media}
        if len(kinds) > 1 and not kinds <= {"photo", "video"}:
            raise ApiError(400, "Bad Request: documents and audio files can be only grouped with the same type")
        messages = []
        for item in media:
            kind = item.get("type")
            value = item.get("media")
            if isinstance(value, str) and value.startswith("attach://"):
                value = p.get(value.removeprefix("attach://"), value)
            single = {"chat_id": p["chat_id"], kind: value}
            if item.get("caption") is not None:
                single.update(caption=item["caption"], parse_mode=item.get("parse_mode"))
            message = self._send_file(single, kind if kind in ("photo", "document") else "document", "sendMediaGroup")
            messages.append(message)
        for message in messages:  # one id for the album, as Telegram gives
            message["media_group_id"] = str(10**12 + messages[0]["message_id"])
        return messages

    def _send_file(self, p: dict[str, Any], field: str, method: str) -> dict[str, Any]:
        caption = self._caption(p)
        markup = rules.check_markup(p.get("reply_markup"))
        chat = self._target(p["chat_id"])
        value = p[field]
        if isinstance(value, str) and value.startswith("attach://"):
            raise Rejected("Bad Request: fake API: attach:// file part is missing",
                            f"{field} refers to {value} but no such part was uploaded")
        if isinstance(value, FileRef):
            if len(value.content) > (10 if field == "photo" else 50) * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            stored = self._store_file(value.content, value.filename,
                                      value.content_type, "photos" if field == "photo" else "documents")
        elif value.startswith(("http://", "https://")):
            stored = self._store_file(None, value.rsplit("/", 1)[-1], None, field + "s")
        else:
            found = self._files.get(value)
            if found is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            stored = found
        if field == "photo":
            width, height = _image_size(stored.content or b"")
            media: Any = [{**stored.file_dict(), "width": width, "height": height}]
        else:
            media = {**stored.file_dict()}
            if stored.filename:
                media["file_name"] = stored.filename
            if stored.mime_type:
                media["mime_type"] = stored.mime_type
        content: dict[str, Any] = {field: media}
        if caption is not None:
            content["caption"] = caption.text
            if caption.entities:
                content["caption_entities"] = caption.entities
        message = self._bot_message(chat, content, markup, p)
        if stored.content is not None:
            name = stored.filename or stored.file_path.rsplit("/", 1)[-1]
            self._files_sent.setdefault(chat["id"], []).append(SentFile(name, stored.content, method))
        return message

    def _m_sendChatAction(self, p: dict[str, Any]) -> bool:
        rules.check_chat_action(p["action"])
        self._target(p["chat_id"])
        return True

    def _bot_message(self, chat: dict[str, Any], content: dict[str, Any],
                     markup: dict[str, Any] | None, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = chat["id"]
        replied_to = None
        reply = p.get("reply_parameters")
        if reply:
            target = self._messages.get((_int_or_none(reply.get("chat_id", chat_id)), reply["message_id"]))
            if target is not None and not target.deleted:
                replied_to = {k: v for k, v in target.data.items() if k != "reply_to_message"}
            elif not reply.get("allow_sending_without_reply"):
                raise ApiError(400, "Bad Request: message to be replied not found")
        message: dict[str, Any] = {"message_id": self._next_message_id(chat_id),
                                   "from": self._bot_user(), "chat": chat, "date": self._date()}
        if replied_to:
            message["reply_to_message"] = replied_to
        message.update(content)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        seq = self._next_seq()
        self._store_message(StoredMessage(chat_id, message["message_id"], True, message, markup, seq))
        self.stats.delivered[chat_id] += 1
        self._mark_delivered()
        kind = "bot_text" if "text" in content else "bot_file"
        detail = ""
        if kind == "bot_file":
            if "document" in content:
                detail = f"document {content['document'].get('file_name', 'file')}"
            else:
                detail = "photo"
        self._event(Event(kind, chat_id, None, content.get("text", content.get("caption", "")),
                          self.buttons(message), _keyboard_rows(markup), detail, seq,
                          message_id=message["message_id"]))
        return message

    # -- editing ---------------------------------------------------------------------------------

    def _m_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        if "text" not in p:
            raise Rejected("Bad Request: message text is empty", "editMessageText without text")
        parsed = self._text(p["text"], p.get("parse_mode"), p.get("entities"))
        markup = rules.check_markup(p.get("reply_markup"))
        stored = self._editable(p)
        if "text" not in stored.data:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        new = {"text": parsed.text, "entities": parsed.entities}
        return self._apply_edit(stored, new, markup)

    def _m_editMessageCaption(self, p: dict[str, Any]) -> dict[str, Any]:
        caption = self._caption(p)
        markup = rules.check_markup(p.get("reply_markup"))
        stored = self._editable(p)
        if "text" in stored.data:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        new = {"caption": caption.text if caption else None,
               "caption_entities": caption.entities if caption else []}
        return self._apply_edit(stored, new, markup)

    def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        markup = rules.check_markup(p.get("reply_markup"))
        stored = self._editable(p)
        return self._apply_edit(stored, {}, markup)

    def _m_deleteMessage(self, p: dict[str, Any]) -> bool:
        chat = self._chat(p["chat_id"])
        stored = self._messages.get((chat["id"], p["message_id"]))
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to delete not found")
        if not stored.from_bot and chat["type"] != "private":
            group = self.groups.get(chat["id"])
            if not (group and group.bot_is_admin):
                raise ApiError(400, "Bad Request: message can't be deleted")
        stored.deleted = True
        self._mark_delivered()
        self._event(Event("delete", chat["id"], None, _message_text(stored.data)))
        return True

    def _editable(self, p: dict[str, Any]) -> StoredMessage:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: fake API: inline messages are not supported")
        if "chat_id" not in p or "message_id" not in p:
            raise Rejected("Bad Request: message identifier is not specified",
                            "edit without chat_id and message_id")
        chat = self._chat(p["chat_id"])
        if chat["type"] == "private" and self.users[chat["id"]].blocked:
            raise ApiError(403, BLOCKED)
        stored = self._messages.get((chat["id"], p["message_id"]))
        if stored is None or stored.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not stored.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        return stored

    def _apply_edit(self, stored: StoredMessage, new: dict[str, Any],
                    markup: dict[str, Any] | None) -> dict[str, Any]:
        data = stored.data
        # Telegram compares the resulting content: an edit without reply_markup drops the
        # inline keyboard, so "same text, no markup" on a message with buttons is a change.
        same_content = all(data.get(k) == v or (not data.get(k) and not v) for k, v in new.items())
        if same_content and data.get("reply_markup") == markup:
            raise ApiError(400, NOT_MODIFIED)
        for key, value in new.items():
            if value:
                data[key] = value
            else:
                data.pop(key, None)
        if markup:
            data["reply_markup"] = markup
        else:
            data.pop("reply_markup", None)
        data["edit_date"] = self._date()
        stored.markup = markup
        stored.seq = self._next_seq()
        self._mark_delivered()
        self._event(Event("edit", stored.chat_id, None, _message_text(data), self.buttons(data),
                          seq=stored.seq, message_id=stored.message_id))
        return json.loads(json.dumps(data))

    # -- callbacks and files ---------------------------------------------------------------------

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        text = rules.check_callback_answer(p.get("text"))
        state = self._callbacks.get(p["callback_query_id"])
        if state is None or state.answered:
            raise ApiError(400, QUERY_TOO_OLD)
        state.answered = True
        if text:
            kind = "alert" if p.get("show_alert") else "notice"
            self._event(Event("notice", state.chat_id, state.user_id, text, detail=kind))
        return True

    def _m_getFile(self, p: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(p["file_id"])
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if stored.content is not None and len(stored.content) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {**stored.file_dict(), "file_path": stored.file_path}

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        stored = self._file_paths.get(file_path) if token == self.token else None
        if stored is None or stored.content is None:
            return _json_error(404, "Not Found")
        self._touch()
        return web.Response(body=stored.content,
                            content_type=stored.mime_type or "application/octet-stream")

    # -- content checks ------------------------------------------------------------------------

    def _text(self, text: str, parse_mode: str | None, entities: Any, what: str = "text") -> ParsedText:
        """Telegram's content rules for a text or caption; doc-rule breaches go to _lenient."""
        parsed = rules.check_text(text, parse_mode, entities, what)
        for warning in parsed.warnings:
            # Telegram shows these characters as text, but the API requires them escaped.
            self._lenient(f"Bad Request: can't parse entities: fake API: {warning}",
                          f"HTML breaks the Bot API escaping rule: {warning}")
        return parsed

    def _caption(self, p: dict[str, Any]) -> ParsedText | None:
        if "caption" not in p:
            return None
        return self._text(p["caption"], p.get("parse_mode"), p.get("caption_entities"), "caption")

    # -- state helpers ---------------------------------------------------------------------------

    def _user(self, user_id: int) -> User:
        if user_id not in self.users:
            raise AssertionError(f"unknown user {user_id}: call add_user first")
        return self.users[user_id]

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_name,
                "username": self.bot_username}

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        """A chat the bot can see, or Telegram's "chat not found"."""
        key = _int_or_none(chat_id)
        if key in self.groups:
            return self.groups[key].chat_dict()
        if key in self.users:
            return self.users[key].chat_dict()
        raise ApiError(400, "Bad Request: chat not found")

    def _target(self, chat_id: int | str) -> dict[str, Any]:
        """A chat the bot may write to now, or the 403 Telegram answers."""
        chat = self._chat(chat_id)
        if chat["type"] == "private":
            user = self.users[chat["id"]]
            if user.blocked:
                raise ApiError(403, BLOCKED)
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            group = self.groups[chat["id"]]
            if not group.bot_is_member:
                raise ApiError(403, f"Forbidden: bot is not a member of the {group.type} chat")
        return chat

    def _user_message(self, user_id: int, chat_id: int, content: dict[str, Any]) -> dict[str, Any]:
        user = self._user(user_id)
        if chat_id == user_id:
            chat = user.chat_dict()
            # Writing to the bot opens the chat; a user who blocked it must unblock to write.
            user.started, user.blocked = True, False
        elif chat_id in self.groups:
            group = self.groups[chat_id]
            if user_id not in group.members:
                raise AssertionError(f"user {user_id} is not a member of group {chat_id}")
            chat = group.chat_dict()
        else:
            raise AssertionError(f"chat {chat_id} is neither user {user_id}'s chat nor a group")
        message = {"message_id": self._next_message_id(chat_id), "from": user.to_dict(),
                   "chat": chat, "date": self._date(), **content}
        self._store_message(StoredMessage(chat_id, message["message_id"], False, message, None,
                                          self._next_seq()))
        return message

    def _queue_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Queue a user's message, unless privacy mode hides it from the bot.

        In groups a bot in privacy mode gets only commands and replies to its own messages;
        a hidden message is returned as an Update with update_id None and never delivered.
        """
        if message["chat"]["type"] != "private" and self.privacy_mode:
            is_command = message.get("text", "").startswith("/")
            reply_to = message.get("reply_to_message") or {}
            if not is_command and reply_to.get("from", {}).get("id") != self.bot_id:
                return {"update_id": None, "message": message}
        return self._queue({"message": message})

    def _queue(self, body: dict[str, Any], update_id: int | None = None) -> dict[str, Any]:
        update = {"update_id": next(self._update_ids) if update_id is None else update_id, **body}
        self._last_update = update
        if self._allowed(update):
            self._updates.append(update)
        self._touch()
        return update

    def _store_file(self, content: bytes | None, filename: str | None, mime_type: str | None,
                    folder: str) -> StoredFile:
        n = next(self._file_seq)
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[1]
        elif folder == "photos":
            ext = ".jpg"
        stored = StoredFile(f"FAKE-{folder[:3].upper()}-{n:06d}", f"U{n:06d}",
                            f"{folder}/file_{n}{ext}", filename, mime_type, content)
        self._files[stored.file_id] = stored
        self._file_paths[stored.file_path] = stored
        return stored

    def _next_message_id(self, chat_id: int) -> int:
        # Telegram numbers messages per chat in private chats and basic groups.
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _store_message(self, stored: StoredMessage) -> None:
        self._messages[(stored.chat_id, stored.message_id)] = stored
        self._by_chat.setdefault(stored.chat_id, []).append(stored)

    def _chat_messages(self, chat_id: int, from_bot: bool | None = None,
                       include_deleted: bool = False) -> list[StoredMessage]:
        return [m for m in self._by_chat.get(chat_id, [])
                if (from_bot is None or m.from_bot == from_bot) and (include_deleted or not m.deleted)]

    @staticmethod
    def _mark_delivered() -> None:
        call = _CURRENT_CALL.get()
        if call is not None:
            call.delivered = True

    def _event(self, event: Event) -> None:
        event.seq = event.seq or self._next_seq()
        if event.kind in ("user_text", "user_edit", "user_file", "press"):
            self._last_user_seq[event.chat_id] = event.seq
        self.events.append(event)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _date(self) -> int:
        if self.clock is not None:
            return int(self.clock.now().timestamp())
        return int(time.time())

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _touch(self, chat: object = None) -> None:
        """Note activity and wake the waiters (of `chat` and of everything, when a request named one)."""
        with contextlib.suppress(RuntimeError):  # no running loop: nobody can be waiting
            self._last_activity = self._now()
        self._changes.fire(chat)

    def _activity(self, delta: int, chat: object = None) -> None:
        self._inflight += delta
        self._touch(chat)

    def _recent_calls(self, n: int = 6) -> list[str]:
        out = []
        for call in [c for c in self.sent if c.method != "getUpdates"][-n:]:
            out.append(f"{call.method}({call.chat_id}) -> {call.status} {call.error or ''}".strip())
        return out


class _HeldTimeout(Exception):
    """A request held past the client's timeout was not cancelled (the client waited longer)."""


class _Disconnect(Exception):
    """Close the connection without answering."""


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value):
        return await value
    return value


async def _read_params(request: web.Request) -> dict[str, str | FileRef]:
    """Parameters from the query string and the body (form, multipart or JSON), as strings.

    A JSON body is flattened the way Telegram's server does: strings stay strings, anything
    else becomes its JSON text, so one decoder serves every encoding.
    """
    raw: dict[str, str | FileRef] = dict(request.query)
    if request.method != "POST" or not request.can_read_body:
        return raw
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ValueError("can't parse JSON body") from exc
        if not isinstance(body, dict):
            raise ValueError("JSON body must be an object")
        for key, value in body.items():
            if value is not None:
                raw[key] = value if isinstance(value, str) else json.dumps(value)
        return raw
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            raw[key] = FileRef(value.filename, value.file.read(), value.content_type)
        else:
            raw[key] = str(value)
    return raw


def _json_error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _chat_of(raw: dict[str, str | FileRef]) -> int | str | None:
    value = raw.get("chat_id")
    if isinstance(value, str):
        return _int_or_none(value) if _int_or_none(value) is not None else value
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _inline_rows(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return (message.get("reply_markup") or {}).get("inline_keyboard", [])


def _keyboard_rows(markup: dict[str, Any] | None) -> list[list[str]]:
    rows = (markup or {}).get("keyboard", [])
    return [[b["text"] if isinstance(b, dict) else str(b) for b in row] for row in rows]


def _message_text(message: dict[str, Any]) -> str:
    return message.get("text") or message.get("caption") or ""


def _commands_key(p: dict[str, Any]) -> tuple[str, str]:
    """Telegram keeps one command list per (scope, language_code)."""
    return _scope_key(p.get("scope")), p.get("language_code", "")


def _scope_key(scope: dict[str, Any] | str | None) -> str:
    if scope is None:
        return "default"
    if isinstance(scope, str):
        return scope
    if scope.get("type") == "default":
        return "default"
    items = {k: (int(v) if k in ("chat_id", "user_id") and _int_or_none(v) is not None else v)
             for k, v in scope.items()}
    return json.dumps(items, sort_keys=True)


def _image_size(content: bytes) -> tuple[int, int]:
    """Width and height from a PNG header; 512x512 for anything else (enough for a fake)."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return width, height
    return 512, 512


def _size(content: bytes) -> str:
    n = len(content)
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1048576:.1f} MB"
