"""/verifikasi: the verifiers' queue of submitted kegiatan reports, by program.

Each card shows the values against their targets, the achievement, kendala, tindak lanjut and the
evidence (sent back by its Telegram file ids, as an album where possible), with Terima / Kembalikan /
Berikutnya and «Terima semua yang sesuai target». Kembalikan asks for a note (the `verifikasi`
conversation) and tells the PICs at once, with a «Perbaiki» button opening /lapor on that kegiatan and
quarter. The rules and the audit are bot/domain/verification.py's; every button is checked again there.
"""

import logging

from telegram import InputMediaDocument
from telegram import InputMediaPhoto
from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain import verification as vf
from bot.domain.people import Role
from bot.domain.period import served_plan
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import keyboard
from bot.telegram.sending import notify_person
from bot.telegram.sending import say
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.formatting import quarter_label
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command
from handlers.auth import require

log = logging.getLogger("rapk.handlers.verification")

NOTE = 0
RETURNING = "vf_returning"  # user_data: [kegiatan_id, quarter] while the verifier writes the note
ALBUM = 10  # Telegram's sendMediaGroup takes 2..10 items


def _plan_id(*, session, settings, now) -> int | None:
    plan = served_plan(session=session, settings=settings, now=now)
    return plan.id if plan else None


def _load(after, key, *, session, settings, now):
    """The card to show: `key` = (kegiatan, quarter) itself, else the one after `after` in the queue."""
    plan_id = _plan_id(session=session, settings=settings, now=now)
    if plan_id is None:
        return None
    if key is None:
        item = vf.next_in_queue(plan_id, after, session=session)
        if item is None:
            return None
        key = (item.kegiatan_id, item.quarter)
    found = vf.card(*key, session=session, plan_id=plan_id)
    return found if found is not None and found.review.status == vf.PENDING else None


async def send_evidence(context, chat_id: int, evidence) -> list:
    """Bukti dukung back by file id: photos as albums, documents as albums, a single file on its own.
    Returns the files Telegram no longer serves (an album that fails is retried file by file to find
    them), so the card reports them instead of skipping them silently."""
    gone = []

    async def one(item, send) -> None:
        try:
            await send(chat_id, item.file_id)
        except BadRequest as exc:
            log.warning("evidence %s not served by Telegram: %s", item.id, exc)
            gone.append(item)

    photos = [e for e in evidence if e.kind == "photo"]
    documents = [e for e in evidence if e.kind != "photo"]
    for items, media, single in ((photos, InputMediaPhoto, context.bot.send_photo),
                                 (documents, InputMediaDocument, context.bot.send_document)):
        for start in range(0, len(items), ALBUM):
            chunk = items[start:start + ALBUM]
            if len(chunk) > 1:
                try:
                    await context.bot.send_media_group(chat_id, [media(e.file_id) for e in chunk])
                    continue
                except BadRequest as exc:
                    log.info("evidence album refused (%s): sent one by one", exc)
            for item in chunk:
                await one(item, single)
    return gone


async def _show_card(update, context, *, after=None, key=None) -> None:
    services = services_of(context)
    lang = services.lang
    card = await services.db(_load, after, key, settings=services.settings, now=services.now())
    if card is None:
        await say(update, context, render("verifikasi_empty", lang))
        return
    await ack(update, context)
    gone = await send_evidence(context, update.effective_chat.id, card.evidence)
    b = labels("verifikasi_buttons", lang)
    k, q = card.form.kegiatan_id, card.form.quarter
    rows = [[(b["accept"], cb.VF_ACCEPT.build(kegiatan=k, quarter=q)),
             (b["return"], cb.VF_RETURN.build(kegiatan=k, quarter=q))]]
    if card.total > 1:
        rows.append([(b["next"], cb.VF_NEXT.build(kegiatan=k, quarter=q))])
    rows.append([(b["all"], cb.VF_ALL.build())])
    await say(update, context, render("verifikasi_card", lang, c=card, gone=gone, tz=services.settings.tz), keyboard(rows))


REOPEN_WORDS = {"diterima", "accepted", "buka"}
MAX_REOPEN_BUTTONS = 20


@command("verifikasi")
async def verifikasi(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/verifikasi: the first report waiting in the queue; `/verifikasi diterima`: the accepted reports, each
    with «Buka kembali» (a return with a note: how an accepted, frozen report is reopened)."""
    if " ".join(context.args or []).strip().lower() in REOPEN_WORDS:
        await _show_accepted(update, context)
        return
    await _show_card(update, context)


async def _show_accepted(update, context) -> None:
    services = services_of(context)

    def load(*, session):
        plan_id = _plan_id(session=session, settings=services.settings, now=services.now())
        return vf.queue(plan_id, session=session, status=vf.ACCEPTED) if plan_id is not None else []

    items = await services.db(load)
    label = labels("verifikasi_buttons", services.lang)["reopen"]
    rows = [[(short(f"{label}: {i.kegiatan} ({quarter_label(i.quarter)})", 60),
              cb.VF_RETURN.build(kegiatan=i.kegiatan_id, quarter=i.quarter))] for i in items[:MAX_REOPEN_BUTTONS]]
    await say(update, context, render("verifikasi_accepted", services.lang, items=items, shown=len(rows)),
              keyboard(rows))


async def _error(update, context, exc: vf.VerificationError) -> None:
    await ack(update, context, render("verifikasi_error", services_of(context).lang, code=exc.code), alert=True)


@require(Role.VERIFIER)
async def verifikasi_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Terima, Berikutnya, «Terima semua yang sesuai target» and its confirmation."""
    services = services_of(context)
    lang = services.lang
    data = update.callback_query.data
    who = dict(actor_person_id=actor.person_id, actor_label=actor.label)
    try:
        if press := cb.VF_ACCEPT.parse(data):
            await services.db(vf.accept, press.kegiatan, press.quarter, now=services.now(), **who)
            name = await services.db(lambda *, session: vf.card(press.kegiatan, press.quarter, session=session,
                                                                plan_id=_plan_id(session=session,
                                                                                 settings=services.settings,
                                                                                 now=services.now())))
            await say(update, context, render("verifikasi_result", lang, action="accept", quarter=press.quarter,
                                              kegiatan=name.form.kegiatan_name if name else ""))
            await _show_card(update, context, after=(press.kegiatan, press.quarter))
        elif press := cb.VF_NEXT.parse(data):
            await _show_card(update, context, after=(press.kegiatan, press.quarter))
        elif cb.VF_ALL.parse(data) or cb.VF_ALL_OK.parse(data):
            apply = bool(cb.VF_ALL_OK.parse(data))

            def run(*, session):
                plan_id = _plan_id(session=session, settings=services.settings, now=services.now())
                if plan_id is None:
                    return []
                return vf.accept_all_on_target(plan_id, session=session, now=services.now(), apply=apply, **who)

            items = await services.db(run)
            if apply:
                await say(update, context, render("verifikasi_all_done", lang, count=len(items)))
                await _show_card(update, context)
            else:
                b = labels("verifikasi_buttons", lang)
                rows = [[(b["all_ok"].replace("{n}", str(len(items))), cb.VF_ALL_OK.build()),
                         (b["cancel"], cb.VF_CANCEL.build())]] if items else []
                await say(update, context, render("verifikasi_all_confirm", lang, items=items), keyboard(rows))
        elif cb.VF_CANCEL.parse(data):
            await say(update, context, render("cancelled", lang))
        else:
            await ack(update, context, render("stale_button", lang), alert=True)
    except vf.VerificationError as exc:
        await _error(update, context, exc)


# -- Kembalikan: the note -------------------------------------------------------------------------------

@require(Role.VERIFIER, conversation_end=True)
async def return_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    services = services_of(context)
    press = cb.VF_RETURN.parse(update.callback_query.data)
    if press is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return ConversationHandler.END
    found = await services.db(lambda *, session: vf.card(press.kegiatan, press.quarter, session=session,
                                                         plan_id=_plan_id(session=session, settings=services.settings,
                                                                          now=services.now())))
    if found is None or found.review.status == vf.RETURNED:
        await _error(update, context, vf.VerificationError("not_pending" if found else "unknown"))
        return ConversationHandler.END
    context.user_data[RETURNING] = [press.kegiatan, press.quarter]
    await say(update, context, render("verifikasi_ask_note", services.lang, kegiatan=found.form.kegiatan_name,
                                      quarter=press.quarter))
    return NOTE


@require(Role.VERIFIER, conversation_end=True)
async def note_text(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    services = services_of(context)
    lang = services.lang
    kegiatan_id, quarter = context.user_data.get(RETURNING) or (None, None)
    if kegiatan_id is None:
        return ConversationHandler.END
    try:
        returned = await services.db(vf.return_report, kegiatan_id, quarter, update.effective_message.text,
                                     now=services.now(), actor_person_id=actor.person_id, actor_label=actor.label)
    except vf.VerificationError as exc:
        await update.effective_message.reply_text(render("verifikasi_error", lang, code=exc.code))
        if exc.code in ("empty_note", "long_note"):
            return NOTE  # asked again: the note is still wanted
        context.user_data.pop(RETURNING, None)
        return ConversationHandler.END
    context.user_data.pop(RETURNING, None)
    fix = keyboard([[(labels("verifikasi_buttons", lang)["fix"],
                      cb.LP_KEGIATAN.build(kegiatan=kegiatan_id, quarter=quarter))]])
    told = 0
    for r in returned.recipients:
        told += await notify_person(context, person_id=r.person_id, telegram_user_id=r.telegram_user_id,
                                    text=render("verifikasi_returned", lang, r=returned), markup=fix)
    await update.effective_message.reply_text(render("verifikasi_result", lang, action="return", quarter=quarter,
                                                     kegiatan=returned.kegiatan_name, told=told > 0))
    await _show_card(update, context, after=(kegiatan_id, quarter))
    return ConversationHandler.END


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    context.user_data.pop(RETURNING, None)
    await say(update, context, render("cancelled", services_of(context).lang))
    return ConversationHandler.END


def build() -> ConversationHandler:
    return ConversationHandler(
        name="verifikasi",
        persistent=True,
        allow_reentry=True,
        per_message=False,
        entry_points=[CallbackQueryHandler(return_pressed, pattern=cb.VF_RETURN.pattern)],
        states={NOTE: [MessageHandler(filters.TEXT & ~filters.COMMAND, note_text)]},
        fallbacks=[CommandHandler("batal", cancel), CallbackQueryHandler(cancel, pattern=cb.VF_CANCEL.pattern)],
    )


def register(application: Application) -> None:
    application.add_handler(build())
    application.add_handler(CommandHandler("verifikasi", verifikasi))
    application.add_handler(CallbackQueryHandler(verifikasi_callback, pattern=cb.prefix(cb.VF)))
