"""/pengguna: people with their roles, onboarding and reachability; grant or revoke admin or verifier, pause reminders.

Stateless callbacks `usr:…` (page, person card, admin on/off, pause until a date or resume),
each validated again; every change is audited in bot.domain.admin / bot.domain.people.
"""

from datetime import date
from datetime import timedelta

from sqlmodel import select
from telegram import Update
from telegram.ext import ContextTypes

from bot.domain.people import LeaveDateError
from bot.domain.people import Refused
from bot.domain.people import Role
from bot.domain.people import change_admin
from bot.domain.people import change_verifier
from bot.domain.people import list_people
from bot.domain.people import person_card
from bot.domain.people import person_in_agency
from bot.domain.people import set_paused
from bot.domain.period import served_plan
from bot.telegram import callbacks as cb
from bot.telegram.app import set_person_menu
from bot.telegram.sending import ack
from bot.telegram.services import services_of
from bot.text.formatting import long_date
from bot.text.render import render
from handlers.admin.common import PAGE
from handlers.admin.common import buttons
from handlers.admin.common import keyboard
from handlers.admin.common import paged
from handlers.admin.common import show
from handlers.admin.common import stale
from handlers.admin.common import who
from handlers.auth import command
from handlers.auth import is_leadership_member
from handlers.auth import require
from models import Person

PAUSE_DAYS = (7, 14, 30)


def _today(context) -> date:
    services = services_of(context)
    return services.now().astimezone(services.settings.tz).date()


def _date(yyyymmdd: int) -> date | None | bool:
    """`20200707` → that day, 0 → None (resume); False for a day that does not exist (forged data)."""
    if yyyymmdd == 0:
        return None
    try:
        return date(yyyymmdd // 10000, yyyymmdd // 100 % 100, yyyymmdd % 100)
    except ValueError:
        return False


def _people(*, session, settings, now):
    plan = served_plan(session=session, settings=settings, now=now)
    people = list_people(session=session, plan_id=plan.id if plan else None, agency_id=settings.agency_id)
    config = settings.admin_telegram_ids
    bound = dict(session.exec(select(Person.telegram_user_id, Person.id)
                              .where(Person.telegram_user_id.in_(config))).all()) if config else {}
    admins = {p.id for p in people if p.is_admin} | set(bound.values())
    return people, admins, [tid for tid in config if tid not in bound]


async def _show_list(update: Update, context, page: int) -> None:
    services = services_of(context)
    people, admins, config_only = await services.db(_people, settings=services.settings, now=services.now())
    pages = max(1, -(-len(people) // PAGE))
    page = min(max(page, 0), pages - 1)
    items = [(("✅ " if p.onboarded else "⏳ ") + p.name, cb.USR_PERSON.build(person=p.id)) for p in people]
    markup = paged(items, page, lambda n: cb.USR_PAGE.build(page=n), services.lang)
    await show(update, context, render("pengguna_list", services.lang, people=people[page * PAGE:(page + 1) * PAGE],
                                       total=len(people), onboarded=sum(p.onboarded for p in people), admins=admins,
                                       config_only=config_only, page=page, pages=pages, today=_today(context)),
               markup)


@command("pengguna")
async def pengguna(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """/pengguna: everyone known to the bot, a page at a time."""
    await _show_list(update, context, 0)


def _card(person_id: int, *, session, settings, now):
    if not person_in_agency(person_id, settings.agency_id, session=session):
        return None
    plan = served_plan(session=session, settings=settings, now=now)
    return person_card(person_id, session=session, plan_id=plan.id if plan else None,
                       config_ids=settings.admin_telegram_ids)


async def _show_card(update: Update, context, person_id: int) -> bool:
    services = services_of(context)
    card = await services.db(_card, person_id, settings=services.settings, now=services.now())
    if card is None:
        return False
    today = _today(context)
    leadership = bool(card.telegram_user_id) and await is_leadership_member(card.telegram_user_id, context)
    b = buttons(services.lang)
    rows = []
    if card.config_admin:
        pass  # configured in ADMIN_TELEGRAM_IDS: not changed from the chat
    elif card.is_admin:
        rows.append([(b["revoke_admin"], cb.USR_ADMIN.build(person=card.id, on=0))])
    else:
        rows.append([(b["make_admin"], cb.USR_ADMIN.build(person=card.id, on=1))])
    if card.is_verifier:
        rows.append([(b["revoke_verifier"], cb.USR_VERIFIER.build(person=card.id, on=0))])
    else:
        rows.append([(b["make_verifier"], cb.USR_VERIFIER.build(person=card.id, on=1))])
    for days in PAUSE_DAYS:
        until = today + timedelta(days=days)
        rows.append([(b["pause"].replace("{date}", long_date(until, services.lang)),
                      cb.USR_PAUSE.build(person=card.id, until=f"{until:%Y%m%d}"))])
    if card.paused_until is not None and card.paused_until >= today:
        rows.append([(b["resume"], cb.USR_PAUSE.build(person=card.id, until=0))])
    rows.append([(b["back"], cb.USR_PAGE.build(page=0))])
    await show(update, context, render("pengguna_card", services.lang, p=card, leadership=leadership, today=today,
                                       tz=services.settings.tz),
               keyboard(rows))
    return True


@require(Role.ADMIN)
async def pengguna_callback(update: Update, context: ContextTypes.DEFAULT_TYPE, actor) -> None:
    """Every /pengguna button: page, person card, admin on/off, pause until a date or resume."""
    services = services_of(context)
    data = update.callback_query.data
    ok = True
    named = next((p.person for f in (cb.USR_PERSON, cb.USR_ADMIN, cb.USR_VERIFIER, cb.USR_PAUSE) if (p := f.parse(data))),
                 None)
    changes = cb.USR_PERSON.parse(data) is None  # a role or a pause: only of the agency's own people
    if named is not None and not await services.db(person_in_agency, named, services.settings.agency_id, own=changes):
        await stale(update, context)  # a forged button naming someone of another agency: nothing changes
        return
    try:
        if press := cb.USR_PAGE.parse(data):
            await _show_list(update, context, press.page)
        elif press := cb.USR_PERSON.parse(data):
            ok = await _show_card(update, context, press.person)
        elif press := cb.USR_ADMIN.parse(data):
            person = await services.db(change_admin, press.person, bool(press.on),
                                       config_ids=services.settings.admin_telegram_ids,
                                       actor_person_id=actor.person_id, actor_label=actor.label)
            if person.telegram_user_id:  # a new admin gets the admin menu in their chat, a former one loses it
                await set_person_menu(context.bot, person.telegram_user_id, admin=bool(press.on),
                                      verifier=person.is_verifier, lang=services.lang)
            await ack(update, context, render("pengguna_saved", services.lang))
            ok = await _show_card(update, context, press.person)
        elif press := cb.USR_VERIFIER.parse(data):
            person = await services.db(change_verifier, press.person, bool(press.on), actor_person_id=actor.person_id,
                                       actor_label=actor.label)
            if person.telegram_user_id:  # /verifikasi appears in (or leaves) a verifier's own menu
                admin = person.is_admin or person.telegram_user_id in services.settings.admin_telegram_ids
                await set_person_menu(context.bot, person.telegram_user_id, admin=admin, verifier=bool(press.on),
                                      lang=services.lang)
            await ack(update, context, render("pengguna_saved", services.lang))
            ok = await _show_card(update, context, press.person)
        elif (press := cb.USR_PAUSE.parse(data)) and (until := _date(press.until)) is not False:
            await services.db(set_paused, press.person, until, today=_today(context), now=services.now(), **who(actor))
            await ack(update, context, render("pengguna_saved", services.lang))
            ok = await _show_card(update, context, press.person)
        else:
            ok = False
    except Refused as exc:
        await ack(update, context, render("admin_error", services.lang, code=exc.code, d=exc.detail)[:190],
                   alert=True)
    except LeaveDateError:
        await ack(update, context, render("admin_error", services.lang, code="bad_date", d={})[:190], alert=True)
    if not ok:
        await stale(update, context)
