"""Scheduled work. Every job is an idempotent tick over the database (see DESIGN.md)."""

import logging
import time

from telegram.ext import Application
from telegram.ext import ContextTypes

log = logging.getLogger("rapk.jobs")

# (name, callback, interval seconds, first run delay seconds); filled by the job modules below.
JOBS: list[tuple[str, object, float, float]] = []


def timed(name: str):
    """Log one line per job run with its duration."""

    def decorate(callback):
        async def wrapper(context: ContextTypes.DEFAULT_TYPE):
            started = time.perf_counter()
            try:
                await callback(context)
            finally:
                log.info("job %s ran in %.1f ms", name, (time.perf_counter() - started) * 1000)

        wrapper.__name__ = name
        return wrapper

    return decorate


def schedule_jobs(application: Application) -> None:
    """Register every repeating job with an explicit misfire grace time and coalescing."""
    for name, callback, interval, first in JOBS:
        application.job_queue.run_repeating(
            timed(name)(callback), interval=interval, first=first, name=name,
            job_kwargs={"misfire_grace_time": int(max(interval, 60)), "coalesce": True, "max_instances": 1},
        )


from jobs import digest  # noqa: E402,F401  (registers its job in JOBS)
from jobs import reminders  # noqa: E402,F401  (registers its jobs in JOBS)
