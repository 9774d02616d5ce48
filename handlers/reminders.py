"""Reminders in the chat: /ingatkan and /jadwal for admins, /cuti for PICs, and reminders resuming
when someone who had blocked the bot writes to it again.

The sending itself is the dispatcher's (jobs/reminders.py); these handlers create rows, show the
schedule and set a PIC's leave.
"""

import logging

from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import TypeHandler
from telegram.ext import filters

from bot.domain.calendar import ReportingCalendar
from bot.domain.calendar import weekday_date
from bot.domain.outbox import MAX_NAMES
from bot.domain.outbox import clear_unreachable
from bot.domain.outbox import create_manual_reminders
from bot.domain.outbox import manual_summary
from bot.domain.outbox import schedule_overview
from bot.domain.outbox import unreachable_telegram_ids
from bot.domain.people import MAX_LEAVE_DAYS
from bot.domain.people import LeaveDateError
from bot.domain.people import Role
from bot.domain.people import on_leave_until
from bot.domain.people import parse_leave_date
from bot.domain.people import set_paused
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import keyboard
from bot.telegram.sending import say
from bot.telegram.services import services_of
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command
from handlers.auth import require
from jobs.reminders import UNREACHABLE_IDS
from jobs.reminders import dispatch

log = logging.getLogger("rapk.handlers.reminders")

UNTIL = 0
END_WORDS = {"selesai", "masuk", "berakhir", "end", "done", "stop"}


def _calendar(context) -> ReportingCalendar:
    return ReportingCalendar.from_settings(services_of(context).settings)


def _today(context):
    return _calendar(context).local_date(services_of(context).now())


def _listed(names: list[str]) -> dict:
    return {"items": names[:MAX_NAMES], "more": max(0, len(names) - MAX_NAMES)}


# -- /ingatkan ------------------------------------------------------------------------------------

@command("ingatkan")
async def ingatkan(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/ingatkan [nomor-kegiatan]: send the due reminders now (everyone, or one kegiatan's PICs), then report."""
    services = services_of(context)
    lang = services.lang
    ref = " ".join(context.args or []).strip()[:200] or None
    batch = await services.db(create_manual_reminders, services.now(), settings=services.settings,
                              calendar=_calendar(context), kegiatan_ref=ref, actor_telegram_id=actor.telegram_user_id,
                              actor_label=actor.label)
    message = update.effective_message
    if batch.problem == "no_plan":
        await message.reply_text(render("no_plan", lang))
        return
    if batch.problem:
        await message.reply_text(render("ingatkan_kegiatan", lang, problem=batch.problem, ref=ref,
                                        choices=batch.choices))
        return
    if batch.created:
        await message.reply_text(render("ingatkan_sending", lang, count=batch.created, kegiatan=batch.kegiatan))
        await dispatch(context.application)
    counts = await services.db(manual_summary, batch.kinds)
    await message.reply_text(render(
        "ingatkan_done", lang, total=sum(counts.values()), kegiatan=batch.kegiatan,
        counts={k: counts[k] for k in ("delivered", "skipped", "unreachable", "failed", "pending")},
        paused=_listed(batch.paused), blocked=_listed(batch.blocked), not_onboarded=_listed(batch.not_onboarded)))


# -- /jadwal --------------------------------------------------------------------------------------

@command("jadwal")
async def jadwal(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/jadwal: the reporting quarter's reminder schedule and the state of the outbox."""
    services = services_of(context)
    overview = await services.db(schedule_overview, services.now(), settings=services.settings,
                                 calendar=_calendar(context), lang=services.lang)
    await update.effective_message.reply_text(render("jadwal", services.lang, **overview))


# -- /cuti ----------------------------------------------------------------------------------------

def _cuti_keyboard(lang: str, on_leave: bool) -> InlineKeyboardMarkup:
    b = labels("cuti_buttons", lang)
    return keyboard([[(b["end"], cb.CUTI_END.build())] if on_leave else [], [(b["cancel"], cb.CUTI_CANCEL.build())]])


@command("cuti", conversation_end=True)
async def cuti(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """/cuti [tanggal | selesai]: ask until when the PIC is on leave (or take the date, or end the leave)."""
    services = services_of(context)
    arg = " ".join(context.args or []).strip()
    if arg.casefold() in END_WORDS:
        return await _end_leave(update, context, actor)
    if arg:
        return await _take_date(update, context, actor, arg)
    current = await services.db(on_leave_until, actor.person_id, _today(context))
    text = render("cuti_ask", services.lang, max_days=MAX_LEAVE_DAYS,
                  current=current and weekday_date(current, services.lang))
    await say(update, context, text, _cuti_keyboard(services.lang, current is not None))
    return UNTIL


@require(Role.PIC, conversation_end=True)
async def cuti_date(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """The last day of leave, typed as `31/7`, `31-07-2020`, `31 Juli 2020` or `2020-07-31`."""
    text = update.effective_message.text.strip()
    if text.casefold() in END_WORDS:
        return await _end_leave(update, context, actor)
    return await _take_date(update, context, actor, text)


@require(Role.PIC, conversation_end=True)
async def cuti_end(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """«Saya sudah masuk»: the leave ends now and reminders resume."""
    await ack(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    return await _end_leave(update, context, actor)


async def _take_date(update: Update, context, actor, text: str) -> int:
    services = services_of(context)
    try:
        until = parse_leave_date(text, _today(context))
    except LeaveDateError as exc:
        await say(update, context, render("cuti_bad_date", services.lang, code=exc.code, text=text[:50],
                                          max_days=MAX_LEAVE_DAYS, **exc.detail))
        return UNTIL
    await services.db(set_paused, actor.person_id, until, today=_today(context), now=services.now(),
                      **actor.audit_fields)
    await say(update, context, render("cuti_result", services.lang, what="set",
                                      until=weekday_date(until, services.lang)))
    return ConversationHandler.END


async def _end_leave(update: Update, context, actor) -> int:
    services = services_of(context)
    current = await services.db(on_leave_until, actor.person_id, _today(context))
    if current is not None:
        await services.db(set_paused, actor.person_id, None, today=_today(context), now=services.now(),
                          **actor.audit_fields)
    await say(update, context, render("cuti_result", services.lang, what="ended" if current else "not_on_leave",
                                      until=current and weekday_date(current, services.lang)))
    return ConversationHandler.END


async def cuti_cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/batal or Batal: the leave stays as it was."""
    if update.callback_query:
        await ack(update, context)
        await update.callback_query.edit_message_reply_markup(None)
    await say(update, context, render("cancelled", services_of(context).lang))
    return ConversationHandler.END


async def cuti_unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else while the date is asked: say what is expected; the question stays open."""
    lang = services_of(context).lang
    if update.callback_query:
        await ack(update, context, render("stale_button", lang), alert=True)
        return None
    await update.effective_message.reply_text(render("cuti_bad_date", lang, code="format", text="",
                                                     max_days=MAX_LEAVE_DAYS))
    return None


def build_cuti() -> ConversationHandler:
    """The /cuti conversation, persistent so a restart keeps the open question."""
    return ConversationHandler(
        name="cuti",
        persistent=True,
        allow_reentry=True,
        per_message=False,
        entry_points=[CommandHandler("cuti", cuti)],
        states={
            UNTIL: [MessageHandler(filters.TEXT & ~filters.COMMAND, cuti_date),
                    CallbackQueryHandler(cuti_end, pattern=cb.CUTI_END.pattern)],
        },
        fallbacks=[
            CommandHandler("batal", cuti_cancel),
            CallbackQueryHandler(cuti_cancel, pattern=cb.CUTI_CANCEL.pattern),
            MessageHandler(filters.ALL & ~filters.COMMAND, cuti_unexpected),
            CallbackQueryHandler(cuti_unexpected),
        ],
    )


@require(Role.PIC)
async def cuti_stale(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """A /cuti button from a finished conversation: explain instead of spinning."""
    await ack(update, context, render("stale_button", services_of(context).lang), alert=True)


# -- unreachable people writing again ---------------------------------------------------------------

async def reachable_again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Someone marked unreachable (they had blocked the bot) writes to it: they unblocked it, reminders resume.

    Runs before every other handler; the unreachable ids are kept in memory, so this costs a query
    only after the dispatcher or the tick invalidated them.
    """
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    services = services_of(context)
    known = context.bot_data.get(UNREACHABLE_IDS)
    if known is None:
        known = context.bot_data[UNREACHABLE_IDS] = await services.db(unreachable_telegram_ids)
    if user.id in known:
        known.discard(user.id)
        if await services.db(clear_unreachable, user.id, now=services.now()):
            log.info("telegram user %s wrote again: reachable, reminders resume", user.id)


def register(application: Application) -> None:
    """Attach the reminder handlers (called from handlers.registry.register, after /lapor)."""
    application.add_handler(TypeHandler(Update, reachable_again), group=-1)
    application.add_handler(build_cuti())
    application.add_handler(CallbackQueryHandler(cuti_stale, pattern=cb.prefix(cb.CUTI)))
    application.add_handler(CommandHandler("ingatkan", ingatkan))
    application.add_handler(CommandHandler("jadwal", jadwal))
