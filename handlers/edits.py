"""Edited messages: never an answer. Telegram sends an edit of an earlier message as an update like
any other; inside a conversation it would answer whatever question is asked now (an edit to `45`
while «Aksi 2/3» is shown stored 45 in aksi 2), and an edited command would run again.

Registered first in handler group 0 (handlers/registry.py), so no conversation or command sees an
edit. In a private chat the user is told how to change an answer; in a group the edit is ignored.
"""

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.telegram.services import services_of
from bot.text.render import render


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edit changes nothing; in a private chat say so and how to change an answer (✏️ Ubah)."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    await update.effective_message.reply_text(render("edited_ignored", services_of(context).lang))


def handler() -> MessageHandler:
    """Every edited message or channel post (the first handler of group 0)."""
    return MessageHandler(filters.UpdateType.EDITED, edited)
