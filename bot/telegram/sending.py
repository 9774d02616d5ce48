"""Sending: replies, button answers, keyboards, labels and notices — the Telegram helpers handlers and jobs share."""

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.domain.outbox import mark_unreachable
from bot.telegram.services import services_of

log = logging.getLogger("rapk.handlers")


async def ack(update: Update, context, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press exactly once (Telegram refuses a second answer)."""
    if update.callback_query and not getattr(context, "_rapk_answered", False):
        context._rapk_answered = True
        await update.callback_query.answer(text, show_alert=alert)


async def say(update: Update, context, text: str, markup=None) -> None:
    """Reply in the chat, whether the update is a message or a button press."""
    if update.callback_query:
        await ack(update, context)
        await update.callback_query.message.reply_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


def pressed_label(update: Update) -> str:
    """The text of the inline button that was tapped ("" when it is not on the message any more)."""
    query = update.callback_query
    markup = query.message.reply_markup if query.message else None
    for row in (markup.inline_keyboard if markup else ()):
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return ""


async def close_question(update: Update, context, answer: str | None = None) -> None:
    """The tapped answer stays visible under its question and the buttons go, as on a paper form."""
    from html import escape

    await ack(update, context)
    answer = answer if answer is not None else pressed_label(update)
    message = update.callback_query.message
    if not answer:
        await update.callback_query.edit_message_reply_markup(None)
        return
    try:
        await update.callback_query.edit_message_text(f"{message.text_html}\n\n➡️ <b>{escape(answer)}</b>")
    except BadRequest as exc:  # e.g. the message is too old to edit: losing the echo loses nothing
        log.info("question not closed: %s", exc)


def short(text: str, limit: int = 48) -> str:
    """Button labels stay readable on a phone."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def button_column(buttons) -> InlineKeyboardMarkup | None:
    """One (label, callback data) button per row, as reminders and digests carry them."""
    return keyboard([[button] for button in buttons])


def keyboard(rows) -> InlineKeyboardMarkup | None:
    """Inline buttons from (label, callback data) rows; None when there are none (Telegram refuses `{}`)."""
    rows = [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def notify_person(context, *, person_id: int, telegram_user_id: int | None, text: str) -> bool:
    """A notice to one person; a 403 or a vanished chat marks them unreachable. True when delivered."""
    if telegram_user_id is None:
        return False
    services = services_of(context)
    try:
        await context.bot.send_message(telegram_user_id, text)
        return True
    except (Forbidden, BadRequest) as exc:
        if isinstance(exc, BadRequest) and "chat not found" not in str(exc).lower():
            log.warning("notice to person %s refused: %s", person_id, exc)
            return False
        now = services.now()
        await services.db(mark_unreachable, person_id, now=now, today=now.astimezone(services.settings.tz).date(),
                          admin_chat_ids=(), error=str(exc))
        return False
    except TelegramError as exc:
        log.warning("notice to person %s not sent: %s", person_id, exc)
        return False
