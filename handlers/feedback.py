"""A kegiatan card in the digest, for leadership and admins: 📎 its evidence, 💬 «Tanggapi» and 🔔 «Ingatkan».

The buttons (bot/telegram/callbacks.py RK_EVIDENCE, RK_RESPOND, RK_NUDGE) sit under the drill-down's
`rk:` prefix and are added to the kegiatan card by handlers/leadership.py (`card_rows`). The rules are
bot/domain/feedback.py's; the evidence goes back through handlers/verification.py `send_evidence`.
"""

import logging

from telegram import ForceReply
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain import feedback as fb
from bot.domain.calendar import ReportingCalendar
from bot.domain.people import Role
from bot.domain.reporting import evidence_of
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import notify_person
from bot.telegram.sending import say
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import require
from handlers.verification import send_evidence
from jobs.reminders import dispatch
from models import Kegiatan

log = logging.getLogger("rapk.handlers.feedback")

TEXT = 0
RESPONDING = "tp_kegiatan"  # user_data: [kegiatan_id, quarter] while a leader writes the response


def card_rows(actions: fb.CardActions | None, lang: str) -> list[list[tuple[str, str]]]:
    """The kegiatan card's extra rows: evidence (when there is any), Tanggapi, one Ingatkan per open PIC."""
    if actions is None:
        return []
    b = labels("tanggapan_buttons", lang)
    k, q = actions.kegiatan_id, actions.quarter
    first = [(b["respond"], cb.RK_RESPOND.build(kegiatan=k, quarter=q))]
    if actions.evidence:
        first.insert(0, (b["evidence"].replace("{n}", str(actions.evidence)), cb.RK_EVIDENCE.build(kegiatan=k, quarter=q)))
    rows = [first]
    rows += [[(short(b["nudge"].replace("{name}", name), 60), cb.RK_NUDGE.build(person=p, kegiatan=k, quarter=q))]
             for p, name in actions.open_pics]
    return rows


def _kegiatan_name(kegiatan_id: int, *, session) -> str | None:
    row = session.get(Kegiatan, kegiatan_id)
    return row.name if row else None


async def _pressed(update, context, fmt: cb.Format):
    """(the press, its kegiatan's name), or None after answering «stale button» (forged or deleted)."""
    services = services_of(context)
    press = fmt.parse(update.callback_query.data)
    name = await services.db(_kegiatan_name, press.kegiatan) if press else None
    if name is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return None
    await ack(update, context)
    return press, name


@require(Role.LEADERSHIP, Role.ADMIN)
async def evidence_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """📎: the kegiatan's bukti dukung of the quarter sent into this chat by file id."""
    services = services_of(context)
    if (pressed := await _pressed(update, context, cb.RK_EVIDENCE)) is None:
        return
    press, name = pressed
    files = await services.db(lambda *, session: evidence_of(press.kegiatan, press.quarter, session=session))
    gone = await send_evidence(context, update.effective_chat.id, files)
    await say(update, context, render("tanggapan_evidence", services.lang, kegiatan=name, quarter=press.quarter,
                                      count=len(files), gone=gone))


@require(Role.LEADERSHIP, Role.ADMIN, conversation_end=True)
async def respond_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """💬 Tanggapi: ask for the response (a forced reply, so it reaches the bot from the group too)."""
    services = services_of(context)
    if (pressed := await _pressed(update, context, cb.RK_RESPOND)) is None:
        return ConversationHandler.END
    press, name = pressed
    context.user_data[RESPONDING] = [press.kegiatan, press.quarter]
    user = update.effective_user
    await update.callback_query.message.reply_text(
        render("tanggapan_ask", services.lang, kegiatan=name, quarter=press.quarter, telegram_id=user.id,
               first_name=user.first_name),
        reply_markup=ForceReply(selective=True))
    return TEXT


@require(Role.LEADERSHIP, Role.ADMIN, conversation_end=True)
async def response_text(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    services = services_of(context)
    lang = services.lang
    kegiatan_id, quarter = context.user_data.get(RESPONDING) or (None, None)
    if kegiatan_id is None:
        return ConversationHandler.END
    try:
        done = await services.db(fb.respond, kegiatan_id, quarter, update.effective_message.text,
                                 person_id=actor.person_id, author=actor.name or update.effective_user.full_name,
                                 telegram_id=actor.telegram_user_id,
                                 config_admin_ids=services.settings.admin_telegram_ids, now=services.now())
    except fb.FeedbackError as exc:
        await update.effective_message.reply_text(render("tanggapan_error", lang, code=exc.code))
        if exc.code in ("empty", "long"):
            return TEXT
        context.user_data.pop(RESPONDING, None)
        return ConversationHandler.END
    context.user_data.pop(RESPONDING, None)
    text = render("tanggapan_notice", lang, r=done)
    told = []
    for r in done.recipients:
        if await notify_person(context, person_id=r.person_id, telegram_user_id=r.telegram_user_id, text=text):
            told.append(r.name)
    for telegram_id in done.admin_ids:  # admins are told too; one who cannot be reached is only logged
        try:
            await context.bot.send_message(telegram_id, text)
        except TelegramError as exc:
            log.warning("response notice to admin %s not sent: %s", telegram_id, exc)
    await update.effective_message.reply_text(render("tanggapan_sent", lang, r=done, told=told))
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.pop(RESPONDING, None)
    await say(update, context, render("cancelled", services_of(context).lang))
    return ConversationHandler.END


@require(Role.LEADERSHIP, Role.ADMIN)
async def nudge_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """🔔 Ingatkan: a reminder to that PIC now; a second tap in the same window sends nothing more."""
    services = services_of(context)
    lang = services.lang
    press = cb.RK_NUDGE.parse(update.callback_query.data)
    calendar = ReportingCalendar.from_settings(services.settings)
    now = services.now()

    def run(*, session):
        kegiatan = session.get(Kegiatan, press.kegiatan)
        if kegiatan is None:
            raise fb.FeedbackError("unknown")
        from models import Plan

        plan = session.get(Plan, kegiatan.plan_id)
        return fb.nudge(press.person, press.kegiatan, press.quarter, now, session=session,
                        every_minutes=services.settings.nudge_every_minutes, today=calendar.local_date(now),
                        late=calendar.is_late(plan.year, press.quarter, now))

    try:
        if press is None:
            raise fb.FeedbackError("unknown")
        result = await services.db(run)
    except fb.FeedbackError:
        await ack(update, context, render("stale_button", lang), alert=True)
        return
    await ack(update, context, render("tanggapan_nudged", lang, n=result,
                                      minutes=services.settings.nudge_every_minutes)[:190], alert=not result.created)
    if result.created:
        await dispatch(context.application)


def build() -> ConversationHandler:
    return ConversationHandler(
        name="tanggapi",
        persistent=True,
        allow_reentry=True,
        per_message=False,
        entry_points=[CallbackQueryHandler(respond_pressed, pattern=cb.RK_RESPOND.pattern)],
        states={TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, response_text)]},
        fallbacks=[CommandHandler("batal", cancel)],
    )


def register(application: Application) -> None:
    """Before handlers/leadership.py's catch-all `rk:` handler."""
    application.add_handler(build())
    application.add_handler(CallbackQueryHandler(evidence_pressed, pattern=cb.RK_EVIDENCE.pattern))
    application.add_handler(CallbackQueryHandler(nudge_pressed, pattern=cb.RK_NUDGE.pattern))
