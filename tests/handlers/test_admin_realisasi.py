"""/impor with a realisation file, end to end through the fake Bot API: the preview says what would change and
as whom, «Terapkan» stores it all in one go, a bad file is refused row by row and changes nothing.

The plan is the seed with TW I reported (tests/support/seed.py); Dedi Kurniawan holds kegiatan 14–19. The
bot's clock is 23 June 2020: TW II is the quarter reported, and it is not late."""

import json

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.locks import lock_quarter
from bot.domain.realisation_file.template import build_template
from models import AksiRealisation
from models import AuditLog
from models import Kegiatan
from models import KegiatanRealisation
from tests.fixtures.make_xlsx import write_xlsx
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import find_button
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import BotHarness
from tests.support.plans import SEED
from tests.support.realisasi import fill
from tests.support.realisasi import sheet_rows
from tests.support.seed import seed_with_reports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KASUS = 18


@pytest.fixture
async def bot(fake, db_url, engine):
    plan_id = seed_with_reports(engine, SEED, quarters=(1,))
    h = BotHarness(fake, db_url)
    await h.start()
    h.plan_id = plan_id
    yield h
    await h.stop()


def blank(engine, plan_id) -> bytes:
    with Session(engine) as session:
        return build_template(plan_id, 2, session=session)


async def upload(fake, name: str, content: bytes, mime: str = XLSX) -> str:
    await act(fake, text="/impor")
    return await act(fake, document=(name, content, mime))


def stored(engine) -> list[tuple]:
    with Session(engine) as session:
        return sorted(session.exec(select(AksiRealisation.value_raw, AksiRealisation.late)
                                   .where(AksiRealisation.quarter == 2)).all())


async def test_a_filled_template_is_previewed_then_stored(bot, fake, engine):
    template = blank(engine, bot.plan_id)
    rows = sheet_rows(template)
    data = fill(template, {("Aksi", KASUS, "3"): "45", ("Aksi", KASUS, "2"): "1",
                           ("Anggaran", KASUS, ""): "12,5 juta"}, by="Dedi")
    text = await act(fake, text="/impor")
    assert "Berkas realisasi juga diterima" in text
    before = snapshot(engine)
    text = await act(fake, document=("dedi-tw2.xlsx", data, XLSX))
    assert "Pratinjau realisasi: dedi-tw2.xlsx" in text
    assert "TW II 2020 · atas nama Dedi Kurniawan" in text and "terlambat" not in text
    assert "3 nilai: 3 baru · 0 diubah · 0 sama" in text
    assert f"Baris {rows[('Aksi', KASUS, '3')]} · kegiatan 18 · aksi 3: 45 (baru)" in text
    assert f"Baris {rows[('Anggaran', KASUS, '')]} · kegiatan 18 · anggaran: Rp12.500.000 (baru)" in text
    assert changed_tables(before, snapshot(engine)) == []  # nothing before Terapkan
    await bot.restart()  # the pending upload is persisted JSON: the preview stays usable
    preview, apply_button = find_button(fake, ADMIN_ID, "✅ Terapkan")
    text = await act(fake, press="✅ Terapkan")
    assert "Realisasi disimpan: dedi-tw2.xlsx" in text and "3 nilai: 3 baru" in text
    assert stored(engine) == [("1", False), ("45", False)]
    with Session(engine) as session:
        assert session.exec(select(KegiatanRealisation.budget_realised)
                            .where(KegiatanRealisation.quarter == 2)).all() == [12_500_000]
        audit = session.exec(select(AuditLog).where(AuditLog.action == "realisasi.import")).one()
        assert (audit.actor_telegram_id, audit.new_value) == (ADMIN_ID, "dedi-tw2.xlsx")
        assert "3 nilai atas nama Dedi Kurniawan" in audit.reason
        labels = set(session.exec(select(AuditLog.actor_label).where(AuditLog.action == "report.create")).all())
        assert labels == {"Dedi Kurniawan (berkas dedi-tw2.xlsx, telegram:1001)"}  # the admin has no person row
    # A second tap (or a replay) finds no upload: stored once.
    fake.press_button(ADMIN_ID, preview, apply_button["callback_data"], forge=True)
    await fake.wait_idle()
    assert alerts(fake)[-1] == "Tombol ini sudah tidak berlaku. Ulangi perintahnya."
    assert stored(engine) == [("1", False), ("45", False)]


async def test_a_bad_file_is_refused_row_by_row_and_another_may_follow(bot, fake, engine):
    template = blank(engine, bot.plan_id)
    rows = sheet_rows(template)
    before = snapshot(engine)
    text = await upload(fake, "salah.xlsx", fill(template, {("Aksi", KASUS, "3"): "empat lima",
                                                            ("Aksi", 5, "2"): "30"}, by="Dedi"))
    assert "salah.xlsx: 2 masalah, tidak ada yang disimpan." in text
    assert f"Baris {rows[('Aksi', 5, '2')]}: Dedi Kurniawan bukan PIC kegiatan 5" in text
    assert f"Baris {rows[('Aksi', KASUS, '3')]}: “empat lima” bukan angka." in text
    assert "Perbaiki berkasnya lalu kirim lagi, atau ketik /batal." in text
    assert "Terapkan" not in text
    assert changed_tables(before, snapshot(engine)) == []
    doc = {"quarter": 2, "by": "Dedi Kurniawan", "kegiatan": [{"seq": KASUS, "aksi": {"3": "45"}}]}
    text = await act(fake, document=("dedi.json", json.dumps(doc).encode(), "application/json"))
    assert "Pratinjau realisasi: dedi.json" in text and "kegiatan[0].aksi.3 · kegiatan 18 · aksi 3: 45 (baru)" in text
    text = await act(fake, press="Batal")
    assert "Dibatalkan" in text
    assert changed_tables(before, snapshot(engine)) == []


async def test_terapkan_checks_again_and_a_lock_since_the_preview_stores_nothing(bot, fake, engine):
    data = fill(blank(engine, bot.plan_id), {("Aksi", KASUS, "3"): "45", ("Aksi", 19, "3"): "25"}, by="Dedi")
    text = await upload(fake, "dedi.xlsx", data)
    assert "2 nilai: 2 baru" in text
    with unit_of_work(engine) as session:  # the admin locks kegiatan 19's TW II from another chat
        lock_quarter(bot.plan_id, 2, session.exec(select(Kegiatan.id).where(Kegiatan.seq == 19)).one(),
                     session=session)
    before = snapshot(engine)
    text = await act(fake, press="✅ Terapkan")
    assert (f"Baris {sheet_rows(data)[('Aksi', 19, '3')]}: TW II kegiatan 19 “Pembinaan Mental dan Rohani Anggota "
            "KORPRI” sudah dikunci admin.") in text
    assert changed_tables(before, snapshot(engine)) == [] and stored(engine) == []
    text = await act(fake, text="halo")  # still waiting for a file
    assert "Saya menunggu berkas rencana aksi" in text and "berkas realisasi" in text


async def test_a_plan_workbook_still_goes_to_the_plan_import(bot, fake, tmp_path):
    path = tmp_path / "rapk.xlsx"
    write_xlsx(SEED.read_text(encoding="utf-8"), path)
    text = await upload(fake, "rapk.xlsx", path.read_bytes())
    assert "Pratinjau rencana aksi" in text and "sudah tersimpan: berkas ini akan digabungkan" in text
