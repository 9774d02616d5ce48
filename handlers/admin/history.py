"""/riwayat: an item's audited history (aksi, kegiatan indicator or kegiatan), browsed with buttons.

Stateless callbacks `rw:…`: every id is in the data and is validated again against the served plan.
"""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.admin import item_history
from bot.domain.admin import item_title
from bot.domain.people import Role
from bot.domain.period import served_plan
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import split_message
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.admin.common import browse_programs
from handlers.admin.common import browse_step
from handlers.admin.common import item_keyboard
from handlers.admin.common import kegiatan_content
from handlers.admin.common import show
from handlers.admin.common import stale
from handlers.auth import command
from handlers.auth import require

LIMIT = 40  # the newest changes shown; older ones are counted
ENTITIES = {"a": "aksi", "i": "indikator", "g": "kegiatan"}


@command("riwayat")
async def riwayat(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/riwayat: pick the item whose history to show."""
    await browse_programs(update, context, cb.RW, "riwayat")


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
    step = cb.Browse(cb.RW).parse(query.data)
    action, ids = step if step else ("", ())
    ok = False
    if action == "x":
        await ack(update, context)
        await query.edit_message_reply_markup(None)
        return
    if (shown := await browse_step(update, context, cb.RW, "riwayat", step)) is not None:
        ok = shown
    elif action == "k":
        content = await services.db(kegiatan_content, ids[0], settings=services.settings, now=services.now())
        if content is not None:
            await show(update, context, render("admin_browse", services.lang, purpose="riwayat", stage="item", year=0,
                                               name=content["name"]),
                       item_keyboard(content, cb.RW, services.lang, with_kegiatan=True))
            ok = True
    elif action in ENTITIES and (press := cb.RW_HISTORY.parse(query.data)):
        ok = await send_history(update, context, ENTITIES[press.entity], press.item)
    if not ok:
        await stale(update, context)
