"""The Telegram Mini App (WEBAPP_URL): the PIC form and the leadership page, on the bot's own web server.

Thin like every handler: authenticate → call the domain → render a template → answer. Every API request
carries Telegram's initData (`Authorization: tma <initData>`) and a fresh nonce (`X-Rapk-Nonce`), checked by
bot/domain/webapp_auth.py; missing, forged, expired or replayed → 401 and nothing is read or changed. The
person is then resolved as in chat (`bot.domain.agencies.acting_agency`: in the agency they act in, leadership by `is_leadership_member`), and the same
roles apply: the PIC form for PICs, the digest for leadership and admins, 403 for anyone else. Saving is
bot/domain/webapp_forms.py `save_fields` → `save_report` (one transaction, audited, idempotent), then the chat
hears «Tersimpan ✅» (the /lapor template).

Routes: GET /webapp (the page; no data in it), POST /webapp/api/page, POST /webapp/api/save.
"""

import base64
import logging
from dataclasses import replace
from datetime import timedelta
from functools import partial

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot.domain.agencies import acting_agency
from bot.domain.calendar import ReportingCalendar
from bot.domain.digest import kegiatan_detail
from bot.domain.people import Role
from bot.domain.period import served_period
from bot.domain.reminders import render_late_list
from bot.domain.reporting import ReportError
from bot.domain.webapp_auth import InitDataError
from bot.domain.webapp_auth import ReplayGuard
from bot.domain.webapp_auth import validate_init_data
from bot.domain.webapp_forms import pic_page
from bot.domain.webapp_forms import save_fields
from bot.telegram.sending import MESSAGE_LIMIT
from bot.telegram.services import SERVICES_KEY
from bot.telegram.services import services_of
from bot.telegram.webhook import WEB_ROUTES
from bot.text.render import labels
from bot.text.render import message
from bot.text.render import render
from handlers.auth import is_leadership_member
from jobs.digest import build_report

log = logging.getLogger("rapk.webapp")

GUARD_KEY = "webapp_replay_guard"


def register(application: Application) -> None:
    """Serve the Mini App when WEBAPP_URL is set (the web server adds the routes when it starts)."""
    services = application.bot_data.get(SERVICES_KEY)  # none in an application built only to list handlers
    if services is None or not services.settings.webapp_url:
        return
    settings = services.settings
    application.bot_data[GUARD_KEY] = ReplayGuard(timedelta(seconds=settings.webapp_max_age_seconds))
    application.bot_data.setdefault(WEB_ROUTES, []).append(partial(add_routes, application))


def add_routes(application: Application, app: web.Application) -> None:
    app.router.add_get("/webapp", partial(shell, application))
    app.router.add_post("/webapp/api/page", partial(page, application))
    app.router.add_post("/webapp/api/save", partial(save, application))


def _calendar(services) -> ReportingCalendar:
    return ReportingCalendar.from_settings(services.settings)


async def shell(application: Application, request: web.Request) -> web.Response:
    """The page itself: markup, style and script from the repository, no data (that needs initData)."""
    lang = services_of(application).lang
    return web.Response(text=render("webapp_shell", lang, w=labels("webapp_labels", lang)),
                        content_type="text/html", headers={"Cache-Control": "no-store"})


async def _authenticate(application: Application, request: web.Request):
    """The Actor behind a request; raises 401 (nothing read or changed) for a bad initData or nonce."""
    services = services_of(application)
    header = request.headers.get("Authorization", "")
    init_data = header[4:] if header.startswith("tma ") else None
    now = services.now()
    try:
        user = validate_init_data(init_data, bot_token=services.settings.telegram_bot_token.get_secret_value(),
                                  now=now, max_age=timedelta(seconds=services.settings.webapp_max_age_seconds))
        application.bot_data[GUARD_KEY].accept(user, request.headers.get("X-Rapk-Nonce"), now=now)
    except InitDataError as exc:
        log.info("webapp request refused: %s initData", exc.code)
        raise web.HTTPUnauthorized(text=render("webapp_refused", services.lang, code=exc.code),
                                   content_type="text/plain") from None
    acting = await services.db(acting_agency, user.telegram_user_id, settings=services.settings)
    actor = acting.actor
    if not actor.is_pic and not actor.is_admin and await is_leadership_member(user.telegram_user_id, application):
        actor = replace(actor, is_leadership=True)
    return actor, replace(services, settings=acting.settings)  # the settings of the agency they act in


def _forbidden(lang: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=render("webapp_refused", lang, code="role"), content_type="text/plain")


async def page(application: Application, request: web.Request) -> web.Response:
    """The person's page as HTML: the PIC form, or the digest for leadership and admins."""
    actor, services = await _authenticate(application, request)
    lang, now = services.lang, services.now()
    w = labels("webapp_labels", lang)
    if actor.has(Role.PIC):
        data = await services.db(pic_page, actor.person_id, settings=services.settings, now=now)
        deadline = _calendar(services).deadline(data.year, data.quarter) if data else None
        html = render("webapp_pic", lang, w=w, page=data, actor=actor, deadline=deadline)
    elif actor.has(Role.LEADERSHIP) or actor.has(Role.ADMIN):
        html = await _leadership_html(services, lang, w)
    else:
        raise _forbidden(lang)
    return web.json_response({"html": html})


async def _leadership_html(services, lang: str, w: dict) -> str:
    """The digest as a page: the chart, the digest text, each kegiatan's card and the late list."""
    now = services.now()
    period = await services.db(served_period, settings=services.settings, now=now)
    if period is None:
        return render("webapp_leadership", lang, w=w, report=None)
    plan_id, quarter = period.plan.id, period.quarter
    report = await build_report(services, plan_id, quarter)

    def details(*, session):
        cards = [kegiatan_detail(k.id, quarter, session=session, settings=services.settings, lang=lang,
                                 score=report.score, now=now)
                 for p in report.score.programs for k in p.kegiatan]
        late = render_late_list(plan_id, quarter, session=session, calendar=_calendar(services), lang=lang,
                                limit=MESSAGE_LIMIT)
        return cards, late

    cards, late = await services.db(details)
    chart = base64.b64encode(report.chart).decode()
    return render("webapp_leadership", lang, w=w, report=report, cards=cards, late=late, chart=chart,
                  quarter=quarter, year=period.plan.year)


async def save(application: Application, request: web.Request) -> web.Response:
    """One kegiatan's Simpan: 200 with the card as stored, 422 with a message per field (nothing saved),
    403 for a kegiatan that is not the person's, 409 for a locked or no longer served quarter."""
    actor, services = await _authenticate(application, request)
    lang, now = services.lang, services.now()
    if not actor.has(Role.PIC):
        raise _forbidden(lang)
    try:
        body = await request.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    kegiatan_id, quarter, fields = body.get("kegiatan_id"), body.get("quarter"), body.get("fields")
    if type(kegiatan_id) is not int or type(quarter) is not int or not isinstance(fields, dict) \
            or len(fields) > 200:
        return web.json_response({"ok": False, "message": render("webapp_refused", lang, code="bad_request")},
                                 status=400)
    try:
        saved = await services.db(save_fields, kegiatan_id, quarter, fields, settings=services.settings,
                                  person_id=actor.person_id, actor_label=actor.label, now=now,
                                  calendar=_calendar(services))
    except ReportError as exc:
        status = 403 if exc.code == "not_pic" else 409
        text = render("webapp_refused", lang, code=exc.code)
        return web.json_response({"ok": False, "message": text}, status=status)
    if saved.problems:
        errors = {name: message(problem, lang) for name, problem in saved.problems.items()}
        return web.json_response({"ok": False, "errors": errors,
                                  "message": render("webapp_fix_fields", lang, count=len(errors))}, status=422)
    text = render("lapor_saved", lang, form=saved.form, late=saved.late, changed=saved.changed)
    try:
        await application.bot.send_message(actor.telegram_user_id, text)
    except TelegramError as exc:  # saved all the same: the page says so
        log.warning("«Tersimpan» not sent to %s: %s", actor.telegram_user_id, exc)
    w = labels("webapp_labels", lang)
    card = render("webapp_pic_card", lang, w=w, form=saved.form)
    return web.json_response({"ok": True, "html": card, "message": render("webapp_saved", lang, form=saved.form)})
