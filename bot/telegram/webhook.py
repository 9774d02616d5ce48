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


def make_web_app(application: Application, *, path: str, secret: str | None) -> web.Application:
    """POST <path> takes updates (checked against the secret header); GET /healthz reports health."""

    async def receive(request: web.Request) -> web.Response:
        if secret and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
            return web.Response(status=403)
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400)
        await application.update_queue.put(Update.de_json(data, application.bot))
        if isinstance(application.persistence, DatabasePersistence):
            application.persistence.flush_inbox()  # in the database before Telegram hears 200
        return web.Response()

    async def health(_request: web.Request) -> web.Response:
        services = application.bot_data[SERVICES_KEY]
        try:
            await asyncio.to_thread(_ping, services.engine)
        except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
            return web.json_response({"ok": False, "database": str(exc)[:200]}, status=503)
        return web.json_response({"ok": True, "running": application.running})

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


def _ping(engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


async def run_webhook(application: Application, *, webhook_url: str, listen: str, port: int,
                      secret: str | None, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or `stop` is set), then stop cleanly, finishing pending updates."""
    path = urlparse(webhook_url).path or "/telegram"
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    async with application:
        # Listen first: a port in use or an address not of this host fails before anything started.
        runner = web.AppRunner(make_web_app(application, path=path, secret=secret))
        await runner.setup()
        try:
            try:
                await web.TCPSite(runner, listen, port).start()
            except OSError as exc:
                from bot.config import ConfigError

                raise ConfigError(f"configuration error: WEBHOOK_PORT: cannot listen on {listen}:{port} "
                                  f"({exc.strerror or exc}); check WEBHOOK_LISTEN and WEBHOOK_PORT") from None
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
