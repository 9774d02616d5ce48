"""The fake Bot API server against the real python-telegram-bot Application over HTTP."""

import asyncio
import io
import re
from pathlib import Path

import aiohttp
import fake_telegram
import pytest
from fake_telegram import FakeTelegram
from fake_telegram.pytest_plugin import checked_fake_telegram
from fake_telegram.spec import PACKAGED_SPEC
from fake_telegram.spec import ApiSpec
from fake_telegram.spec import locate_spec
from fake_telegram.tghtml import HtmlError
from fake_telegram.tghtml import parse_html
from telegram import Bot
from telegram import BotCommand
from telegram import BotCommandScopeAllPrivateChats
from telegram import BotCommandScopeChat
from telegram import InlineKeyboardButton
from telegram import InlineKeyboardMarkup
from telegram import ReplyKeyboardMarkup
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.error import EndPointNotFound
from telegram.error import Forbidden
from telegram.error import NetworkError
from telegram.error import RetryAfter
from telegram.error import TimedOut
from telegram.ext import AIORateLimiter
from telegram.ext import Application
from telegram.ext import CallbackQueryHandler
from telegram.ext import CommandHandler
from telegram.ext import ContextTypes
from telegram.ext import Defaults
from telegram.ext import MessageHandler
from telegram.ext import filters

BUDI, SARI = 1001, 1002
LEADERS = -100123
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0"
       b"\x08\x02\x00\x00\x00" + b"\x00" * 16)


@pytest.fixture
async def fake_api():
    async with FakeTelegram() as server:
        server.add_user(BUDI, "Budi", username="budi")
        server.add_user(SARI, "Sari")
        server.add_group(LEADERS, "Pimpinan", [BUDI], admin_ids=[SARI])
        yield server


def build_app(fake_api: FakeTelegram, **options) -> Application:
    """A small bot: /start with buttons, a callback that edits, a document echo, /laporan."""
    builder = fake_api.builder().defaults(Defaults(parse_mode=ParseMode.HTML))
    if options.get("rate_limiter"):
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    if options.get("read_timeout"):
        builder = builder.read_timeout(options["read_timeout"])
    app = builder.build()
    app.bot_data["handled"] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        context.bot_data["handled"].append(update.update_id)
        token = context.args[0] if context.args else "-"
        await update.effective_message.reply_text(
            f"Halo <b>{update.effective_user.first_name}</b>, token {token}",
            reply_markup=InlineKeyboardMarkup([[
                InlineKeyboardButton("Simpan", callback_data="save"),
                InlineKeyboardButton("Batal", callback_data="cancel")]]))

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Tersimpan" if query.data == "save" else None)
        await query.edit_message_text(f"Pilihan: <i>{query.data}</i>")

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        doc = update.message.document
        data = await (await doc.get_file()).download_as_bytearray()
        await update.message.reply_text(f"Diterima {doc.file_name}: {len(data)} byte, awal {bytes(data[:4])!r}")
        await update.message.reply_document(io.BytesIO(bytes(data) + b"!"), filename="balik.xlsx",
                                            caption="Ini <b>balasan</b>")

    async def chart(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_chat.send_photo(PNG, caption="Capaian TW I")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("grafik", chart))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    return app


async def test_command_gets_an_answer_through_real_polling(fake_api):
    app = build_app(fake_api)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=10)
        fake_api.send_command(BUDI, "/start", args="tok123")
        reply = await fake_api.wait_for_message(BUDI, contains="Halo Budi")
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "Halo Budi, token tok123"
    assert reply["entities"] == [{"type": "bold", "offset": 5, "length": 4}]
    assert fake_api.buttons(reply) == [["Simpan", "Batal"]]
    assert [c.method for c in fake_api.calls()][:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert fake_api.calls("sendMessage")[0].delivered
    assert fake_api.violations == []


async def test_button_press_edits_the_message(fake_api):
    async with fake_api.run_application(build_app(fake_api)):
        fake_api.send_command(BUDI, "/start")
        first = await fake_api.wait_for_message(BUDI, contains="Halo")
        fake_api.press(BUDI, "Simpan")
        edited = await fake_api.wait_for_message(BUDI, contains="Pilihan")
        await fake_api.wait_idle()
    assert edited["message_id"] == first["message_id"]
    assert edited["text"] == "Pilihan: save" and "edit_date" in edited
    assert fake_api.buttons(edited) == []  # an edit without reply_markup drops the keyboard
    assert len(fake_api.messages_to(BUDI)) == 1
    assert fake_api.unanswered_callbacks() == []
    with pytest.raises(AssertionError, match=r"no button \[Simpan\].*"):
        fake_api.press(BUDI, "Simpan")
    with pytest.raises(AssertionError, match="no button with callback_data 'save'"):
        fake_api.press_button(BUDI, edited, "save")
    forged = fake_api.press_button(BUDI, first, "save", forge=True)
    assert forged["callback_query"]["message"]["text"] == "Pilihan: save"  # as Telegram holds it now


async def test_uploaded_document_is_downloaded_by_the_bot_and_files_come_back(fake_api):
    content = b"PK\x03\x04" + b"x" * 300
    async with fake_api.run_application(build_app(fake_api)):
        fake_api.send_document(BUDI, "laporan.xlsx", content, "application/vnd.ms-excel")
        reply = await fake_api.wait_for_message(BUDI, count=2)
        fake_api.send_command(BUDI, "/grafik")
        photo = await fake_api.wait_for_message(BUDI, contains="Capaian")
        await fake_api.wait_idle()
    assert fake_api.calls("getFile")[0].ok
    assert reply["caption"] == "Ini balasan"
    assert fake_api.messages_to(BUDI)[0]["text"] == "Diterima laporan.xlsx: 304 byte, awal b'PK\\x03\\x04'"
    (name, data, method), (_, png, png_method) = fake_api.files_sent_to(BUDI)
    assert (name, data, method) == ("balik.xlsx", content + b"!", "sendDocument")
    assert png == PNG and png_method == "sendPhoto"
    assert photo["photo"][0]["width"] == 640 and photo["photo"][0]["height"] == 480


@pytest.mark.parametrize("send, expected", [
    (lambda bot: bot.send_message(BUDI, "<b>x"),
     "can't parse entities: can't find end tag corresponding to start tag \"b\""),
    (lambda bot: bot.send_message(BUDI, "a<br>b"), "unsupported start tag \"br\" at byte offset 1"),
    (lambda bot: bot.send_message(BUDI, "x" * 4097), "message is too long"),
    (lambda bot: bot.send_message(BUDI, "ok", reply_markup=InlineKeyboardMarkup(
        [[InlineKeyboardButton("Pilih", callback_data="d" * 65)]])), "button_data_invalid"),
    (lambda bot: bot.send_message(BUDI, "ok", api_kwargs={"colour": "red"}), "unknown parameter \"colour\""),
    (lambda bot: bot.send_message(BUDI, "R&D dan a > b"), "unescaped '&' at byte offset 1"),
    (lambda bot: bot.answer_callback_query("1", text="t" * 201), "message_too_long"),
    (lambda bot: bot.set_my_commands([BotCommand("Lapor", "Kirim laporan")]), "bot_command_invalid"),
])
async def test_violations_are_recorded_and_answered_400(fake_api, send, expected):
    async with build_app(fake_api) as app:
        # PTB strips "Bad Request: " and capitalizes the rest, hence the case-blind match.
        with pytest.raises(BadRequest, match="(?i)" + re.escape(expected)):
            await send(app.bot)
    assert len(fake_api.violations) == 1, fake_api.violations
    assert fake_api.messages_to(BUDI) == []
    with pytest.raises(AssertionError, match="1 Bot API violation"):
        fake_api.assert_no_violations()


async def test_unknown_method_is_a_violation_answered_404_like_telegram(fake_api):
    async with build_app(fake_api) as app:
        with pytest.raises(EndPointNotFound):
            await app.bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": BUDI})
    assert [v.problem for v in fake_api.violations] == ["unknown method (not in the Bot API)"]


async def test_type_and_required_field_checks_on_raw_requests(fake_api):
    async with aiohttp.ClientSession() as http:
        url = f"{fake_api.base_url}{fake_api.token}"
        async with http.post(f"{url}/sendChatAction", data={"action": "typing"}) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: chat_id is empty"
        async with http.post(f"{url}/deleteMessage", json={"chat_id": BUDI, "message_id": "x1"}) as response:
            assert response.status == 400
        async with http.get(f"{url}/getMe") as response:
            assert (await response.json())["result"]["username"] == "rapk_test_bot"
        async with http.get(f"{fake_api.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
    assert [v.problem for v in fake_api.violations] == [
        "missing required parameter 'chat_id'", "message_id: expected an Integer, got 'x1'"]


async def test_rate_limiter_honours_retry_after_and_delivers_once(fake_api):
    fake_api.fail_next("sendMessage", "429", retry_after=1, chat_id=BUDI)
    async with build_app(fake_api, rate_limiter=True) as app:
        await app.bot.send_message(BUDI, "Pengingat TW I")
    first, second = fake_api.calls("sendMessage")
    assert (first.status, first.delivered, second.status, second.delivered) == (429, False, 200, True)
    assert second.time - first.time >= 1.0
    assert [m["text"] for m in fake_api.messages_to(BUDI)] == ["Pengingat TW I"]
    assert fake_api.stats.rate_limited == 1 and fake_api.stats.delivered[BUDI] == 1


async def test_blocked_user_raises_forbidden(fake_api):
    fake_api.block(BUDI)
    async with build_app(fake_api) as app:
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(BUDI, "Halo")
        fake_api.unblock(BUDI)
        await app.bot.send_message(BUDI, "Halo lagi")
        fake_api.add_user(3003, "Anon", started=False)
        with pytest.raises(Forbidden, match="can't initiate conversation"):
            await app.bot.send_message(3003, "Halo")
    assert fake_api.stats.forbidden == 2 and fake_api.stats.delivered[BUDI] == 1


async def test_timeout_raises_timed_out_and_is_not_delivered(fake_api):
    fake_api.fail_next("sendMessage", "timeout", chat_id=BUDI)
    async with build_app(fake_api, read_timeout=0.2) as app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(BUDI, "Pengingat")
        await fake_api.wait_idle()  # the held request ended with its connection
        await app.bot.send_message(BUDI, "Pengingat")
    held, retried = fake_api.calls("sendMessage")
    assert (held.status, held.error, held.delivered) == (-1, "timeout", False)
    assert retried.delivered and len(fake_api.messages_to(BUDI)) == 1
    assert fake_api.stats.timeouts == 1


async def test_timeout_after_delivery_and_server_errors(fake_api):
    fake_api.fail_next("sendMessage", "timeout_after_delivery")
    fake_api.fail_next("sendMessage", "500")
    fake_api.fail_next("sendMessage", "502")
    fake_api.fail_next("sendMessage", "disconnect")
    async with build_app(fake_api, read_timeout=0.2) as app:
        with pytest.raises(TimedOut):
            await app.bot.send_message(BUDI, "satu")
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await app.bot.send_message(BUDI, "dua")
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await app.bot.send_message(BUDI, "tiga")
        with pytest.raises(NetworkError):
            await app.bot.send_message(BUDI, "empat")
    assert [m["text"] for m in fake_api.messages_to(BUDI)] == ["satu"]  # delivered, answer lost
    assert fake_api.stats.server_errors == 2 and fake_api.stats.disconnects == 1


async def test_latency_delays_each_answer_and_a_client_that_gives_up_late_still_delivered(fake_api):
    async with build_app(fake_api) as app:
        loop = asyncio.get_running_loop()
        fake_api.set_latency(0.2)
        started = loop.time()
        await app.bot.send_message(BUDI, "satu")
        assert loop.time() - started >= 0.2
        fake_api.set_latency(1.0)  # processed after 0.5 s; the client gives up at 0.75 s
        with pytest.raises(TimedOut):
            await app.bot.send_message(BUDI, "dua", read_timeout=0.75)
        await fake_api.wait_idle()
        fake_api.set_latency(0)
    first, second = fake_api.calls("sendMessage")
    assert (first.status, second.status, second.delivered) == (200, -1, True)
    assert [m["text"] for m in fake_api.messages_to(BUDI)] == ["satu", "dua"]  # delivered, answer lost
    with pytest.raises(ValueError):
        fake_api.set_latency(-1)


async def test_rate_limit_and_random_faults_are_deterministic(fake_api):
    fake_api.set_rate_limit(per_second=None, per_chat_per_second=1)
    async with build_app(fake_api) as app:
        await app.bot.send_message(BUDI, "satu")
        with pytest.raises(RetryAfter) as raised:
            await app.bot.send_message(BUDI, "dua")
        await app.bot.send_message(SARI, "chat lain tidak terbatas")
        assert (raised.value.message, fake_api.calls("sendMessage")[1].status) == (
            "Flood control exceeded. Retry in 1 seconds", 429)
        fake_api.clear_faults()
        outcomes = []
        for seed in (7, 7):
            fake_api.set_random_faults(rate=0.5, kinds=("429", "500"), seed=seed)
            run = []
            for i in range(12):
                try:
                    await app.bot.send_message(SARI, f"pesan {i}")
                    run.append("ok")
                except RetryAfter:
                    run.append("429")
                except NetworkError:
                    run.append("500")
            outcomes.append(run)
    assert outcomes[0] == outcomes[1] and {"ok", "429", "500"} <= set(outcomes[0])


async def test_duplicate_update_is_delivered_twice(fake_api):
    app = build_app(fake_api)
    async with fake_api.run_application(app):
        original = fake_api.send_command(BUDI, "/start")
        await fake_api.wait_for_message(BUDI, contains="Halo")
        again = fake_api.duplicate_last_update()
        await fake_api.wait_for_message(BUDI, count=2, since=0)
        await fake_api.wait_idle()
    assert again is original
    assert app.bot_data["handled"] == [original["update_id"], original["update_id"]]


async def test_user_edits_an_earlier_message(fake_api):
    app = build_app(fake_api)
    seen = []

    async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append((update.edited_message.message_id, update.edited_message.text,
                     update.edited_message.edit_date is not None, update.message is None))

    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, edited))
    async with fake_api.run_application(app):
        sent = fake_api.send_message(BUDI, "50")
        fake_api.edit_message(BUDI, sent, "45")
        await fake_api.wait_idle()
    assert seen == [(sent["message"]["message_id"], "45", True, True)]
    assert fake_api.transcript().splitlines() == ["Budi: 50", "Budi edits a message: 45"]
    with pytest.raises(AssertionError, match="sent no message"):
        fake_api.edit_message(SARI, sent, "1")  # only the author can edit a message


async def test_edit_errors_like_telegram(fake_api):
    async with build_app(fake_api) as app:
        sent = await app.bot.send_message(BUDI, "<b>Status</b>")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await app.bot.edit_message_text("<strong>Status</strong>", BUDI, sent.message_id)
        with pytest.raises(BadRequest, match="Message to edit not found"):
            await app.bot.edit_message_text("x", BUDI, 999)
        await app.bot.edit_message_reply_markup(BUDI, sent.message_id, reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("Buka", url="https://example.org/rapk")]]))
        assert fake_api.buttons(fake_api.last_message_to(BUDI)) == [["Buka"]]
        await app.bot.delete_message(BUDI, sent.message_id)
        with pytest.raises(BadRequest, match="Message to delete not found"):
            await app.bot.delete_message(BUDI, sent.message_id)
    assert fake_api.messages_to(BUDI) == [] and fake_api.violations == []


async def test_getupdates_offset_limit_timeout_and_allowed_updates(fake_api):
    async with build_app(fake_api) as app:
        bot = app.bot
        assert await bot.get_updates(timeout=0) == ()
        for text in ("satu", "dua", "tiga"):
            fake_api.send_message(BUDI, text)
        first = await bot.get_updates(limit=2)
        assert [u.message.text for u in first] == ["satu", "dua"]
        rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=1)
        assert [u.message.text for u in rest] == ["tiga"]
        assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
        fake_api.press_button(BUDI, (await bot.send_message(BUDI, "pilih", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("A", callback_data="a")]]))).to_dict(), "a")
        fake_api.send_message(BUDI, "teks")
        only = await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
        assert [u.callback_query.data for u in only] == ["a"]
        # The long poll returns as soon as an update arrives, not at its timeout.
        poll = asyncio.create_task(bot.get_updates(offset=only[-1].update_id + 1, timeout=30,
                                               allowed_updates=[]))
        await fake_api.wait_for(lambda: fake_api.calls("getUpdates")[-1].params.get("timeout") == 30)
        fake_api.send_message(BUDI, "baru")
        assert [u.message.text for u in await poll] == ["baru"]


async def test_groups_members_commands_and_menus(fake_api):
    app = build_app(fake_api)
    async with fake_api.run_application(app):
        sent = fake_api.send_command(BUDI, "/start", chat_id=LEADERS)
        assert sent["message"]["text"] == "/start@rapk_test_bot"
        hidden = fake_api.send_message(BUDI, "obrolan biasa", chat_id=LEADERS)
        await fake_api.wait_for_message(LEADERS, contains="Halo Budi")
        await fake_api.wait_idle()
        bot = app.bot
        assert hidden["update_id"] is None  # privacy mode: the bot never sees plain group chatter
        assert (await bot.get_chat_member(LEADERS, SARI)).status == "administrator"
        assert (await bot.get_chat_member(LEADERS, BUDI)).status == "member"
        fake_api.add_user(3003, "Tamu")
        assert (await bot.get_chat_member(LEADERS, 3003)).status == "left"
        assert (await bot.get_chat(LEADERS)).title == "Pimpinan"
        await bot.set_my_commands([BotCommand("lapor", "Kirim laporan")], scope=BotCommandScopeAllPrivateChats())
        await bot.set_my_commands([BotCommand("ringkasan", "Ringkasan")], scope=BotCommandScopeChat(LEADERS))
        await bot.send_message(BUDI, "Pilih", reply_markup=ReplyKeyboardMarkup([["Ya", "Tidak"]]))
    assert fake_api.commands({"type": "all_private_chats"}) == [("lapor", "Kirim laporan")]
    assert fake_api.commands({"type": "chat", "chat_id": LEADERS}) == [("ringkasan", "Ringkasan")]
    assert fake_api.commands() is None
    assert fake_api.reply_keyboard(BUDI) == [["Ya", "Tidak"]]


async def test_transcript_reads_like_the_conversation(fake_api):
    async with fake_api.run_application(build_app(fake_api)):
        fake_api.send_command(BUDI, "/start", args="abc")
        await fake_api.wait_for_message(BUDI, contains="Halo")
        fake_api.press(BUDI, "Simpan")
        await fake_api.wait_for_message(BUDI, contains="Pilihan")
        fake_api.send_command(BUDI, "/grafik", chat_id=LEADERS)
        await fake_api.wait_for_message(LEADERS, contains="Capaian")
        await fake_api.wait_idle()
    fake_api.block(SARI)
    async with build_app(fake_api) as app:
        with pytest.raises(Forbidden):
            await app.bot.send_message(SARI, "Pengingat\nbaris kedua")
    assert fake_api.transcript(names={SARI: "Bu Sari"}).splitlines() == [
        "Budi: /start abc",
        "Bot → Budi: Halo Budi, token abc",
        "  [Simpan] [Batal]",
        "Budi taps [Simpan]",
        "Bot → Budi (notice): Tersimpan",
        "Bot → Budi (edited): Pilihan: save",
        "[Pimpinan] Budi: /grafik@rapk_test_bot",
        "Bot → Pimpinan: [photo] Capaian TW I",
        "Bot ✗ Bu Sari: sendMessage: 403 Forbidden: bot was blocked by the user",
    ]


def test_html_parser_follows_telegram():
    parsed = parse_html('<b>Capaian</b> &lt;80% &#x1F600; <a href="https://x.org?a=1&amp;b=2">link</a>'
                        '<pre><code class="language-python">x = 1</code></pre><blockquote expandable>q</blockquote>')
    assert parsed.text == "Capaian <80% \U0001F600 linkx = 1q"
    assert [e["type"] for e in parsed.entities] == ["bold", "text_link", "pre", "expandable_blockquote"]
    assert parsed.entities[1] == {"type": "text_link", "offset": 16, "length": 4, "url": "https://x.org?a=1&b=2"}
    assert parsed.entities[2]["language"] == "python" and parsed.warnings == []
    for bad, message in [("<b>x</i>", "Unmatched end tag"), ("x</b>", "Unexpected end tag"),
                         ("<span>x</span>", "tg-spoiler"), ("a < b", 'Unsupported start tag ""'),
                         ("<b", "Unclosed start tag")]:
        with pytest.raises(HtmlError, match=message):
            parse_html(bad)
    assert [w.split(" at ")[0] for w in parse_html("AT&T a>b &nbsp;").warnings] == [
        "unescaped '&'", "unescaped '>'", "unsupported entity &nbsp;"]


def test_spec_ships_inside_the_package_and_can_be_pointed_elsewhere(monkeypatch, tmp_path):
    """A clone with nothing beside it checks requests against the packaged copy."""
    assert locate_spec() == PACKAGED_SPEC
    assert PACKAGED_SPEC.is_relative_to(Path(fake_telegram.__file__).parent)
    assert ApiSpec.load().method_name("sendmessage") == "sendMessage"
    monkeypatch.setenv("RAPK_BOT_API_SPEC", str(tmp_path / "api.json"))
    assert locate_spec() == tmp_path / "api.json"


async def test_checked_fixture_fails_the_test_on_a_violation():
    with pytest.raises(pytest.fail.Exception, match="1 Bot API violation") as failed:
        async with checked_fake_telegram() as server:
            server.add_user(BUDI, "Budi")
            async with Bot(server.token, base_url=server.base_url) as bot:
                with pytest.raises(BadRequest):  # a bot that swallows the error still fails
                    await bot.send_message(BUDI, "<b>x", parse_mode="HTML")
    assert "sendMessage: HTML Telegram rejects: Can't find end tag" in str(failed.value)
    async with checked_fake_telegram() as server:  # no violation, no failure
        async with Bot(server.token, base_url=server.base_url) as bot:
            await bot.get_me()


async def test_wait_idle_waits_for_slow_handlers_and_queued_updates(fake_api):
    app = build_app(fake_api)
    gate = asyncio.Event()

    async def slow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await gate.wait()  # the handler is busy without talking to Telegram
        await update.message.reply_text(f"selesai {context.args[0]}")

    app.add_handler(CommandHandler("lambat", slow))
    async with fake_api.run_application(app):
        for n in range(3):
            fake_api.send_command(BUDI, "/lambat", args=str(n))
        idle = asyncio.create_task(fake_api.wait_idle())
        await fake_api.wait_for(lambda: not fake_api.pending_updates)  # all fetched, the first one stuck
        assert not idle.done()
        gate.set()
        await idle
        assert [m["text"] for m in fake_api.messages_to(BUDI)] == ["selesai 0", "selesai 1", "selesai 2"]


async def test_webhook_delivery_with_secret_token(fake_api, unused_tcp_port):
    app = build_app(fake_api)
    async with app:
        await app.start()
        await app.updater.start_webhook(listen="127.0.0.1", port=unused_tcp_port, url_path="hook",
                                        webhook_url=f"http://127.0.0.1:{unused_tcp_port}/hook",
                                        secret_token="rahasia")
        fake_api.send_command(BUDI, "/start", args="wh")
        reply = await fake_api.wait_for_message(BUDI, contains="token wh")
        await fake_api.wait_idle(app)
        await app.updater.stop()
        await app.stop()
    assert fake_api.webhook["secret_token"] == "rahasia"
    assert [status for _, status in fake_api.webhook_deliveries] == [200]
    assert reply["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "save"


async def test_lenient_mode_answers_like_telegram_but_still_records():
    async with FakeTelegram(strict=False) as server:
        server.add_user(BUDI, "Budi")
        async with Bot(server.token, base_url=server.base_url) as bot:
            sent = await bot.send_message(BUDI, "R&D <b>naik</b>", parse_mode="HTML",
                                          api_kwargs={"colour": "red"})
        assert sent.text == "R&D naik" and sent.entities[0].type == "bold"
        assert len(server.violations) == 2


async def test_send_media_group_sends_an_album_by_file_id_and_refuses_mixed_documents(fake_api):
    from telegram import InputMediaDocument
    from telegram import InputMediaPhoto

    photo = fake_api.send_photo(BUDI, PNG)["message"]["photo"][0]["file_id"]
    doc = fake_api.send_document(BUDI, "bukti.pdf", b"%PDF-1.4 x", "application/pdf")["message"]["document"]["file_id"]
    async with build_app(fake_api) as app:
        album = await app.bot.send_media_group(BUDI, [InputMediaPhoto(photo), InputMediaPhoto(photo)])
        with pytest.raises(BadRequest, match="(?i)grouped"):
            await app.bot.send_media_group(BUDI, [InputMediaPhoto(photo), InputMediaDocument(doc)])
        with pytest.raises(BadRequest, match="(?i)2-10"):
            await app.bot.send_media_group(BUDI, [InputMediaDocument(doc)])
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    (call,) = [c for c in fake_api.calls("sendMediaGroup") if c.ok]
    assert [m["media"] for m in call.params["media"]] == [photo, photo]
    assert [m["photo"][0]["file_id"] for m in fake_api.messages_to(BUDI)] == [photo, photo]
