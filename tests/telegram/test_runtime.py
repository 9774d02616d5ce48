"""The running bot end to end: onboarding, /start and /help by role, /batal, menus, restart."""

from datetime import timedelta

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.people import create_invite
from models import Person
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import OTHER_GROUP
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID


def _invite(engine, person_id, now, ttl=7):
    with unit_of_work(engine) as session:
        return create_invite(person_id, session=session, now=now, ttl_days=ttl).token


async def test_invite_binds_account_once(harness, fake, engine, small_plan):
    token = _invite(engine, small_plan["rina"], harness.clock.now())
    fake.send_command(STRANGER_ID, "/start", args=token)
    reply = await fake.wait_for_message(STRANGER_ID, contains="terhubung")
    assert "Rina Lestari" in reply["text"]
    with unit_of_work(engine) as session:
        rina = session.get(Person, small_plan["rina"])
        assert rina.telegram_user_id == STRANGER_ID and rina.onboarded_at is not None

    # The same link tapped again by someone else: refused, binding unchanged.
    fake.send_command(PIC_ID, "/start", args=token)
    reply = await fake.wait_for_message(PIC_ID, contains="sudah pernah dipakai")
    with unit_of_work(engine) as session:
        assert session.get(Person, small_plan["rina"]).telegram_user_id == STRANGER_ID


async def test_expired_and_unknown_tokens_are_explained(harness, fake, engine, small_plan):
    token = _invite(engine, small_plan["rina"], harness.clock.now() - timedelta(days=8))
    fake.send_command(STRANGER_ID, "/start", args=token)
    await fake.wait_for_message(STRANGER_ID, contains="kedaluwarsa")
    fake.send_command(STRANGER_ID, "/start", args="bukan-token-asli")
    await fake.wait_for_message(STRANGER_ID, contains="tidak dikenal")
    with unit_of_work(engine) as session:
        assert session.exec(select(Person).where(Person.telegram_user_id == STRANGER_ID)).first() is None


async def test_start_greets_each_role(harness, fake):
    fake.send_command(STRANGER_ID, "/start")
    text = (await fake.wait_for_message(STRANGER_ID, contains="belum terdaftar"))["text"]
    assert "tautan undangan" in text and "Anda admin" not in text
    fake.send_command(PIC_ID, "/start")
    text = (await fake.wait_for_message(PIC_ID, contains="Budi Santoso"))["text"]
    assert "Pendidikan dan Pelatihan Teknis" in text and "/lapor" in text
    fake.send_command(ADMIN_ID, "/start")
    text = (await fake.wait_for_message(ADMIN_ID, contains="Halo"))["text"]
    assert "Anda admin" in text and "belum terdaftar" not in text
    fake.send_command(LEADER_ID, "/start")
    assert "/ringkasan" in (await fake.wait_for_message(LEADER_ID, contains="Halo"))["text"]


async def test_help_lists_what_the_role_can_do(harness, fake):
    fake.send_command(PIC_ID, "/bantuan")
    text = (await fake.wait_for_message(PIC_ID, contains="Perintah"))["text"]
    assert "/lapor" in text and "/impor" not in text
    fake.send_command(ADMIN_ID, "/bantuan")
    text = (await fake.wait_for_message(ADMIN_ID, contains="Perintah"))["text"]
    assert "/impor" in text and "/kunci" in text
    fake.send_command(LEADER_ID, "/bantuan", chat_id=LEADERSHIP_CHAT)
    text = (await fake.wait_for_message(LEADERSHIP_CHAT, contains="Perintah"))["text"]
    assert "/ringkasan" in text and "/impor" not in text


async def test_batal_outside_a_conversation_says_nothing_runs(harness, fake):
    fake.send_command(PIC_ID, "/batal")
    await fake.wait_for_message(PIC_ID, contains="Tidak ada proses")


async def test_command_menus_are_set_per_scope(harness, fake):
    private = [name for name, _ in fake.commands({"type": "all_private_chats"})]
    assert "lapor" in private and "impor" not in private
    admin = [name for name, _ in fake.commands({"type": "chat", "chat_id": ADMIN_ID})]
    assert "impor" in admin and "kunci" in admin
    group = [name for name, _ in fake.commands({"type": "chat", "chat_id": LEADERSHIP_CHAT})]
    assert "ringkasan" in group and "lapor" not in group


async def test_unknown_text_gets_a_hint(harness, fake):
    fake.send_message(PIC_ID, "halo bot")
    await fake.wait_for_message(PIC_ID, contains="/lapor")


async def test_start_in_a_group_never_lists_a_pics_kegiatan(harness, fake):
    """`/start@bot lapor` in a group: a button to the private chat only."""
    fake.send_command(PIC_ID, "/start", args="lapor", chat_id=OTHER_GROUP)
    await fake.wait_idle()
    replies = [m["text"] for m in fake.messages_to(OTHER_GROUP)]
    assert replies and "Pendidikan dan Pelatihan Teknis" not in "\n".join(replies)
    markup = fake.last_message_to(OTHER_GROUP)["reply_markup"]
    assert markup["inline_keyboard"][0][0]["url"].endswith("?start=lapor")
