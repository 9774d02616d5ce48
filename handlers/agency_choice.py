"""/instansi: a person with roles in several OPD (their own agency, an AgencyMember of another, PIC of
another's kegiatan) chooses which one they act as; every command then serves that agency (bot.domain.agencies
`acting_agency` honours the choice while they still belong to it).

Anyone may send it: the domain lists only the person's own agencies. A button (`ins:p:<agency>`) is checked
again on the press by `choose_agency`: a forged agency the person is not in is refused and changes nothing.
"""

from telegram import Update
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes

from bot.domain.agencies import agency_choices
from bot.domain.agencies import choose_agency
from bot.domain.people import Refused
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import keyboard
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.render import render
from handlers import start
from handlers.auth import command
from handlers.auth import get_actor
from handlers.auth import require


def _buttons(choices):
    if len(choices) < 2:
        return None
    return keyboard([[(("✅ " if c.acting else "") + short(c.name), cb.ACT_AGENCY.build(agency=c.agency_id))]
                     for c in choices])


@command("instansi")
async def instansi(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/instansi: the OPD the person acts as, and a button for each OPD they belong to."""
    services = services_of(context)
    choices = await services.db(agency_choices, actor.person_id)
    await update.effective_message.reply_text(render("instansi", services.lang, choices=choices, chosen=False),
                                              reply_markup=_buttons(choices))


@require()  # anyone: whether the person belongs to the agency pressed is the domain's check
async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """ins:p:<agency>: act as that OPD from now on; the menu follows the roles held there."""
    services = services_of(context)
    press = cb.ACT_AGENCY.parse(update.callback_query.data)
    if press is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return
    try:
        await services.db(choose_agency, actor.person_id, press.agency)
    except Refused:
        await ack(update, context, render("refused_alert", services.lang), alert=True)
        return
    await ack(update, context)
    context._rapk_actor = None  # the roles and settings are those of the agency just chosen
    await get_actor(update, context)
    choices = await services.db(agency_choices, actor.person_id)
    await update.callback_query.edit_message_text(render("instansi", services.lang, choices=choices, chosen=True),
                                                  reply_markup=_buttons(choices))
    await start.set_menu(update, context)


def register(application: Application) -> None:
    """Attach /instansi and its buttons (called once from handlers.registry.register)."""
    application.add_handler(CommandHandler("instansi", instansi))
    application.add_handler(CallbackQueryHandler(choose, pattern=cb.prefix(cb.INS)))
