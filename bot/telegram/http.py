"""PTB's HTTP backend on aiohttp, through the interface PTB provides for it (telegram.request.BaseRequest).

Why not PTB's default (httpx): at the dispatcher's rates the bot is CPU-bound, and against the fake
Bot API server an httpx request costs about 1.6 ms of CPU where an aiohttp request costs about
0.35 ms. That is the difference between reaching the rate cap and not (bench/reminder_bench.py).
PTB's own errors, retries and rate limiter sit above this class and are unchanged. The design
follows ptbcontrib's aiohttp_request (the PTB maintainers' contrib package, not published on PyPI).
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

import aiohttp
from telegram.error import NetworkError
from telegram.error import TimedOut
from telegram.request import BaseRequest
from telegram.request import RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session (connection pool) for the bot's requests, with PTB's four timeouts.

    aiohttp has no write timeout: the time to send is bounded by the total, which is the sum of the
    four (or unbounded when one of them is None, as PTB's None means "wait for ever").
    """

    __slots__ = ("_connect_timeout", "_pool_size", "_pool_timeout", "_read_timeout", "_session", "_write_timeout")

    def __init__(self, *, connection_pool_size: int = 256, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, before_request: Callable[[], Awaitable[None]] | None = None):
        self._pool_size = connection_pool_size
        # Runs before each request (getUpdates: the inbox is written before the batch is confirmed).
        self._before_request = before_request
        self._read_timeout, self._write_timeout = read_timeout, write_timeout
        self._connect_timeout, self._pool_timeout = connect_timeout, pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        """PTB adds the long-polling timeout of getUpdates to this."""
        return self._read_timeout

    @property
    def total_timeout(self) -> float | None:
        """The longest one request with the default timeouts can take, seconds (None: no bound). After
        that, a request of a process that died can no longer reach Telegram (jobs/reminders.py)."""
        parts = (self._read_timeout, self._write_timeout, self._connect_timeout, self._pool_timeout)
        return None if None in parts else sum(parts)

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown) on the running event loop."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size),
                                                  headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, read, write, connect, pool) -> aiohttp.ClientTimeout:
        def chosen(value, default):
            return default if value is BaseRequest.DEFAULT_NONE else value

        read, write = chosen(read, self._read_timeout), chosen(write, self._write_timeout)
        connect, pool = chosen(connect, self._connect_timeout), chosen(pool, self._pool_timeout)
        parts = (read, write, connect, pool)
        return aiohttp.ClientTimeout(
            total=None if None in parts else sum(parts),
            connect=None if connect is None or pool is None else connect + pool,  # a free connection, opened
            sock_connect=connect, sock_read=read)

    @staticmethod
    def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
        """Form fields as PTB encodes them; multipart when a file is attached."""
        if request_data is None:
            return None
        if not request_data.multipart_data:
            return request_data.json_parameters
        form = aiohttp.FormData(request_data.json_parameters)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=BaseRequest.DEFAULT_NONE, write_timeout=BaseRequest.DEFAULT_NONE,
                         connect_timeout=BaseRequest.DEFAULT_NONE,
                         pool_timeout=BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        """Send one request; PTB turns the status and payload into a result or a TelegramError."""
        if self._before_request is not None:
            await self._before_request()
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        try:
            async with self._session.request(
                    method, url, data=self._body(request_data),
                    timeout=self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as exc:
            raise TimedOut("Pool timeout or connect timeout: the request was not sent") from exc
        except TimeoutError as exc:  # also aiohttp's read timeout
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
