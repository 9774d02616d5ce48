"""/start (with invite tokens), /bantuan (/help) and /batal outside any conversation."""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.agencies import agency_choices
from bot.domain.agencies import home_summaries
from bot.domain.people import RedeemStatus
from bot.domain.people import Role
from bot.domain.people import redeem_invite
from bot.telegram.app import set_person_menu
from bot.telegram.commands import KABUPATEN_ADMIN_MENU
from bot.telegram.commands import KABUPATEN_MENU
from bot.telegram.services import kabupaten_settings
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.auth import command
from handlers.auth import get_actor
from handlers.auth import open_private_chat_hint

# Deep-link payloads that are commands rather than invite tokens (from the group hint button).
COMMAND_PAYLOADS = {"lapor", "status", "bantuan"}


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet by role; with a token, bind this Telegram account to its person first."""
    services = services_of(context)
    payload = context.args[0] if context.args else ""
    if payload and payload not in COMMAND_PAYLOADS:
        await redeem(update, context, payload)
        return
    if update.effective_chat.type != "private":
        # A greeting lists the person's kegiatan: it belongs in the private chat, never in a group.
        await open_private_chat_hint(update, context)
        return
    actor = await get_actor(update, context, leadership=True)  # the greeting names every role
    # A PIC of several OPD: what they hold in each, headed by its name (bot.domain.agencies `home_summaries`).
    homes = await services.db(home_summaries, actor.person_id, actor.agency_ids, kabupaten_settings(context),
                              services.settings, now=services.now())
    # Someone of several OPD is told which one they act as (and /instansi to choose another).
    acting = None
    if len(actor.agency_ids) > 1:
        acting = next((c for c in await services.db(agency_choices, actor.person_id) if c.acting), None)
    user = update.effective_user
    await update.effective_message.reply_text(
        render("start", services.lang, actor=actor, first_name=user.first_name, roles=[r.value for r in actor.roles],
               acting=acting, homes=homes)
    )


async def redeem(update: Update, context: ContextTypes.DEFAULT_TYPE, token: str) -> None:
    """Onboarding: a single-use, expiring invite token binds the account to a person."""
    services = services_of(context)
    user = update.effective_user
    if update.effective_chat.type != "private":
        await update.effective_message.reply_text(render("invite_private_only", services.lang))
        return
    result = await services.db(redeem_invite, token, telegram_user_id=user.id, telegram_username=user.username,
                               now=services.now())
    context._rapk_actor = None  # the role may have just changed
    await update.effective_message.reply_text(
        render("invite_result", services.lang, status=result.status.value, name=result.person_name,
               ok=result.status in (RedeemStatus.OK, RedeemStatus.ALREADY))
    )


@command("bantuan", all_roles=True)
async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """What this role can do, in plain words."""
    services = services_of(context)
    in_group = update.effective_chat.type != "private"
    await update.effective_message.reply_text(
        render("help", services.lang, roles=[r.value for r in actor.roles], in_group=in_group,
               is_admin=actor.has(Role.ADMIN), is_pic=actor.has(Role.PIC), is_leadership=actor.has(Role.LEADERSHIP),
               is_kabupaten=actor.has(Role.KABUPATEN), is_kabupaten_admin=actor.has(Role.KABUPATEN_ADMIN),
               several_agencies=len(actor.agency_ids) > 1 and not in_group)
    )


async def cancel_outside(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/batal when nothing is running: say so, so the user is never left guessing."""
    await update.effective_message.reply_text(render("nothing_to_cancel", services_of(context).lang))


async def unknown_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any other text in a private chat gets a hint, never silence."""
    actor = await get_actor(update, context)
    if actor.roles == {Role.STRANGER}:  # the hint differs only for someone with no role at all
        actor = await get_actor(update, context, leadership=True)
    await update.effective_message.reply_text(
        render("hint", services_of(context).lang, roles=[r.value for r in actor.roles])
    )


async def set_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After any /start in a private chat (a greeting, an invite, `/start lapor`): the person's command
    menu by the role they hold now. An admin who first opens the bot after start-up, or who was made an
    admin before redeeming their invite, gets the admin menu; a former admin loses it. Runs in a handler
    group after the /start itself (handlers/registry.py), so an invite's new role counts."""
    actor = await get_actor(update, context)
    await set_person_menu(context.bot, update.effective_user.id, admin=actor.has(Role.ADMIN),
                          verifier=actor.has(Role.VERIFIER),
                          kabupaten=(KABUPATEN_ADMIN_MENU if actor.has(Role.KABUPATEN_ADMIN)
                                     else KABUPATEN_MENU if actor.has(Role.KABUPATEN) else None),
                          lang=services_of(context).lang)


async def stale_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler knows (old message, forged data): say so instead of spinning."""
    await update.callback_query.answer(render("stale_button", services_of(context).lang), show_alert=True)
