"""/impor: the admin sends the year's plan (tab-separated text or .xlsx), sees a preview, applies it.

A realisation file (the filled `rapk realisasi template` sheet, or its JSON form) is recognised first
and handled by handlers/admin/realisation_upload.py with the same preview, «Terapkan» and «Batal».

The pending upload is kept in user_data as JSON only (Telegram file id, SHA-256, the sheet read,
preview numbers, anomalies), never as bytes: the conversation is persistent, and «Terapkan»
downloads the file again, checks it is the one previewed, and stores it with the importer's merge
rules in one transaction (bot.domain.admin.apply_upload). A broken file gets the importer's message
and changes nothing.

A workbook with the plan on several sheets asks which one to read (a button per sheet). A merge
that would remove or empty what already has realisations is refused with the items named, and
offers «Terapkan paksa» (the CLI's --force) on the same upload.
"""

import asyncio
import secrets

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain.admin import MAX_UPLOAD_BYTES
from bot.domain.admin import AdminError
from bot.domain.admin import apply_upload
from bot.domain.admin import preview_upload
from bot.domain.admin import sha256
from bot.domain.admin import upload_destination
from bot.domain.people import Role
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.store import MergeRefused
from bot.domain.plan_import.store import PlanStoreError
from bot.domain.realisation_file.reader import NotRealisationFile
from bot.telegram import callbacks as cb
from bot.telegram.sending import page_of
from bot.telegram.sending import say
from bot.telegram.sending import short
from bot.telegram.sending import split_message
from bot.telegram.services import services_of
from bot.text.render import message
from bot.text.render import render
from handlers.admin import realisation_upload
from handlers.admin.common import FLOW
from handlers.admin.common import buttons
from handlers.admin.common import keyboard
from handlers.admin.common import show
from handlers.admin.common import stale
from handlers.admin.common import take_draft
from handlers.admin.common import who
from handlers.auth import command
from handlers.auth import require

UPLOAD, PREVIEW, SHEET = "impor:upload", "impor:preview", "impor:sheet"
DRAFT = "impor"
ANOMALY_PAGE = 12
SUMMARY_LIMIT = 10


async def _download(context, file_id: str) -> bytes:
    file = await context.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def _refuse_file(update: Update, context, name: str, exc: Exception) -> int:
    """Say why the file cannot be used; nothing was changed, another file may be sent."""
    lang = services_of(context).lang
    if isinstance(exc, AdminError):
        text = render("admin_error", lang, code=exc.code, d=exc.detail)
    elif isinstance(exc, TelegramError):
        text = render("admin_error", lang, code="download_failed", d={})
    else:
        text = render("impor_broken", lang, name=name, error=message(exc, lang))
    await say(update, context, text)
    return UPLOAD


@command("impor", conversation_end=True)
async def impor(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """/impor: ask for the plan file."""
    context.user_data.pop(DRAFT, None)
    context.user_data[FLOW] = "impor"
    await update.effective_message.reply_text(
        render("impor_ask", services_of(context).lang, limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
    return UPLOAD


@require(Role.ADMIN, conversation_end=True)
async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """A document: size check, download, parse, then the preview with Terapkan / Batal (or: which sheet?)."""
    services = services_of(context)
    doc = update.effective_message.document
    name = (doc.file_name or "rencana.txt")[:200]
    context.user_data.pop(DRAFT, None)
    if doc.file_size and doc.file_size > MAX_UPLOAD_BYTES:
        return await _refuse_file(update, context, name,
                                  AdminError("file_too_big", limit_mb=MAX_UPLOAD_BYTES // (1024 * 1024)))
    data = b""
    try:
        data = await _download(context, doc.file_id)
        try:  # a realisation file (the filled template, or its JSON form) first; anything else is a plan
            draft = await realisation_upload.preview(update, context, doc.file_id, name, data)
        except NotRealisationFile:
            pass
        else:
            if draft is None:  # refused, every problem said: another file may be sent
                return UPLOAD
            context.user_data[DRAFT] = draft
            return PREVIEW
        preview = await asyncio.to_thread(preview_upload, data, name, services.lang)
    except PlanFormatError as exc:
        if exc.code == "ambiguous_sheet":
            return await _ask_sheet(update, context, doc.file_id, name, sha256(data), exc.params["sheets"])
        return await _refuse_file(update, context, name, exc)
    except (TelegramError, AdminError) as exc:
        return await _refuse_file(update, context, name, exc)
    return await _start_preview(update, context, actor, doc.file_id, name, preview)


async def _ask_sheet(update: Update, context, file_id: str, name: str, digest: str, sheets: list[dict]) -> int:
    """Several sheets hold a plan: one button per sheet; the upload waits in user_data (JSON, no bytes)."""
    lang = services_of(context).lang
    draft = {"token": secrets.token_hex(4), "file_id": file_id, "name": name, "sha256": digest,
             "sheets": [s["title"] for s in sheets]}
    context.user_data[DRAFT] = draft
    b = buttons(lang)
    rows = [[(short(b["sheet_hidden" if s["hidden"] else "sheet"].format(title=s["title"])),
              cb.IMP_SHEET.build(token=draft["token"], index=i))] for i, s in enumerate(sheets)]
    await say(update, context, render("impor_sheets", lang, name=name, sheets=sheets),
              keyboard([*rows, [(b["cancel"], cb.IMP_CANCEL.build())]]))
    return SHEET


@require(Role.ADMIN, conversation_end=True)
async def pick_sheet(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """📄 a sheet: download the upload again, check it is the same file, preview that sheet."""
    services = services_of(context)
    press = cb.IMP_SHEET.parse(update.callback_query.data)
    draft = context.user_data.get(DRAFT)
    if (press is None or draft is None or "sheets" not in draft or press.token != draft["token"]
            or press.index >= len(draft["sheets"])):
        await stale(update, context)
        return None
    name = draft["name"]
    try:
        data = await _download(context, draft["file_id"])
        preview = await asyncio.to_thread(preview_upload, data, name, services.lang,
                                          sheet=draft["sheets"][press.index])
        if preview.sha256 != draft["sha256"]:
            raise AdminError("file_changed")
    except (TelegramError, PlanFormatError, AdminError) as exc:
        context.user_data.pop(DRAFT, None)
        return await _refuse_file(update, context, name, exc)
    return await _start_preview(update, context, actor, draft["file_id"], name, preview)


def _agency_of(actor) -> int | None:
    """The agency an admin's upload is stored in: the one a bound person acts in; for a configured admin
    without a person (ADMIN_TELEGRAM_IDS, the operator) the file's title decides, as before agencies."""
    return actor.agency_id if actor.person_id is not None else None


async def _start_preview(update: Update, context, actor, file_id: str, name: str, preview) -> int:
    """The preview of a readable plan file, or (it names another agency than the admin's) the refusal."""
    services = services_of(context)
    try:
        agency, exists = await services.db(upload_destination, preview.agency, preview.year, _agency_of(actor))
    except AdminError as exc:
        context.user_data.pop(DRAFT, None)
        return await _refuse_file(update, context, name, exc)
    context.user_data[DRAFT] = {
        "token": secrets.token_hex(4), "file_id": file_id, "name": name, "sha256": preview.sha256,
        "sheet": preview.sheet, "sheet_hidden": preview.sheet_hidden, "title_agency": preview.agency,
        "exists": exists, "agency": agency, "year": preview.year,
        "kegiatan_count": preview.kegiatan_count, "aksi_count": preview.aksi_count,
        "indicator_count": preview.indicator_count, "budget_total": preview.budget_total,
        "anomaly_count": preview.anomaly_count, "modes": preview.modes,
        "kas_given": preview.kas_given, "kas_count": preview.kas_count, "kas_total": preview.kas_total,
        "anomalies": [[line, why[:200]] for line, why in preview.anomalies],
    }
    await _show_preview(update, context, 0)
    return PREVIEW


async def _show_preview(update: Update, context, page: int) -> None:
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    kept = draft["anomalies"]
    shown, page, pages = page_of(kept, page, ANOMALY_PAGE)
    b = buttons(lang)
    nav = [(b["prev"], cb.IMP_PAGE.build(page=page - 1))] * (page > 0) + [(b["next"], cb.IMP_PAGE.build(page=page + 1))] * (page + 1 < pages)
    markup = keyboard([nav, [(b["apply"], cb.IMP_APPLY.build(token=draft["token"])), (b["cancel"], cb.IMP_CANCEL.build())]])
    text = render("impor_preview", lang, d=draft, anomalies=shown, page=page, pages=pages,
                  hidden=draft["anomaly_count"] - len(kept))
    await show(update, context, text, markup)


@require(Role.ADMIN, conversation_end=True)
async def preview_page(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """⬅️ / ➡️ through the anomalies."""
    press = cb.IMP_PAGE.parse(update.callback_query.data)
    if press is None or "anomalies" not in context.user_data.get(DRAFT, {}):
        await stale(update, context)
        return None
    await _show_preview(update, context, press.page)
    return PREVIEW


@require(Role.ADMIN, conversation_end=True)
async def apply(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """Terapkan: download again, check it is the previewed file, store it in one transaction, summarise.

    ⚠️ Terapkan paksa, offered on a refused merge, is the same with `force` (the CLI's --force).
    """
    force = cb.IMP_FORCE.parse(update.callback_query.data) is not None
    draft = await take_draft(update, context, DRAFT, cb.IMP_FORCE if force else cb.IMP_APPLY)
    if draft is None:
        return None
    services = services_of(context)
    lang = services.lang
    try:
        data = await _download(context, draft["file_id"])
        if draft.get("kind") == realisation_upload.KIND:
            done = await realisation_upload.apply(update, context, draft, data, who(actor))
            return ConversationHandler.END if done else UPLOAD
        result = await services.db(apply_upload, data, draft["name"], expected_sha256=draft["sha256"],
                                   sheet=draft.get("sheet") or None, force=force, agency_id=_agency_of(actor),
                                   **who(actor))
    except MergeRefused as exc:
        # Nothing was stored; the same upload stays pending with a new token, for «Terapkan paksa».
        context.user_data[DRAFT] = {**draft, "token": secrets.token_hex(4)}
        b = buttons(lang)
        markup = keyboard([[(b["force"], cb.IMP_FORCE.build(token=context.user_data[DRAFT]["token"])),
                            (b["cancel"], cb.IMP_CANCEL.build())]])
        await say(update, context, render("impor_refused", lang, name=draft["name"], blocked=exc.items), markup)
        return PREVIEW
    except (TelegramError, PlanFormatError, PlanStoreError, AdminError) as exc:
        return await _refuse_file(update, context, draft["name"], exc)
    text = render("import_summary", lang, dry_run=False, source=draft["name"], agency=draft["agency"],
                  year=draft["year"], kegiatan_count=result.kegiatan_count, aksi_count=result.aksi_count,
                  indicator_count=result.indicator_count, budget_total=result.budget_total, result=result,
                  sheet=draft.get("sheet", ""), sheet_hidden=draft.get("sheet_hidden", False),
                  anomaly_count=result.anomaly_count, budget_plan_count=result.budget_plan_count,
                  budget_plan_total=result.budget_plan_total,
                  anomalies=[{"line": line, "why": why} for line, why in draft["anomalies"]], limit=SUMMARY_LIMIT)
    for part in split_message(text):
        await update.effective_message.reply_text(part)
    return ConversationHandler.END


def hint(context) -> str:
    """What /impor is waiting for, for a message it did not expect."""
    draft = context.user_data.get(DRAFT)
    stage = "upload" if draft is None else "sheet" if "sheets" in draft else "preview"
    return render("impor_hint", services_of(context).lang, stage=stage)


ENTRY = [CommandHandler("impor", impor)]
_DOCUMENT = MessageHandler(filters.Document.ALL, upload)
STATES = {
    UPLOAD: [_DOCUMENT],
    SHEET: [_DOCUMENT, CallbackQueryHandler(pick_sheet, pattern=cb.IMP_SHEET_ANY)],
    PREVIEW: [_DOCUMENT, CallbackQueryHandler(preview_page, pattern=cb.IMP_PAGE.pattern),
              CallbackQueryHandler(apply, pattern=cb.IMP_APPLY_ANY),
              CallbackQueryHandler(apply, pattern=cb.IMP_FORCE_ANY)],
}
