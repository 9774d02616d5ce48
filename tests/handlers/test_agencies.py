"""Many agencies, one bot: a PIC of two OPD sees both, each labelled with its name; each agency's reminder
tick chases its own plan; an agency's own settings (reminder time, days off) are its own."""

from datetime import datetime

import pytest
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.agencies import agency_settings
from bot.domain.calendar import ReportingCalendar
from jobs.reminders import run_tick
from models import Agency
from models import Aksi
from models import AksiRealisation
from models import Kegiatan
from models import KegiatanRealisation
from models import PicAssignment
from models import Reminder
from tests.support.agencies import B_AGENCY
from tests.support.agencies import B_KEGIATAN
from tests.support.agencies import add_agency_b
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.harness import said

A_AGENCY = "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"
H7_TW2 = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)  # TW II 2020's H-7 reminder day


@pytest.fixture
async def budi_in_two(fake, db_url, engine, small_plan):
    """Budi (PIC_ID, of agency A) is PIC of B's second kegiatan too."""
    with unit_of_work(engine) as session:
        add_agency_b(session, fake, small_plan)
        second = session.exec(select(Kegiatan.id).where(Kegiatan.name == B_KEGIATAN[1])).one()
        session.add(PicAssignment(person_id=small_plan["budi"], kegiatan_id=second))
    harness = BotHarness(fake, db_url, now=H7_TW2)
    await harness.start()
    yield harness
    await harness.stop()


async def test_a_pic_of_two_agencies_sees_both_in_status_each_labelled(budi_in_two, fake, engine, small_plan):
    before = len(fake.messages_to(PIC_ID))
    fake.send_command(PIC_ID, "/status")
    await fake.wait_idle()
    texts = [m["text"] for m in fake.messages_to(PIC_ID)[before:]]
    assert [t.splitlines()[:2] for t in texts] == [[f"🏛 {A_AGENCY}", "Status laporan TW II 2020"],
                                                   [f"🏛 {B_AGENCY}", "Status laporan TW II 2020"]]
    assert "Pendidikan dan Pelatihan Teknis" in texts[0] and B_KEGIATAN[1] not in texts[0]
    assert B_KEGIATAN[1] in texts[1] and B_KEGIATAN[0] not in texts[1]  # B's other kegiatan is Zaki's

    await run_tick(budi_in_two.app)  # the H-7 reminders of both agencies' plans
    with unit_of_work(engine) as session:
        rows = session.exec(select(Reminder.plan_id, Reminder.quarter, Reminder.kind)
                            .where(Reminder.person_id == small_plan["budi"])).all()
    # Each agency's plan chases Budi: TW II's H-7, and TW I's overdue reminder (TW I is not locked in either).
    assert sorted(rows) == sorted([(small_plan["plan"], 2, "h-7"), (_plan_of_b(engine), 2, "h-7"),
                                   (small_plan["plan"], 1, "overdue-2020-06-22"),
                                   (_plan_of_b(engine), 1, "overdue-2020-06-22")])


def _plan_of_b(engine) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(Kegiatan.plan_id).where(Kegiatan.name == B_KEGIATAN[0])).one()


def test_an_agencys_own_schedule_and_days_off_over_the_kabupatens():
    settings = load_settings(_env_file=None, extra_days_off=["2020-08-21"])
    own = Agency(id=7, name="DINAS", reminder_offsets_days="3,7", reminder_time="07:30",
                 extra_days_off="2020-08-26, 2020-12-24", leadership_chat_id=-100900)
    scoped = agency_settings(settings, own)
    assert (scoped.agency_id, scoped.leadership_chat_id, scoped.reminder_offsets_days, str(scoped.reminder_time)) == (
        7, -100900, [7, 3], "07:30:00")
    assert [str(d) for d in scoped.extra_days_off] == ["2020-08-21", "2020-08-26", "2020-12-24"]
    assert agency_settings(settings, Agency(id=8, name="BKD")).model_dump(exclude={"agency_id"}) == \
        settings.model_dump(exclude={"agency_id"})  # an agency of no settings of its own: the kabupaten's
    calendar = ReportingCalendar.from_settings(scoped)
    assert not calendar.is_working_day(datetime(2020, 8, 26).date())
    assert ReportingCalendar.from_settings(settings).is_working_day(datetime(2020, 8, 26).date())


def test_an_admin_changes_roles_only_of_their_own_agencys_people(engine, small_plan):
    from bot.domain.people import person_in_agency
    from models import AgencyMember
    from models import Person

    with unit_of_work(engine) as session:
        b = Agency(name="DINAS LAIN")
        session.add(b)
        session.flush()
        guest = Person(name="Tamu Dinas", agency_id=b.id)
        session.add(guest)
        session.flush()
        session.add(AgencyMember(agency_id=small_plan["agency"], person_id=guest.id))
        session.flush()
        a = small_plan["agency"]
        assert person_in_agency(guest.id, a, session=session)  # a member: seen in A's /pengguna and /pic
        assert not person_in_agency(guest.id, a, session=session, own=True)  # their admin flag is B's
        assert person_in_agency(small_plan["budi"], a, session=session, own=True)
        assert not person_in_agency(small_plan["budi"], b.id, session=session)


# -- a PIC of two OPD in /lapor and /start; each OPD's own calendar in reminders, late lists and digests ----

def _b_keeps_its_own_days_off(engine, days: str = "2020-07-02") -> None:
    """OPD B's own days off (A has none): 2 July moves B's TW II deadline to Wed 8 July (A's: Tue 7 July)."""
    with unit_of_work(engine) as session:
        session.exec(select(Agency).where(Agency.name == B_AGENCY)).one().extra_days_off = days


def _since(fake, chat: int, before: int) -> list[dict]:
    return fake.messages_to(chat)[before:]


def _b_kegiatan(engine, index: int) -> int:
    with unit_of_work(engine) as session:
        return session.exec(select(Kegiatan.id).where(Kegiatan.name == B_KEGIATAN[index])).one()


async def test_a_pic_of_two_agencies_reports_each_opds_kegiatan_by_that_opds_deadline(budi_in_two, fake, engine,
                                                                                       small_plan):
    _b_keeps_its_own_days_off(engine)
    budi_in_two.clock.set(datetime(2020, 7, 8, 10, 0, tzinfo=WIB))  # after A's deadline, on B's
    before = len(fake.messages_to(PIC_ID))
    fake.send_command(PIC_ID, "/lapor")
    await fake.wait_idle()
    a, b = _since(fake, PIC_ID, before)
    assert a["text"].splitlines()[:3] == [f"🏛 {A_AGENCY}", "Laporan TW II 2020",
                                          "Batas waktu: 7 Juli 2020 — sudah lewat, laporan akan dicatat terlambat"]
    assert b["text"].splitlines()[:3] == [f"🏛 {B_AGENCY}", "Laporan TW II 2020", "Batas waktu: 8 Juli 2020"]
    # B's under B, «Batal» under the last; TW I (still open in both) of each OPD's own plan.
    assert fake.buttons(a) == [["📝 Pendidikan dan Pelatihan Teknis"], ["TW I (masih terbuka)"]]
    assert fake.buttons(b) == [[f"📝 {B_KEGIATAN[1]}"], ["TW I (masih terbuka)"], ["Batal"]]
    assert [a["reply_markup"]["inline_keyboard"][1][0]["callback_data"],
            b["reply_markup"]["inline_keyboard"][1][0]["callback_data"]] == [f"lp:pq:{small_plan['plan']}:1",
                                                                              f"lp:pq:{_plan_of_b(engine)}:1"]
    tw1 = await said(fake, PIC_ID, press="TW I (masih terbuka)")  # the latest message's: B's TW I, B only
    assert tw1.splitlines()[:2] == [f"🏛 {B_AGENCY}", "Laporan TW I 2020"] and "---" not in tw1
    status = (await said(fake, PIC_ID, text="/status")).split("\n---\n")  # /status too: each OPD by its own deadline
    assert [t.splitlines()[:3] for t in status] == [
        [f"🏛 {A_AGENCY}", "Status laporan TW II 2020", "Batas waktu: 7 Juli 2020 (sudah lewat)"],
        [f"🏛 {B_AGENCY}", "Status laporan TW II 2020", "Batas waktu: 8 Juli 2020"]]
    await said(fake, PIC_ID, text="/lapor")  # back to TW II

    for step in (dict(press=f"📝 {B_KEGIATAN[1]}"), dict(text="4"), dict(text="10jt"),
                 dict(press="Tidak ada catatan"), dict(press="Selesai")):
        text = await said(fake, PIC_ID, **step)
    assert "Kelas gizi" in text and "Rp10.000.000" in text
    assert "Tersimpan ✅" in await said(fake, PIC_ID, press="💾 Simpan")
    with unit_of_work(engine) as session:
        kegiatan = session.get(Kegiatan, _b_kegiatan(engine, 1))
        row = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == kegiatan.id)).one()
        aksi = session.exec(select(AksiRealisation).join(Aksi, Aksi.id == AksiRealisation.aksi_id)
                            .where(Aksi.kegiatan_id == kegiatan.id)).one()
        # In B's plan, TW II, on time by B's deadline (by A's, 7 July, it would be late).
        assert (kegiatan.plan_id, row.quarter, row.budget_realised, row.late) == (_plan_of_b(engine), 2, 10_000_000,
                                                                                 False)
        assert (aksi.quarter, aksi.value, aksi.late) == (2, 4, False)


async def test_forged_buttons_of_a_kegiatan_or_plan_not_the_pics_are_refused(budi_in_two, fake, engine, small_plan):
    from bot.text.render import render
    from tests.support.agencies import B_PIC
    from tests.support.harness import forge_press

    fake.send_command(PIC_ID, "/lapor")
    fake.send_command(B_PIC, "/lapor")
    await fake.wait_idle()
    zaki_list = fake.messages_to(B_PIC)[-1]
    assert zaki_list["text"].startswith("Laporan TW II 2020")  # a PIC of one OPD: no label, as ever
    with unit_of_work(engine) as session:
        rows_before = sorted((r.kegiatan_id, r.quarter, r.budget_realised, r.late)
                             for r in session.exec(select(KegiatanRealisation)))
    presses = [(PIC_ID, f"lp:k:{_b_kegiatan(engine, 0)}:2"),  # Zaki's kegiatan in B, where Budi is PIC of the other
               (PIC_ID, f"lapor:{_b_kegiatan(engine, 0)}"),
               (B_PIC, f"lp:pq:{small_plan['plan']}:1"),  # A's plan: Zaki reports only in B
               (B_PIC, f"lp:po:{small_plan['plan']}:2"), (B_PIC, f"lp:k:{small_plan['kegiatan'][0]}:2")]
    ids = []
    for user, data in presses:
        ids.append(forge_press(fake, user, fake.messages_to(user)[-1], data)["callback_query"]["id"])
        await fake.wait_idle()
    answers = {c.params["callback_query_id"]: c.params.get("text") for c in fake.calls("answerCallbackQuery")}
    assert [answers.get(i) for i in ids] == [render("refused_alert", "id")] * len(presses)
    with unit_of_work(engine) as session:
        assert sorted((r.kegiatan_id, r.quarter, r.budget_realised, r.late)
                      for r in session.exec(select(KegiatanRealisation))) == rows_before
    assert fake.messages_to(B_PIC)[-1] == zaki_list


async def test_start_names_what_a_pic_holds_in_each_opd(budi_in_two, fake):
    from tests.support.agencies import B_PIC

    budi = await said(fake, PIC_ID, text="/start")
    assert (f"🏛 {A_AGENCY}\nAnda penanggung jawab (PIC) 1 kegiatan pada rencana aksi 2020:\n"
            "• Pendidikan dan Pelatihan Teknis\n\n"
            f"🏛 {B_AGENCY}\nAnda penanggung jawab (PIC) 1 kegiatan pada rencana aksi 2020:\n• {B_KEGIATAN[1]}\n") in budi
    zaki = await said(fake, B_PIC, text="/start")
    assert "🏛" not in zaki and f"Anda penanggung jawab (PIC) 2 kegiatan pada rencana aksi 2020:\n• {B_KEGIATAN[0]}" in zaki


async def test_each_opds_reminders_late_list_and_digest_follow_its_own_calendar(budi_in_two, fake, engine, small_plan):
    from jobs.digest import run_digests
    from tests.support.agencies import B_GROUP
    from tests.support.agencies import B_PIC
    from tests.support.harness import LEADERSHIP_CHAT
    from tests.support.outbox_steps import tick_and_send

    # B: 23 June off too, so its H-7 (Tue 23 June nominal) moves back to Mon 22 June; A's stays on the 23rd.
    _b_keeps_its_own_days_off(engine, "2020-06-23, 2020-07-02")

    def h7(chat: int, before: int) -> list[str]:
        return [m["text"] for m in _since(fake, chat, before) if "Pengingat laporan TW II 2020" in m["text"]]

    def h7_rows() -> list[tuple[int, str]]:
        with unit_of_work(engine) as session:
            return sorted((r.plan_id, r.due_at.date().isoformat())
                          for r in session.exec(select(Reminder).where(Reminder.kind == "h-7")))

    budi, zaki = len(fake.messages_to(PIC_ID)), len(fake.messages_to(B_PIC))
    await tick_and_send(budi_in_two, datetime(2020, 6, 22, 9, 0, tzinfo=WIB))
    [b_to_budi] = h7(PIC_ID, budi)
    [b_to_zaki] = h7(B_PIC, zaki)
    assert b_to_budi.splitlines()[0] == f"🏛 {B_AGENCY}" and "Batas akhir laporan: 8 Juli 2020" in b_to_budi
    assert B_KEGIATAN[1] in b_to_budi and "Pendidikan dan Pelatihan Teknis" not in b_to_budi
    assert b_to_zaki.splitlines()[0] == f"🏛 {B_AGENCY}" and "8 Juli 2020" in b_to_zaki
    assert {plan for plan, _ in h7_rows()} == {_plan_of_b(engine)}  # A's H-7 is not due yet

    budi = len(fake.messages_to(PIC_ID))
    await tick_and_send(budi_in_two, datetime(2020, 6, 23, 9, 0, tzinfo=WIB))
    await tick_and_send(budi_in_two)  # again: nothing twice
    [a_to_budi] = h7(PIC_ID, budi)
    assert a_to_budi.splitlines()[0] == f"🏛 {A_AGENCY}" and "Batas akhir laporan: 7 Juli 2020" in a_to_budi
    assert "Pendidikan dan Pelatihan Teknis" in a_to_budi and B_KEGIATAN[1] not in a_to_budi
    assert set(h7_rows()) == {(small_plan["plan"], "2020-06-23"), (_plan_of_b(engine), "2020-06-22")}
    assert len([r for r in h7_rows() if r[0] == _plan_of_b(engine)]) == 2  # Budi and Zaki, once each

    # Late lists: A's the day after its deadline (Wed 8 July), B's the day after its own (Thu 9 July).
    a_group, b_group = len(fake.messages_to(LEADERSHIP_CHAT)), len(fake.messages_to(B_GROUP))
    await tick_and_send(budi_in_two, datetime(2020, 7, 8, 9, 0, tzinfo=WIB))
    await run_digests(budi_in_two.app)
    a_posts = [m.get("text") or m.get("caption") for m in _since(fake, LEADERSHIP_CHAT, a_group)]
    assert any(t.startswith("📋 Belum lapor TW II 2020\nBatas akhir 7 Juli 2020 sudah lewat.") for t in a_posts)
    assert any(t.startswith("📊 Ringkasan TW II 2020 — batas lapor 7 Juli 2020 sudah lewat.") for t in a_posts)
    assert _since(fake, B_GROUP, b_group) == []
    await tick_and_send(budi_in_two, datetime(2020, 7, 9, 9, 0, tzinfo=WIB))
    await run_digests(budi_in_two.app)
    b_posts = [m.get("text") or m.get("caption") for m in _since(fake, B_GROUP, b_group)]
    assert any(t.startswith("📋 Belum lapor TW II 2020\nBatas akhir 8 Juli 2020 sudah lewat.") for t in b_posts)
    assert any(t.startswith("📊 Ringkasan TW II 2020 — batas lapor 8 Juli 2020 sudah lewat.") for t in b_posts)
    assert B_KEGIATAN[1] in "\n".join(b_posts) and "Pendidikan dan Pelatihan Teknis" not in "\n".join(b_posts)


async def test_an_opds_own_reminder_offsets_give_its_reminders_on_its_own_days(budi_in_two, fake, engine, small_plan):
    from tests.support.agencies import B_PIC
    from tests.support.outbox_steps import tick_and_send

    with unit_of_work(engine) as session:  # B reminds 10 days before the quarter ends, and the day before
        session.exec(select(Agency).where(Agency.name == B_AGENCY)).one().reminder_offsets_days = "10,1"
    zaki = len(fake.messages_to(B_PIC))
    # 30 June − 10 = Sat 20 June, moved back to Fri 19 June: B's first reminder; A (7, 3, 1) has none that day.
    await tick_and_send(budi_in_two, datetime(2020, 6, 19, 9, 0, tzinfo=WIB))
    await tick_and_send(budi_in_two, datetime(2020, 6, 23, 9, 0, tzinfo=WIB))  # A's H-7, nothing of B's
    with unit_of_work(engine) as session:
        rows = sorted({(r.plan_id, r.kind, r.due_at.date().isoformat())
                       for r in session.exec(select(Reminder).where(Reminder.quarter == 2))})
    assert rows == [(small_plan["plan"], "h-7", "2020-06-23"), (_plan_of_b(engine), "h-10", "2020-06-19")]
    [reminder] = [m["text"] for m in fake.messages_to(B_PIC)[zaki:] if "TW II 2020" in m["text"]]
    assert reminder.splitlines()[:2] == [f"🏛 {B_AGENCY}", "⏰ Pengingat laporan TW II 2020"]
    assert "TW II berakhir 11 hari lagi (30 Juni 2020)" in reminder
