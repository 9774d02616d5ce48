"""Each person's command menu follows their role, not only as it was at start-up: an admin who first
opens the bot later, one made admin before redeeming their invite, and a former admin."""

import re

from bot.telegram.app import command_menu
from bot.telegram.commands import ADMIN_MENU
from bot.telegram.commands import VERIFIER_MENU
from tests.support.admin_steps import act
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID
from tests.support.harness import BotHarness

NEW_ADMIN = 1002
ADMIN_COMMANDS = [c.command for c in command_menu(ADMIN_MENU, "id")]


def menu_of(fake, user: int) -> list[str] | None:
    menu = fake.commands({"type": "chat", "chat_id": user})
    return None if menu is None else [name for name, _ in menu]


async def test_an_admin_who_opens_the_bot_after_start_up_gets_the_admin_menu(fake, db_url, small_plan):
    fake.add_user(NEW_ADMIN, "Admin Baru", started=False)
    harness = BotHarness(fake, db_url, admin_telegram_ids=[ADMIN_ID, NEW_ADMIN])
    await harness.start()
    try:
        assert menu_of(fake, ADMIN_ID) == ADMIN_COMMANDS
        assert menu_of(fake, NEW_ADMIN) is None  # no chat yet: Telegram refused at start-up
        await act(fake, NEW_ADMIN, text="/start")
        assert menu_of(fake, NEW_ADMIN) == ADMIN_COMMANDS
    finally:
        await harness.stop()
    # Taken off ADMIN_TELEGRAM_IDS: the admin menu goes at their next /start.
    harness = BotHarness(fake, db_url, admin_telegram_ids=[ADMIN_ID])
    await harness.start()
    try:
        assert menu_of(fake, NEW_ADMIN) == ADMIN_COMMANDS  # start-up only sets the admins' menus
        await act(fake, NEW_ADMIN, text="/start")
        assert menu_of(fake, NEW_ADMIN) is None  # back to the PIC menu of all private chats
    finally:
        await harness.stop()


async def test_admin_granted_before_the_invite_gets_the_menu_when_redeeming(harness, fake, engine, small_plan):
    await act(fake, text="/pengguna")
    await act(fake, press="⏳ Rina Lestari")
    await act(fake, press="👑 Jadikan admin")  # Rina has no Telegram account yet: no chat to set a menu in
    link = await act(fake, text="/undang Rina Lestari")
    token = re.search(r"\?start=([\w-]+)", link).group(1)
    assert menu_of(fake, STRANGER_ID) is None
    await act(fake, STRANGER_ID, text=f"/start {token}")
    assert menu_of(fake, STRANGER_ID) == ADMIN_COMMANDS


async def test_a_verifier_who_is_not_an_admin_finds_verifikasi_in_their_menu(harness, fake, engine, small_plan):
    # Budi (a PIC) is made verifier in /pengguna: his chat's menu is the PIC menu plus /verifikasi; revoked, the
    # chat menu goes and the PIC menu of all private chats shows again. His next /start keeps the same menu.
    await act(fake, text="/pengguna")
    await act(fake, press="✅ Budi Santoso")
    await act(fake, press="🔎 Jadikan verifikator")
    verifier_menu = menu_of(fake, PIC_ID)
    assert verifier_menu == [c.command for c in command_menu(VERIFIER_MENU, "id")]
    assert "verifikasi" in verifier_menu and "lapor" in verifier_menu and "impor" not in verifier_menu
    await act(fake, PIC_ID, text="/start")
    assert menu_of(fake, PIC_ID) == verifier_menu
    await act(fake, press="Cabut peran verifikator")
    assert menu_of(fake, PIC_ID) is None
