"""/status: the PIC's kegiatan, what is due, what is done, and the deadline."""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.agencies import settings_of_agencies
from bot.domain.calendar import ReportingCalendar
from bot.domain.obligations import due_for_person
from bot.domain.outcomes import load_outcome_form
from bot.domain.period import served_period
from bot.domain.reporting import load_form
from bot.telegram import callbacks as cb
from bot.telegram.sending import keyboard
from bot.telegram.sending import outcomes_button
from bot.telegram.sending import short
from bot.telegram.services import services_of
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command
from models import Agency


def _forms(*, session, person_id, settings, now):
    """The served period, the report form of each of the PIC's kegiatan due in it, and of the IKU / program
    indicators they report (None: they hold none)."""
    period = served_period(session=session, settings=settings, now=now)
    if period is None:
        return None, [], None
    due = due_for_person(person_id, period.plan.id, period.quarter, session=session)
    outcomes = load_outcome_form(person_id, period.plan.id, period.quarter, session=session)
    return period, [load_form(k.kegiatan_id, period.quarter, session=session) for k in due], outcomes


def _agency_forms(*, session, person_id, settings, agency_ids, now):
    """_forms in each agency the PIC reports in, with the agency's settings and, for a PIC of several, its name."""
    out = []
    for scoped in settings_of_agencies(agency_ids, settings, session=session):
        period, forms, outcomes = _forms(session=session, person_id=person_id, settings=scoped, now=now)
        if period is not None and (forms or outcomes) or len(agency_ids) < 2:
            name = session.get(Agency, period.plan.agency_id).name if period and len(agency_ids) > 1 else None
            out.append((scoped, name, period, forms, outcomes))
    return out or [(settings, None, None, [], None)]


@command("status")
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Per kegiatan: reported k of n aksi, budget, and the outstanding targets; a PIC of several OPD gets
    one message per OPD, each headed by its name."""
    services = services_of(context)
    for settings, agency, period, forms, outcomes in await services.db(
            _agency_forms, person_id=actor.person_id, settings=services.settings,
            agency_ids=actor.agency_ids or (actor.agency_id,), now=services.now()):
        await _status(update, services, ReportingCalendar.from_settings(settings), agency, period, forms, outcomes)


async def _status(update: Update, services, calendar, agency, period, forms, outcomes) -> None:
    if period is None or not (forms or outcomes):
        await update.effective_message.reply_text(render("no_plan" if period is None else "lapor_no_kegiatan",
                                                         services.lang))
        return
    plan, quarter = period.plan, period.quarter
    deadline = calendar.deadline(plan.year, quarter)
    open_forms = [f for f in forms if f.open or f.late_work_open]
    markup = None
    if open_forms:
        label = labels("reminder_buttons", services.lang).get("report_now", "Lapor sekarang")
        markup = keyboard([[(f"{label}: {short(f.kegiatan_name, 31)}", cb.REPORT.build(kegiatan=f.kegiatan_id))]
                           for f in open_forms[:8]])
    if outcomes is not None and outcomes.open:  # IKU / program indicators due: one more button
        rows = [[(b.text, b.callback_data) for b in row] for row in (markup.inline_keyboard if markup else ())]
        markup = keyboard([*rows, [outcomes_button(services.lang)]])
    await update.effective_message.reply_text(
        render("status", services.lang, agency=agency, forms=forms, quarter=quarter, year=plan.year, deadline=deadline,
               late=calendar.is_late(plan.year, quarter, services.now()), outcomes=outcomes),
        reply_markup=markup,
    )
