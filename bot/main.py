"""The composition root: the runtime with every handler and job attached, as `rapk run` starts it.

The only module that knows all layers: bot.telegram builds the Application, handlers.registry
attaches every handler, jobs.schedule_jobs starts the repeating ticks once the bot is up.
"""

from telegram.ext import Application

from bot.config import Settings
from bot.telegram.app import build_runtime
from bot.telegram.services import ALL
from bot.telegram.services import DISPATCHER
from handlers.registry import register
from jobs import schedule_jobs


def build_application(settings: Settings, **options) -> Application:
    """The real application; the only difference between tests and production is the base URL.

    Options are bot.telegram.app.build_runtime's: engine, clock, read_timeout, rate_limiter,
    worker_id, run_jobs, role (ALL, UPDATES or DISPATCHER: `rapk run --role`).
    """
    application = build_runtime(settings, schedule_jobs=schedule_jobs, **options)
    if options.get("role", ALL) != DISPATCHER:  # a dispatcher handles no update: no handler, no persistence
        register(application)
    return application
