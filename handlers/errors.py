"""The error handler: log with context, apologise in Indonesian, tell the admins briefly."""

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import Forbidden
from telegram.error import NetworkError
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.domain.people import admin_telegram_ids
from bot.telegram.app import describe_update
from bot.telegram.sending import not_modified
from bot.telegram.services import services_of
from bot.text.render import render

log = logging.getLogger("rapk.errors")
LAST_ADMIN_NOTICE = "last_admin_error_notice"


async def _answer(update: Update) -> None:
    """Stop a pressed button's spinner, unless the handler already did (Telegram refuses a second answer)."""
    if update.callback_query:
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            log.info("callback not answered again: %s", exc)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any exception a handler or job raised ends here; the user is never left in silence."""
    error = context.error
    if isinstance(update, Update) and not_modified(error):
        # The press asked for what the message already shows: answer it (if the handler did not) and stop.
        log.info("%s changed nothing: %s", describe_update(update), error)
        await _answer(update)
        return
    if update is None and isinstance(error, NetworkError):
        # Telegram unreachable or slow while polling: PTB tries again with back-off. One line each time, not a
        # traceback per retry in the journal, and no notice to the admins, who cannot be reached either.
        log.warning("Telegram unreachable, trying again: %s", error)
        return
    log.error("error while handling %s: %r", describe_update(update), error, exc_info=error)
    services = services_of(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        await _answer(update)  # a handler that failed after answering: the apology still goes out
        try:
            await context.bot.send_message(update.effective_chat.id, render("error", services.lang))
        except TelegramError as exc:
            log.warning("could not tell the user about the error: %s", exc)
    # Brief admin notice, at most one every five minutes so an outage does not flood them.
    now = services.now()
    last = context.bot_data.get(LAST_ADMIN_NOTICE)
    if last is not None and now - last < timedelta(minutes=5):
        return
    context.bot_data[LAST_ADMIN_NOTICE] = now
    text = render("error_admin", services.lang, error=f"{type(error).__name__}: {error}"[:300],
                  where=describe_update(update))
    for admin_id in await services.db(admin_telegram_ids, config_ids=services.settings.admin_telegram_ids):
        try:
            await context.bot.send_message(admin_id, text)
        except Forbidden:
            continue
        except TelegramError as exc:
            log.warning("admin %s not told of the error: %s", admin_id, exc)
