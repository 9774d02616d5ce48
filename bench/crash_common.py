"""Crash-test plumbing: the fake Bot API server in one process, the real bot (`rapk run`) in another,
killed with SIGKILL at chosen moments and started again.

    with FakeServer(token=TOKEN, users=[(1001, "Budi")], latency=0.1) as fake:
        bot = BotProcess(bot_env(fake.base_url, database_url, token=TOKEN, home=folder), log_dir=folder)
        bot.start()
        fake.wait_for_calls(1, method="sendMessage", since=0)   # the first send arrived
        bot.kill()                                              # kill -9, waits until it is gone
        boundary = fake.count()                                 # every request of the dead process is in
        bot.start()                                             # the next life
        ...
        bot.stop()                                              # SIGTERM: a clean stop
        calls = fake.calls("sendMessage")                       # what the server received, in order

FakeServer runs fake_telegram.FakeTelegram in a child process and answers over a pipe: `call(name,
*args, **kwargs)` runs any FakeTelegram method there (send_command, press_button, messages_to, ...;
arguments and results must pickle) and awaits it when it is a coroutine. Times (`time()`, a call's
"time") are the child's event-loop clock, which is time.monotonic() and so comparable with it here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from typing import Self

ROOT = Path(__file__).resolve().parent.parent


# -- the fake Bot API server, in its own process ------------------------------------------------------

def _call_record(index: int, call) -> dict[str, Any]:
    """A received request as plain data: arrival order, method, chat, time, answer, delivered."""
    response = call.response if isinstance(call.response, dict) else {}
    text = call.params.get("text")
    return {"index": index, "method": call.method, "chat_id": call.chat_id, "time": call.time,
            "status": call.status, "delivered": call.delivered, "message_id": response.get("message_id"),
            "text": text if isinstance(text, str) else None, "error": call.error}


def _serve(conn, options: dict[str, Any]) -> None:
    import asyncio

    asyncio.run(_serve_async(conn, options))


async def _serve_async(conn, options: dict[str, Any]) -> None:
    import asyncio
    import inspect

    from fake_telegram.server import FakeTelegram

    fake = FakeTelegram(token=options["token"], bot_username=options["bot_username"])
    await fake.start()
    for user_id, name in options["users"]:
        fake.add_user(user_id, name)
    if options["rate"]:
        fake.set_rate_limit(per_second=options["rate"])
    if options["latency"]:
        fake.set_latency(options["latency"])
    loop = asyncio.get_running_loop()
    conn.send(fake.base_url)
    try:
        while True:
            kind, name, args, kwargs = await loop.run_in_executor(None, conn.recv)
            if kind == "stop":
                break
            try:
                if kind == "call":
                    result = getattr(fake, name)(*args, **kwargs)
                    if inspect.isawaitable(result):
                        result = await result
                elif kind == "calls":
                    method, since = args
                    result = [_call_record(i, c) for i, c in enumerate(fake.sent[since:], since)
                              if method is None or c.method == method]
                elif kind == "count":
                    method, since = args
                    result = sum(1 for c in fake.sent[since:] if method is None or c.method == method)
                elif kind == "time":
                    result = loop.time()
                else:
                    raise ValueError(f"unknown request {kind!r}")
                conn.send(("ok", result))
            except Exception as exc:  # noqa: BLE001 - reported to the caller, the server keeps serving
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        await fake.stop()
        conn.send(("ok", None))


class FakeServer:
    """fake_telegram.FakeTelegram in a child process (as Telegram would be), driven over a pipe."""

    def __init__(self, *, token: str, users: Iterable[tuple[int, str]] = (), bot_username: str = "rapk_test_bot",
                 rate: float | None = None, latency: float = 0.0):
        self.options = {"token": token, "users": list(users), "bot_username": bot_username, "rate": rate,
                        "latency": latency}
        self.base_url = ""
        self._conn = None
        self._process = None

    def start(self) -> str:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.options), daemon=True)
        self._process.start()
        self.base_url = self._conn.recv()
        return self.base_url

    def _ask(self, kind: str, name: str = "", args: tuple = (), kwargs: dict | None = None) -> Any:
        self._conn.send((kind, name, args, kwargs or {}))
        status, result = self._conn.recv()
        if status != "ok":
            raise RuntimeError(f"fake server: {name or kind}: {result}")
        return result

    def call(self, name: str, *args, **kwargs) -> Any:
        """fake.<name>(*args, **kwargs) in the server process (awaited when it is a coroutine)."""
        return self._ask("call", name, args, kwargs)

    def calls(self, method: str | None = "sendMessage", since: int = 0) -> list[dict[str, Any]]:
        """Requests received from arrival number `since` on (of `method`; all when None), as dicts with
        index, method, chat_id, time, status (-1: the client went away first), delivered, message_id, text."""
        return self._ask("calls", args=(method, since))

    def count(self, method: str | None = None, since: int = 0) -> int:
        """How many requests arrived (of `method`) from arrival number `since` on; count() is the next index."""
        return self._ask("count", args=(method, since))

    def time(self) -> float:
        """The server's clock (time.monotonic()), the one calls' "time" is on."""
        return self._ask("time")

    def wait_for_calls(self, n: int, *, method: str | None = "sendMessage", since: int = 0,
                       timeout: float = 60.0, poll: float = 0.01) -> bool:
        """Wait until `n` requests of `method` arrived from `since` on; False on timeout."""
        return wait_until(lambda: self.count(method, since) >= n, timeout=timeout, poll=poll)

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(EOFError, BrokenPipeError, OSError):
            self._ask("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the bot under test, in its own process --------------------------------------------------------------

def bot_env(base_url: str, database_url: str, *, token: str, home: str | os.PathLike[str],
            **settings: Any) -> dict[str, str]:
    """The environment of a `rapk run` against the fake: RAPK_HOME is `home` (no .env there, so only these
    settings count); extra settings by name, e.g. telegram_max_messages_per_second=30, log_level="INFO"."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_", "RAPK_", "WEBHOOK_", "ADMIN_", "LEADERSHIP_"))}
    env.update({"RAPK_HOME": str(home), "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_BASE_URL": base_url,
                "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    env.update({k.upper(): ",".join(map(str, v)) if isinstance(v, list | tuple) else str(v)
                for k, v in settings.items()})
    return env


class BotProcess:
    """`python -m bot run` (the real `rapk run`) as a child process that can be killed and started again.
    Each life's output goes to log_dir/bot-<n>.log."""

    def __init__(self, env: dict[str, str], *, log_dir: str | os.PathLike[str], args: Iterable[str] = ("run",)):
        self.env = env
        self.args = list(args)
        self.log_dir = Path(log_dir)
        self.lives = 0
        self.started_at = 0.0  # time.monotonic() of the current life's start
        self._process: subprocess.Popen | None = None
        self._log = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"bot-{self.lives}.log"

    def start(self) -> None:
        if self.alive:
            raise RuntimeError("the bot is already running")
        self.lives += 1
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed when the life ends
        self._process = subprocess.Popen([sys.executable, "-m", "bot", *self.args], cwd=ROOT, env=self.env,
                                         stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()

    def kill(self) -> int:
        """kill -9 and wait until the process is gone; returns its exit status."""
        return self._end(signal.SIGKILL, timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (a clean stop, as systemd does) and wait; SIGKILL after `timeout` seconds."""
        try:
            return self._end(signal.SIGTERM, timeout=timeout)
        except subprocess.TimeoutExpired:
            return self.kill()

    def _end(self, sig: int, *, timeout: float) -> int:
        if self._process is None:
            return 0
        if self._process.poll() is None:
            self._process.send_signal(sig)
        code = self._process.wait(timeout=timeout)
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.alive:
            self.kill()


def wait_until(predicate: Callable[[], Any], *, timeout: float, poll: float = 0.05) -> bool:
    """Poll `predicate` until it is true; False after `timeout` seconds (benchmarks only, never tests)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
