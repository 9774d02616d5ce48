"""/impor with a realisation file (the filled template of `rapk realisasi template`, or its JSON form).

handlers/admin/plan_upload.py hands every upload here first; a file bot.domain.realisation_file does
not recognise (no marker in A1, not JSON) goes on as a plan. The preview is `rapk realisasi import
--dry-run` (what would change, as whom, or every problem at its row); the draft keeps only the
Telegram file id and the SHA-256, and «Terapkan» downloads the file again, checks it is the one
previewed, checks it against the database again and stores it in one transaction, as the CLI does.
The reporter and the quarter are the file's own («Pelapor», «Triwulan»; "by", "quarter").
"""

import asyncio
import secrets

from telegram import Update

from bot.domain.admin import AdminError
from bot.domain.admin import sha256
from bot.domain.realisation_file.reader import read_realisation_file
from bot.domain.realisation_file.store import RealisationRefused
from bot.domain.realisation_file.store import import_into_served_plan
from bot.telegram import callbacks as cb
from bot.telegram.sending import say
from bot.telegram.sending import split_message
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.admin.common import buttons
from handlers.admin.common import keyboard

KIND = "realisasi"  # the draft's "kind": /impor's Terapkan stores a realisation file, not a plan
SHOWN_CHANGES = 15
SHOWN_PROBLEMS = 20


async def _checked(context, data: bytes, name: str, *, dry_run: bool, importer: dict | None = None):
    """Read the file (NotRealisationFile: it is no realisation file), then check it, or store it."""
    services = services_of(context)
    file = await asyncio.to_thread(read_realisation_file, data, name)
    return file, await services.db(import_into_served_plan, file, settings=services.settings, now=services.now(),
                                   importer=importer or {}, dry_run=dry_run)


async def _refused(update: Update, context, name: str, problems) -> None:
    lang = services_of(context).lang
    text = render("realisasi_refused", lang, name=name, count=len(problems),
                  problems=[p.text(lang) for p in problems[:SHOWN_PROBLEMS]], bot=True)
    for part in split_message(text):
        await say(update, context, part)


async def preview(update: Update, context, file_id: str, name: str, data: bytes) -> dict | None:
    """What storing the upload would change, with Terapkan / Batal; the draft to keep (None: refused,
    every problem said). Raises NotRealisationFile for a file that is none."""
    lang = services_of(context).lang
    try:
        file, checked = await _checked(context, data, name, dry_run=True)
    except RealisationRefused as exc:
        await _refused(update, context, name, exc.problems)
        return None
    draft = {"kind": KIND, "token": secrets.token_hex(4), "file_id": file_id, "name": name, "sha256": file.sha256}
    b = buttons(lang)
    parts = split_message(render("realisasi_result", lang, c=checked, stage="preview", limit=SHOWN_CHANGES))
    for part in parts[:-1]:
        await say(update, context, part)
    await say(update, context, parts[-1], keyboard([[(b["apply"], cb.IMP_APPLY.build(token=draft["token"])),
                                                     (b["cancel"], cb.IMP_CANCEL.build())]]))
    return draft


async def apply(update: Update, context, draft: dict, data: bytes, importer: dict) -> bool:
    """Terapkan: the previewed file (AdminError file_changed when the bytes differ), checked again and stored
    in one transaction; False when refused (every problem said, nothing stored)."""
    if sha256(data) != draft["sha256"]:
        raise AdminError("file_changed")
    try:
        _file, checked = await _checked(context, data, draft["name"], dry_run=False, importer=importer)
    except RealisationRefused as exc:
        await _refused(update, context, draft["name"], exc.problems)
        return False
    lang = services_of(context).lang
    for part in split_message(render("realisasi_result", lang, c=checked, stage="saved", limit=SHOWN_CHANGES)):
        await update.effective_message.reply_text(part)
    return True
