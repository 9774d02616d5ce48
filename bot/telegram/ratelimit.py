"""The rate limiter: bulk sends keep Telegram's broadcast pace, a reply to a user's own message does not queue.

Telegram's Bots FAQ puts the ~30 messages/s limit on bulk notifications to many users; what it asks
of a single chat is about one message a second, with short bursts allowed. Reminders, digests and
messages to other people are bulk: they go through PTB's AIORateLimiter (overall limit, 20 a minute
per group, 429s slept out and retried). A send to the private chat whose update is being handled is
a reply: it goes straight out, so a PIC's first answer never waits behind 299 others or behind the
reminders that made them tap. Should Telegram answer a reply with 429 after all, that reply waits
out `retry_after` and goes through the bulk limiter, and so does every reply for REPLY_COOLDOWN
seconds after it: the worst case is the old single queue, one 429 later.
"""

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Iterator

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter
from telegram.ext import BaseRateLimiter

from bot.telegram.sending import retry_seconds

log = logging.getLogger("rapk.ratelimit")

# The private chat whose update the running task handles (None in jobs and in groups).
_REPLYING_TO: contextvars.ContextVar[int | None] = contextvars.ContextVar("rapk_replying_to", default=None)
# After a 429 on a reply, replies share the bulk limiter this long: a morning burst lasts seconds.
REPLY_COOLDOWN = 60.0


@contextlib.contextmanager
def replying_to(chat_id: int | None) -> Iterator[None]:
    """Sends to `chat_id` inside this block (and tasks it starts) are replies."""
    token = _REPLYING_TO.set(chat_id)
    try:
        yield
    finally:
        _REPLYING_TO.reset(token)


def _chat_id(data: dict) -> int | None:
    try:
        return int(data.get("chat_id"))
    except (TypeError, ValueError):
        return None  # no chat (answerCallbackQuery, getMe) or a @username


class ReplyFirstRateLimiter(BaseRateLimiter[int]):
    """Replies in the private chat being handled go at once; every other request through AIORateLimiter."""

    def __init__(self, *, overall_max_rate: float, max_retries: int):
        self.bulk = AIORateLimiter(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._capped_until = 0.0

    async def initialize(self) -> None:
        await self.bulk.initialize()

    async def shutdown(self) -> None:
        await self.bulk.shutdown()

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        chat_id = _chat_id(data)
        replying = _REPLYING_TO.get()
        loop = asyncio.get_running_loop()
        if replying is not None and chat_id == replying and loop.time() >= self._capped_until:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                self._capped_until = loop.time() + max(wait, REPLY_COOLDOWN)
                log.warning("a reply got 429 (retry after %.1f s): replies share the bulk limit for %.0f s",
                            wait, max(wait, REPLY_COOLDOWN))
                await asyncio.sleep(wait + 0.1)
        return await self.bulk.process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
