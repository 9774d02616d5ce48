"""Learning who is in the leadership group from the group's own updates, so nobody has to ask Telegram.

A message in the group proves its sender is a member; a chat_member update (join, leave, kick; sent
only while the bot is an admin of the group, and only when asked for in allowed_updates) says
either way. Both run in their own handler group, next to whatever else answers the update.
"""

from telegram import Update
from telegram.ext import Application
from telegram.ext import ChatMemberHandler
from telegram.ext import ContextTypes
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain.agencies import agency_of_chat
from bot.domain.people import note_leadership_membership
from bot.telegram.services import services_of
from handlers.auth import is_member

# A group of its own, before the command handlers (group 0) and reminders.py's -1: learning never
# stops an update from being answered, and nothing answering it can skip the learning.
MEMBERSHIP_GROUP = -2


async def _note(context: ContextTypes.DEFAULT_TYPE, user_id: int, value: bool, source: str, chat_id: int) -> None:
    services = services_of(context)
    await services.db(note_leadership_membership, user_id, value, chat_id=chat_id, now=services.now(), source=source)


async def _in_leadership_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """The kabupaten's LEADERSHIP_CHAT_ID or an agency's own leadership group."""
    chat = update.effective_chat
    if chat is None:
        return False
    services = services_of(context)
    return chat.id == services.settings.leadership_chat_id or \
        await services.db(agency_of_chat, chat.id) is not None


async def group_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone wrote in the leadership group (or joined or left it, as a service message)."""
    if not await _in_leadership_chat(update, context):
        return
    message = update.effective_message
    left = message.left_chat_member
    if left is not None and not left.is_bot:
        await _note(context, left.id, False, "message", update.effective_chat.id)
    for joined in message.new_chat_members or ():
        if not joined.is_bot:
            await _note(context, joined.id, True, "message", update.effective_chat.id)
    sender = message.from_user
    # Anonymous admins and channels post as a bot account: that says nothing about a person.
    if sender is not None and not sender.is_bot and (left is None or left.id != sender.id):
        await _note(context, sender.id, True, "message", update.effective_chat.id)


async def chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Telegram says a user's membership of the leadership group changed."""
    if not await _in_leadership_chat(update, context):
        return
    new = update.chat_member.new_chat_member
    if not new.user.is_bot:
        await _note(context, new.user.id, is_member(new), "chat_member", update.effective_chat.id)


def register(application: Application) -> None:
    """Attach the membership learners (called once from handlers.registry.register)."""
    application.add_handler(MessageHandler(filters.ChatType.GROUPS, group_message), group=MEMBERSHIP_GROUP)
    application.add_handler(ChatMemberHandler(chat_member, ChatMemberHandler.CHAT_MEMBER), group=MEMBERSHIP_GROUP)
