"""The admin console in chat: /impor, /target, /riwayat, /kunci, /buka, /pengguna (and /pic, /undang elsewhere).

/impor and /target share ONE persistent ConversationHandler ("admin"): an admin runs one flow at
a time, so starting /target while an upload waits replaces it instead of leaving two
conversations that both want the next message. /batal ends whichever runs; anything unexpected
gets the running flow's hint. The other commands are stateless (ids in the callback data,
validated again on every press). Every handler and callback requires the admin role.
"""

from telegram import Update
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain.people import Role
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import say
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.admin import history as admin_history
from handlers.admin import locks as admin_locks
from handlers.admin import plan_upload as admin_import
from handlers.admin import targets as admin_target
from handlers.admin import users as admin_users
from handlers.admin.common import FLOW
from handlers.admin.common import stale
from handlers.auth import require

HINTS = {"impor": admin_import.hint, "target": admin_target.hint}


@require(Role.ADMIN, conversation_end=True)
async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """/batal or Batal: drop whatever the flow holds; nothing was stored."""
    for key in (admin_import.DRAFT, admin_target.DRAFT, FLOW):
        context.user_data.pop(key, None)
    if update.callback_query:
        await ack(update, context)
        await update.callback_query.edit_message_reply_markup(None)
    await say(update, context, render("cancelled", services_of(context).lang))
    return ConversationHandler.END


@require(Role.ADMIN, conversation_end=True)
async def unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """A message the running step does not expect: its hint, never silence; the state stays."""
    if update.callback_query:
        await stale(update, context)
        return
    hint = HINTS.get(context.user_data.get(FLOW), admin_target.hint)
    await update.effective_message.reply_text(hint(context))


@require(Role.ADMIN)
async def outside(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """An /impor or /target button after its conversation ended (saved, cancelled): explain, do nothing."""
    await stale(update, context)


def build() -> ConversationHandler:
    """/impor and /target: persistent, so a restart resumes an upload preview or a half-typed target."""
    return ConversationHandler(
        name="admin",
        persistent=True,
        allow_reentry=True,
        entry_points=[*admin_import.ENTRY, *admin_target.ENTRY],
        states={**admin_import.STATES, **admin_target.STATES},
        fallbacks=[
            CommandHandler("batal", cancel),
            CallbackQueryHandler(cancel, pattern=cb.cancel_pattern(cb.IMP, cb.TG)),
            MessageHandler(filters.ALL & ~filters.COMMAND, unexpected),
            CallbackQueryHandler(unexpected, pattern=cb.prefix(cb.IMP, cb.TG)),
        ],
    )


def register(application: Application) -> None:
    """Attach the admin console's handlers (called once from handlers.registry.register)."""
    application.add_handler(build())
    application.add_handler(CallbackQueryHandler(outside, pattern=cb.prefix(cb.IMP, cb.TG)))
    application.add_handler(CommandHandler("riwayat", admin_history.riwayat))
    application.add_handler(CallbackQueryHandler(admin_history.riwayat_callback, pattern=cb.prefix(cb.RW)))
    application.add_handler(CommandHandler(["kunci", "buka"], admin_locks.lock_command))
    application.add_handler(CallbackQueryHandler(admin_locks.lock_callback, pattern=cb.prefix(cb.LK)))
    application.add_handler(CommandHandler("pengguna", admin_users.pengguna))
    application.add_handler(CallbackQueryHandler(admin_users.pengguna_callback, pattern=cb.prefix(cb.USR)))
