"""Late work (tunggakan, issue 14 item 5) end to end on the seed plan: the honest late PIC.

Ani Rahmawati holds seq 3 «Peningkatan Keterampilan dan Profesionalisme» of the BKD Gresik 2020 plan:
aksi 1 «Pembentukan Panitia» 100% in TW II only, aksi 2 «Pendataan Peserta» 200 in TW II only, aksi 3
«Pelaksanaan Kegiatan» 80% in TW II and 20% in TW III, aksi 4 a document in TW IV. She honestly reports 0
for all three in TW II, TW II is locked, and she does everything in July. Before late work could be
recorded, TW III's form offered only aksi 3: typing 100 there gave (0 + 0 + 100) / 3 = 33,3% «Sangat
Rendah», for good. Now TW III offers all three as «tunggakan TW II» and the kegiatan ends TW III at 100%.
"""

import io
from datetime import datetime
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.digest import kegiatan_detail
from bot.domain.measure import INCREMENT
from bot.domain.measure import OK
from bot.domain.scoring import score_plan_from_db
from bot.domain.workbook import COL_BAND
from bot.domain.workbook import build_workbook
from models import Aksi
from models import AksiRealisation
from models import Kegiatan
from models import KegiatanRealisation
from models import PeriodLock
from models import Person
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.harness import said
from tests.support.outbox_steps import H3
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import tick_and_send
from tests.support.seed import seed_with_reports
from tests.support.workbook import rows_by_kind

KEGIATAN = "Peningkatan Keterampilan dan Profesionalisme"
TW3_H7 = datetime(2020, 9, 23, 8, 0, tzinfo=WIB)  # TW III ends Wed 30 Sep 2020: its window opens at H-7
AFTER_TW3_DEADLINE = datetime(2020, 10, 20, 9, 0, tzinfo=WIB)  # TW III's deadline: Wed 7 Oct 2020


@pytest.fixture
def honest_late_pic(engine, seed_plan_path) -> dict:
    """The seed plan with TW I and TW II reported; seq 3's TW II reported as 0 (nothing done yet), TW II locked,
    and Ani on Telegram as the fake's PIC_ID."""
    plan_id = seed_with_reports(engine, seed_plan_path)
    with unit_of_work(engine) as session:
        kegiatan = session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.seq == 3)).one()
        aksi = {a.no: a.id for a in session.exec(select(Aksi).where(Aksi.kegiatan_id == kegiatan.id))}
        for row in session.exec(select(AksiRealisation).where(AksiRealisation.aksi_id.in_(aksi.values()),
                                                              AksiRealisation.quarter == 2)):
            row.value, row.value_raw = D(0), "0"
        session.add(PeriodLock(plan_id=plan_id, quarter=2))
        ani = session.exec(select(Person).where(Person.name == "Ani Rahmawati")).one()
        ani.telegram_user_id = PIC_ID
    return {"plan": plan_id, "kegiatan": kegiatan.id, "aksi": aksi}


@pytest.fixture
async def bot(fake, db_url, honest_late_pic):
    h = BotHarness(fake, db_url, now=TW3_H7)
    await h.start()
    yield h
    await h.stop()


def reals(engine, aksi: dict[int, int], quarter: int) -> dict[int, D]:
    """{aksi no: value} stored for the quarter."""
    no_of = {a_id: no for no, a_id in aksi.items()}
    with Session(engine) as session:
        rows = session.exec(select(AksiRealisation).where(AksiRealisation.aksi_id.in_(aksi.values()),
                                                          AksiRealisation.quarter == quarter))
        return {no_of[row.aksi_id]: row.value for row in rows}


def score(engine, plan_id: int, quarter: int):
    with Session(engine) as session:
        return score_plan_from_db(plan_id, quarter, session=session, now=AFTER_TW3_DEADLINE)


async def test_the_honest_late_pic_ends_tw3_at_100_percent_with_tw2_shown_late(bot, fake, engine, honest_late_pic):
    ids = honest_late_pic
    # The TW III H-7 reminder lists the late work with what is still missing, beside TW III's own target.
    await tick_and_send(bot, TW3_H7)
    reminder = fake.last_message_to(PIC_ID)["text"]
    part = reminder.split(KEGIATAN, 1)[1].split("📌", 1)[0]
    assert "Aksi 1. Pembentukan Panitia/Tim Pelaksana Kegiatan: ↪️ tunggakan TW II (kurang 100%)" in part
    assert "Aksi 2. Pendataan Peserta dan Koordinasi: ↪️ tunggakan TW II (kurang 200)" in part
    assert "Aksi 3. Pelaksanaan Kegiatan: target TW III 20% + ↪️ tunggakan TW II (kurang 80%)" in part

    bot.clock.set(datetime(2020, 9, 24, 10, 0, tzinfo=WIB))
    status = await said(fake, PIC_ID, "/status")
    assert "1. Pembentukan Panitia/Tim Pelaksana Kegiatan — ↪️ tunggakan TW II (kurang 100%)" in status
    assert "tunggakan tidak membuat laporan TW III belum lengkap" in status

    text = await said(fake, PIC_ID, "/lapor")
    assert "Laporan TW III 2020" in text
    assert f"📝 {KEGIATAN} — 0 dari 1 aksi, anggaran belum, tunggakan 3 aksi" in text
    text = await said(fake, PIC_ID, press=f"📝 {KEGIATAN}")
    assert "Saya akan menanyakan 3 aksi satu per satu (termasuk tunggakan aksi 1, 2, 3)" in text
    # Aksi 1: due in TW II only, so TW III has no target of its own; 0 of 100 reported for TW II.
    assert "Aksi 1/3: 1. Pembentukan Panitia/Tim Pelaksana Kegiatan" in text
    assert "Tunggakan TW II: kurang 100% (target s.d. TW II: 100%)" in text
    assert "Realisasi TW III saja (tidak ada target TW III; s.d. TW III: 100%)" in text
    assert "Tercatat s.d. TW II: 0% — jangan dijumlahkan lagi." in text
    text = await said(fake, PIC_ID, press="↪️ Lunasi tunggakan")  # enters the 100 − 0 = 100 still owed
    assert "Aksi 2/3" in text and "Tunggakan TW II: kurang 200 (target s.d. TW II: 200)" in text
    text = await said(fake, PIC_ID, "200")
    # Aksi 3: 20% due in TW III and 80% owed from TW II; 100 is what meets 100 to date, not «twice the target».
    assert "Tunggakan TW II: kurang 80% (target s.d. TW II: 80%)" in text
    assert "Realisasi TW III saja (target TW III: 20%; s.d. TW III: 100%)" in text
    text = await said(fake, PIC_ID, "100")
    assert "Realisasi anggaran TW III" in text
    text = await said(fake, PIC_ID, "250 jt")
    while "Indikator kegiatan" in text:
        text = await said(fake, PIC_ID, press="Lewati")
    for label in ("Tidak ada catatan",):
        text = await said(fake, PIC_ID, press=label)
    text = await said(fake, PIC_ID, press="Selesai")
    assert "tunggakan TW II (kurang 100%) → 100%" in text
    assert "tunggakan TW II (kurang 200) → 200" in text
    assert "target 20% + ↪️ tunggakan TW II (kurang 80%) → 100" in text
    text = await said(fake, PIC_ID, press="💾 Simpan")
    assert "Tersimpan ✅ Peningkatan Keterampilan dan Profesionalisme — TW III 2020." in text
    assert "Tunggakan yang dicatat di TW III: aksi 1 terpenuhi; aksi 2 terpenuhi; aksi 3 terpenuhi." in text

    # Recorded as TW III's values; locked TW II keeps its honest zeros.
    assert reals(engine, ids["aksi"], 3) == {1: D(100), 2: D(200), 3: D(100)}
    assert reals(engine, ids["aksi"], 2) == {1: D(0), 2: D(0), 3: D(0)}

    # TW III, after its deadline. Cumulative (increment): aksi 1 (0 + 100) / 100 = 100,0 · aksi 2 (0 + 200) / 200
    # = 100,0 · aksi 3 (0 + 100) / (80 + 20) = 100,0; aksi 4 is due in TW IV → (100 + 100 + 100) / 3 = 100,0%.
    tw3 = next(k for k in score(engine, ids["plan"], 3).kegiatan if k.id == ids["kegiatan"])
    assert [(a.mode, a.cumulative.target, a.cumulative.real, a.cumulative.pct) for a in tw3.aksi[:3]] == [
        (INCREMENT, D(100), D(100), D(100)), (INCREMENT, D(200), D(200), D(100)), (INCREMENT, D(100), D(100), D(100))]
    assert (tw3.cumulative.pct, tw3.cumulative.band, tw3.cumulative.status) == (D(100), "Sangat Tinggi", OK)
    # TW II is shown late: each of the three was owed from TW II when TW III began, and TW III met it.
    assert [(a.arrear.since, a.arrear.owed, a.arrear.settled) for a in tw3.aksi[:3]] == [
        (2, D(100), True), (2, D(200), True), (2, D(80), True)]
    assert tw3.aksi[3].arrear is None
    # TW III alone: only aksi 3 has a TW III target; 100 of 20 = 500,0% shown, counted at the 100% ceiling.
    assert (tw3.aksi[2].quarter.pct, tw3.quarter.pct) == (D(500), D(100))
    # TW II as it stood stays what was reported then: (0 + 0 + 0) / 3 = 0,0%.
    tw2 = next(k for k in score(engine, ids["plan"], 2).kegiatan if k.id == ids["kegiatan"])
    assert (tw2.cumulative.pct, tw2.cumulative.band) == (D(0), "Sangat Rendah")
    # What leadership reads in the kegiatan's drill-down.
    with Session(engine) as session:
        detail = kegiatan_detail(ids["kegiatan"], 3, session=session, now=AFTER_TW3_DEADLINE).plain
    assert "↪️ tunggakan TW II dipenuhi di TW III" in detail
    # … and in the evaluation workbook's «Predikat» column of each of the three aksi.
    with Session(engine) as session:
        book = load_workbook(io.BytesIO(build_workbook(ids["plan"], 3, session=session, now=AFTER_TW3_DEADLINE)))
    notes = [str(row[COL_BAND - 1].value) for kind, keg, row in rows_by_kind(book["Rencana Aksi"], engine, ids["plan"])
             if kind == "aksi" and keg == KEGIATAN]
    assert [n.endswith("tunggakan TW II dipenuhi di TW III") for n in notes] == [True, True, True, False]


async def test_late_work_is_listed_in_reminders_but_never_chases_on_its_own(harness, fake, engine, tw1_locked):
    """The small plan, TW I locked and never reported by Sari: in TW II «Persiapan» (100% in TW I only) is late
    work only, «Pelaksanaan» owes TW II's 50% and the 30% of TW I."""
    await tick_and_send(harness, H7)
    reminder = fake.last_message_to(PIC2_ID)["text"]
    assert "Aksi 1. Persiapan pelaksanaan kegiatan diklat: ↪️ tunggakan TW I (kurang 100%)" in reminder
    assert "Aksi 2. Pelaksanaan Kegiatan: target TW II 50% + ↪️ tunggakan TW I (kurang 30%)" in reminder
    # She reports TW II's own items (aksi 2 and the budget), not the late work of aksi 1 …
    sari_kegiatan = tw1_locked["kegiatan"][1]
    with unit_of_work(engine) as session:
        session.add(AksiRealisation(aksi_id=tw1_locked["aksi"][sari_kegiatan][1], quarter=2, value=D(50),
                                    value_raw="50"))
        session.add(KegiatanRealisation(kegiatan_id=sari_kegiatan, quarter=2, budget_realised=0))
    before = len(fake.messages_to(PIC2_ID))
    result = await tick_and_send(harness, H3)
    # … so she is not reminded at H-3 (Budi, who reported nothing, is), and her quarter reads as reported.
    assert len(fake.messages_to(PIC2_ID)) == before and result.delivered == 1
    status = await said(fake, PIC2_ID, "/status")
    assert "↪️ Pendidikan Penjurangan Struktural\n   1 dari 1 aksi dilaporkan" in status
    assert "1. Persiapan pelaksanaan kegiatan diklat — ↪️ tunggakan TW I (kurang 100%)" in status
    assert "Semua sudah dilaporkan. Terima kasih!" in status
