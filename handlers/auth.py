"""Who is asking: every handler goes through `require`, which checks the role it needs."""

import functools
import logging
from dataclasses import replace

from telegram import ChatMember
from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler

from bot.domain.agencies import acting_agency
from bot.domain.agencies import names_only_agency
from bot.domain.people import Actor
from bot.domain.people import Role
from bot.domain.people import leadership_membership
from bot.domain.people import note_leadership_membership
from bot.telegram import callbacks
from bot.telegram import commands
from bot.telegram.services import scope_services
from bot.telegram.services import services_of
from bot.text.render import render

log = logging.getLogger("rapk.auth")

MEMBER_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}


def is_member(member: ChatMember) -> bool:
    """Telegram's word on membership (a restricted user is listed even after leaving: is_member says)."""
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", True))
    return member.status in MEMBER_STATUSES


async def is_leadership_member(user_id: int, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Member of the leadership chat: what the group's updates taught us, else asked of Telegram.

    getChatMember is a call to a group, which the rate limiter lets through 20 a minute: it is the
    fallback for when the database knows nothing fresh, never the common path.
    """
    services = services_of(context)
    chat_id = services.settings.leadership_chat_id
    if not chat_id:
        return False
    known = await services.db(leadership_membership, user_id, chat_id=chat_id, now=services.now())
    if known is not None:
        return known
    try:
        value = is_member(await context.bot.get_chat_member(chat_id, user_id))
    except TelegramError as exc:
        log.warning("leadership membership of %s unknown: %s", user_id, exc)
        return False  # not remembered: the next command asks again
    await services.db(note_leadership_membership, user_id, value, chat_id=chat_id, now=services.now(),
                      source="get_chat_member")
    return value


async def get_actor(update: Update, context: ContextTypes.DEFAULT_TYPE, *, leadership: bool = False) -> Actor:
    """The Actor behind an update (cached on the context for the rest of the update).

    Membership of the leadership group counts in the group itself; in a private chat it is looked
    up only with `leadership=True`, by handlers whose answer depends on it, so a PIC's /lapor never
    waits for it.
    """
    services = services_of(context)
    user = update.effective_user
    chat = update.effective_chat
    actor = getattr(context, "_rapk_actor", None)
    if actor is None:
        acting = await services.db(acting_agency, user.id, settings=services.settings,
                                   chat_id=chat.id if chat else None,
                                   private=chat is None or chat.type == ChatType.PRIVATE)
        actor = context._rapk_actor = acting.actor
        scope_services(context, acting.settings)
    if leadership and not actor.is_leadership and not getattr(context, "_rapk_leadership_checked", False):
        context._rapk_leadership_checked = True
        if chat is not None and chat.type == ChatType.PRIVATE and await is_leadership_member(user.id, context):
            actor = context._rapk_actor = replace(actor, is_leadership=True)
    return actor


async def reply(update: Update, text: str, **kwargs):
    """Answer a message or a button press in the same chat."""
    if update.callback_query:
        await update.callback_query.answer()
        return await update.callback_query.message.reply_text(text, **kwargs)
    return await update.effective_message.reply_text(text, **kwargs)


async def refuse(update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, needed: tuple[Role, ...]) -> None:
    """A polite Indonesian refusal saying how to get access; buttons get a short alert."""
    lang = services_of(context).lang
    if update.callback_query:
        await update.callback_query.answer(render("refused_alert", lang), show_alert=True)
        return
    await update.effective_message.reply_text(
        render("refused", lang, actor=actor, needed=[r.value for r in needed], stranger=actor.person_id is None
               and not actor.is_admin)
    )


async def _names_only_agency(update: Update, context, actor: Actor, roles: tuple[Role, ...]) -> bool:
    """A button names only people and items of the agency the presser acts in; a PIC's buttons (a handler
    for PICs only) of any agency they report in. Nothing to check for a deployment without agencies."""
    if actor.agency_id is None:
        return True
    named = callbacks.named_ids(update.callback_query.data)
    if not named:
        return True
    agencies = actor.agency_ids if set(roles) == {Role.PIC} else (actor.agency_id,)
    return await services_of(context).db(names_only_agency, agencies, **named)


def require(*roles: Role, private_only: bool = False, conversation_end: bool = False, all_roles: bool = False):
    """Decorator: run the handler only for users holding one of `roles`.

    `private_only` sends group users to the private chat; `conversation_end` makes a refusal
    also end a conversation (for conversation entry points and states). Leadership membership is
    looked up only when no other role in `roles` lets the user in, or with `all_roles` (for a
    handler that shows every role the user holds).
    """

    def decorate(callback):
        @functools.wraps(callback)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE):
            if update.effective_user is None:
                return ConversationHandler.END if conversation_end else None
            actor = await get_actor(update, context)
            if all_roles or (Role.LEADERSHIP in roles and not any(actor.has(role) for role in roles)):
                actor = await get_actor(update, context, leadership=True)
            if roles and not any(actor.has(role) for role in roles):
                log.info("refused user=%s roles=%s needed=%s", actor.telegram_user_id,
                         sorted(r.value for r in actor.roles), [r.value for r in roles])
                await refuse(update, context, actor, roles)
                return ConversationHandler.END if conversation_end else None
            if update.callback_query is not None and not await _names_only_agency(update, context, actor, roles):
                log.info("refused user=%s button %r names another agency's", actor.telegram_user_id,
                         update.callback_query.data)
                await refuse(update, context, actor, roles)
                return None  # a conversation under way stays where it was: the forged press changed nothing
            chat = update.effective_chat
            if private_only and chat is not None and chat.type != ChatType.PRIVATE:
                await open_private_chat_hint(update, context)
                return ConversationHandler.END if conversation_end else None
            return await callback(update, context, actor)

        return wrapper

    return decorate


def command(name: str, *, conversation_end: bool = False, all_roles: bool = False):
    """Decorator for a command's handler: roles and private-only from the commands table
    (bot/telegram/commands.py). The handler is tagged so handlers.registry can check the binding."""
    entry = commands.BY_NAME[name]
    checked = require(*sorted(entry.roles), private_only=entry.private_only, conversation_end=conversation_end,
                      all_roles=all_roles)

    def decorate(callback):
        wrapper = checked(callback)
        wrapper.rapk_command = entry.name
        return wrapper

    return decorate


async def open_private_chat_hint(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer with a button that opens the private chat with the bot."""
    from telegram import InlineKeyboardButton
    from telegram import InlineKeyboardMarkup

    services = services_of(context)
    username = services.bot_username or context.bot.username
    words = (update.effective_message.text or "/start").split()
    command = words[0].split("@")[0].lstrip("/")
    if command == "start" and len(words) > 1:  # `/start@bot lapor` from the group hint or a shared link
        command = words[1]
    url = f"https://t.me/{username}?start={command}" if command in {"lapor", "status"} else f"https://t.me/{username}"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(render("button_open_private", services.lang), url=url)]])
    await reply(update, render("use_private_chat", services.lang), reply_markup=markup)
