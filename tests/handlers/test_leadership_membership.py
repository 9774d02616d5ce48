"""Membership of the leadership group: learned from the group, remembered in the database, and
asked of Telegram (getChatMember, 20 a minute through the rate limiter) only when nothing fresh is known.

A PIC's path never asks, so a morning burst of /lapor is not queued behind group calls."""

import time

from sqlmodel import select

from bot.db import unit_of_work
from models import LeadershipMembership
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC_ID

GROUP = {"id": LEADERSHIP_CHAT, "type": "group", "title": "Pimpinan BKD"}
LEADER = {"id": LEADER_ID, "is_bot": False, "first_name": "Kepala", "username": "kaban"}
REFUSED = "Maaf"  # how templates/id/refused.j2 opens


def asked(fake) -> list[int]:
    """Whose membership the bot asked Telegram about."""
    return [int(call.params["user_id"]) for call in fake.calls("getChatMember")]


async def summary(fake, user: int = LEADER_ID) -> str:
    """/ringkasan in the private chat; the text of the bot's answers."""
    before = len(fake.messages_to(user))
    fake.send_command(user, "/ringkasan")
    await fake.wait_idle(timeout=30)
    return " ".join((m.get("text") or m.get("caption") or "") for m in fake.messages_to(user)[before:])


async def write_in_group(fake, text: str = "/ringkasan") -> None:
    """The leader writes in the leadership group. In privacy mode (Telegram's default) the bot sees
    only commands and replies there; as an admin of the group it sees every message."""
    if text.startswith("/"):
        fake.send_command(LEADER_ID, text, chat_id=LEADERSHIP_CHAT)
    else:
        fake.send_message(LEADER_ID, text, chat_id=LEADERSHIP_CHAT)
    await fake.wait_idle(timeout=30)


def membership_update(fake, old: str, new: str) -> None:
    """Telegram's chat_member update: the leader's status in the leadership group went from old to new."""
    fake.add_raw_update({"chat_member": {
        "chat": GROUP, "from": LEADER, "date": int(time.time()),
        "old_chat_member": {"status": old, "user": LEADER}, "new_chat_member": {"status": new, "user": LEADER}}})


async def test_a_pic_reporting_never_asks_about_the_leadership_group(harness, fake):
    fake.send_command(PIC_ID, "/lapor")
    await fake.wait_for_message(PIC_ID, contains="Pilih kegiatan")
    fake.send_message(PIC_ID, "/start lapor")
    await fake.wait_for_message(PIC_ID, contains="Pilih kegiatan")
    fake.send_command(PIC_ID, "/status")
    await fake.wait_idle()
    assert asked(fake) == []


async def test_a_leader_writing_privately_is_asked_about_once_and_remembered_across_a_restart(harness, fake, engine):
    first = await summary(fake)
    assert REFUSED not in first and "Capaian" in first
    assert asked(fake) == [LEADER_ID]
    assert REFUSED not in await summary(fake)
    await harness.restart()  # nothing in memory survives: the answer is in the database
    again = await summary(fake)
    assert REFUSED not in again and "Capaian" in again
    assert asked(fake) == [LEADER_ID]
    with unit_of_work(engine) as session:
        row = session.exec(select(LeadershipMembership)).one()
        assert (row.chat_id, row.telegram_user_id, row.is_member) == (LEADERSHIP_CHAT, LEADER_ID, True)


async def test_a_member_who_writes_in_the_group_is_known_without_asking(harness, fake):
    await write_in_group(fake, "/ringkasan")
    assert "Capaian" in await summary(fake)
    assert asked(fake) == []


async def test_any_message_in_the_group_counts_when_the_bot_sees_them(harness, fake):
    fake.privacy_mode = False  # the bot is an admin of the group (or its privacy mode is off)
    await write_in_group(fake, "Selamat pagi, Bapak/Ibu")
    assert "Capaian" in await summary(fake)
    assert asked(fake) == []


async def test_leaving_the_group_ends_leadership_and_joining_restores_it(harness, fake):
    await write_in_group(fake)
    fake.groups[LEADERSHIP_CHAT].members.discard(LEADER_ID)
    membership_update(fake, "member", "left")
    await fake.wait_idle()
    refused = await summary(fake)
    assert refused.startswith(REFUSED) and "Capaian" not in refused
    fake.groups[LEADERSHIP_CHAT].members.add(LEADER_ID)
    membership_update(fake, "left", "member")
    await fake.wait_idle()
    assert "Capaian" in await summary(fake)
    assert asked(fake) == []  # both answers came from the group's own updates


async def test_a_remembered_answer_goes_stale_and_is_asked_again(harness, fake):
    await write_in_group(fake)
    harness.clock.advance(hours=25)  # a day without a word from the group: the bot may have missed a leave
    fake.groups[LEADERSHIP_CHAT].members.discard(LEADER_ID)
    assert (await summary(fake)).startswith(REFUSED)
    assert asked(fake) == [LEADER_ID]
    # "Not a member" is remembered too (ten minutes), so repeating the command does not ask again.
    await summary(fake)
    assert asked(fake) == [LEADER_ID]


async def test_help_and_start_still_name_the_leadership_role(harness, fake):
    fake.send_command(LEADER_ID, "/bantuan")
    assert "/ringkasan" in (await fake.wait_for_message(LEADER_ID, contains="Pimpinan"))["text"]
    fake.send_command(LEADER_ID, "/start")
    assert "/ringkasan" in (await fake.wait_for_message(LEADER_ID, contains="Halo"))["text"]
    assert asked(fake) == [LEADER_ID]
