"""/status: the PIC's kegiatan, what is due, what is done, and the deadline."""

from dataclasses import replace

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.agencies import reporting_agencies
from bot.domain.obligations import due_for_person
from bot.domain.outcomes import load_outcome_form
from bot.domain.reporting import load_form
from bot.telegram import callbacks as cb
from bot.telegram.sending import keyboard
from bot.telegram.sending import outcomes_button
from bot.telegram.sending import short
from bot.telegram.services import kabupaten_settings
from bot.telegram.services import services_of
from bot.text.render import labels
from bot.text.render import render
from handlers.auth import command


def _forms(*, session, person_id, period):
    """The report form of each of the PIC's kegiatan due in the served period, and of the IKU / program
    indicators they report (None: they hold none)."""
    if period is None:
        return [], None
    due = due_for_person(person_id, period.plan.id, period.quarter, session=session)
    outcomes = load_outcome_form(person_id, period.plan.id, period.quarter, session=session)
    return [load_form(k.kegiatan_id, period.quarter, session=session) for k in due], outcomes


def _agency_forms(*, session, person_id, settings, scoped, agency_ids, now):
    """_forms in each agency the PIC reports in (bot.domain.agencies `reporting_agencies`: its own plan,
    quarter and calendar, its name as the label when there are several); one labelled with nothing due is
    left out while another has something."""
    out = []
    for entry in reporting_agencies(person_id, agency_ids, settings, scoped, session=session, now=now):
        forms, outcomes = _forms(session=session, person_id=person_id, period=entry.period)
        out.append((entry, forms, outcomes))
    shown = [o for o in out if o[0].label is None or o[1] or o[2]]
    return shown or [(replace(out[0][0], label=None), *out[0][1:])]


@command("status")
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Per kegiatan: reported k of n aksi, budget, and the outstanding targets; a PIC of several OPD gets
    one message per OPD, each headed by its name."""
    services = services_of(context)
    for entry, forms, outcomes in await services.db(
            _agency_forms, person_id=actor.person_id, settings=kabupaten_settings(context), scoped=services.settings,
            agency_ids=actor.agency_ids, now=services.now()):
        await _status(update, services, entry, forms, outcomes)


async def _status(update: Update, services, entry, forms, outcomes) -> None:
    calendar, agency, period = entry.calendar, entry.label, entry.period
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
        markup = keyboard([*rows, [outcomes_button(services.lang, plan=plan.id if agency else None,
                                                   quarter=quarter)]])
    await update.effective_message.reply_text(
        render("status", services.lang, agency=agency, forms=forms, quarter=quarter, year=plan.year, deadline=deadline,
               late=calendar.is_late(plan.year, quarter, services.now()), outcomes=outcomes),
        reply_markup=markup,
    )
