"""Admin: assign PICs by browsing program → kegiatan with buttons, and make invite links.

The same flow gives a person the indicators they report: «Indikator sasaran (IKU)» under the program
list, and each program block's indicators above its kegiatan.

Stateless callbacks (everything needed is in the callback data and re-checked), so a restart
or an old message never leaves the admin stuck.
"""

from telegram import InlineKeyboardMarkup
from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.people import IKU
from bot.domain.people import NameMatch
from bot.domain.people import Role
from bot.domain.people import assign_outcome
from bot.domain.people import assign_pic
from bot.domain.people import create_invite
from bot.domain.people import holds_outcome
from bot.domain.people import invite_link
from bot.domain.people import is_pic_of
from bot.domain.people import kegiatan_without_pic
from bot.domain.people import list_people
from bot.domain.people import match_person
from bot.domain.people import outcome_holdings
from bot.domain.people import unassign_outcome
from bot.domain.people import unassign_pic
from bot.domain.period import kegiatan_of_program
from bot.domain.period import plan_outcomes
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
from bot.text.render import macro
from bot.text.render import render
from handlers.auth import command
from handlers.auth import require
from models import Kegiatan
from models import Person
from models import Program

PAGE = 8
MAX_CHOICES = 20  # people offered for a typed name


def _people_page(*, session, settings, now, page: int):
    plan = served_plan(session=session, settings=settings, now=now)
    people = list_people(session=session, plan_id=plan.id if plan else None, agency_id=settings.agency_id)
    unassigned = kegiatan_without_pic(plan.id, session=session) if plan else []
    return plan, people, [k.name for k in unassigned]


def _people_keyboard(people, page: int, person: cb.Format, pages: cb.Format) -> InlineKeyboardMarkup | None:
    shown, page, count = page_of(people, page, PAGE)
    rows = [[(("✅ " if p.onboarded else "⏳ ") + short(p.name), person.build(person=p.id))] for p in shown]
    rows.append([("⬅️", pages.build(page=page - 1))] * (page > 0)
                + [("➡️", pages.build(page=page + 1))] * (page + 1 < count))
    return keyboard(rows)


@command("pic")
async def pic_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/pic [NAMA]: pick a person (by part of the name; a new name makes a new person), then their kegiatan."""
    services = services_of(context)
    if context.args:
        match = await services.db(_match, " ".join(context.args)[:200], settings=services.settings,
                                  now=services.now(), actor=actor, create=True)
        if match.person is not None:
            await _send_programs(update, context, match.person.id, created=match.created)
        else:
            await _send_choices(update, context, match, cb.PIC_PERSON, "pic")
        return
    plan, people, unassigned = await services.db(_people_page, settings=services.settings, now=services.now(), page=0)
    if plan is None:
        await update.effective_message.reply_text(render("no_plan", services.lang))
        return
    await update.effective_message.reply_text(
        render("pic_people", services.lang, people=people, unassigned=unassigned),
        reply_markup=_people_keyboard(people, 0, cb.PIC_PERSON, cb.PIC_PEOPLE_PAGE) if people else None,
    )


def _match(ref: str, *, session, settings, now, actor, create: bool) -> NameMatch:
    """Who the typed name means in the served plan's agency (bot.domain.people.match_person)."""
    plan = served_plan(session=session, settings=settings, now=now)
    return match_person(ref, session=session, agency_id=plan.agency_id if plan else None, create=create,
                        actor_label=actor.label)


async def _send_choices(update, context, match: NameMatch, person: cb.Format, command: str) -> None:
    """Several people answer to the typed name: one button each, never a guess (none: not found)."""
    services = services_of(context)
    if not match.choices:
        await update.effective_message.reply_text(render("person_not_found", services.lang, name=match.name))
        return
    rows = [[(("✅ " if p.telegram_user_id else "⏳ ") + short(p.name), person.build(person=p.id))]
            for p in match.choices[:MAX_CHOICES]]
    await update.effective_message.reply_text(
        render("person_choices", services.lang, name=match.name, count=len(match.choices), command=command,
               more=max(0, len(match.choices) - MAX_CHOICES)),
        reply_markup=keyboard(rows))


def _programs(person_id: int, *, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    person = session.get(Person, person_id)
    if plan is None or person is None:
        return None, [], False
    has_iku = any(i.kind == IKU for i in plan_outcomes(plan.id, session=session))
    return person, [(p.id, p.name) for p in programs_of(plan.id, session=session)], has_iku


async def _send_programs(update, context, person_id: int, *, edit: bool = False, created: bool = False) -> None:
    services = services_of(context)
    message = update.effective_message
    person, programs, has_iku = await services.db(_programs, person_id, settings=services.settings,
                                                  now=services.now())
    if person is None:
        if update.callback_query:
            await ack(update, context, render("stale_button", services.lang), alert=True)
        else:
            await message.reply_text(render("stale_button", services.lang))
        return
    await ack(update, context)
    rows = [[(labels("admin_buttons", services.lang)["iku"], cb.PIC_IKU.build(person=person_id))]] if has_iku else []
    rows += [[(short(name), cb.PIC_PROGRAM.build(person=person_id, program=pid))] for pid, name in programs]
    rows.append([(render("button_done", services.lang), cb.PIC_DONE.build())])
    text = render("pic_programs", services.lang, person=person.name, created=created)
    if edit:
        await message.edit_text(text, reply_markup=keyboard(rows))
    else:
        await message.reply_text(text, reply_markup=keyboard(rows))


def _outcomes_held(person_id: int, plan_id: int, session, *, kind: str | None = None, program_id: int | None = None):
    """(item, held) for the plan's IKU (`kind`) or one program block's indicators (`program_id`)."""
    held = {h.key for h in outcome_holdings(session=session, people=[person_id])}
    return [(i, i.key in held) for i in plan_outcomes(plan_id, session=session)
            if i.kind == kind or (program_id is not None and i.kind != IKU and i.owner_id == program_id)]


def _kegiatan_rows(person_id: int, program_id: int, *, session):
    program = session.get(Program, program_id)
    person = session.get(Person, person_id)
    if program is None or person is None:
        return None, None, [], []
    items = [(k.id, k.name, is_pic_of(person_id, k.id, session=session))
             for k in kegiatan_of_program(program_id, session=session)]
    return person, program, items, _outcomes_held(person_id, program.plan_id, session, program_id=program_id)


def _outcome_label(item, lang: str) -> str:
    """«IKU 2 · Prosentase …», «Indikator program 1.1 · …»."""
    return f"{macro('outcome_macros', 'name', lang, kind=item.kind, ref=item.ref)} · {item.text}"


def _outcome_buttons(person_id: int, outcomes, lang: str) -> list:
    """One toggle per indicator: «✅ IKU 2 · Prosentase …» (held) or «▫️ …»."""
    return [[(("✅ " if on else "▫️ ") + short(_outcome_label(i, lang)),
              cb.PIC_OUTCOME.build(person=person_id, kind="s" if i.kind == IKU else "p", indicator=i.id))]
            for i, on in outcomes]


async def _send_kegiatan(update, context, person_id: int, program_id: int) -> None:
    services = services_of(context)
    query = update.callback_query
    person, program, items, outcomes = await services.db(_kegiatan_rows, person_id, program_id)
    if person is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return
    await ack(update, context)
    rows = _outcome_buttons(person_id, outcomes, services.lang)
    rows += [[(("✅ " if on else "▫️ ") + short(name), cb.PIC_TOGGLE.build(person=person_id, kegiatan=kid))]
             for kid, name, on in items]
    rows.append([(render("button_back", services.lang), cb.PIC_PERSON.build(person=person_id)),
                 (render("button_done", services.lang), cb.PIC_DONE.build())])
    await query.edit_message_text(
        render("pic_kegiatan", services.lang, person=person.name, program=program.name,
               assigned=[name for _, name, on in items if on], indicators=[i for i, on in outcomes if on],
               has_indicators=bool(outcomes)),
        reply_markup=keyboard(rows),
    )


def _iku_rows(person_id: int, *, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    person = session.get(Person, person_id)
    if plan is None or person is None:
        return None, []
    return person, _outcomes_held(person_id, plan.id, session, kind=IKU)


async def _send_iku(update, context, person_id: int) -> None:
    """The plan's IKU, each a toggle for the person."""
    services = services_of(context)
    person, outcomes = await services.db(_iku_rows, person_id, settings=services.settings, now=services.now())
    if person is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return
    await ack(update, context)
    rows = _outcome_buttons(person_id, outcomes, services.lang)
    rows.append([(render("button_back", services.lang), cb.PIC_PERSON.build(person=person_id)),
                 (render("button_done", services.lang), cb.PIC_DONE.build())])
    await update.callback_query.edit_message_text(
        render("pic_iku", services.lang, person=person.name, assigned=[i for i, on in outcomes if on]),
        reply_markup=keyboard(rows))


def _toggle_outcome(person_id: int, kind: str, indicator_id: int, *, session, settings, now, actor):
    """Give the person the indicator, or take it off them; None for one the served plan does not have."""
    plan = served_plan(session=session, settings=settings, now=now)
    person = session.get(Person, person_id)
    item = next((i for i in plan_outcomes(plan.id, session=session) if i.key == (kind, indicator_id)),
                None) if plan else None
    if item is None or person is None:
        return None
    who = {"actor_person_id": actor.person_id, "actor_label": actor.label}
    assigned = not holds_outcome(person_id, session=session, **item.assignment)
    if assigned:
        assign_outcome(person_id, session=session, **item.assignment, **who)
    else:
        unassign_outcome(person_id, session=session, **item.assignment, **who)
    return item, None if kind == IKU else item.owner_id, person.telegram_user_id, assigned


def _toggle(person_id: int, kegiatan_id: int, *, session, actor):
    kegiatan = session.get(Kegiatan, kegiatan_id)
    person = session.get(Person, person_id)
    if kegiatan is None or person is None:
        return None
    label = actor.label
    if is_pic_of(person_id, kegiatan_id, session=session):
        unassign_pic(person_id, kegiatan_id, session=session, actor_person_id=actor.person_id, actor_label=label)
        assigned = False
    else:
        assign_pic(person_id, kegiatan_id, session=session, actor_person_id=actor.person_id, actor_label=label)
        assigned = True
    return kegiatan.program_id, kegiatan.name, person.telegram_user_id, assigned


@require(Role.ADMIN)
async def pic_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Every /pic button: the admin role is checked again, ids are validated against the database."""
    services = services_of(context)
    query = update.callback_query
    data = query.data
    if cb.PIC_DONE.parse(data) is not None:
        await ack(update, context)
        await query.edit_message_reply_markup(None)
        return
    if press := cb.PIC_PEOPLE_PAGE.parse(data):
        _plan, people, _ = await services.db(_people_page, settings=services.settings, now=services.now(), page=press.page)
        await ack(update, context)
        await query.edit_message_reply_markup(
            _people_keyboard(people, press.page, cb.PIC_PERSON, cb.PIC_PEOPLE_PAGE))
        return
    if press := cb.PIC_PERSON.parse(data):
        await _send_programs(update, context, press.person, edit=True)
        return
    if press := cb.PIC_PROGRAM.parse(data):
        await _send_kegiatan(update, context, press.person, press.program)
        return
    if press := cb.PIC_IKU.parse(data):
        await _send_iku(update, context, press.person)
        return
    if press := cb.PIC_OUTCOME.parse(data):
        result = await services.db(_toggle_outcome, press.person, IKU if press.kind == "s" else "program",
                                   press.indicator, settings=services.settings, now=services.now(), actor=actor)
        if result is None:
            await ack(update, context, render("stale_button", services.lang), alert=True)
            return
        item, program_id, telegram_id, assigned = result
        name = _outcome_label(item, services.lang)
        await ack(update, context, render("pic_toggled", services.lang, assigned=assigned, kegiatan=name)[:190])
        await notify_person(context, person_id=press.person, telegram_user_id=telegram_id,
                            text=render("pic_assigned_notice", services.lang, assigned=assigned, kegiatan=name,
                                        outcome=True))
        if program_id is None:
            await _send_iku(update, context, press.person)
        else:
            await _send_kegiatan(update, context, press.person, program_id)
        return
    if press := cb.PIC_TOGGLE.parse(data):
        ids = list(press)
        result = await services.db(_toggle, ids[0], ids[1], actor=actor)
        if result is None:
            await ack(update, context, render("stale_button", services.lang), alert=True)
            return
        program_id, kegiatan_name, telegram_id, assigned = result
        await ack(update, context, render("pic_toggled", services.lang, assigned=assigned, kegiatan=kegiatan_name)[:190])
        await notify_person(context, person_id=ids[0], telegram_user_id=telegram_id,
                            text=render("pic_assigned_notice", services.lang, assigned=assigned, kegiatan=kegiatan_name))
        await _send_kegiatan(update, context, ids[0], program_id)
        return
    await ack(update, context, render("stale_button", services.lang), alert=True)


def _invite_for(person_id: int, *, session, settings, now, actor):
    person = session.get(Person, person_id)
    if person is None:
        return None, None
    invite = create_invite(person_id, session=session, now=now, ttl_days=settings.invite_ttl_days,
                           actor_person_id=actor.person_id, actor_label=actor.label)
    return person, invite


async def _send_invite(message, context, actor, person_id: int) -> None:
    services = services_of(context)
    person, invite = await services.db(_invite_for, person_id, settings=services.settings, now=services.now(),
                                       actor=actor)
    if person is None:
        await message.reply_text(render("stale_button", services.lang))
        return
    link = invite_link(services.bot_username or context.bot.username, invite.token)
    await message.reply_text(render("invite_link", services.lang, person=person.name, link=link,
                                    expires=invite.expires_at.astimezone(services.settings.tz),
                                    onboarded=person.telegram_user_id is not None))


@command("undang")
async def undang_command(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/undang [NAMA]: a one-time personal link for a person."""
    services = services_of(context)
    if context.args:
        match = await services.db(_match, " ".join(context.args)[:200], settings=services.settings,
                                  now=services.now(), actor=actor, create=False)
        if match.person is not None:
            await _send_invite(update.effective_message, context, actor, match.person.id)
        else:
            await _send_choices(update, context, match, cb.INV_PERSON, "undang")
        return
    _plan, people, _ = await services.db(_people_page, settings=services.settings, now=services.now(), page=0)
    if not people:
        await update.effective_message.reply_text(render("person_not_found", services.lang, name=""))
        return
    people = sorted(people, key=lambda p: (p.onboarded, p.name))
    await update.effective_message.reply_text(render("invite_pick", services.lang),
                                              reply_markup=_people_keyboard(people, 0, cb.INV_PERSON, cb.INV_PEOPLE_PAGE))


@require(Role.ADMIN)
async def undang_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    services = services_of(context)
    query = update.callback_query
    page, person = cb.INV_PEOPLE_PAGE.parse(query.data), cb.INV_PERSON.parse(query.data)
    if page is None and person is None:
        await ack(update, context, render("stale_button", services.lang), alert=True)
        return
    await ack(update, context)
    if press := page:
        _plan, people, _ = await services.db(_people_page, settings=services.settings, now=services.now(), page=press.page)
        people = sorted(people, key=lambda p: (p.onboarded, p.name))
        await query.edit_message_reply_markup(_people_keyboard(people, press.page, cb.INV_PERSON, cb.INV_PEOPLE_PAGE))
    else:
        await _send_invite(query.message, context, actor, person.person)
