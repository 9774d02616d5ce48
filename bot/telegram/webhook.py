"""Webhook mode: an aiohttp server that feeds Telegram's POSTs to the application, plus /healthz."""

import asyncio
import logging
import signal
from urllib.parse import urlparse

import sqlalchemy as sa
from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.telegram.app import ALLOWED_UPDATES
from bot.telegram.persistence import DatabasePersistence
from bot.telegram.services import SERVICES_KEY

log = logging.getLogger("rapk.webhook")

# Application.bot_data[WEB_ROUTES]: callables that add their routes to the web server (the Mini App's,
# handlers/webapp.py), so this runtime module never imports a handler.
WEB_ROUTES = "web_routes"


def make_web_app(application: Application, *, path: str | None, secret: str | None) -> web.Application:
    """POST <path> takes updates (checked against the secret header; none in polling mode); GET /healthz
    reports health; whatever bot_data[WEB_ROUTES] adds (the Mini App under /webapp)."""

    async def receive(request: web.Request) -> web.Response:
        if secret and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        await application.update_queue.put(Update.de_json(data, application.bot))
        if isinstance(application.persistence, DatabasePersistence):
            await application.persistence.flush_inbox()  # in the database before Telegram hears 200
        return web.Response()

    async def health(_request: web.Request) -> web.Response:
        services = application.bot_data[SERVICES_KEY]
        try:
            await asyncio.to_thread(_ping, services.engine)
        except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
            return web.json_response({"ok": False, "database": str(exc)[:200]}, status=503)
        return web.json_response({"ok": True, "running": application.running})

    app = web.Application(client_max_size=256 * 1024)
    if path:
        app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    for add_routes in application.bot_data.get(WEB_ROUTES, []):
        add_routes(app)
    return app


async def start_web_server(application: Application, *, listen: str, port: int, path: str | None = None,
                           secret: str | None = None) -> web.AppRunner:
    """Listen on listen:port (a port in use fails with one line); the caller cleans the runner up."""
    runner = web.AppRunner(make_web_app(application, path=path, secret=secret))
    await runner.setup()
    try:
        await web.TCPSite(runner, listen, port).start()
    except OSError as exc:
        await runner.cleanup()
        from bot.config import ConfigError

        raise ConfigError(f"configuration error: WEBHOOK_PORT: cannot listen on {listen}:{port} "
                          f"({exc.strerror or exc}); check WEBHOOK_LISTEN and WEBHOOK_PORT") from None
    return runner


async def run_polling_with_web(application: Application, *, listen: str, port: int,
                               stop: asyncio.Event | None = None) -> None:
    """Polling mode with the web server for the Mini App (WEBAPP_URL set, WEBHOOK_URL not)."""
    stop = stop or _stop_on_signals()
    async with application:
        runner = await start_web_server(application, listen=listen, port=port)
        try:
            if application.post_init:
                await application.post_init(application)
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            await application.start()
            log.info("polling mode with the Mini App on %s:%s/webapp", listen, port)
            await stop.wait()
        finally:
            await runner.cleanup()
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
                if application.post_shutdown:
                    await application.post_shutdown(application)


def _stop_on_signals() -> asyncio.Event:
    """An event SIGTERM or SIGINT sets."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _ping(engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


async def run_webhook(application: Application, *, webhook_url: str, listen: str, port: int,
                      secret: str | None, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then stop cleanly, finishing pending updates."""
    path = urlparse(webhook_url).path or "/telegram"
    stop = stop or _stop_on_signals()
    async with application:
        # Listen first: a port in use or an address not of this host fails before anything started.
        runner = await start_web_server(application, listen=listen, port=port, path=path, secret=secret)
        try:
            if application.post_init:
                await application.post_init(application)
            await application.bot.set_webhook(webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            await application.start()
            log.info("webhook mode: listening on %s:%s%s (health at /healthz)", listen, port, path)
            await stop.wait()
            log.info("stopping")
        finally:
            await runner.cleanup()
            if application.running:
                await application.stop()
                if application.post_shutdown:
                    await application.post_shutdown(application)
