"""Long-lived services shared by handlers and jobs (kept in Application.bot_data)."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import TypeVar

from sqlalchemy import Engine

from bot.clock import SystemClock
from bot.config import Settings
from bot.db import unit_of_work

T = TypeVar("T")


ALL, UPDATES, DISPATCHER = "all", "updates", "dispatcher"
ROLES = (ALL, UPDATES, DISPATCHER)


@dataclass
class Services:
    """Settings, database and clock: everything a handler needs besides the update."""

    settings: Settings
    engine: Engine
    clock: object = field(default_factory=SystemClock)
    bot_username: str = ""
    # The worker name used when claiming outbox rows (two processes never send one row twice).
    worker_id: str = "bot"
    # Tests and the demo drive the ticks themselves on a manual clock instead of the JobQueue.
    run_jobs: bool = True
    # Called from post_init to start the repeating jobs (jobs.schedule_jobs, given by bot.main).
    schedule_jobs: Callable[..., None] | None = None
    # What this process does (`rapk run --role`): ALL (updates and the outbox), UPDATES (answers updates and
    # runs the ticks, never sends the outbox) or DISPATCHER (only sends the outbox).
    role: str = ALL
    # Awaited at start-up with the application: conversations re-ask a question that may not have arrived.
    on_restart: list[Callable[..., object]] = field(default_factory=list)

    @property
    def dispatches(self) -> bool:
        """Whether this process sends outbox rows (an UPDATES process leaves them to the dispatchers)."""
        return self.role != UPDATES

    @property
    def lang(self) -> str:
        return self.settings.language

    async def db(self, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run `fn(*args, session=..., **kwargs)` as one unit of work in a worker thread.

        Committed before this returns: a handler that says «Tersimpan» after awaiting it tells the truth.
        """
        def work() -> T:
            with unit_of_work(self.engine) as session:
                return fn(*args, session=session, **kwargs)

        return await asyncio.to_thread(work)

    def now(self):
        return self.clock.now()


SERVICES_KEY = "services"


def services_of(context) -> Services:
    """The Services object of a handler's CallbackContext (or of an Application).

    Once handlers.auth has resolved who asks, with the settings of the agency they act in
    (bot.domain.agencies `agency_settings`): everything the handler serves is that agency's."""
    scoped = getattr(context, "_rapk_services", None)
    if scoped is not None:
        return scoped
    bot_data = context.bot_data if hasattr(context, "bot_data") else context
    return bot_data[SERVICES_KEY]


def scope_services(context, settings: Settings) -> Services:
    """Make `services_of(context)` give the settings of the agency the update's sender acts in."""
    base = services_of(context)
    if settings is not base.settings:
        context._rapk_services = replace(base, settings=settings)
    return services_of(context)


def kabupaten_settings(context) -> Settings:
    """The settings as configured (the kabupaten's), before handlers.auth scoped them to the sender's agency:
    what another agency's settings are made from (bot.domain.agencies `agency_settings`)."""
    bot_data = context.bot_data if hasattr(context, "bot_data") else context
    return bot_data[SERVICES_KEY].settings
