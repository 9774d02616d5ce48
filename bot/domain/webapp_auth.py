"""Who opened the Mini App: Telegram's signed `initData`, checked on every request.

The scheme is Telegram's (core.telegram.org/bots/webapps, «Validating data received via the Mini App»):
`initData` is a query string; the data-check-string is every field but `hash`, as `key=value`, sorted by key
and joined by a line feed; the secret key is HMAC-SHA-256 of the bot token keyed by the constant
"WebAppData"; `hash` must be the hex HMAC-SHA-256 of the data-check-string under that key. It is a dozen lines
of the standard library (`hmac`, compared in constant time), so no package is taken for it.

Besides the signature:
- `auth_date` may be at most `max_age` old (and not from the future beyond a small skew): an initData
  copied from a log or a shared screen stops working.
- Replay: initData is the same for every request of one opening of the page, so each request also carries
  a nonce the page draws afresh; `ReplayGuard` accepts a (hash, nonce) pair once. A request replayed as it
  was is refused. The guard lives in the process and forgets a pair once its initData expired (it cannot be
  replayed then anyway); a restart forgets it too, which a save survives because saving is idempotent.
"""

import hashlib
import hmac
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qsl
from urllib.parse import urlencode

MAX_INIT_DATA = 4096  # far above what Telegram sends; a larger one is not parsed at all
CLOCK_SKEW = timedelta(minutes=5)
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class InitDataError(Exception):
    """Refused: `code` is missing / forged / expired / replayed (every one answered 401)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class WebAppUser:
    telegram_user_id: int
    first_name: str
    auth_date: datetime
    hash: str


def _secret(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def sign_init_data(user: dict, *, bot_token: str, auth_date: datetime, query_id: str = "AAE-rapk") -> str:
    """initData as Telegram would send it for `user` (tests, the demo and the benchmark sign their own)."""
    fields = {"query_id": query_id, "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
              "auth_date": str(int(auth_date.timestamp()))}
    fields["hash"] = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def validate_init_data(init_data: str | None, *, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user `init_data` was signed for; InitDataError unless it is Telegram's, fresh and well formed."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("forged") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise InitDataError("forged")  # a repeated key could mean two things: refuse it
    expected = hmac.new(_secret(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        raise InitDataError("forged")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        raise InitDataError("forged") from None
    if auth_date > now + CLOCK_SKEW or now - auth_date > max_age:
        raise InitDataError("expired")
    return WebAppUser(user_id, str(user.get("first_name", "")), auth_date, fields["hash"])


class ReplayGuard:
    """Accepts each (initData hash, nonce) once while the initData is fresh; bounded in size."""

    def __init__(self, max_age: timedelta, limit: int = 100_000):
        self.max_age = max_age
        self.limit = limit
        self._seen: OrderedDict[tuple[str, str], datetime] = OrderedDict()

    def accept(self, user: WebAppUser, nonce: str | None, *, now: datetime) -> None:
        if not nonce or not NONCE.match(nonce):
            raise InitDataError("missing")
        while self._seen and (len(self._seen) >= self.limit
                              or now - next(iter(self._seen.values())) > self.max_age):
            self._seen.popitem(last=False)
        key = (user.hash, nonce)
        if key in self._seen:
            raise InitDataError("replayed")
        self._seen[key] = user.auth_date
