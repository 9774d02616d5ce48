"""The Mini App in tests: the real bot's web server on a free port, and initData signed as Telegram signs it."""

import secrets
from datetime import timedelta

import aiohttp

from bot.domain.webapp_auth import sign_init_data
from bot.telegram.webhook import start_web_server
from tests.support.harness import BotHarness

WEBAPP_URL = "https://rapk.example.go.id/webapp"


class WebApp:
    """The harness's bot with its web server started (the routes WEBAPP_URL enables)."""

    def __init__(self, harness: BotHarness):
        self.harness = harness
        self.runner = None
        self.base = ""
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> "WebApp":
        self.runner = await start_web_server(self.harness.app, listen="127.0.0.1", port=0)
        host, port = self.runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        self.http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        if self.http:
            await self.http.close()
        if self.runner:
            await self.runner.cleanup()

    def init_data(self, user_id: int, *, age: timedelta = timedelta(minutes=1), token: str | None = None) -> str:
        """initData for `user_id`, signed `age` ago by the bot's token (or `token`: a forgery)."""
        return sign_init_data({"id": user_id, "first_name": f"u{user_id}"}, bot_token=token or self.harness.fake.token,
                              auth_date=self.harness.clock.now() - age)

    def url(self, user_id: int) -> str:
        """The page as Telegram opens it: initData and the theme in the hash."""
        from urllib.parse import quote

        theme = '{"bg_color":"#ffffff","text_color":"#000000","button_color":"#2481cc","button_text_color":"#ffffff"}'
        return f"{self.base}/webapp#tgWebAppData={quote(self.init_data(user_id))}&tgWebAppThemeParams={quote(theme)}"

    async def post(self, path: str, body: dict | None = None, *, init_data: str | None, nonce: str | None = None):
        """(status, JSON or text) of one API call; a fresh nonce unless one is given."""
        headers = {"X-Rapk-Nonce": nonce or secrets.token_hex(16)}
        if init_data is not None:
            headers["Authorization"] = f"tma {init_data}"
        async with self.http.post(f"{self.base}/webapp/api/{path}", json=body or {}, headers=headers) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()
