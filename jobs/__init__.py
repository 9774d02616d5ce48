"""Scheduled work. Every job is an idempotent tick over the database (see DESIGN.md)."""

import logging
import time

from telegram.ext import Application
from telegram.ext import ContextTypes

from bot.telegram.services import DISPATCHER
from bot.telegram.services import UPDATES
from bot.telegram.services import services_of

log = logging.getLogger("rapk.jobs")

# (name, callback, interval seconds, first run delay seconds); filled by the job modules below.
JOBS: list[tuple[str, object, float, float]] = []
# The jobs that send the outbox: the only ones a `--role dispatcher` process runs, and the ones an
# `--role updates` process leaves out (every other job is a tick over the database, run where updates are).
DISPATCH_JOBS: set[str] = set()


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


def jobs_for(role: str) -> list[tuple[str, object, float, float]]:
    """The jobs a process of this role runs (bot.telegram.services ALL, UPDATES, DISPATCHER)."""
    if role == DISPATCHER:
        return [job for job in JOBS if job[0] in DISPATCH_JOBS]
    if role == UPDATES:
        return [job for job in JOBS if job[0] not in DISPATCH_JOBS]
    return list(JOBS)


def schedule_jobs(application: Application) -> None:
    """Register every repeating job of this process's role with an explicit misfire grace time and coalescing."""
    for name, callback, interval, first in jobs_for(services_of(application).role):
        application.job_queue.run_repeating(
            timed(name)(callback), interval=interval, first=first, name=name,
            job_kwargs={"misfire_grace_time": int(max(interval, 60)), "coalesce": True, "max_instances": 1},
        )


from jobs import digest  # noqa: E402,F401  (registers its job in JOBS)
from jobs import reminders  # noqa: E402,F401  (registers its jobs in JOBS)
