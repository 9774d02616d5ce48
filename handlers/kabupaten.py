"""The kabupaten role (Bappeda / evaluator): /rekap [TW] over every OPD, its buttons, and /opd (the
kabupaten admin's list of OPD, `/opd tambah NAMA OPD; NAMA ADMIN` and `/opd anggota NAMA OPD[; NAMA[; admin
verifikator | hapus]]`: roles in an OPD for a person of another, bot.domain.agencies `set_member`).

Private chats only (the numbers of every OPD). Thin: the rekap is bot.domain.kabupaten's `rekap`, the chart
bot.domain.kabupaten_chart, the workbook bot.domain.kabupaten_workbook, one OPD's digest jobs.digest's
`score_and_digest` (the same text /ringkasan sends that OPD's leadership, without its buttons: those belong
to the OPD's own leadership). Buttons (bot.telegram.callbacks `rkp:`): each press checks the role again;
an agency without a served plan is refused as stale.
"""

import asyncio

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes

from bot.domain.agencies import agency_members
from bot.domain.agencies import find_agency
from bot.domain.agencies import set_member
from bot.domain.calendar import ReportingCalendar
from bot.domain.kabupaten import add_agency
from bot.domain.kabupaten import agency_lines
from bot.domain.kabupaten import opd_plan
from bot.domain.kabupaten import rekap
from bot.domain.people import Refused
from bot.domain.people import Role
from bot.domain.people import invite_link
from bot.domain.people import match_person
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import keyboard
from bot.telegram.sending import short
from bot.telegram.sending import split_message
from bot.telegram.services import services_of
from bot.text.formatting import parse_quarter
from bot.text.formatting import quarter_label
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command
from handlers.auth import require
from jobs.digest import score_and_digest


def _buttons(result, lang: str):
    words = labels("rekap_labels", lang)
    q = result.quarter
    rows = [[(short(f"{r.rank}. {r.agency}"), cb.REKAP_OPD.build(agency=r.agency_id, quarter=r.quarter or q))]
            for r in result.rows if r.plan_id is not None]
    return keyboard([*rows, [(words["workbook"], cb.REKAP_XLSX.build(quarter=q))]] if q else rows)


async def _rekap(context, quarter: int | None):
    services = services_of(context)
    return await services.db(rekap, settings=services.settings, now=services.now(), quarter=quarter)


@command("rekap")
async def rekap_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/rekap [TW]: the kabupaten chart, then every OPD ranked with the kabupaten figures and its buttons."""
    services = services_of(context)
    message = update.effective_message
    text = " ".join(context.args or [])
    quarter = parse_quarter(text) if text else None
    if text and quarter is None:
        current = ReportingCalendar.from_settings(services.settings).reporting_quarter(services.now())[1]
        await message.reply_text(render("leadership_bad_quarter", services.lang, text=text[:40], command="rekap",
                                        current=current))
        return
    result = await _rekap(context, quarter)
    if result.quarter is None:
        await message.reply_text(render("no_plan", services.lang))
        return
    from bot.domain.kabupaten_chart import kabupaten_chart  # on first use: matplotlib is 50+ MB

    chart = await asyncio.to_thread(kabupaten_chart, result, lang=services.lang)
    await message.reply_photo(chart)
    parts = split_message(render("rekap", services.lang, r=result))
    for i, part in enumerate(parts):
        await message.reply_text(part, reply_markup=_buttons(result, services.lang) if i == len(parts) - 1 else None)


def _opd_digest(agency_id: int, quarter: int, *, session, settings, now, lang):
    plan = opd_plan(agency_id, session=session, settings=settings, now=now)
    if plan is None:
        return None
    return score_and_digest(plan.id, quarter, session=session, settings=settings, lang=lang, now=now)[1]


async def _edit(query, texts: list[str], markup) -> None:
    """The pressed message becomes the first text; the rest follow; the buttons go under the last."""
    try:
        await query.edit_message_text(texts[0], reply_markup=markup if len(texts) == 1 else None)
    except BadRequest as exc:  # the same button twice: Telegram refuses an edit that changes nothing
        if "not modified" not in str(exc).lower():
            raise
    for i, text in enumerate(texts[1:], start=1):
        await query.message.reply_text(text, reply_markup=markup if i == len(texts) - 1 else None)


@require(Role.KABUPATEN, private_only=True)
async def rekap_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """rkp:o (one OPD's digest), rkp:r (back to the rekap), rkp:x (the kabupaten workbook)."""
    services = services_of(context)
    query = update.callback_query
    lang = services.lang
    words = labels("rekap_labels", lang)
    if (opd := cb.REKAP_OPD.parse(query.data)) is not None:
        digest = await services.db(_opd_digest, opd.agency, opd.quarter, settings=services.settings,
                                   now=services.now(), lang=lang)
        if digest is None:
            await ack(update, context, render("stale_button", lang), alert=True)
            return
        await ack(update, context)
        back = keyboard([[(words["back"], cb.REKAP_BACK.build(quarter=opd.quarter))]])
        await _edit(query, split_message(digest.text), back)
    elif (back := cb.REKAP_BACK.parse(query.data)) is not None:
        await ack(update, context)
        result = await _rekap(context, back.quarter)
        await _edit(query, split_message(render("rekap", lang, r=result)), _buttons(result, lang))
    elif (xlsx := cb.REKAP_XLSX.parse(query.data)) is not None:
        await ack(update, context)
        result = await _rekap(context, xlsx.quarter)
        from bot.domain.kabupaten_workbook import build_kabupaten_workbook  # on first use: openpyxl

        data = await asyncio.to_thread(build_kabupaten_workbook, result, lang=lang)
        year = next((r.year for r in result.rows if r.year), "")
        name = words["file_name"].format(year=year, tw=quarter_label(xlsx.quarter).replace(" ", "-"))
        await context.bot.send_document(update.effective_chat.id, document=data, filename=name)
    else:
        await ack(update, context, render("stale_button", lang), alert=True)


def _add(text: str, *, session, settings, now, actor):
    name, _, admin = text.partition(";")
    return add_agency(name, admin, session=session, now=now, ttl_days=settings.invite_ttl_days,
                      actor_person_id=actor.person_id, actor_label=actor.label)


_ROLE_WORDS = {"admin": "admin", "verifikator": "verifier", "verifier": "verifier"}
_REMOVE_WORDS = {"hapus", "remove"}


def _member(text: str, *, session, actor):
    """`/opd anggota OPD[; ORANG[; admin verifikator | hapus …]]`: the OPD's members from other OPD, or one
    person made a member of it with those roles, or (hapus) the roles named, or the membership, taken."""
    parts = [part.strip() for part in text.split(";")]
    agency = find_agency(parts[0], session=session) if parts[0] else None
    if agency is None:
        raise Refused("opd_unknown", raw=parts[0][:80])
    if len(parts) == 1 or not parts[1]:
        return agency.name, None, agency_members(agency.id, session=session)
    match = match_person(parts[1], session=session)
    if match.person is None:
        raise Refused("person_unknown", raw=parts[1][:80], choices=[p.name for p in match.choices[:5]])
    words = " ".join(parts[2:]).casefold().replace(",", " ").split()
    if any(w not in _ROLE_WORDS and w not in _REMOVE_WORDS for w in words):
        raise Refused("member_usage")
    remove = any(w in _REMOVE_WORDS for w in words)
    roles = {role: (not remove) if any(_ROLE_WORDS.get(w) == role for w in words) else None
             for role in ("admin", "verifier")}
    changed = set_member(agency.id, match.person.id, session=session, remove=remove,
                         actor_person_id=actor.person_id, actor_label=actor.label, **roles)
    return agency.name, changed, agency_members(agency.id, session=session)


@command("opd")
async def opd_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/opd: the OPD and their admins; /opd tambah NAMA OPD; NAMA ADMIN: a new OPD and its first admin's invite."""
    services = services_of(context)
    message = update.effective_message
    words = list(context.args or [])
    if not words:
        lines = await services.db(agency_lines)
        await message.reply_text(render("opd_list", services.lang, lines=lines))
        return
    if words[0].casefold() not in ("tambah", "anggota"):
        await message.reply_text(render("opd_error", services.lang, code="usage", d={}))
        return
    # The text after «tambah» as typed (names keep their spaces; `;` separates the admin's name).
    rest = (message.text or "").split(None, 2)[2] if len(words) > 1 else ""
    if words[0].casefold() == "anggota":
        try:
            agency, changed, members = await services.db(_member, rest, actor=actor)
        except Refused as refused:
            await message.reply_text(render("opd_error", services.lang, code=refused.code, d=refused.detail))
            return
        await message.reply_text(render("opd_members", services.lang, agency=agency, changed=changed,
                                        members=members))
        return
    try:
        new = await services.db(_add, rest, settings=services.settings, now=services.now(), actor=actor)
    except Refused as refused:
        await message.reply_text(render("opd_error", services.lang, code=refused.code, d=refused.detail))
        return
    link = invite_link(services.bot_username or context.bot.username, new.invite.token)
    await message.reply_text(render("opd_added", services.lang, agency=new.agency.name, person=new.admin.name,
                                    link=link, expires=new.invite.expires_at.astimezone(services.settings.tz)))


def register(application: Application) -> None:
    """Attach /rekap, /opd and the rekap's buttons (called once from handlers.registry.register)."""
    application.add_handler(CommandHandler("rekap", rekap_command))
    application.add_handler(CommandHandler("opd", opd_command))
    application.add_handler(CallbackQueryHandler(rekap_callback, pattern=cb.prefix(cb.RKP)))
