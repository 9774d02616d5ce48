"""What the admin console's handlers share: the plan served, who acted, browsing buttons, PIC notices."""

import logging
from collections.abc import Callable
from collections.abc import Sequence

from sqlmodel import select
from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.error import BadRequest

from bot.domain.admin import Recipient
from bot.domain.people import Actor
from bot.domain.period import find_kegiatan
from bot.domain.period import kegiatan_of_program
from bot.domain.period import programs_of
from bot.domain.period import served_plan
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import keyboard
from bot.telegram.sending import notify_person
from bot.telegram.sending import page_of
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.render import labels
from bot.text.render import render
from models import Aksi
from models import Kegiatan
from models import KegiatanIndicator
from models import Plan
from models import Program

log = logging.getLogger("rapk.admin")

PAGE = 8
FLOW = "admin_flow"  # user_data: which admin conversation (impor / target) is running
Row = Sequence[tuple[str, str]]


def buttons(lang: str) -> dict[str, str]:
    return labels("admin_buttons", lang)


def who(actor: Actor) -> dict:
    """The audit's actor fields for a handler's Actor."""
    return actor.audit_fields


def paged(items: Sequence[tuple[str, str]], page: int, nav: Callable[[int], str], lang: str,
          tail: Sequence[Row] = ()) -> InlineKeyboardMarkup | None:
    """One button per item on this page, ⬅️/➡️ to the neighbours, then the `tail` rows."""
    shown, page, pages = page_of(items, page, PAGE)
    b = buttons(lang)
    rows: list[Row] = [[(short(text), data)] for text, data in shown]
    rows.append([(b["prev"], nav(page - 1))] * (page > 0) + [(b["next"], nav(page + 1))] * (page + 1 < pages))
    return keyboard([*rows, *tail])


async def show(update: Update, context, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A button press replaces its own message (browsing stays one message); a command gets a reply."""
    query = update.callback_query
    if query is None:
        await update.effective_message.reply_text(text, reply_markup=markup)
        return
    await ack(update, context)
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # the same page pressed twice: Telegram refuses an edit that changes nothing
        if "not modified" not in str(exc).lower():
            raise


async def stale(update: Update, context) -> None:
    """A button that no longer means anything (deleted item, another plan, forged data)."""
    await ack(update, context, render("stale_button", services_of(context).lang), alert=True)


async def take_draft(update: Update, context, key: str, confirm: cb.Format) -> dict | None:
    """The confirmed draft of a flow, taken out of user_data once (a second tap or a replay finds none).

    The button must carry the draft's token (`confirm`, e.g. `tg:ok:<token>`); its buttons are removed.
    """
    query = update.callback_query
    draft = context.user_data.get(key)
    if draft is None or confirm.parse(query.data) != (draft["token"],):
        await stale(update, context)
        return None
    await ack(update, context)
    await query.edit_message_reply_markup(None)
    return context.user_data.pop(key)


# -- browsing the plan: program → kegiatan → aksi / indicator ---------------------------------------------

def program_items(*, session, settings, now) -> tuple[Plan | None, list[tuple[int, str]]]:
    plan = served_plan(session=session, settings=settings, now=now)
    if plan is None:
        return None, []
    return plan, [(p.id, p.name) for p in programs_of(plan.id, session=session)]


def kegiatan_items(program_id: int, *, session, settings, now) -> tuple[Program | None, list[tuple[int, str]]]:
    """The kegiatan of a program of the served plan (None for a program of another plan)."""
    plan = served_plan(session=session, settings=settings, now=now)
    program = session.get(Program, program_id)
    if plan is None or program is None or program.plan_id != plan.id:
        return None, []
    return program, [(k.id, k.name) for k in kegiatan_of_program(program_id, session=session)]


def kegiatan_matches(ref: str, *, session, settings, now) -> list[tuple[int, int, str]]:
    """(id, seq, name) of the served plan's kegiatan that `ref` names: a number in document order or part
    of the name (bot.domain.period.find_kegiatan); none without a plan."""
    plan = served_plan(session=session, settings=settings, now=now)
    return [(k.id, k.seq, k.name) for k in find_kegiatan(plan.id, ref, session=session)] if plan else []


def kegiatan_content(kegiatan_id: int, *, session, settings, now):
    """A kegiatan of the served plan with its aksi and indicators (None when it is not one)."""
    plan = served_plan(session=session, settings=settings, now=now)
    kegiatan = session.get(Kegiatan, kegiatan_id)
    if plan is None or kegiatan is None or kegiatan.plan_id != plan.id:
        return None
    aksi = session.exec(select(Aksi).where(Aksi.kegiatan_id == kegiatan_id).order_by(Aksi.no)).all()
    indicators = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id)
                              .order_by(KegiatanIndicator.seq)).all()
    return {"id": kegiatan.id, "name": kegiatan.name, "program_id": kegiatan.program_id,
            "aksi": [{"id": a.id, "no": a.no, "name": a.name, "indicator": a.indicator} for a in aksi],
            "indicators": [{"id": i.id, "seq": i.seq, "text": i.text, "target_raw": i.target_raw}
                           for i in indicators]}


async def browse_programs(update, context, prefix: str, purpose: str, page: int = 0) -> bool:
    """The served plan's programs as buttons (cb.Browse(prefix).program); False when there is no plan."""
    services = services_of(context)
    plan, items = await services.db(program_items, settings=services.settings, now=services.now())
    if plan is None:
        await show(update, context, render("no_plan", services.lang))
        return False
    nav = cb.Browse(prefix)
    markup = paged([(name, nav.program(pid)) for pid, name in items], page, nav.programs_page,
                   services.lang, tail=[[(buttons(services.lang)["cancel"], nav.close())]])
    await show(update, context, render("admin_browse", services.lang, purpose=purpose, stage="program",
                                       year=plan.year, name=""), markup)
    return True


async def browse_kegiatan(update, context, prefix: str, purpose: str, program_id: int, page: int = 0,
                          item_data: Callable[[int], str] | None = None, back: str | None = None) -> bool:
    """A program's kegiatan as buttons (cb.Browse(prefix).kegiatan unless `item_data` says otherwise)."""
    services = services_of(context)
    program, items = await services.db(kegiatan_items, program_id, settings=services.settings, now=services.now())
    if program is None:
        await stale(update, context)
        return False
    nav = cb.Browse(prefix)
    item_data = item_data or nav.kegiatan
    b = buttons(services.lang)
    markup = paged([(name, item_data(kid)) for kid, name in items], page,
                   lambda n: nav.kegiatan_page(program_id, n), services.lang,
                   tail=[[(b["back"], back or nav.programs_page(0)), (b["cancel"], nav.close())]])
    await show(update, context, render("admin_browse", services.lang, purpose=purpose, stage="kegiatan", year=0,
                                       name=program.name), markup)
    return True


async def browse_step(update, context, prefix: str, purpose: str, step: cb.Step | None) -> bool | None:
    """Show what a program-page / program / kegiatan-page press asks for; None for any other press."""
    if step is None or step.action not in ("pp", "p", "kp"):
        return None
    if step.action == "pp":
        return await browse_programs(update, context, prefix, purpose, step.ids[0])
    return await browse_kegiatan(update, context, prefix, purpose, *step.ids)


def item_keyboard(content: dict, prefix: str, lang: str, *, with_kegiatan: bool = False) -> InlineKeyboardMarkup | None:
    """A kegiatan's aksi and indicators as buttons, optionally the kegiatan itself (cb.Browse)."""
    b = buttons(lang)
    nav = cb.Browse(prefix)
    rows: list[Row] = [[(b["this_kegiatan"], nav.whole(content["id"]))]] if with_kegiatan else []
    rows += [[(short(f"{b['aksi']} {a['no']}. {a['name']}"), nav.aksi(a["id"]))] for a in content["aksi"]]
    rows += [[(short(f"{b['indicator']} {i['seq']}. {i['text']}"), nav.indicator(i["id"]))]
             for i in content["indicators"]]
    rows.append([(b["back"], nav.program(content["program_id"])), (b["cancel"], nav.close())])
    return keyboard(rows)


# -- telling PICs ---------------------------------------------------------------------------------------

async def notify(context, recipients: Sequence[Recipient], template: str, **values) -> list[str]:
    """Send each PIC their notice; one who blocked the bot is marked unreachable and the rest still hear.

    Returns the names of those the notice did not reach.
    """
    services = services_of(context)
    missed = []
    for recipient in recipients:
        text = render(template, services.lang, kegiatan=recipient.kegiatan, name=recipient.name, **values)
        if not await notify_person(context, person_id=recipient.person_id,
                                   telegram_user_id=recipient.telegram_user_id, text=text):
            missed.append(recipient.name)
    return missed


async def report_missed(message, context, missed: list[str]) -> None:
    """Tell the admin which PICs did not get the notice."""
    if missed:
        await message.reply_text(render("notice_undelivered", services_of(context).lang, names=missed))
