"""/lapor: the PIC's guided quarterly report, one question at a time.

States follow conversationbot.py: one async callback per step. The draft lives in user_data
and the state in the database (persistent conversation), so a restart resumes mid-flow.

Every question is sent by `_ask`: the draft names the question (`asked`), and the state and the
draft are checkpointed together before it goes out. A step takes an answer only to the question
the PIC was last sent (`_answers`): a question that may not have arrived (a failed send, a kill)
is asked again instead of taking the next answer for the previous question.
"""

import functools
import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import ConversationHandler
from telegram.ext import MessageHandler
from telegram.ext import filters

from bot.domain import numbers
from bot.domain.agencies import AgencyPeriod
from bot.domain.agencies import plan_settings
from bot.domain.agencies import reporting_agencies
from bot.domain.calendar import ReportingCalendar
from bot.domain.obligations import due_for_person
from bot.domain.obligations import next_unreported
from bot.domain.obligations import outcomes_due
from bot.domain.outcomes import OutcomeSubmission
from bot.domain.outcomes import load_outcome_form
from bot.domain.outcomes import save_outcome_report
from bot.domain.people import IKU
from bot.domain.people import Role
from bot.domain.people import is_pic_of
from bot.domain.period import earlier_open_quarters
from bot.domain.period import quarter_served_for
from bot.domain.reporting import NOTE_LIMIT
from bot.domain.reporting import ReportError
from bot.domain.reporting import Submission
from bot.domain.reporting import load_form
from bot.domain.reporting import save_report
from bot.telegram import callbacks as cb
from bot.telegram.persistence import DatabasePersistence
from bot.telegram.persistence import checkpoint
from bot.telegram.persistence import settle
from bot.telegram.sending import ack
from bot.telegram.sending import close_question
from bot.telegram.sending import keyboard as _kb
from bot.telegram.sending import question_closed
from bot.telegram.sending import say
from bot.telegram.sending import short
from bot.telegram.sending import with_webapp
from bot.telegram.services import kabupaten_settings
from bot.telegram.services import services_of
from bot.text.formatting import quarter_label
from bot.text.render import labels
from bot.text.render import macro
from bot.text.render import message
from bot.text.render import render
from handlers.auth import command
from handlers.auth import require
from models import Kegiatan
from models import Plan

PICK, AKSI, AKSI_CONFIRM, BUDGET, BUDGET_CONFIRM, INDICATOR, KENDALA, TINDAK, EVIDENCE, SUMMARY, EDIT_PICK = range(11)
# The IKU and program indicators the PIC reports: one item of the list, its own questions (stored states: append only).
OUTCOME, OUTCOME_CONFIRM, OUTCOME_SUMMARY, OUTCOME_EDIT = range(11, 15)
OUTCOME_STATES = (OUTCOME, OUTCOME_CONFIRM, OUTCOME_SUMMARY, OUTCOME_EDIT)
# Faktor pendorong (issue 15 item 7), asked after the tindak lanjut (stored states: append only).
PENDORONG = 15
NOTE_STATES = {KENDALA: "kendala", TINDAK: "tindak", PENDORONG: "pendorong"}
NOTE_NEXT = {KENDALA: TINDAK, TINDAK: PENDORONG, PENDORONG: EVIDENCE}

log = logging.getLogger("rapk.lapor")

DRAFT = "lapor"
SAVED_TOKENS = "lapor_saved"
MAX_EVIDENCE = 10


# -- helpers -----------------------------------------------------------------------------

def _buttons(lang: str) -> dict[str, str]:
    return labels("lapor_buttons", lang)


def _plan_calendar(*, session, settings, scoped, kegiatan_id: int | None = None,
                   plan_id: int | None = None) -> ReportingCalendar:
    """The calendar of the plan's (the kegiatan's) agency: its deadline and days off, whichever OPD the PIC
    acts in (`scoped`, kept for a plan of that agency; `settings` the kabupaten's)."""
    if kegiatan_id is not None:
        kegiatan = session.get(Kegiatan, kegiatan_id)
        plan_id = kegiatan.plan_id if kegiatan else None
    return ReportingCalendar.from_settings(plan_settings(plan_id, settings, session=session, acting=scoped))


async def _calendar(context, actor, **plan) -> ReportingCalendar:
    """`_plan_calendar` of a kegiatan or plan (`kegiatan_id=` / `plan_id=`) for this update's sender; a PIC of
    one agency needs no query: every plan of theirs is the acting agency's."""
    services = services_of(context)
    if len(actor.agency_ids) < 2:
        return ReportingCalendar.from_settings(services.settings)
    return await services.db(_plan_calendar, settings=kabupaten_settings(context), scoped=services.settings, **plan)


def _draft_from_form(form, token: str) -> dict:
    """A JSON-friendly draft (persisted with user_data) seeded with what is already stored."""
    return {
        "token": token, "kegiatan_id": form.kegiatan_id, "name": form.kegiatan_name, "quarter": form.quarter,
        "year": form.year, "budget": form.budget, "budget_left": form.budget_left,
        "aksi": [{"id": a.aksi_id, "no": a.no, "name": a.name, "indicator": a.indicator, "target_raw": a.target_raw,
                  "target_value": a.target_value, "unit": a.unit, "kind": a.kind, "mode": a.mode,
                  "target_to_date": a.target_to_date, "real_before": a.real_before,
                  "due": a.due, "to_meet": a.to_meet, "arrear": _arrear(a.arrear), "document": a.document,
                  "old": [a.value, a.value_raw] if a.reported else None, "new": None} for a in form.aksi],
        "indicators": [{"id": i.indicator_id, "text": i.text, "target_raw": i.target_raw, "unit": i.unit,
                        "mode": i.mode, "real_before": i.real_before,
                        "old": [i.value, i.value_raw] if i.reported else None, "new": None} for i in form.indicators],
        "budget_old": form.budget_realised, "budget_new": None,
        "kendala_old": form.kendala, "kendala_new": None, "tindak_old": form.tindak_lanjut, "tindak_new": None,
        "pendorong_old": form.pendorong, "pendorong_new": None,
        "evidence_stored": form.evidence_count, "evidence": [],
        "idx": 0, "ind_idx": 0, "editing": False, "pending": None,
        "reported": form.started,
    }


def _arrear(late) -> dict | None:
    """Late work (tunggakan) as the draft keeps it: owed since which quarter, the target to the quarter before,
    what was realised to it and what was missing (bot.domain.measure.Arrear)."""
    if late is None:
        return None
    return {"since": late.since, "target": late.target, "before": late.before, "owed": late.owed}


def _current(draft: dict, key: str):
    """The value the PIC will save for a field: the new one if given, else the stored one."""
    new, old = draft.get(f"{key}_new"), draft.get(f"{key}_old")
    return new if new is not None else old


# -- entry -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _PickGroup:
    """One OPD's part of /lapor's list: its served period and calendar (`entry`; `entry.label` its name when
    the PIC reports in several), the quarter shown, the PIC's kegiatan due in it, the plan's earlier quarters
    still open, and the IKU / program indicators the PIC reports."""

    entry: AgencyPeriod
    plan: Plan
    quarter: int
    statuses: list
    other: list[int]
    outcomes: object


def _pick_list(*, session, person_id, settings, scoped, agency_ids, now, quarter=None, plan_id=None):
    """The list per agency the PIC reports in (bot.domain.agencies `reporting_agencies`: each its own served
    plan and quarter; `quarter` another one of it, `plan_id` only that plan's); an OPD with nothing for the
    PIC is left out while another has something. [] without a plan."""
    groups = []
    for entry in reporting_agencies(person_id, agency_ids, settings, scoped, session=session, now=now):
        period = entry.period
        if period is None or plan_id is not None and period.plan.id != plan_id:
            continue
        shown = quarter or period.quarter
        due = due_for_person(person_id, period.plan.id, shown, session=session)
        outcomes = outcomes_due(period.plan.id, shown, session=session, people=[person_id]).get(person_id)
        groups.append(_PickGroup(entry, period.plan, shown, due,
                                 earlier_open_quarters(period, session=session, shown=shown), outcomes))
    return [g for g in groups if g.entry.label is None or g.statuses or g.outcomes] or groups[:1]


def _quarter_of(kegiatan_id: int, *, session, settings, scoped, now) -> int:
    """The quarter served for the kegiatan's plan by its agency (a reminder's button names only the kegiatan)."""
    kegiatan = session.get(Kegiatan, kegiatan_id)
    plan_id = kegiatan.plan_id if kegiatan else None
    return quarter_served_for(plan_id, session=session, now=now,
                              settings=plan_settings(plan_id, settings, session=session, acting=scoped))


@command("lapor", conversation_end=True)
async def lapor(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """/lapor: show the PIC's kegiatan for the reporting quarter with their status."""
    return await _show_pick(update, context, actor, quarter=None)


async def _show_pick(update, context, actor, quarter: int | None, plan_id: int | None = None) -> int:
    """The list: one message, or for a PIC of several OPD one per OPD headed by its name (its buttons name its
    plan), «Batal» and «Buka formulir» under the last."""
    services = services_of(context)
    groups = await services.db(
        _pick_list, person_id=actor.person_id, settings=kabupaten_settings(context), scoped=services.settings,
        agency_ids=actor.agency_ids, now=services.now(), quarter=quarter, plan_id=plan_id)
    if not any(g.statuses or g.outcomes for g in groups):
        await say(update, context, render("no_plan" if not groups else "lapor_no_kegiatan", services.lang))
        return ConversationHandler.END
    b = _buttons(services.lang)
    for n, g in enumerate(groups):
        plan, quarter, statuses, outcomes, label = g.plan, g.quarter, g.statuses, g.outcomes, g.entry.label
        calendar = g.entry.calendar
        rows = [[(short(("🔒 " if s.locked else "↪️ " if s.complete and s.late_work else "✅ " if s.complete else "📝 ")
                        + s.kegiatan_name),
                  cb.LP_KEGIATAN.build(kegiatan=s.kegiatan_id, quarter=quarter))]
                for s in statuses]
        if outcomes:
            rows.append([(short(("🔒 " if outcomes.locked else "✅ " if outcomes.done else "📝 ") + b["outcomes"]),
                          cb.LP_PLAN_OUTCOMES.build(plan=plan.id, quarter=quarter) if label
                          else cb.LP_OUTCOMES.build(quarter=quarter))])
        if g.other:
            rows.append([(b["other_quarter"].replace("{q}", quarter_label(q)),
                          cb.LP_PLAN_QUARTER.build(plan=plan.id, quarter=q) if label else cb.LP_QUARTER.build(quarter=q))
                         for q in g.other])
        last = n == len(groups) - 1
        if last:
            rows.append([(b["cancel"], cb.LP_CANCEL.build())])
        await say(update, context, render("lapor_pick", services.lang, statuses=statuses, quarter=quarter,
                                          year=plan.year, deadline=calendar.deadline(plan.year, quarter),
                                          late=calendar.is_late(plan.year, quarter, services.now()),
                                          outcomes=outcomes, agency=label),
                  with_webapp(_kb(rows), services.settings.webapp_url, services.lang) if last else _kb(rows))
    return PICK


@require(Role.PIC, conversation_end=True)
async def switch_quarter(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """Another (past, still open) quarter: list the kegiatan for it."""
    data = update.callback_query.data
    press = cb.LP_QUARTER.parse(data) or cb.LP_PLAN_QUARTER.parse(data)
    quarter = press.quarter if press else 0
    return await _show_pick(update, context, actor, quarter=quarter if 1 <= quarter <= 4 else None,
                            plan_id=getattr(press, "plan", None))


@require(Role.PIC, conversation_end=True)
async def pick_kegiatan(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """A kegiatan was picked (from the list or a reminder's «Lapor sekarang»): start or review its report."""
    services = services_of(context)
    data = update.callback_query.data
    press = cb.LP_KEGIATAN.parse(data) or cb.LP_NEXT.parse(data) or cb.REPORT.parse(data)
    kegiatan_id, quarter = (press.kegiatan, getattr(press, "quarter", None)) if press else (None, None)
    if press is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return ConversationHandler.END
    if quarter is None or not 1 <= quarter <= 4:
        quarter = await services.db(_quarter_of, kegiatan_id, settings=kabupaten_settings(context),
                                    scoped=services.settings, now=services.now())
    form = await services.db(_pic_form, actor.person_id, kegiatan_id, quarter)
    if form is None:  # a forged or stale button naming someone else's kegiatan
        await ack(update, context, render("refused_alert", services.lang), alert=True)
        return ConversationHandler.END
    return await _open(update, context, form, _draft_from_form, ("lapor_locked", "lapor_intro", SUMMARY),
                       lambda: _next_step(update, context, AKSI), await _calendar(context, actor, kegiatan_id=kegiatan_id))


def _pic_form(person_id: int, kegiatan_id: int, quarter: int, *, session):
    """The kegiatan's form for TW `quarter` when the person is its PIC, else None."""
    return load_form(kegiatan_id, quarter, session=session) if is_pic_of(person_id, kegiatan_id,
                                                                         session=session) else None


async def _open(update, context, form, draft_of, texts: tuple[str, str, int], first, calendar) -> int:
    """A form picked: refused when locked; otherwise its draft, on the summary card when something is stored
    already, else the intro (`texts`: the locked and intro templates, the summary state; the deadline by the
    plan's agency's `calendar`) and `first()`."""
    lang = services_of(context).lang
    locked, intro, summary = texts
    if form.locked:
        await say(update, context, render(locked, lang, form=form))
        return ConversationHandler.END
    if getattr(form, "status", None) == "accepted":  # verified: frozen until a verifier returns it
        await say(update, context, render("lapor_accepted", lang, form=form))
        return ConversationHandler.END
    draft = context.user_data[DRAFT] = draft_of(form, secrets.token_hex(4))
    if draft["reported"]:
        return await _ask(update, context, summary)
    await say(update, context, render(intro, lang, draft=draft, deadline=calendar.deadline(form.year, form.quarter)))
    return await first()


# -- the steps ---------------------------------------------------------------------------

async def _next_step(update, context, state: int) -> int:
    """Ask the question of `state`, skipping steps with nothing to ask; in edit mode go back to the card."""
    draft = context.user_data[DRAFT]
    if draft["editing"] and state != EDIT_PICK:
        draft["editing"] = False
        return await _ask(update, context, SUMMARY)
    if state == AKSI and draft["idx"] >= len(draft["aksi"]):
        state = BUDGET
    if state == INDICATOR and draft["ind_idx"] >= len(draft["indicators"]):
        state = KENDALA
    return await _ask(update, context, state if state in (AKSI, BUDGET, INDICATOR, EVIDENCE, *NOTE_STATES)
                      else SUMMARY)


def _question(draft: dict, state: int, lang: str) -> tuple[str, object]:
    """The text and buttons of the question `state` asks about the draft."""
    if state in OUTCOME_STATES:
        return _outcome_question(draft, state, lang)
    b = _buttons(lang)
    if state == AKSI:
        item = draft["aksi"][draft["idx"]]
        # Late work only (no target this quarter): the same button enters what meets the target to date.
        equal = b["equal_target"] if item.get("due", True) else b["settle_arrear"]
        # A document target (AksiItem.document): «Sudah ada» enters the target, «Belum» 0.
        yes, no = (b["doc_yes"], b["doc_no"]) if item.get("document") else (equal, b["zero"])
        rows = [[(yes, cb.LP_AKSI.build(choice="eq")), (no, cb.LP_AKSI.build(choice="0"))],
                [(b["skip"], cb.LP_AKSI.build(choice="skip"))]]
        if not draft["editing"] and len(_all_on_target(draft)) > 1:
            rows.insert(0, [(b["all_target"], cb.LP_AKSI.build(choice="all"))])
        return (render("lapor_aksi", lang, item=item, index=draft["idx"] + 1, total=len(draft["aksi"]),
                       q=draft["quarter"]), _kb(rows))
    if state == AKSI_CONFIRM:
        item, value = draft["aksi"][draft["idx"]], draft["pending"][0]
        return (render("lapor_confirm_value", lang, item=item, value=value, why=_over_limit(item, value)),
                _kb([[(b["yes_correct"], cb.LP_AKSI_CONFIRM.build(choice="ok")),
                      (b["retype"], cb.LP_AKSI_CONFIRM.build(choice="redo"))]]))
    if state == BUDGET:
        return (render("lapor_budget", lang, draft=draft, current=_current(draft, "budget")),
                _kb([[(b["no_spending"], cb.LP_BUDGET_ZERO.build())]]))
    if state == BUDGET_CONFIRM:
        return (render("lapor_confirm_budget", lang, amount=draft["pending"][0], left=draft["budget_left"],
                       budget=draft["budget"]),
                _kb([[(b["yes_correct"], cb.LP_BUDGET_CONFIRM.build(choice="bok")),
                      (b["retype"], cb.LP_BUDGET_CONFIRM.build(choice="bredo"))]]))
    if state == INDICATOR:
        item = draft["indicators"][draft["ind_idx"]]
        return (render("lapor_indicator", lang, item=item, index=draft["ind_idx"] + 1, total=len(draft["indicators"]),
                       q=draft["quarter"]),
                _kb([[(b["skip"], cb.LP_INDICATOR_SKIP.build())]]))
    if state in NOTE_STATES:
        key = NOTE_STATES[state]
        rows = [[(b["none"], cb.LP_NONE.build(key=key))]]
        if state == KENDALA and not draft["editing"]:  # the three notes empty: one tap
            rows.append([(b["no_notes"], cb.LP_NONE.build(key="all"))])
        return render("lapor_text", lang, field=key, current=_current(draft, key)), _kb(rows)
    if state == EVIDENCE:
        return (render("lapor_evidence", lang, stored=draft["evidence_stored"], added=len(draft["evidence"])),
                _kb([[(b["evidence_done"], cb.LP_EVIDENCE_DONE.build())]]))
    if state == EDIT_PICK:
        rows = [[(short(f"{b['aksi']} {a['no']}. {a['name']}"), cb.LP_EDIT_ITEM.build(what="a", index=i))]
                for i, a in enumerate(draft["aksi"])]
        rows.append([(b["budget"], cb.LP_EDIT_PART.build(what="b"))])
        rows += [[(f"{b['indicator']} {i + 1}", cb.LP_EDIT_ITEM.build(what="i", index=i))]
                 for i in range(len(draft["indicators"]))]
        rows.append([(b["kendala"], cb.LP_EDIT_PART.build(what="n")), (b["tindak"], cb.LP_EDIT_PART.build(what="t"))])
        rows.append([(b["pendorong"], cb.LP_EDIT_PART.build(what="p"))])
        rows.append([(b["evidence"], cb.LP_EDIT_PART.build(what="e")), (b["back"], cb.LP_EDIT_PART.build(what="back"))])
        return render("lapor_edit_pick", lang), _kb(rows)
    return (render("lapor_summary", lang, draft=draft, budget=_current(draft, "budget"),
                   kendala=_current(draft, "kendala"), tindak=_current(draft, "tindak"),
                   pendorong=_current(draft, "pendorong")),
            _kb([[(b["save"], cb.LP_SAVE.build(token=draft["token"])), (b["edit"], cb.LP_EDIT.build())],
                 [(b["cancel"], cb.LP_CANCEL.build())]]))


async def _ask(update, context, state: int, *, text: str | None = None, reask: str | None = None) -> int:
    """Send the question of `state`; the state and the draft naming it are durable before it goes out."""
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    question, markup = _question(draft, state, lang)
    text = text or question
    if reask:
        text = f"{render('lapor_reask', lang, why=reask)}\n\n{text}"
    draft["asked"] = {"state": state, "message_id": None}
    await checkpoint(update, context, conversation="lapor", state=state, name=DRAFT)
    sent = await say(update, context, text, markup)
    draft["asked"]["message_id"] = sent.message_id  # written with the update (RapkApplication.process_update)
    return state


def _answers(*states: int):
    """A step takes an answer only to the question the PIC was last sent, in one of `states`.

    A question checkpointed but not known to have arrived is asked again. An answer older than
    the question (typed before it came, e.g. into a bot that was down) is not taken: the question
    is already below it in the chat, so one short note per question says so and later ones are
    ignored (a backlog replayed after a restart must not answer with a flood). A button of an
    earlier question gets an alert.
    """
    def wrap(callback):
        @functools.wraps(callback)
        async def step(update: Update, context: ContextTypes.DEFAULT_TYPE):
            draft = context.user_data.get(DRAFT)
            if draft is None:  # the draft is gone (saved or cancelled elsewhere): start again
                return await stale_step(update, context)
            asked = draft.get("asked")
            if asked is None:  # a draft from before checkpoints: nothing to compare with
                return await callback(update, context)
            message = update.effective_message
            if asked["message_id"] is None or asked["state"] not in states:
                return await _ask(update, context, asked["state"], reask="not_sent")
            if update.callback_query:
                if message is None or message.message_id != asked["message_id"]:
                    await ack(update, context, render("lapor_old_question", services_of(context).lang), alert=True)
                    return asked["state"]
            elif message.message_id < asked["message_id"]:
                if not asked.get("stale_noted"):
                    asked["stale_noted"] = True
                    await message.reply_text(render("lapor_stale_answer", services_of(context).lang))
                return asked["state"]
            return await callback(update, context)
        return step
    return wrap


async def resume_after_restart(application) -> None:
    """Start-up: a question checkpointed but maybe never sent (the process was killed) is asked again."""
    persistence = application.persistence
    lang = services_of(application).lang
    for user_id, data in list(application.user_data.items()):
        draft = data.get(DRAFT)
        asked = draft.get("asked") if isinstance(draft, dict) else None
        if not asked or asked["message_id"] is not None:
            continue
        question, markup = _question(draft, asked["state"], lang)
        try:
            sent = await application.bot.send_message(
                user_id, f"{render('lapor_reask', lang, why='restart')}\n\n{question}", reply_markup=markup)
        except TelegramError as exc:
            log.warning("question for %s not asked again after the restart: %s", user_id, exc)
            continue
        asked["message_id"] = sent.message_id
        if isinstance(persistence, DatabasePersistence):
            await persistence.checkpoint(conversation="lapor", key=(user_id, user_id), state=asked["state"],
                                         user_id=user_id, name=DRAFT, draft=draft, update_id=None)


async def stale_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """An answer in a conversation whose draft is gone: say how to start again."""
    lang = services_of(context).lang
    if update.callback_query:
        await ack(update, context, render("lapor_stale", lang), alert=True)
    else:
        await update.effective_message.reply_text(render("lapor_stale", lang))
    return ConversationHandler.END


def _over_limit(item: dict, value: Decimal) -> str | None:
    """Why a plausible-but-unusual value needs a second look (None when it is fine). Late work counts as
    expected: 100 against a TW III target of 20 with 80 owed from TW II is what meets the target to date."""
    if item["kind"] == "percent" and value > 100:
        return "over_100"
    expected = [v for v in (item["target_value"], item.get("to_meet")) if v is not None]
    target = max(expected, default=None)
    if target is not None and target > 0 and value > 2 * target:
        return "over_double"
    return None


def _equal_target(item: dict) -> list | None:
    """«🎯 Sesuai target»: this quarter's target as written; for late work only, what meets the target to date."""
    if item["target_value"] is not None:
        return [item["target_value"], item["target_raw"]]
    value = item.get("to_meet")
    if value is None:
        return None
    return [value, format(value.normalize(), "f") + ("%" if item["kind"] == "percent" else "")]


def _unit(item: dict) -> str:
    """The unit a typed answer may carry (bot.domain.numbers.parse_realised): `%` for a percentage."""
    return "%" if item.get("kind") == "percent" else item.get("unit") or ""


def _all_on_target(draft: dict) -> list[dict]:
    """«✅ Semua sesuai target»: the aksi from the current one on that have a target this quarter."""
    return [a for a in draft["aksi"][draft["idx"]:] if a.get("due", True) and a["target_value"] is not None]


async def _take_value(update, context, item: dict, ask: int, confirm: int) -> int | None:
    """A typed value for `item` (an aksi or an IKU / program indicator): a typo asks `ask` again, an unusual
    value asks `confirm` first; None when the value is taken, so the step moves on."""
    lang = services_of(context).lang
    try:
        realised = numbers.parse_realised(update.effective_message.text, _unit(item))
    except numbers.NumberFormatError as exc:
        await update.effective_message.reply_text(render("lapor_bad_number", lang, reason=message(exc, lang), item=item))
        return await _ask(update, context, ask)
    context.user_data[DRAFT]["pending"] = None  # typed at a confirmation: the new value replaces the pending one
    if _over_limit(item, realised.value):
        context.user_data[DRAFT]["pending"] = [realised.value, realised.raw]
        return await _ask(update, context, confirm)
    item["new"] = [realised.value, realised.raw]
    return None


async def _take_pending(update, context, confirm: cb.Format, key: str) -> bool:
    """«Ya, sudah benar» on an unusual value: it is the current item's (of draft[`key`]); False for «Ketik ulang»."""
    draft = context.user_data[DRAFT]
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    pending, draft["pending"] = draft["pending"], None
    if confirm.parse(update.callback_query.data) == ("ok",) and pending:
        draft[key][draft["idx"]]["new"] = pending
        draft["idx"] += 1
        return True
    return False


@_answers(AKSI, AKSI_CONFIRM)
async def aksi_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A typed realised value for the current aksi (also at «Sudah benar?»: it replaces the pending one)."""
    draft = context.user_data[DRAFT]
    asked = await _take_value(update, context, draft["aksi"][draft["idx"]], AKSI, AKSI_CONFIRM)
    if asked is not None:
        return asked
    draft["idx"] += 1
    return await _next_step(update, context, AKSI)


@_answers(AKSI)
async def aksi_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Quick answers: equal to target, zero, or skip (leave it for later)."""
    draft = context.user_data[DRAFT]
    item = draft["aksi"][draft["idx"]]
    choice = cb.LP_AKSI.parse(update.callback_query.data).choice
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    if choice == "all" and not draft["editing"]:  # every aksi left with a target: at target, then the budget
        for a in _all_on_target(draft):
            a["new"] = _equal_target(a)
        draft["idx"] = len(draft["aksi"])
        return await _next_step(update, context, BUDGET)
    if choice == "eq" and _equal_target(item) is not None:
        item["new"] = _equal_target(item)
    elif choice == "0":
        item["new"] = [Decimal(0), "0"]
    draft["idx"] += 1
    return await _next_step(update, context, AKSI)


@_answers(AKSI_CONFIRM)
async def aksi_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Confirm or retype an unusual value."""
    if await _take_pending(update, context, cb.LP_AKSI_CONFIRM, "aksi"):
        return await _next_step(update, context, AKSI)
    return await _ask(update, context, AKSI)


@_answers(BUDGET, BUDGET_CONFIRM)
async def budget_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Budget realised this quarter: `125.000.000`, `Rp 125 juta`, `125jt`, `1,5 M`."""
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    try:
        amount = numbers.parse_money(update.effective_message.text)
    except numbers.NumberFormatError as exc:
        await update.effective_message.reply_text(render("lapor_bad_money", lang, reason=message(exc, lang)))
        return await _ask(update, context, BUDGET)
    draft["pending"] = None  # typed at a confirmation: the new amount replaces the pending one
    left = draft["budget_left"]
    if left is not None and amount > left:
        draft["pending"] = [amount, None]
        return await _ask(update, context, BUDGET_CONFIRM)
    draft["budget_new"] = amount
    return await _next_step(update, context, INDICATOR)


@_answers(BUDGET)
async def budget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«Belum ada realisasi»: zero rupiah this quarter."""
    draft = context.user_data[DRAFT]
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    draft["budget_new"] = 0
    return await _next_step(update, context, INDICATOR)


@_answers(BUDGET_CONFIRM)
async def budget_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Confirm a budget beyond what is left of the pagu, or retype it."""
    draft = context.user_data[DRAFT]
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    pending, draft["pending"] = draft["pending"], None
    if cb.LP_BUDGET_CONFIRM.parse(update.callback_query.data) == ("bok",) and pending:
        draft["budget_new"] = pending[0]
        return await _next_step(update, context, INDICATOR)
    return await _ask(update, context, BUDGET)


@_answers(INDICATOR)
async def indicator_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """The kegiatan indicator's realised value."""
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    item = draft["indicators"][draft["ind_idx"]]
    try:
        realised = numbers.parse_realised(update.effective_message.text, _unit(item))
    except numbers.NumberFormatError as exc:
        await update.effective_message.reply_text(render("lapor_bad_number", lang, reason=message(exc, lang), item=item))
        return await _ask(update, context, INDICATOR)
    value, text = realised.value, realised.raw
    draft["indicators"][draft["ind_idx"]]["new"] = [value, text]
    draft["ind_idx"] += 1
    return await _next_step(update, context, INDICATOR)


@_answers(INDICATOR)
async def indicator_skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«Lewati» an indicator: it stays as stored."""
    draft = context.user_data[DRAFT]
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    draft["ind_idx"] += 1
    return await _next_step(update, context, INDICATOR)


async def _store_text(update, context, key: str, text: str, next_state: int) -> int:
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    if len(text) > NOTE_LIMIT:
        text = text[:NOTE_LIMIT]
        await update.effective_message.reply_text(render("lapor_trimmed", lang, limit=NOTE_LIMIT))
    draft[f"{key}_new"] = text
    return await _next_step(update, context, next_state)


@_answers(KENDALA)
async def kendala_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Obstacles (faktor penghambat), free text."""
    return await _store_text(update, context, "kendala", update.effective_message.text.strip(), TINDAK)


@_answers(TINDAK)
async def tindak_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Follow-up (tindak lanjut), free text."""
    return await _store_text(update, context, "tindak", update.effective_message.text.strip(), PENDORONG)


@_answers(PENDORONG)
async def pendorong_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """What helped (faktor pendorong), free text."""
    return await _store_text(update, context, "pendorong", update.effective_message.text.strip(), EVIDENCE)


@_answers(*NOTE_STATES)
async def text_none(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«Tidak ada» for one note, or «Tidak ada catatan» (asked with the kendala): all three empty."""
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    key = cb.LP_NONE.parse(update.callback_query.data).key
    draft = context.user_data[DRAFT]
    asked = draft.get("asked") or {}
    state = asked.get("state", KENDALA)
    if key == "all" and state == KENDALA and not draft["editing"]:
        for note in NOTE_STATES.values():
            draft[f"{note}_new"] = ""
        return await _next_step(update, context, EVIDENCE)
    if NOTE_STATES.get(state) != key:  # a note's button pressed for another note: ask that one again
        return await _ask(update, context, state)
    draft[f"{key}_new"] = ""
    return await _next_step(update, context, NOTE_NEXT[state])


@_answers(EVIDENCE)
async def evidence_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A photo or a document (PDF) as bukti dukung: keep the Telegram file id and metadata."""
    lang = services_of(context).lang
    draft = context.user_data[DRAFT]
    message = update.effective_message
    if message.photo:
        photo = message.photo[-1]
        item = {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id, "kind": "photo",
                "file_name": "", "mime_type": "image/jpeg", "file_size": photo.file_size}
    else:
        doc = message.document
        item = {"file_id": doc.file_id, "file_unique_id": doc.file_unique_id, "kind": "document",
                "file_name": (doc.file_name or "")[:300], "mime_type": (doc.mime_type or "")[:100],
                "file_size": doc.file_size}
    if len(draft["evidence"]) >= MAX_EVIDENCE:
        await message.reply_text(render("lapor_evidence_full", lang, limit=MAX_EVIDENCE))
        return EVIDENCE
    if all(e["file_unique_id"] != item["file_unique_id"] for e in draft["evidence"]):
        draft["evidence"].append(item)
    return await _ask(update, context, EVIDENCE,
                      text=render("lapor_evidence_added", lang, count=len(draft["evidence"]), item=item))


@_answers(EVIDENCE)
async def evidence_done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«Selesai» with the evidence: show the summary card."""
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    context.user_data[DRAFT]["editing"] = False
    return await _ask(update, context, SUMMARY)


async def evidence_wrong_type(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Text or another file type where evidence is expected."""
    await update.effective_message.reply_text(render("lapor_evidence_hint", services_of(context).lang))
    return EVIDENCE


# -- summary, save, edit -------------------------------------------------------------------

def _submission(draft: dict) -> Submission:
    return Submission(
        kegiatan_id=draft["kegiatan_id"], quarter=draft["quarter"],
        aksi_values={a["id"]: (a["new"][0], a["new"][1]) for a in draft["aksi"] if a["new"] is not None},
        indicator_values={i["id"]: (i["new"][0], i["new"][1]) for i in draft["indicators"] if i["new"] is not None},
        budget_realised=draft["budget_new"], kendala=draft["kendala_new"], tindak_lanjut=draft["tindak_new"],
        pendorong=draft.get("pendorong_new"),
        evidence=list(draft["evidence"]),
    )


@require(Role.PIC, conversation_end=True)
async def save(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """Simpan: one transaction; «Tersimpan ✅» only after the commit."""
    services = services_of(context)
    query = update.callback_query
    draft = context.user_data.get(DRAFT)
    if draft is None or cb.LP_SAVE.parse(query.data) != (draft["token"],):
        return await already_saved(update, context)
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    calendar = await _calendar(context, actor, kegiatan_id=draft["kegiatan_id"])  # the kegiatan's OPD's deadline
    now = services.now()
    late = calendar.is_late(draft["year"], draft["quarter"], now)
    try:
        result = await services.db(save_report, _submission(draft), person_id=actor.person_id,
                                   actor_label=actor.label, now=now, late=late)
    except ReportError as exc:
        if exc.code == "evidence_required":  # bot.domain.evidence: ask for the file, the draft stays
            return await _ask(update, context, EVIDENCE, text=render("lapor_evidence_required", services.lang,
                                                                     draft=draft))
        await question_closed(context)
        await query.message.reply_text(render("lapor_refused", services.lang, code=exc.code))
        context.user_data.pop(DRAFT, None)
        return ConversationHandler.END
    # Read before settling: from the settle on, a kill costs the PIC this «Tersimpan» (it is not sent twice), so
    # only the send itself may lie between the two.
    form, following = await services.db(_saved_form, actor.person_id, draft["kegiatan_id"], draft["quarter"])
    markup = _kb([[(_buttons(services.lang)["next_kegiatan"],
                    cb.LP_NEXT.build(kegiatan=following, quarter=draft["quarter"]))]]) if following else None
    await question_closed(context)
    await _stored(update, context, draft)
    await query.message.reply_text(render("lapor_saved", services.lang, form=form, late=late,
                                          changed=len(result.changed)), reply_markup=markup)
    return ConversationHandler.END


def _saved_form(person_id: int, kegiatan_id: int, quarter: int, *, session):
    """What «Tersimpan» shows: the form as stored, and the PIC's next kegiatan still to report (None: none)."""
    form = load_form(kegiatan_id, quarter, session=session)
    return form, next_unreported(person_id, kegiatan_id, quarter, session=session, plan_id=form.plan_id)


async def _stored(update, context, draft: dict) -> None:
    """The draft is committed: remember its token (a second Simpan says «already saved») and forget it for
    good before «Tersimpan» goes out."""
    context.user_data.setdefault(SAVED_TOKENS, [])
    context.user_data[SAVED_TOKENS] = (context.user_data[SAVED_TOKENS] + [draft["token"]])[-20:]
    context.user_data.pop(DRAFT, None)
    await settle(update, context)


async def already_saved(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """A second tap on Simpan (or a redelivered update): it is stored once, say so — as an alert, since this
    may be the only confirmation the PIC gets (a restart between the commit and «Tersimpan»)."""
    lang = services_of(context).lang
    await ack(update, context, render("lapor_already_saved", lang), alert=True)
    return None


@_answers(SUMMARY, OUTCOME_SUMMARY)
async def edit_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ubah: pick the item (or the indicator) to change."""
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    outcomes = context.user_data[DRAFT].get("kind") == "outcomes"
    return await _ask(update, context, OUTCOME_EDIT if outcomes else EDIT_PICK)


@_answers(EDIT_PICK)
async def edit_pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Jump to one item's question; after it the summary card comes back."""
    draft = context.user_data[DRAFT]
    data = update.callback_query.data
    press = cb.LP_EDIT_ITEM.parse(data) or cb.LP_EDIT_PART.parse(data)
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    what = press.what if press else "back"
    if what == "back":
        return await _ask(update, context, SUMMARY)
    draft["editing"] = True
    index = getattr(press, "index", 0)
    if what == "a" and 0 <= index < len(draft["aksi"]):
        draft["idx"] = index
        return await _ask(update, context, AKSI)
    if what == "i" and 0 <= index < len(draft["indicators"]):
        draft["ind_idx"] = index
        return await _ask(update, context, INDICATOR)
    parts = {"b": BUDGET, "n": KENDALA, "t": TINDAK, "p": PENDORONG}
    if what in parts:
        return await _ask(update, context, parts[what])
    draft["editing"] = False  # evidence: add files, then «Selesai» shows the card
    return await _ask(update, context, EVIDENCE)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """/batal or Batal: leave without saving anything."""
    context.user_data.pop(DRAFT, None)
    lang = services_of(context).lang
    if update.callback_query:
        close_question(update, context)  # closed while the step goes on: `say` waits for it
    await say(update, context, render("cancelled", lang))
    return ConversationHandler.END


async def unexpected(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """Anything unexpected in any state: a hint, never silence; the state stays as it was."""
    lang = services_of(context).lang
    if update.callback_query:
        await ack(update, context, render("stale_button", lang), alert=True)
        return None
    await update.effective_message.reply_text(render("lapor_hint", lang))
    return None


# -- IKU and program indicators --------------------------------------------------------------------

def _outcome_form(*, session, person_id, settings, scoped, agency_ids, now, quarter=None, plan_id=None):
    """The PIC's IKU / program indicator form for `quarter` (the served one by default) of the served plan
    `plan_id` of an agency they report in; without a plan (an older button, a reminder's) the first such plan
    where some are due and open, else the first where they hold some. None when they hold none there."""
    forms = []
    for entry in reporting_agencies(person_id, agency_ids, settings, scoped, session=session, now=now):
        period = entry.period
        if period is None or plan_id is not None and period.plan.id != plan_id:
            continue
        form = load_outcome_form(person_id, period.plan.id, quarter or period.quarter, session=session)
        if form is not None:
            forms.append(form)
    due = [f for f in forms if not f.locked and any(i.owed.due and not i.owed.reported for i in f.items)]
    return (due or forms or [None])[0]


def _outcome_draft(form, token: str) -> dict:
    """The draft of the PIC's indicators: per item what the question shows (bot.domain.outcomes), and the value.
    `kind` and `target_value` are the aksi's (percent / count; what «lebih dari dua kali target» compares with)."""
    items = []
    for i in form.items:
        item, owed = i.item, i.owed
        targets = sorted(i.targets)
        items.append({
            "what": item.kind, "id": item.id, "ref": item.ref, "text": item.text, "owner": item.owner,
            "unit": item.unit, "kind": "percent" if item.percent else "count", "mode": item.mode,
            "due": owed.due, "early": i.early, "due_quarters": targets,
            "target_raw": owed.target_raw or item.target_raw, "annual_raw": item.target_raw,
            "target_value": owed.target_value if owed.due else (i.target_to_date or item.annual),
            "target_to_date": i.target_to_date, "real_before": i.real_before,
            "old": [owed.reported_value, owed.reported_raw] if owed.reported else None, "new": None})
    return {"kind": "outcomes", "token": token, "plan_id": form.plan_id, "quarter": form.quarter, "year": form.year,
            "items": items, "idx": 0, "editing": False, "pending": None, "reported": form.started}


def _outcome_question(draft: dict, state: int, lang: str) -> tuple[str, object]:
    """The questions of the indicator draft, as `_question` gives the kegiatan's."""
    b = _buttons(lang)
    q = draft["quarter"]
    if state == OUTCOME:
        item = draft["items"][draft["idx"]]
        first = [(b["equal_target"], cb.LP_OUTCOME.build(choice="eq"))] if item["due"] else []
        return (render("lapor_outcome", lang, item=item, index=draft["idx"] + 1, total=len(draft["items"]), q=q),
                _kb([first + [(b["skip"], cb.LP_OUTCOME.build(choice="skip"))]]))
    if state == OUTCOME_CONFIRM:
        item, value = draft["items"][draft["idx"]], draft["pending"][0]
        return (render("lapor_confirm_value", lang, item=item, value=value, why=_over_limit(item, value)),
                _kb([[(b["yes_correct"], cb.LP_OUTCOME_CONFIRM.build(choice="ok")),
                      (b["retype"], cb.LP_OUTCOME_CONFIRM.build(choice="redo"))]]))
    if state == OUTCOME_EDIT:
        rows = [[(short(f"{macro('outcome_macros', 'name', lang, kind=i['what'], ref=i['ref'])} · {i['text']}"),
                  cb.LP_EDIT_OUTCOME.build(index=n))] for n, i in enumerate(draft["items"])]
        rows.append([(b["back"], cb.LP_EDIT_PART.build(what="back"))])
        return render("lapor_edit_pick", lang), _kb(rows)
    return (render("lapor_outcome_summary", lang, draft=draft),
            _kb([[(b["save"], cb.LP_SAVE.build(token=draft["token"])), (b["edit"], cb.LP_EDIT.build())],
                 [(b["cancel"], cb.LP_CANCEL.build())]]))


async def _next_outcome(update, context) -> int:
    """The next indicator's question; after the last one, or after an edit, the summary card."""
    draft = context.user_data[DRAFT]
    if draft["editing"] or draft["idx"] >= len(draft["items"]):
        draft["editing"] = False
        return await _ask(update, context, OUTCOME_SUMMARY)
    return await _ask(update, context, OUTCOME)


@require(Role.PIC, conversation_end=True)
async def pick_outcomes(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """«Indikator kinerja (IKU/program)» from the list, or «Lapor sekarang» on a reminder: start or review them."""
    services = services_of(context)
    data = update.callback_query.data
    press = cb.LP_OUTCOMES.parse(data) or cb.LP_PLAN_OUTCOMES.parse(data) or cb.REPORT_OUTCOMES.parse(data)
    if press is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return ConversationHandler.END
    quarter = getattr(press, "quarter", None)
    form = await services.db(_outcome_form, person_id=actor.person_id, settings=kabupaten_settings(context),
                             scoped=services.settings, agency_ids=actor.agency_ids, now=services.now(),
                             quarter=quarter if quarter and 1 <= quarter <= 4 else None,
                             plan_id=getattr(press, "plan", None))
    if form is None:  # nothing held (any more): a stale or forged button
        await ack(update, context, render("refused_alert", services.lang), alert=True)
        return ConversationHandler.END
    return await _open(update, context, form, _outcome_draft,
                       ("lapor_outcome_locked", "lapor_outcome_intro", OUTCOME_SUMMARY),
                       lambda: _ask(update, context, OUTCOME), await _calendar(context, actor, plan_id=form.plan_id))


@_answers(OUTCOME, OUTCOME_CONFIRM)
async def outcome_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """A typed value for the current indicator (an unusual one is confirmed first, as for an aksi)."""
    draft = context.user_data[DRAFT]
    asked = await _take_value(update, context, draft["items"][draft["idx"]], OUTCOME, OUTCOME_CONFIRM)
    if asked is not None:
        return asked
    draft["idx"] += 1
    return await _next_outcome(update, context)


@_answers(OUTCOME)
async def outcome_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """«🎯 Sesuai target» (this quarter's target, shown only when one is due) or Lewati (left as stored)."""
    draft = context.user_data[DRAFT]
    item = draft["items"][draft["idx"]]
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    if cb.LP_OUTCOME.parse(update.callback_query.data) == ("eq",) and item["due"]:
        item["new"] = [item["target_value"], item["target_raw"]]  # due: this quarter's own target is the one to date
    draft["idx"] += 1
    return await _next_outcome(update, context)


@_answers(OUTCOME_CONFIRM)
async def outcome_confirm(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Confirm or retype an unusual value."""
    if await _take_pending(update, context, cb.LP_OUTCOME_CONFIRM, "items"):
        return await _next_outcome(update, context)
    return await _ask(update, context, OUTCOME)


@_answers(OUTCOME_EDIT)
async def outcome_edit_pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
    """Ask one indicator again, then the summary card comes back."""
    draft = context.user_data[DRAFT]
    press = cb.LP_EDIT_OUTCOME.parse(update.callback_query.data)
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    if press is None or not 0 <= press.index < len(draft["items"]):
        return await _ask(update, context, OUTCOME_SUMMARY)
    draft["idx"], draft["editing"] = press.index, True
    return await _ask(update, context, OUTCOME)


def _outcome_submission(draft: dict) -> OutcomeSubmission:
    given = [i for i in draft["items"] if i["new"] is not None]
    return OutcomeSubmission(
        quarter=draft["quarter"],
        iku_values={i["id"]: (i["new"][0], i["new"][1]) for i in given if i["what"] == IKU},
        program_values={i["id"]: (i["new"][0], i["new"][1]) for i in given if i["what"] != IKU})


@require(Role.PIC, conversation_end=True)
async def save_outcomes(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> int:
    """Simpan: one transaction; «Tersimpan ✅» only after the commit."""
    services = services_of(context)
    query = update.callback_query
    draft = context.user_data.get(DRAFT)
    if draft is None or draft.get("kind") != "outcomes" or cb.LP_SAVE.parse(query.data) != (draft["token"],):
        return await already_saved(update, context)
    close_question(update, context)  # closed while the step goes on: `say` waits for it
    try:
        result = await services.db(save_outcome_report, _outcome_submission(draft), person_id=actor.person_id,
                                   actor_label=actor.label, now=services.now())
    except ReportError as exc:
        await question_closed(context)
        await query.message.reply_text(render("lapor_refused", services.lang, code=exc.code, outcome=True))
        context.user_data.pop(DRAFT, None)
        return ConversationHandler.END
    form = await services.db(lambda *, session: load_outcome_form(actor.person_id, draft["plan_id"], draft["quarter"],
                                                                  session=session))
    await question_closed(context)
    await _stored(update, context, draft)  # after the read, as in save
    await query.message.reply_text(render("lapor_outcome_saved", services.lang, form=form, year=draft["year"],
                                          quarter=draft["quarter"], changed=len(result.changed)))
    return ConversationHandler.END


def build() -> ConversationHandler:
    """The /lapor conversation, persistent so a restart resumes where the PIC stopped."""
    text = filters.TEXT & ~filters.COMMAND
    return ConversationHandler(
        name="lapor",
        persistent=True,
        allow_reentry=True,
        per_message=False,
        entry_points=[
            CommandHandler("lapor", lapor),
            CommandHandler("start", lapor, filters=filters.Regex(r"^/start lapor$")),
            CallbackQueryHandler(pick_kegiatan, pattern=cb.REPORT.pattern),
            # A returned report's «Perbaiki» (handlers/verification.py): exactly that kegiatan and quarter.
            CallbackQueryHandler(pick_kegiatan, pattern=cb.LP_KEGIATAN.pattern),
            CallbackQueryHandler(pick_kegiatan, pattern=cb.LP_NEXT.pattern),
            CallbackQueryHandler(pick_outcomes, pattern=cb.REPORT_OUTCOMES.pattern),
            # /status's button for one OPD's indicators (a PIC of several OPD).
            CallbackQueryHandler(pick_outcomes, pattern=cb.LP_PLAN_OUTCOMES.pattern),
        ],
        states={
            PICK: [CallbackQueryHandler(pick_kegiatan, pattern=cb.LP_KEGIATAN.pattern),
                   CallbackQueryHandler(switch_quarter, pattern=cb.LP_QUARTER.pattern),
                   CallbackQueryHandler(switch_quarter, pattern=cb.LP_PLAN_QUARTER.pattern),
                   CallbackQueryHandler(pick_outcomes, pattern=cb.LP_OUTCOMES.pattern)],
            AKSI: [MessageHandler(text, aksi_value), CallbackQueryHandler(aksi_button, pattern=cb.LP_AKSI.pattern)],
            AKSI_CONFIRM: [CallbackQueryHandler(aksi_confirm, pattern=cb.LP_AKSI_CONFIRM.pattern),
                           MessageHandler(text, aksi_value)],
            BUDGET: [MessageHandler(text, budget_value), CallbackQueryHandler(budget_button, pattern=cb.LP_BUDGET_ZERO.pattern)],
            BUDGET_CONFIRM: [CallbackQueryHandler(budget_confirm, pattern=cb.LP_BUDGET_CONFIRM.pattern),
                             MessageHandler(text, budget_value)],
            INDICATOR: [MessageHandler(text, indicator_value),
                        CallbackQueryHandler(indicator_skip, pattern=cb.LP_INDICATOR_SKIP.pattern)],
            KENDALA: [MessageHandler(text, kendala_text), CallbackQueryHandler(text_none, pattern=cb.LP_NONE.pattern)],
            TINDAK: [MessageHandler(text, tindak_text), CallbackQueryHandler(text_none, pattern=cb.LP_NONE.pattern)],
            PENDORONG: [MessageHandler(text, pendorong_text), CallbackQueryHandler(text_none, pattern=cb.LP_NONE.pattern)],
            EVIDENCE: [MessageHandler(filters.PHOTO | filters.Document.PDF | filters.Document.IMAGE, evidence_file),
                       CallbackQueryHandler(evidence_done, pattern=cb.LP_EVIDENCE_DONE.pattern),
                       MessageHandler(~filters.COMMAND, evidence_wrong_type)],
            SUMMARY: [CallbackQueryHandler(save, pattern=cb.LP_SAVE_ANY),
                      CallbackQueryHandler(edit_menu, pattern=cb.LP_EDIT.pattern)],
            EDIT_PICK: [CallbackQueryHandler(edit_pick, pattern=cb.LP_EDIT_ANY)],
            OUTCOME: [MessageHandler(text, outcome_value), CallbackQueryHandler(outcome_button, pattern=cb.LP_OUTCOME.pattern)],
            OUTCOME_CONFIRM: [CallbackQueryHandler(outcome_confirm, pattern=cb.LP_OUTCOME_CONFIRM.pattern),
                              MessageHandler(text, outcome_value)],
            OUTCOME_SUMMARY: [CallbackQueryHandler(save_outcomes, pattern=cb.LP_SAVE_ANY),
                              CallbackQueryHandler(edit_menu, pattern=cb.LP_EDIT.pattern)],
            OUTCOME_EDIT: [CallbackQueryHandler(outcome_edit_pick, pattern=cb.LP_EDIT_OUTCOME.pattern),
                           CallbackQueryHandler(outcome_edit_pick, pattern=cb.LP_EDIT_PART.pattern)],
        },
        fallbacks=[
            CommandHandler("batal", cancel),
            CallbackQueryHandler(cancel, pattern=cb.LP_CANCEL.pattern),
            CallbackQueryHandler(already_saved, pattern=cb.LP_SAVE_ANY),
            MessageHandler(filters.ALL & ~filters.COMMAND, unexpected),
            # Only /lapor's own buttons: an admin's /pic or /target buttons still reach their handlers.
            CallbackQueryHandler(unexpected, pattern=cb.prefix(cb.LP, "lapor")),
        ],
    )


@require(Role.PIC)
async def saved_outside(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Simpan tapped again after the conversation ended: stored once, say so."""
    await already_saved(update, context)


@require(Role.PIC)
async def stale_outside(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """A /lapor button from a finished conversation: explain instead of spinning."""
    lang = services_of(context).lang
    await ack(update, context, render("lapor_stale", lang), alert=True)
