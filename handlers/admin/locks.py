"""/kunci TW and /buka TW: lock or open a quarter for the whole plan or one kegiatan; PICs are told.

`/kunci 2` shows the quarter's lock state with «whole plan» and «one kegiatan…» buttons;
`/kunci 2 12` (kegiatan number or part of its name) acts on that kegiatan at once. Stateless
callbacks `lk:<L|U><quarter>:…`, validated again on every press.
"""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.admin import AdminError
from bot.domain.locks import lock_overview
from bot.domain.locks import lock_quarter
from bot.domain.locks import unlock_quarter
from bot.domain.people import Role
from bot.domain.period import served_plan
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.formatting import parse_quarter
from bot.text.render import render
from handlers.admin.common import browse_kegiatan
from handlers.admin.common import browse_programs
from handlers.admin.common import buttons
from handlers.admin.common import kegiatan_matches
from handlers.admin.common import keyboard
from handlers.admin.common import notify
from handlers.admin.common import report_missed
from handlers.admin.common import show
from handlers.admin.common import stale
from handlers.admin.common import who
from handlers.auth import command
from handlers.auth import require

OPS = {"kunci": "L", "buka": "U"}


def _card(quarter: int, *, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    if plan is None:
        return None
    whole, kegiatan = lock_overview(plan.id, quarter, session=session)
    return {"plan_id": plan.id, "year": plan.year, "whole": whole, "kegiatan": kegiatan}


@command("kunci")  # and /buka: the same roles
async def lock_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/kunci TW [KEGIATAN] and /buka TW [KEGIATAN]."""
    services = services_of(context)
    name = update.effective_message.text.split()[0].split("@")[0].lstrip("/").lower()
    op = OPS[name]
    args = context.args or []
    quarter = parse_quarter(args[0]) if args else None
    if quarter is None and len(args) > 1:  # `/kunci TW II …`
        quarter = parse_quarter(" ".join(args[:2]))
        args = [" ".join(args[:2]), *args[2:]]
    if quarter is None:
        await update.effective_message.reply_text(render("kunci_usage", services.lang, command=name))
        return
    prefix = cb.LOCK_SCOPE.build(op=op, quarter=quarter)
    nav = cb.Browse(prefix)
    card = await services.db(_card, quarter, settings=services.settings, now=services.now())
    if card is None:
        await update.effective_message.reply_text(render("no_plan", services.lang))
        return
    b = buttons(services.lang)
    ref = " ".join(args[1:])[:200]
    if ref:
        found = await services.db(kegiatan_matches, ref, settings=services.settings, now=services.now())
        if len(found) == 1:
            await _apply(update, context, actor, op, quarter, found[0][0])
            return
        rows = [[(short(name), cb.LOCK_APPLY.build(op=op, quarter=quarter, kegiatan=kid))]
                for kid, _, name in found[:20]]
        await update.effective_message.reply_text(
            render("kunci_card", services.lang, op=op, quarter=quarter, card=card, ref=ref, found=len(found)),
            reply_markup=keyboard([*rows, [(b["cancel"], nav.close())]]) if found else None)
        return
    rows = [[(b["lock_all" if op == "L" else "unlock_all"], cb.LOCK_APPLY.build(op=op, quarter=quarter, kegiatan=0))],
            [(b["one_kegiatan"], nav.programs_page(0))], [(b["cancel"], nav.close())]]
    await update.effective_message.reply_text(
        render("kunci_card", services.lang, op=op, quarter=quarter, card=card, ref="", found=0),
        reply_markup=keyboard(rows))


def _do(op: str, quarter: int, kegiatan_id: int | None, *, session, settings, now, actor_fields):
    plan = served_plan(session=session, settings=settings, now=now)
    if plan is None:
        raise AdminError("unknown_item")
    action = lock_quarter if op == "L" else unlock_quarter
    return action(plan.id, quarter, kegiatan_id, session=session, now=now, **actor_fields)


async def _apply(update: Update, context, actor, op: str, quarter: int, kegiatan_id: int | None) -> None:
    services = services_of(context)
    try:
        result = await services.db(_do, op, quarter, kegiatan_id, settings=services.settings, now=services.now(),
                                   actor_fields=who(actor))
    except AdminError as exc:
        await show(update, context, render("admin_error", services.lang, code=exc.code, d=exc.detail))
        return
    await show(update, context, render("kunci_done", services.lang, r=result,
                                       pics=[r.name for r in result.recipients]))
    if result.changed:
        missed = await notify(context, result.recipients, "kunci_notice", r=result)
        await report_missed(update.effective_message, context, missed)


@require(Role.ADMIN)
async def lock_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Every /kunci and /buka button: apply (`ok:<kegiatan or 0>`), browse for one kegiatan, or close."""
    query = update.callback_query
    scope = cb.LOCK_SCOPE.parse(":".join(query.data.split(":")[:2]))
    if scope is None:
        await stale(update, context)
        return
    op, quarter = scope
    prefix = cb.LOCK_SCOPE.build(op=op, quarter=quarter)
    step = cb.Browse(prefix).parse(query.data)
    purpose = "kunci" if op == "L" else "buka"
    ok = True
    if step and step.action == "x":
        await ack(update, context)
        await query.edit_message_reply_markup(None)
    elif press := cb.LOCK_APPLY.parse(query.data):
        await _apply(update, context, actor, op, quarter, press.kegiatan or None)
    elif step and step.action == "pp":
        ok = await browse_programs(update, context, prefix, purpose, step.ids[0])
    elif step and step.action in ("p", "kp"):
        ok = await browse_kegiatan(update, context, prefix, purpose, step.ids[0],
                                   step.ids[1] if step.action == "kp" else 0,
                                   item_data=lambda kid: cb.LOCK_APPLY.build(op=op, quarter=quarter, kegiatan=kid))
    else:
        ok = False
    if not ok:
        await stale(update, context)
