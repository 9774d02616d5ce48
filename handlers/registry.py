"""Where every handler is attached to the application, in order.

Every handler is registered here, explicitly, in one place; `check_commands` then holds the
registered commands to the commands table (bot/telegram/commands.py).
"""

from telegram.ext import Application
from telegram.ext import BaseHandler
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.telegram import callbacks as cb
from bot.telegram import commands
from bot.telegram.persistence import DatabasePersistence
from bot.telegram.services import services_of
from handlers import agency_choice
from handlers import edits
from handlers import errors
from handlers import feedback
from handlers import kabupaten
from handlers import lapor
from handlers import leadership
from handlers import membership
from handlers import reminders
from handlers import start
from handlers import status
from handlers import verification
from handlers import webapp
from handlers.admin import budget_plan as admin_budget_plan
from handlers.admin import console as admin
from handlers.admin import pic as pic_admin

MENU_GROUP = 1  # after group 0, where every update is answered


def register(application: Application) -> None:
    """Attach every handler to the application."""
    # An edited message is never an answer nor a command: caught before any conversation sees it.
    application.add_handler(edits.handler())
    # Conversations next: while one runs, its states see the user's messages before anything else.
    application.add_handler(lapor.build())
    verification.register(application)  # its note conversation sees the verifier's text first
    feedback.register(application)  # «Tanggapi», evidence and «Ingatkan» before leadership's `rk:` catch-all
    # /lapor's draft is written with its state before each question, and re-asked after a restart.
    if isinstance(application.persistence, DatabasePersistence):
        application.persistence.checkpointed.add(lapor.DRAFT)
        services_of(application).on_restart.append(lapor.resume_after_restart)
    application.add_handler(CallbackQueryHandler(lapor.saved_outside, pattern=cb.LP_SAVE_ANY))
    application.add_handler(CallbackQueryHandler(lapor.stale_outside, pattern=cb.prefix(cb.LP)))
    reminders.register(application)
    admin.register(application)
    leadership.register(application)
    kabupaten.register(application)  # /rekap, /opd and the rekap's `rkp:` buttons
    agency_choice.register(application)  # /instansi and its `ins:` buttons
    membership.register(application)
    webapp.register(application)  # the Mini App's routes on the web server, when WEBAPP_URL is set

    application.add_handler(CommandHandler("start", start.start))
    application.add_handler(CommandHandler(["bantuan", "help"], start.help_command))
    application.add_handler(CommandHandler("batal", start.cancel_outside))

    application.add_handler(CommandHandler("status", status.status))

    application.add_handler(CommandHandler("anggarankas", admin_budget_plan.anggarankas))
    application.add_handler(CommandHandler("pic", pic_admin.pic_command))
    application.add_handler(CallbackQueryHandler(pic_admin.pic_callback, pattern=cb.prefix(cb.PIC)))
    application.add_handler(CommandHandler("undang", pic_admin.undang_command))
    application.add_handler(CallbackQueryHandler(pic_admin.undang_callback, pattern=cb.prefix(cb.INV)))

    # Last: anything else in a private chat gets a hint, never silence.
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED,
                                           start.unknown_private_text))
    application.add_handler(CallbackQueryHandler(start.stale_callback))
    # After whatever answered a /start (the greeting, an invite, /lapor's `/start lapor`): the menu of
    # the role the person holds now.
    private_start = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start.set_menu, private_start), group=MENU_GROUP)
    application.add_error_handler(errors.on_error)
    check_commands(application)


def _walk(handlers):
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _walk([*handler.entry_points, *(h for hs in handler.states.values() for h in hs),
                              *handler.fallbacks])
        else:
            yield handler


def all_handlers(application: Application) -> list[BaseHandler]:
    """Every handler of the application, those inside conversations too."""
    return list(_walk([h for group in application.handlers.values() for h in group]))


def command_handlers(application: Application) -> list[CommandHandler]:
    return [h for h in all_handlers(application) if isinstance(h, CommandHandler)]


def check_commands(application: Application) -> None:
    """Fail loudly (at start-up and in every test) when the handlers and the commands table disagree:
    a table entry without a handler, a registered command missing from the table, or a command whose
    handler does not take its roles from the table (handlers.auth.command)."""
    handlers = command_handlers(application)
    registered = {name for h in handlers for name in h.commands}
    table = commands.all_names()
    problems = [f"/{n} is in bot/telegram/commands.py but has no handler" for n in sorted(table - registered)]
    problems += [f"/{n} has a handler but no row in bot/telegram/commands.py" for n in sorted(registered - table)]
    for h in handlers:
        tag = getattr(h.callback, "rapk_command", None)
        for name in h.commands & table:
            entry = commands.BY_NAME[name]
            if entry.roles and tag is None:
                problems.append(f"/{name}: its handler {h.callback.__qualname__} is not bound with "
                                "handlers.auth.command, so the table's roles would not apply")
            elif tag is not None and commands.BY_NAME[tag].roles != entry.roles and entry.roles:
                problems.append(f"/{name}: bound to the handler of /{tag}, which needs other roles")
    if problems:
        raise RuntimeError("commands table and handlers disagree:\n  " + "\n  ".join(problems))
