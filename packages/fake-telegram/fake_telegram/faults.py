"""Injected faults and flood control for the fake server.

Kinds of fault, named as a test would say them:
  "429"      Too Many Requests with parameters.retry_after (what flood control answers)
  "500"      Internal Server Error (JSON body, as Telegram's API answers it)
  "502"      Bad Gateway with an HTML body, as Telegram's front proxy answers it
  "403"      Forbidden: bot was blocked by the user
  "400"      Bad Request with a given description
  "timeout"  the request is held until the client gives up; it is NOT delivered
  "timeout_after_delivery"  delivered, then the response is held (the ambiguous case)
  "disconnect"  the connection is closed without an answer; not delivered
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

KINDS = frozenset({"429", "500", "502", "503", "504", "403", "400", "timeout",
                   "timeout_after_delivery", "disconnect"})


@dataclass
class Fault:
    kind: str
    method: str | None  # None matches every method
    chat_id: int | None
    remaining: int
    retry_after: float = 1
    description: str | None = None

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


def check_kind(kind: str) -> str:
    kind = str(kind)
    if kind not in KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(KINDS)}")
    return kind


@dataclass
class RandomFaults:
    """Faults drawn from a seeded generator, so a failing run can be replayed."""

    rate: float
    kinds: tuple[str, ...]
    seed: int
    retry_after: float
    methods: tuple[str, ...] | None

    def __post_init__(self) -> None:
        self.kinds = tuple(check_kind(k) for k in self.kinds)
        self._rng = random.Random(self.seed)

    def draw(self, method: str) -> str | None:
        if self.methods is not None and method not in self.methods:
            return None
        if self._rng.random() >= self.rate:
            return None
        return self._rng.choice(self.kinds)


class TokenBucket:
    """`rate` tokens a second, bursts up to `capacity`; time is the event loop's."""

    def __init__(self, rate: float, capacity: float | None = None):
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.last: float | None = None

    def wait(self, now: float) -> float:
        """Refill up to `now`; 0 when a token is available, else the seconds until one is."""
        if self.last is not None:
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class RateLimit:
    """Flood control like Telegram's: overall, per chat, and per group a minute."""

    per_second: float | None
    per_chat_per_second: float | None
    per_group_per_minute: float | None

    def __post_init__(self) -> None:
        self._global = TokenBucket(self.per_second) if self.per_second else None
        self._chats: dict[str, TokenBucket] = {}
        self._groups: dict[str, TokenBucket] = {}

    def check(self, now: float, chat_id: int | str | None, is_group: bool) -> int:
        """0 when the send may go, else the retry_after (whole seconds, at least 1) to answer."""
        buckets = []
        if self._global:
            buckets.append(self._global)
        key = str(chat_id)
        if self.per_chat_per_second and chat_id is not None:
            buckets.append(self._chats.setdefault(key, TokenBucket(self.per_chat_per_second)))
        if self.per_group_per_minute and is_group:
            buckets.append(self._groups.setdefault(
                key, TokenBucket(self.per_group_per_minute / 60, self.per_group_per_minute)))
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        if wait > 0:
            # Telegram's retry_after is a whole number of seconds.
            return max(1, math.ceil(wait))
        # A refused send costs nothing, as on Telegram; only a granted one takes a token.
        for bucket in buckets:
            bucket.tokens -= 1
        return 0
