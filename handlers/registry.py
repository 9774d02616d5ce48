"""Where every handler is attached to the application, in order.

Every handler is registered here, explicitly, in one place.
"""

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram import callbacks as cb
from handlers import errors, lapor, leadership, reminders, start, status
from handlers.admin import console as admin, pic as pic_admin


def register(application: Application) -> None:
    """Attach every handler to the application."""
    # Conversations first: while one runs, its states see the user's messages before anything else.
    application.add_handler(lapor.build())
    application.add_handler(CallbackQueryHandler(lapor.saved_outside, pattern=cb.LP_SAVE_ANY))
    application.add_handler(CallbackQueryHandler(lapor.stale_outside, pattern=cb.prefix(cb.LP)))
    reminders.register(application)
    admin.register(application)
    leadership.register(application)

    application.add_handler(CommandHandler("start", start.start))
    application.add_handler(CommandHandler(["bantuan", "help"], start.help_command))
    application.add_handler(CommandHandler("batal", start.cancel_outside))

    application.add_handler(CommandHandler("status", status.status))

    application.add_handler(CommandHandler("pic", pic_admin.pic_command))
    application.add_handler(CallbackQueryHandler(pic_admin.pic_callback, pattern=cb.prefix(cb.PIC)))
    application.add_handler(CommandHandler("undang", pic_admin.undang_command))
    application.add_handler(CallbackQueryHandler(pic_admin.undang_callback, pattern=cb.prefix(cb.INV)))

    # Last: anything else in a private chat gets a hint, never silence.
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED,
                                           start.unknown_private_text))
    application.add_handler(CallbackQueryHandler(start.stale_callback))
    application.add_error_handler(errors.on_error)
