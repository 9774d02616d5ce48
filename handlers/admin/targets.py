"""/target: browse program → kegiatan → aksi → quarter (or a kegiatan indicator), type the new target,
give the reason, confirm. The change is audited and the kegiatan's PICs are told. `/target 41` goes to a
kegiatan by number or name. 📏 sets how an aksi or indicator is measured (its mode, the unit of its counts;
bot.domain.item_measure) with the effect on its score shown before saving. ✂️ splits a packed indicator
(bot.domain.indicator_split). ✏️ renames the kegiatan, an aksi or an indicator (bot.domain.rename) through
the same steps: new name, reason, confirm.

Browsing buttons are also entry points, so an old /target message still works after a restart or
after the conversation ended; every id is validated again against the served plan.
"""

import secrets

from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain.admin import MAX_REASON
from bot.domain.admin import AdminError
from bot.domain.admin import change_aksi_target
from bot.domain.admin import change_indicator_target
from bot.domain.admin import check_aksi_target
from bot.domain.admin import check_indicator_target
from bot.domain.admin import target_cells
from bot.domain.indicator_split import check_split
from bot.domain.indicator_split import parse_parts
from bot.domain.indicator_split import split_indicator
from bot.domain.indicator_split import split_subject
from bot.domain.item_measure import check_measure
from bot.domain.item_measure import measure_subject
from bot.domain.item_measure import set_measure
from bot.domain.measure import MODES
from bot.domain.people import Role
from bot.domain.period import served_plan
from bot.domain.plan_import.packed import is_packed
from bot.domain.rename import check_rename
from bot.domain.rename import rename_item
from bot.domain.rename import rename_subject
from bot.domain.target_effect import scoring_moment
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import say
from bot.telegram.services import services_of
from bot.text.render import render
from handlers.admin.common import FLOW
from handlers.admin.common import browse_programs
from handlers.admin.common import browse_step
from handlers.admin.common import buttons
from handlers.admin.common import item_keyboard
from handlers.admin.common import kegiatan_content
from handlers.admin.common import kegiatan_matches
from handlers.admin.common import keyboard
from handlers.admin.common import notify
from handlers.admin.common import report_missed
from handlers.admin.common import show
from handlers.admin.common import stale
from handlers.admin.common import take_draft
from handlers.admin.common import who
from handlers.auth import command
from handlers.auth import require

BROWSE, VALUE, REASON, CONFIRM = "target:browse", "target:value", "target:reason", "target:confirm"
DRAFT = "target"


@command("target", conversation_end=True)
async def target(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """/target: the served plan's programs; `/target 41` or `/target KOPRI`: that kegiatan's aksi and indicators."""
    context.user_data.pop(DRAFT, None)
    context.user_data[FLOW] = "target"
    ref = " ".join(context.args or [])[:200]
    if ref:
        return await _target_kegiatan(update, context, ref)
    return BROWSE if await browse_programs(update, context, cb.TG, "target") else ConversationHandler.END


async def _target_kegiatan(update: Update, context, ref: str) -> int:
    services = services_of(context)
    found = await services.db(kegiatan_matches, ref, settings=services.settings, now=services.now())
    if len(found) == 1:
        content = await services.db(kegiatan_content, found[0][0], settings=services.settings, now=services.now())
        await _show_kegiatan(update, context, content)
        return BROWSE
    await update.effective_message.reply_text(render("target_choices", services.lang, ref=ref, found=found[:10],
                                                     more=max(0, len(found) - 10)))
    return ConversationHandler.END


def _cells_in_plan(kind: str, item_id: int, *, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    cells = target_cells(kind, item_id, session=session)
    return cells if plan is not None and cells is not None and cells["plan_id"] == plan.id else None


@require(Role.ADMIN, conversation_end=True)
async def browse(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """Program page, program, kegiatan page, kegiatan (its aksi and indicators), aksi (its quarters)."""
    services = services_of(context)
    step = cb.Browse(cb.TG).parse(update.callback_query.data)
    action, ids = step if step else ("", ())
    context.user_data[FLOW] = "target"
    shown = False
    if (browsed := await browse_step(update, context, cb.TG, "target", step)) is not None:
        shown = browsed
    elif action == "k":
        content = await services.db(kegiatan_content, ids[0], settings=services.settings, now=services.now())
        if content is not None:
            await _show_kegiatan(update, context, content)
            shown = True
    elif action == "a":
        shown = await _show_quarters(update, context, ids[0])
    if not shown:
        await stale(update, context)
        return None
    return BROWSE


async def _show_kegiatan(update: Update, context, content: dict) -> None:
    """A kegiatan's aksi and indicators to pick, and ✏️ to rename the kegiatan."""
    lang = services_of(context).lang
    rows = [list(row) for row in item_keyboard(content, cb.TG, lang).inline_keyboard]
    rename = InlineKeyboardButton(buttons(lang)["rename_kegiatan"], callback_data=cb.TG_RENAME.build(what="k",
                                                                                                   item=content["id"]))
    await show(update, context, render("admin_browse", lang, purpose="target", stage="item", year=0,
                                       name=content["name"]), InlineKeyboardMarkup([[rename], *rows]))


async def _show_quarters(update: Update, context, aksi_id: int) -> bool:
    services = services_of(context)
    cells = await services.db(_cells_in_plan, "aksi", aksi_id, settings=services.settings, now=services.now())
    if cells is None:
        return False
    b = buttons(services.lang)
    rows = [[(render("target_cell_button", services.lang, c=c), cb.TG_CELL.build(aksi=aksi_id, quarter=c["quarter"]))]
            for c in cells["cells"]]
    rows.append([(b["measure"], cb.TG_MEASURE.build(what="a", item=aksi_id)),
                 (b["rename"], cb.TG_RENAME.build(what="a", item=aksi_id))])
    rows.append([(b["back"], cb.Browse(cb.TG).kegiatan(cells["kegiatan_id"])), (b["cancel"], cb.Browse(cb.TG).close())])
    await show(update, context, render("target_quarters", services.lang, cells=cells), keyboard(rows))
    return True


@require(Role.ADMIN, conversation_end=True)
async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """A quarter of an aksi, or an indicator, was picked: ask for the new target."""
    services = services_of(context)
    data = update.callback_query.data
    cell_press, step = cb.TG_CELL.parse(data), cb.Browse(cb.TG).parse(data)
    if cell_press is not None:
        kind, ids = "aksi", list(cell_press)
    else:
        kind, ids = "indikator", list(step.ids) if step and step.action == "i" else None
    cells = await services.db(_cells_in_plan, kind, ids[0], settings=services.settings, now=services.now()) if ids else None
    quarter = ids[1] if kind == "aksi" and ids else None
    cell = next((c for c in cells["cells"] if c["quarter"] == quarter), None) if cells else None
    if cell is None:
        await stale(update, context)
        return None
    if cell["locked"]:
        await ack(update, context, render("admin_error", services.lang, code="locked",
                                           d={"quarter": quarter, "year": cells["year"],
                                              "kegiatan": cells["kegiatan"]})[:190],
                   alert=True)
        return BROWSE
    context.user_data[FLOW] = "target"
    context.user_data[DRAFT] = {
        "token": secrets.token_hex(4), "kind": kind, "id": ids[0], "quarter": quarter,
        "kegiatan_id": cells["kegiatan_id"], "kegiatan": cells["kegiatan"], "label": cells["label"],
        "old": cell["raw"], "old_kind": cell["kind"], "unit": cell["unit"], "new": None, "reason": None,
    }
    await ack(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    return await _ask_value(update, context)


async def _ask_value(update: Update, context) -> str:
    draft, lang = context.user_data[DRAFT], services_of(context).lang
    b = buttons(lang)
    if draft.get("op") == "rename":
        text = render("rename_ask", lang, d=draft)
        rows = [[(b["cancel"], cb.Browse(cb.TG).close())]]
    elif draft.get("op") == "measure":
        text = render("measure_ask", lang, d=draft)
        rows = [[(("✓ " if m == draft["old_mode"] else "") + render("measure_mode", lang, mode=m),
                  cb.TG_MODE.build(what=draft["kind"], item=draft["id"], mode=m))] for m in MODES]
        rows.append([(b["cancel"], cb.Browse(cb.TG).close())])
    elif draft.get("op") == "split":
        text = render("split_ask", lang, d=draft)
        rows = [[(b["split_ok"], cb.TG_SPLIT_OK.build(item=draft["id"]))]] if draft["proposal"] else []
        rows.append([(b["cancel"], cb.Browse(cb.TG).close())])
    else:
        text = render("target_ask", lang, d=draft)
        rows = [[(b["measure"], cb.TG_MEASURE.build(what="i", item=draft["id"])),
                 (b["rename"], cb.TG_RENAME.build(what="i", item=draft["id"]))]] if draft["kind"] == "indikator" else []
        if draft["kind"] == "indikator" and is_packed(draft["old"]):
            rows.append([(b["split"], cb.TG_SPLIT.build(what="i", item=draft["id"]))])
        rows.append([(b["cancel"], cb.Browse(cb.TG).close())])
    await say(update, context, text, keyboard(rows))
    return VALUE


def _subject(fn, what: str, item_id: int, *, session, settings, now):
    """`fn(what, item_id)` (bot.domain.rename / item_measure) when the item is in the served plan, else None."""
    plan = served_plan(session=session, settings=settings, now=now)
    try:
        subject = fn(what, item_id, session=session)
    except AdminError:
        return None
    return subject if plan is not None and subject.plan_id == plan.id else None


async def _start(update: Update, context, fmt: cb.Format, fn, op: str, fields) -> int | None:
    """A ✏️ / 📏 press: the item checked again, the draft started, the first question asked."""
    services = services_of(context)
    press = fmt.parse(update.callback_query.data)
    subject = await services.db(_subject, fn, press.what, press.item, settings=services.settings,
                                now=services.now()) if press else None
    if subject is None:
        await stale(update, context)
        return None
    context.user_data[FLOW] = "target"
    context.user_data[DRAFT] = {
        "token": secrets.token_hex(4), "op": op, "kind": subject.what, "id": subject.item_id,
        "kegiatan_id": subject.kegiatan_id, "kegiatan": subject.kegiatan_name, "label": subject.label,
        "new": None, "reason": None, **fields(subject)}
    await ack(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    return await _ask_value(update, context)


@require(Role.ADMIN, conversation_end=True)
async def measure(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """📏 How an aksi or indicator is measured: pick the mode, or type the unit of its counts."""
    return await _start(update, context, cb.TG_MEASURE, measure_subject, "measure",
                        lambda s: {"old_mode": s.old_mode, "old_unit": s.old_unit, "mode": None, "unit": None})


@require(Role.ADMIN, conversation_end=True)
async def rename(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """✏️ Ubah nama: ask the new name of the kegiatan, aksi or indicator (the printed one stays the merge key)."""
    return await _start(update, context, cb.TG_RENAME, rename_subject, "rename",
                        lambda s: {"old": s.old, "printed": s.printed})


@require(Role.ADMIN, conversation_end=True)
async def split(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """✂️ Pisah indikator: the importer's proposal of parts, or the admin types them."""
    return await _start(update, context, cb.TG_SPLIT, split_subject, "split",
                        lambda s: {"old": s.old_raw, "proposal": [list(p) for p in s.parts], "parts": None})


@require(Role.ADMIN, conversation_end=True)
async def use_proposal(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> str | None:
    """✅ Pakai usulan: the proposed parts, checked, then the reason is asked."""
    press = cb.TG_SPLIT_OK.parse(update.callback_query.data)
    draft = context.user_data.get(DRAFT)
    if press is None or draft is None or draft.get("op") != "split" or press.item != draft["id"]:
        await stale(update, context)
        return None
    await ack(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    return await _split_value(update, context, [tuple(p) for p in draft["proposal"]])


async def _split_value(update: Update, context, parts) -> str:
    services = services_of(context)
    draft = context.user_data[DRAFT]
    try:
        change = await services.db(_check_split, draft, parts)
    except AdminError as exc:
        await say(update, context, render("admin_error", services.lang, code=exc.code, d=exc.detail))
        return await _ask_value(update, context)
    draft["parts"] = [list(p) for p in change.parts]
    draft["new"] = " | ".join(raw for _t, raw in change.parts)
    await say(update, context, render("split_reason", services.lang, d=draft, limit=MAX_REASON),
              keyboard([[(buttons(services.lang)["cancel"], cb.Browse(cb.TG).close())]]))
    return REASON


def _check_split(draft: dict, parts, *, session):
    return check_split(draft["id"], parse_parts(parts) if isinstance(parts, str) else parts, session=session)


@require(Role.ADMIN, conversation_end=True)
async def pick_mode(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> str | None:
    """A mode button under «Cara ukur»: checked, then the reason is asked."""
    press = cb.TG_MODE.parse(update.callback_query.data)
    draft = context.user_data.get(DRAFT)
    if press is None or draft is None or draft.get("op") != "measure" or (press.what, press.item) != (
            draft["kind"], draft["id"]):
        await stale(update, context)
        return None
    await ack(update, context)
    await update.callback_query.edit_message_reply_markup(None)
    return await _measure_value(update, context, mode=press.mode, unit=None)


async def _measure_value(update: Update, context, *, mode: str | None, unit: str | None) -> str:
    services = services_of(context)
    draft = context.user_data[DRAFT]
    try:
        change = await services.db(_check_measure, draft, mode, unit)
    except AdminError as exc:
        await say(update, context, render("admin_error", services.lang, code=exc.code, d=exc.detail))
        return await _ask_value(update, context)
    draft["mode"], draft["unit"] = change.new_mode, change.new_unit
    draft["new"] = f"{change.new_mode}:{change.new_unit}"
    await say(update, context, render("measure_reason", services.lang, d=draft, limit=MAX_REASON),
              keyboard([[(buttons(services.lang)["cancel"], cb.Browse(cb.TG).close())]]))
    return REASON


def _check_measure(draft: dict, mode, unit, *, session, settings=None, now=None):
    as_of = _as_of(draft, session=session, settings=settings, now=now) if settings is not None else None
    return check_measure(draft["kind"], draft["id"], mode, unit, session=session, as_of=as_of)


def _as_of(draft: dict, *, session, settings, now):
    """As of when the change is scored (bot.domain.target_effect.scoring_moment)."""
    kind = {"a": "aksi", "i": "indikator"}.get(draft["kind"], draft["kind"])
    cells = target_cells(kind, draft["id"], session=session)
    return scoring_moment(cells["plan_id"], session=session, settings=settings, now=now) if cells else None


def _check(draft: dict, raw: str, *, session, settings=None, now=None):
    if draft.get("op") == "split":
        return check_split(draft["id"], [tuple(p) for p in draft["parts"]], session=session)
    if draft.get("op") == "measure":
        return _check_measure(draft, draft["mode"], _typed_unit(draft), session=session, settings=settings, now=now)
    if draft.get("op") == "rename":
        return check_rename(draft["kind"], draft["id"], raw, session=session)
    as_of = _as_of(draft, session=session, settings=settings, now=now) if settings is not None else None
    if draft["kind"] == "aksi":
        return check_aksi_target(draft["id"], draft["quarter"], raw, session=session, as_of=as_of)
    return check_indicator_target(draft["id"], raw, session=session, as_of=as_of)


@require(Role.ADMIN, conversation_end=True)
async def value(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> str:
    """The new target, typed and parsed (its unit may change); then the reason is asked."""
    services = services_of(context)
    draft = context.user_data[DRAFT]
    if draft.get("op") == "measure":
        return await _measure_value(update, context, mode=None, unit=update.effective_message.text)
    if draft.get("op") == "split":
        return await _split_value(update, context, update.effective_message.text)
    try:
        change = await services.db(_check, draft, update.effective_message.text)
    except AdminError as exc:
        await update.effective_message.reply_text(render("admin_error", services.lang, code=exc.code, d=exc.detail))
        return await _ask_value(update, context)
    renaming = draft.get("op") == "rename"
    draft["new"] = change.new if renaming else change.new_raw
    draft["year"] = 0 if renaming else change.year
    await update.effective_message.reply_text(render("rename_reason" if renaming else "target_reason", services.lang,
                                                     d=draft, limit=MAX_REASON),
                                              reply_markup=keyboard([[(buttons(services.lang)["cancel"], cb.Browse(cb.TG).close())]]))
    return REASON


@require(Role.ADMIN, conversation_end=True)
async def reason(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> str:
    """Why the target changes (kept in the audit trail); then the confirmation card."""
    services = services_of(context)
    draft = context.user_data[DRAFT]
    draft["reason"] = " ".join(update.effective_message.text.split())[:MAX_REASON]
    try:
        change = await services.db(_check, draft, draft["new"], settings=services.settings, now=services.now())
    except AdminError as exc:  # changed meanwhile (locked, edited by another admin)
        await update.effective_message.reply_text(render("admin_error", services.lang, code=exc.code, d=exc.detail))
        context.user_data.pop(DRAFT, None)
        return ConversationHandler.END
    b = buttons(services.lang)
    pics = [r.name for r in change.recipients]
    card = {"rename": lambda: render("rename_confirm", services.lang, d=draft, pics=pics),
            "measure": lambda: render("measure_confirm", services.lang, d=draft, e=change.effect, pics=pics),
            "split": lambda: render("split_confirm", services.lang, d=draft, pics=pics),
            }.get(draft.get("op"), lambda: render("target_confirm", services.lang, d=draft, e=change.effect,
                                                  pics=pics))()
    await update.effective_message.reply_text(
        card,
        reply_markup=keyboard([[(b["save"], cb.TG_SAVE.build(token=draft["token"])), (b["cancel"], cb.Browse(cb.TG).close())]]))
    return CONFIRM


def _typed_unit(draft: dict) -> str | None:
    """The unit to store: None when only the mode changes (a percentage keeps its %)."""
    return None if draft["unit"] == draft["old_unit"] else (draft["unit"] or "-")


def _apply(draft: dict, *, session, settings, now, actor_fields: dict):
    if draft.get("op") == "split":
        return split_indicator(draft["id"], [tuple(p) for p in draft["parts"]], session=session,
                               reason=draft["reason"], expected_old=draft["old"], now=now, **actor_fields)
    if draft.get("op") == "measure":
        as_of = _as_of(draft, session=session, settings=settings, now=now)
        return set_measure(draft["kind"], draft["id"], draft["mode"], _typed_unit(draft), session=session,
                           reason=draft["reason"], expected=(draft["old_mode"], draft["old_unit"]), now=now,
                           as_of=as_of, **actor_fields)
    if draft.get("op") == "rename":
        return rename_item(draft["kind"], draft["id"], draft["new"], session=session, reason=draft["reason"],
                           expected_old=draft["old"], now=now, **actor_fields)
    as_of = _as_of(draft, session=session, settings=settings, now=now)
    common = dict(session=session, reason=draft["reason"], expected_old=draft["old"], now=now, as_of=as_of,
                  **actor_fields)
    if draft["kind"] == "aksi":
        return change_aksi_target(draft["id"], draft["quarter"], draft["new"], **common)
    return change_indicator_target(draft["id"], draft["new"], **common)


@require(Role.ADMIN, conversation_end=True)
async def save(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int | None:
    """Simpan: one audited transaction, then the PICs of the kegiatan are told."""
    services = services_of(context)
    draft = await take_draft(update, context, DRAFT, cb.TG_SAVE)
    if draft is None:
        return None
    message = update.effective_message
    try:
        change = await services.db(_apply, draft, settings=services.settings, now=services.now(),
                                   actor_fields=who(actor))
    except AdminError as exc:
        await message.reply_text(render("admin_error", services.lang, code=exc.code, d=exc.detail))
        return ConversationHandler.END
    if draft.get("op") == "rename":
        await _renamed(message, context, change, draft["reason"])
        return ConversationHandler.END
    if draft.get("op") == "split":
        await message.reply_text(render("split_saved", services.lang, c=change, pics=[r.name for r in change.recipients]),
                                 reply_markup=keyboard([[(buttons(services.lang)["history"], cb.RW_HISTORY.build(
                                     entity="i", item=change.item_id))]]))
        missed = await notify(context, change.recipients, "split_notice", c=change, reason=draft["reason"])
        await report_missed(message, context, missed)
        return ConversationHandler.END
    if draft.get("op") == "measure":
        pics = [r.name for r in change.recipients]
        await message.reply_text(render("measure_saved", services.lang, c=change, e=change.effect, pics=pics),
                                 reply_markup=keyboard([[(buttons(services.lang)["history"], cb.RW_HISTORY.build(
                                     entity=change.what, item=change.item_id))]]))
        missed = await notify(context, change.recipients, "measure_notice", c=change, e=change.effect,
                              reason=draft["reason"])
        await report_missed(message, context, missed)
        return ConversationHandler.END
    history = "a" if change.kind == "aksi" else "i"
    await message.reply_text(
        render("target_saved", services.lang, c=change, e=change.effect, pics=[r.name for r in change.recipients]),
        reply_markup=keyboard([[(buttons(services.lang)["history"], cb.RW_HISTORY.build(entity=history, item=change.item_id))]]))
    missed = await notify(context, change.recipients, "target_notice", c=change, e=change.effect,
                          reason=draft["reason"])
    await report_missed(message, context, missed)
    return ConversationHandler.END


async def _renamed(message, context, change, reason: str) -> None:
    services = services_of(context)
    entity = {"k": "g", "a": "a", "i": "i"}[change.what]
    await message.reply_text(
        render("rename_saved", services.lang, c=change, pics=[r.name for r in change.recipients]),
        reply_markup=keyboard([[(buttons(services.lang)["history"], cb.RW_HISTORY.build(entity=entity,
                                                                                      item=change.item_id))]]))
    missed = await notify(context, change.recipients, "rename_notice", c=change, reason=reason)
    await report_missed(message, context, missed)


def hint(context) -> str:
    """What /target is waiting for, for a message it did not expect."""
    draft = context.user_data.get(DRAFT)
    stage = "browse" if draft is None else "confirm" if draft.get("reason") else "reason" if draft.get("new") \
        else "value"
    return render("target_hint", services_of(context).lang, stage=stage, op=(draft or {}).get("op", "target"))


_TEXT = filters.TEXT & ~filters.COMMAND
_BROWSE = CallbackQueryHandler(browse, pattern=cb.TG_BROWSE_ANY)
_PICK = CallbackQueryHandler(pick, pattern=cb.TG_PICK_ANY)
_RENAME = CallbackQueryHandler(rename, pattern=cb.TG_RENAME.pattern)
_MEASURE = CallbackQueryHandler(measure, pattern=cb.TG_MEASURE.pattern)
_SPLIT = CallbackQueryHandler(split, pattern=cb.TG_SPLIT.pattern)
ENTRY = [CommandHandler("target", target), _BROWSE, _PICK, _RENAME, _MEASURE, _SPLIT]
STATES = {
    BROWSE: [_BROWSE, _PICK, _RENAME, _MEASURE, _SPLIT],
    VALUE: [MessageHandler(_TEXT, value), _RENAME, _MEASURE, _SPLIT,
            CallbackQueryHandler(pick_mode, pattern=cb.TG_MODE.pattern),
            CallbackQueryHandler(use_proposal, pattern=cb.TG_SPLIT_OK.pattern)],
    REASON: [MessageHandler(_TEXT, reason)],
    CONFIRM: [CallbackQueryHandler(save, pattern=cb.TG_SAVE_ANY)],
}
