"""/status: the PIC's kegiatan, what is due, what is done, and the deadline."""

from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.calendar import ReportingCalendar
from bot.text.render import labels, render
from bot.domain.reporting import load_form
from bot.telegram.services import services_of
from bot.telegram import callbacks as cb
from bot.telegram.sending import keyboard, short
from handlers.auth import command
from handlers.lapor import due_in_quarter


def _forms(*, session, person_id, settings, quarter):
    plan, statuses, _earlier = due_in_quarter(session=session, person_id=person_id, settings=settings, quarter=quarter)
    return plan, [load_form(s.kegiatan_id, quarter, session=session) for s in statuses]


@command("status")
async def status(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Per kegiatan: reported k of n aksi, budget, and the outstanding targets."""
    services = services_of(context)
    calendar = ReportingCalendar.from_settings(services.settings)
    year, quarter = calendar.reporting_quarter(services.now())
    plan, forms = await services.db(_forms, person_id=actor.person_id, settings=services.settings, quarter=quarter)
    if plan is None or not forms:
        await update.effective_message.reply_text(render("no_plan" if plan is None else "lapor_no_kegiatan",
                                                         services.lang))
        return
    deadline = calendar.deadline(plan.year, quarter)
    open_forms = [f for f in forms if not f.complete and not f.locked]
    markup = None
    if open_forms:
        label = labels("reminder_buttons", services.lang).get("report_now", "Lapor sekarang")
        markup = keyboard([[(f"{label}: {short(f.kegiatan_name, 31)}", cb.REPORT.build(kegiatan=f.kegiatan_id))]
                           for f in open_forms[:8]])
    await update.effective_message.reply_text(
        render("status", services.lang, forms=forms, quarter=quarter, year=plan.year, deadline=deadline,
               late=calendar.is_late(plan.year, quarter, services.now())),
        reply_markup=markup,
    )
