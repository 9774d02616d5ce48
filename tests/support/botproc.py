"""The real bot in a child process that a test or benchmark kills with SIGKILL.

`python -m tests.support.botproc` runs bot.main.build_application with polling, as `rapk run`
does, with settings from the environment and a manual clock fixed at RAPK_TEST_NOW (the
calendar of the plan under test, not today's). `BotProcess` starts, kills and restarts it.
With RAPK_TEST_ROLE=dispatcher it is `rapk run --role dispatcher` instead (its jobs run; the clock
starts at RAPK_TEST_NOW and moves with real time, so claims age and are recovered), named
RAPK_TEST_WORKER in the outbox.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One bot process at a time against `fake`, on `db_url`; `kill()` is kill -9, nothing is flushed."""

    def __init__(self, fake, db_url: str, *, now: datetime, log_path: Path, **env):
        self.fake = fake
        self.env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url, "DATABASE_URL": db_url,
            "RAPK_TEST_NOW": now.isoformat(), "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT),
            # The real moment RAPK_TEST_NOW stands for: processes made together share one clock, however
            # late each starts (a dispatcher ahead of another would take its live claims for a dead one's).
            "RAPK_TEST_EPOCH": str(time.time()),
            **{k: str(v) for k, v in env.items()},
        }
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def start(self, timeout: float = 60) -> None:
        """Start the bot and return once its start-up work (re-asked questions included) is done."""
        readies = self._readies()
        with open(self.log_path, "a") as log:  # noqa: ASYNC230 - a local file, opened once per start
            # A child the test kills: asyncio's subprocess API would add nothing but a pipe to drain.
            self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.botproc"],  # noqa: ASYNC220
                                         env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            # Its log says «ready» after its start-up work (a getUpdates could still be the killed
            # process's, late); the fake's traffic wakes us, a process that died is noticed every second.
            try:
                await self.fake.wait_for(lambda: self._readies() > readies, 1)
                return
            except AssertionError:
                if self.proc.poll() is not None or loop.time() > deadline:
                    raise AssertionError(f"bot not polling (exit code {self.proc.poll()}); log:\n"
                                         f"{self.log_path.read_text()[-3000:]}") from None

    def _readies(self) -> int:
        return self.log_path.read_text().count(" ready (") if self.log_path.exists() else 0

    def kill(self) -> None:
        """kill -9: no shutdown, no last persistence write."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class RunningClock:
    """Real time moved so that `start` is the real moment `epoch` (a dispatcher process under test: its claims
    must age, on the same clock as its fellow dispatchers')."""

    def __init__(self, start: datetime, epoch: float):
        self.offset = start - datetime.fromtimestamp(epoch, UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def main() -> None:
    from bot.clock import ManualClock
    from bot.config import load_settings
    from bot.main import build_application
    from bot.telegram.app import ALLOWED_UPDATES
    from bot.telegram.app import run_dispatcher
    from bot.telegram.app import setup_logging
    from bot.telegram.services import DISPATCHER

    settings = load_settings(_env_file=None)
    setup_logging(settings.log_level, settings.telegram_bot_token.get_secret_value())
    start = datetime.fromisoformat(os.environ["RAPK_TEST_NOW"])
    timeout = float(os.environ.get("RAPK_TEST_TIMEOUT", "2"))
    if os.environ.get("RAPK_TEST_ROLE") == DISPATCHER:
        clock = RunningClock(start, float(os.environ["RAPK_TEST_EPOCH"]))
        application = build_application(settings, clock=clock, read_timeout=timeout, role=DISPATCHER,
                                         worker_id=os.environ.get("RAPK_TEST_WORKER"))
        asyncio.run(run_dispatcher(application))
        return
    clock = ManualClock(start)
    application = build_application(settings, clock=clock, read_timeout=timeout, run_jobs=False)
    asyncio.set_event_loop(asyncio.new_event_loop())
    application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0, timeout=1)


if __name__ == "__main__":
    main()
