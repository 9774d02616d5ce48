"""The commands table owns each command's roles and menus; the registry refuses to start when the
handlers and the table disagree."""

import pytest
from telegram.ext import ApplicationBuilder
from telegram.ext import CommandHandler
from telegram.ext import DictPersistence

from bot.domain.people import Role
from bot.telegram import commands
from handlers.auth import require
from handlers.registry import check_commands
from handlers.registry import register


def application():
    app = ApplicationBuilder().token("123456:TEST").persistence(DictPersistence()).build()
    register(app)  # the real registration, persistent conversations included
    return app


async def _noop(update, context):
    return None


def test_the_bot_registers_exactly_the_table():
    check_commands(application())  # register() already ran it; it must hold


def test_a_command_missing_from_the_table_fails_loudly():
    app = application()
    app.add_handler(CommandHandler("rahasia", _noop))
    with pytest.raises(RuntimeError, match="/rahasia has a handler but no row"):
        check_commands(app)


def test_a_table_entry_without_a_handler_fails_loudly():
    app = ApplicationBuilder().token("123456:TEST").build()
    app.add_handler(CommandHandler("lapor", _noop))
    with pytest.raises(RuntimeError, match="/jadwal is in bot/telegram/commands.py but has no handler"):
        check_commands(app)


def test_a_handler_with_its_own_roles_fails_loudly():
    app = application()
    app.add_handler(CommandHandler("jadwal", require(Role.PIC)(_noop)))
    with pytest.raises(RuntimeError, match="/jadwal: its handler .* is not bound with handlers.auth.command"):
        check_commands(app)


def test_menus_come_from_the_table_in_their_order():
    assert commands.menu(commands.PIC_MENU) == ["start", "lapor", "status", "cuti", "bantuan", "batal"]
    assert commands.menu(commands.ADMIN_MENU)[:6] == commands.menu(commands.PIC_MENU)
    assert {"impor", "kunci", "riwayat"} <= set(commands.menu(commands.ADMIN_MENU))
    assert commands.menu(commands.LEADERSHIP_MENU) == ["ringkasan", "ekspor", "bantuan"]
    assert commands.BY_NAME["help"] is commands.BY_NAME["bantuan"]
