"""/riwayat: an item's audited history (aksi, kegiatan indicator or kegiatan), browsed with buttons.

Stateless callbacks `rw:…`: every id is in the data and is validated again against the served plan.
"""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.admin import item_history, item_title
from bot.domain.digest import split_message
from bot.domain.people import Role
from bot.domain.period import served_plan
from bot.text.render import render
from bot.telegram.services import services_of
from handlers.admin.common import (
    browse_kegiatan,
    browse_programs,
    int_parts,
    item_keyboard,
    kegiatan_content,
    show,
    stale,
)
from handlers.auth import require
from bot.telegram.sending import ack

LIMIT = 40  # the newest changes shown; older ones are counted
ENTITIES = {"a": "aksi", "i": "indikator", "g": "kegiatan"}


@require(Role.ADMIN, private_only=True)
async def riwayat(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/riwayat: pick the item whose history to show."""
    await browse_programs(update, context, "rw", "riwayat")


def _history(entity: str, item_id: int, *, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    title = item_title(entity, item_id, session=session)
    if plan is None or title is None or title["plan_id"] != plan.id:
        return None, [], 0
    entries = item_history(entity, item_id, session=session, limit=LIMIT + 1)
    return title, entries[-LIMIT:], max(0, len(entries) - LIMIT)


async def send_history(update: Update, context, entity: str, item_id: int) -> bool:
    """The history as new messages (the browsing message stays where it is)."""
    services = services_of(context)
    title, entries, more = await services.db(_history, entity, item_id, settings=services.settings, now=services.now())
    if title is None:
        return False
    await ack(update, context)
    text = render("riwayat", services.lang, title=title, entries=entries, more=more, tz=services.settings.tz)
    for part in split_message(text):
        await update.effective_message.reply_text(part)
    return True


@require(Role.ADMIN)
async def riwayat_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Every /riwayat button: browse program → kegiatan → item, then the item's history."""
    services = services_of(context)
    query = update.callback_query
    action = query.data.split(":")[1] if query.data.count(":") else ""
    ok = False
    if action == "x":
        await ack(update, context)
        await query.edit_message_reply_markup(None)
        return
    if action == "pp" and (ids := int_parts(query.data, 1)):
        ok = await browse_programs(update, context, "rw", "riwayat", ids[0])
    elif action == "p" and (ids := int_parts(query.data, 1)):
        ok = await browse_kegiatan(update, context, "rw", "riwayat", ids[0])
    elif action == "kp" and (ids := int_parts(query.data, 2)):
        ok = await browse_kegiatan(update, context, "rw", "riwayat", ids[0], ids[1])
    elif action == "k" and (ids := int_parts(query.data, 1)):
        content = await services.db(kegiatan_content, ids[0], settings=services.settings, now=services.now())
        if content is not None:
            await show(update, context, render("admin_browse", services.lang, purpose="riwayat", stage="item", year=0,
                                               name=content["name"]),
                       item_keyboard(content, "rw", services.lang, with_kegiatan=True))
            ok = True
    elif action in ENTITIES and (ids := int_parts(query.data, 1)):
        ok = await send_history(update, context, ENTITIES[action], ids[0])
    if not ok:
        await stale(update, context)
