"""/cuti: a PIC on leave gets no reminders until the leave ends (or they end it early)."""

from datetime import date
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.people import LeaveDateError
from bot.domain.people import parse_leave_date
from models import AuditLog
from models import Person
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID
from tests.support.outbox_steps import H1
from tests.support.outbox_steps import H3
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import said
from tests.support.outbox_steps import texts
from tests.support.outbox_steps import tick_and_send

TODAY = date(2020, 6, 23)


@pytest.mark.parametrize("text, expected", [
    ("31/7", date(2020, 7, 31)),
    ("31-07-2020", date(2020, 7, 31)),
    ("31/07/20", date(2020, 7, 31)),
    ("31.7.2020", date(2020, 7, 31)),
    ("31 Juli 2020", date(2020, 7, 31)),
    ("31 juli", date(2020, 7, 31)),
    ("31 Jul", date(2020, 7, 31)),
    ("31 July 2020", date(2020, 7, 31)),
    ("2020-07-31", date(2020, 7, 31)),
    ("sampai 31/7", date(2020, 7, 31)),
    ("Jumat, 31 Juli 2020", date(2020, 7, 31)),
    ("23/6", TODAY),  # leave today only
    ("21 Agt", date(2020, 8, 21)),
    ("1 Sept", date(2020, 9, 1)),
])
def test_leave_dates_as_people_type_them(text, expected):
    assert parse_leave_date(text, TODAY) == expected


@pytest.mark.parametrize("text, code", [
    ("besok", "format"), ("31 Jumat", "format"), ("", "format"), ("31/2", "invalid"), ("32 Juli", "invalid"),
    ("1/6/2020", "past"), ("22/6", "past"), ("22 Juni 2020", "past"),
    ("22/9", "too_far"), ("31/12", "too_far"), ("2021-01-01", "too_far"),
])
def test_leave_dates_refused_with_a_reason(text, code):
    with pytest.raises(LeaveDateError) as caught:
        parse_leave_date(text, TODAY)
    assert caught.value.code == code


def test_a_date_without_a_year_rolls_over_the_new_year():
    assert parse_leave_date("5/1", date(2020, 12, 20)) == date(2021, 1, 5)
    assert parse_leave_date("20/12", date(2020, 12, 20)) == date(2020, 12, 20)
    with pytest.raises(LeaveDateError) as caught:
        parse_leave_date("19/12", date(2020, 12, 20))
    assert caught.value.code == "past"
    assert parse_leave_date("21/9", TODAY) == TODAY + timedelta(days=90)


def paused_until(engine, person_id):
    with unit_of_work(engine) as session:
        return session.get(Person, person_id).paused_until


async def test_cuti_asks_until_when_and_stops_reminders(harness, fake, engine, tw1_locked):
    harness.clock.set(H7 - timedelta(hours=1))  # 07:00, before the H-7 reminder
    reply = await said(fake, PIC_ID, "/cuti")
    assert "Sampai tanggal berapa" in reply
    reply = await said(fake, PIC_ID, "31/7")
    assert "cuti sampai Jumat 31 Juli 2020" in reply and "/cuti selesai" in reply
    assert paused_until(engine, tw1_locked["budi"]) == date(2020, 7, 31)
    with unit_of_work(engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "person.pause")).one()
        assert entry.new_value == "2020-07-31" and entry.actor_telegram_id == PIC_ID

    await tick_and_send(harness, H7)
    assert not any("Pengingat" in t for t in texts(fake, PIC_ID)) and len(texts(fake, PIC2_ID)) == 1

    reply = await said(fake, PIC_ID, "/cuti selesai")
    assert "Selamat bekerja kembali" in reply and paused_until(engine, tw1_locked["budi"]) is None
    await tick_and_send(harness, H3)
    assert "Pengingat laporan TW II 2020" in texts(fake, PIC_ID)[-1]


async def test_wrong_dates_are_explained_and_asked_again(harness, fake, engine, tw1_locked):
    await said(fake, PIC_ID, "/cuti")
    assert "belum mengerti" in await said(fake, PIC_ID, "minggu depan")
    assert "sudah lewat" in await said(fake, PIC_ID, "1/6/2020")
    assert "lebih dari 90 hari" in await said(fake, PIC_ID, "31/12")
    assert "tidak ada di kalender" in await said(fake, PIC_ID, "31/9")
    assert paused_until(engine, tw1_locked["budi"]) is None
    assert "31 Juli 2020" in await said(fake, PIC_ID, "31 Juli 2020")
    # The conversation is over: a date now is not taken as leave.
    await said(fake, PIC_ID, "15/7")
    assert paused_until(engine, tw1_locked["budi"]) == date(2020, 7, 31)


async def test_cuti_with_the_date_in_the_command_and_the_back_button(harness, fake, engine, tw1_locked):
    assert "Jumat 3 Juli 2020" in await said(fake, PIC_ID, "/cuti 3/7")
    reply = await said(fake, PIC_ID, "/cuti")
    assert "tercatat cuti sampai" in reply and "3 Juli 2020" in reply
    fake.press(PIC_ID, "✅ Saya sudah masuk")
    await fake.wait_idle()
    assert "Selamat bekerja kembali" in texts(fake, PIC_ID)[-1]
    assert paused_until(engine, tw1_locked["budi"]) is None
    assert "tidak sedang cuti" in await said(fake, PIC_ID, "/cuti selesai")
    assert fake.unanswered_callbacks() == []


async def test_cuti_survives_a_restart_and_can_be_cancelled(harness, fake, engine, tw1_locked):
    await said(fake, PIC_ID, "/cuti")
    await harness.restart()
    assert "31 Juli 2020" in await said(fake, PIC_ID, "31/7")
    await said(fake, PIC_ID, "/cuti")
    assert "Dibatalkan" in await said(fake, PIC_ID, "/batal")
    assert paused_until(engine, tw1_locked["budi"]) == date(2020, 7, 31)


async def test_a_reminder_already_queued_is_not_sent_once_on_leave(harness, fake, engine, tw1_locked):
    from jobs.reminders import dispatch
    from jobs.reminders import run_tick

    harness.clock.set(H1)
    await run_tick(harness.app)
    await said(fake, PIC_ID, "/cuti 10/7")
    result = await dispatch(harness.app)
    assert result.skipped == 1 and not any("Pengingat" in t for t in texts(fake, PIC_ID))


async def test_only_pics_take_leave(harness, fake):
    reply = await said(fake, STRANGER_ID, "/cuti 31/7")
    assert "Sampai tanggal" not in reply and "cuti sampai" not in reply and reply
