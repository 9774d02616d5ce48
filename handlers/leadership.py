"""Leadership: /ringkasan (chart and digest), /ekspor (the evaluation workbook) and the digest's buttons.

For leadership and admins: any member of the leadership group there, an admin or a leadership
member in a private chat; in another group the commands point to the private chat, so the
agency's numbers never land in a chat they do not belong to. Thin: parse the TW argument, build
in worker threads (scoring and openpyxl through services.db, matplotlib through to_thread), send.

The drill-down buttons are stateless (bot.telegram.callbacks.DRILL: `rk:<p|k|d>:<id>:<q>`):
each press checks the role again and that the id belongs to a plan leadership is served
(bot.domain.period.readable_plan_ids: the served plans and every plan of the agency); anything else is refused with an alert and nothing is shown.
"""

import functools
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes

from bot.domain.calendar import ReportingCalendar
from bot.domain.digest import Digest
from bot.domain.digest import build_digest
from bot.domain.digest import kegiatan_detail
from bot.domain.digest import program_detail
from bot.domain.feedback import card_actions
from bot.domain.people import Role
from bot.domain.period import readable_plan_ids
from bot.domain.period import served_period
from bot.domain.scoring import score_plan_from_db
from bot.telegram import callbacks as cb
from bot.telegram.sending import ack
from bot.telegram.sending import drill_keyboard
from bot.telegram.sending import keyboard
from bot.telegram.sending import split_message
from bot.telegram.services import services_of
from bot.text.formatting import parse_quarter
from bot.text.formatting import quarter_label
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command as auth_command
from handlers.auth import open_private_chat_hint
from handlers.auth import require
from handlers.feedback import card_rows
from jobs.digest import COMMAND
from jobs.digest import build_report
from jobs.digest import caption
from jobs.digest import send_report
from models import Kegiatan
from models import Program


def _calendar(context) -> ReportingCalendar:
    return ReportingCalendar.from_settings(services_of(context).settings)


def _target(*, session, settings, calendar, now, year: int | None = None):
    """(plan id, year, default quarter) leadership reads about now, or of `year` (its TW IV once it is past;
    the agency's plan of that year, as PLAN_YEAR pins one); None without such a plan."""
    if year is not None:
        settings = settings.model_copy(update={"plan_year": year})
    period = served_period(session=session, settings=settings, now=now, calendar=calendar)
    if period is None or (year is not None and period.year != year):
        return None
    return period.plan.id, period.year, period.quarter


async def _command_target(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str,
                          words: list[str] | None = None):
    """The plan and quarter a /ringkasan or /ekspor asks for (`words`: the arguments, default all), or None
    after saying why not."""
    services = services_of(context)
    message = update.effective_message
    chat = update.effective_chat
    if chat.type != ChatType.PRIVATE and chat.id != services.settings.leadership_chat_id:
        await open_private_chat_hint(update, context)
        return None
    words = list(context.args or [] if words is None else words)
    asked_year = int(words.pop()) if words and YEAR.fullmatch(words[-1]) else None  # `/ringkasan 4 2020`
    target = await services.db(_target, settings=services.settings, calendar=_calendar(context), now=services.now(),
                               year=asked_year)
    if target is None:
        await message.reply_text(render("no_plan_of_year", services.lang, year=asked_year) if asked_year
                                 else render("no_plan", services.lang))
        return None
    plan_id, year, quarter = target
    text = " ".join(words)
    if text:
        asked = parse_quarter(text)
        if asked is None:
            await message.reply_text(render("leadership_bad_quarter", services.lang, text=text[:40], command=command,
                                            current=quarter))
            return None
        quarter = asked
    return plan_id, year, quarter


EXPORT_FORMATS = ("xlsx", "pdf")
YEAR = re.compile(r"(19|20)\d\d")


def leadership_command(command: str, *, formats: bool = False):
    """Decorator: leadership and admins only, in the leadership group or a private chat, with the plan
    and the quarter asked for (`/<command> [TW]`) resolved before the callback runs. With `formats`, a
    word `pdf` or `xlsx` anywhere in the arguments picks the file (`/ekspor pdf 2`), passed as `fmt`."""

    def decorate(callback):
        @auth_command(command)
        @functools.wraps(callback)
        async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
            words = list(context.args or [])
            chosen = [w.casefold() for w in words if w.casefold() in EXPORT_FORMATS] if formats else []
            rest = [w for w in words if w.casefold() not in EXPORT_FORMATS] if formats else words
            target = await _command_target(update, context, command, rest)
            if target is not None:
                await callback(update, context, *target, **({"fmt": (chosen or ["xlsx"])[-1]} if formats else {}))

        return handler

    return decorate


@leadership_command("ringkasan")
async def ringkasan(update: Update, context: ContextTypes.DEFAULT_TYPE, plan_id: int, year: int, quarter: int) -> None:
    """/ringkasan [TW]: the achievement chart, then the digest with a button per program."""
    services = services_of(context)
    report = await build_report(services, plan_id, quarter)
    await send_report(context.bot, update.effective_chat.id, report, caption(report, services.lang, reason=COMMAND))


def _workbook(plan_id: int, quarter: int, *, session, settings, now, fmt: str = "xlsx"):
    """The scores (for the caption) and the workbook or the PDF built from them, in a worker thread."""
    # Imported on first use: reportlab and xlsxwriter cost `rapk run` memory most bots never need.
    if fmt == "pdf":
        from bot.domain.form_pdf import build_pdf as build
    else:
        from bot.domain.workbook import build_workbook as build
    score = score_plan_from_db(plan_id, quarter, session=session, now=now, settings=settings)
    return score, build(plan_id, quarter, session=session, settings=settings, score=score, now=now)


@leadership_command("ekspor", formats=True)
async def ekspor(update: Update, context: ContextTypes.DEFAULT_TYPE, plan_id: int, year: int, quarter: int, *,
                 fmt: str) -> None:
    """/ekspor [pdf] [TW]: the quarterly evaluation workbook (.xlsx), or the form as a PDF, as a document."""
    services = services_of(context)
    score, data = await services.db(_workbook, plan_id, quarter, settings=services.settings, now=services.now(),
                                    fmt=fmt)
    name = labels("ekspor_labels", services.lang)["file_name"].format(
        year=year, tw=quarter_label(quarter).replace(" ", "-"), ext=fmt)
    await context.bot.send_document(update.effective_chat.id, document=data, filename=name,
                                    caption=render("ekspor_caption", services.lang, ps=score, fmt=fmt))


def _drill_down(kind: str, ident: int, quarter: int, *, session, settings, calendar, now, lang) -> Digest | None:
    """The digest, a program or a kegiatan of a served plan; None for an id outside them (forged or stale)."""
    plan_ids = readable_plan_ids(session=session, settings=settings, now=now, calendar=calendar)
    if kind == "d":
        if ident not in plan_ids:
            return None
        return build_digest(ident, quarter, session=session, settings=settings, lang=lang, now=now)
    row = session.get(Program if kind == "p" else Kegiatan, ident)
    if row is None or row.plan_id not in plan_ids:
        return None
    detail = program_detail if kind == "p" else kegiatan_detail
    return detail(ident, quarter, session=session, settings=settings, lang=lang, now=now)


@require(Role.LEADERSHIP, Role.ADMIN)
async def drill_down(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """A digest button: the message becomes the program's or kegiatan's detail (or the digest again)."""
    services = services_of(context)
    query = update.callback_query
    parsed = cb.DRILL.parse(query.data)
    view = None
    if parsed is not None:
        view = await services.db(_drill_down, *parsed, settings=services.settings, calendar=_calendar(context),
                                 now=services.now(), lang=services.lang)
    if view is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return
    await ack(update, context)
    # The digest's last part carries the buttons; a detail too long for one message continues below it.
    messages = split_message(view.text)
    first, *rest = messages[-1:] if parsed.kind == "d" else messages
    markup = drill_keyboard(view.buttons)
    if parsed.kind == "k":  # a kegiatan card: evidence, «Tanggapi», «Ingatkan» (handlers/feedback.py)
        actions = await services.db(card_actions, parsed.ident, parsed.quarter)
        markup = keyboard([*card_rows(actions, services.lang),
                           *([(b.text, b.callback_data) for b in row] for row in (markup.inline_keyboard if markup else ()))])
    try:
        await query.edit_message_text(first, reply_markup=None if rest else markup)
    except BadRequest as exc:  # the same button pressed twice: Telegram refuses an edit that changes nothing
        if "not modified" not in str(exc).lower():
            raise
    for i, text in enumerate(rest):
        await query.message.reply_text(text, reply_markup=markup if i == len(rest) - 1 else None)


def register(application: Application) -> None:
    """Attach /ringkasan, /ekspor and the digest's buttons (called once from handlers.registry.register)."""
    application.add_handler(CommandHandler("ringkasan", ringkasan))
    application.add_handler(CommandHandler("ekspor", ekspor))
    application.add_handler(CallbackQueryHandler(drill_down, pattern=cb.prefix(cb.RK)))
