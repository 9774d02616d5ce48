"""/impor end to end: upload, preview (paged anomalies), apply, merge summary; broken files change nothing."""

from pathlib import Path

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import AuditLog
from models import Kegiatan
from models import Plan
from tests.fixtures.make_broken import many_cells_xlsx
from tests.fixtures.make_broken import zip_bomb_xlsx
from tests.fixtures.make_xlsx import write_formula_xlsx
from tests.fixtures.make_xlsx import write_with_hidden_draft
from tests.support.admin_steps import act
from tests.support.admin_steps import alerts
from tests.support.admin_steps import changed_tables
from tests.support.admin_steps import find_button
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import BotHarness
from tests.support.plans import FIRST
from tests.support.plans import SEED
from tests.support.plans import report
from tests.support.plans import seed_lines
from tests.support.plans import store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED_TEXT = "\n".join(seed_lines()).encode("utf-8")
TXT = "text/plain"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
async def bot(fake, db_url):
    """The real bot on an empty database: no plan yet."""
    h = BotHarness(fake, db_url)
    await h.start()
    yield h
    await h.stop()


def count(engine, model) -> int:
    with unit_of_work(engine) as session:
        return len(session.exec(select(model)).all())


async def upload(fake, name: str, content: bytes, mime: str = TXT) -> str:
    await act(fake, text="/impor")
    return await act(fake, document=(name, content, mime))


async def test_upload_preview_apply(bot, fake, engine):
    text = await act(fake, text="/impor")
    assert "Kirim berkas rencana aksi" in text and "5 MB" in text
    text = await act(fake, text="ini rencananya")  # text instead of a file
    assert "Saya menunggu berkas rencana aksi" in text
    text = await act(fake, document=("rapk-2020.txt", SEED_TEXT, TXT))
    assert "Pratinjau rencana aksi" in text and "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK" in text
    assert "45 kegiatan · 168 aksi" in text and "Total pagu: Rp17.326.515.850" in text
    assert "Cara hitung: 159 aksi dijumlah per triwulan · 9 aksi capaian s.d. triwulan" in text
    assert "Rencana baru" in text and "Anomali (38)" in text and "halaman 1/4" in text
    assert "Baris 94: Target “a. 45 orang b. 40 orang c. 52 OPD%” memuat 3 indikator, dipisah menjadi a. 45 orang · " \
           "b. 40 orang · c. 52 OPD%" in text
    assert "Baris 44: Penomoran kegiatan melompat dari 7 ke 9." in text
    text = await act(fake, press="Berikutnya ➡️")
    assert "halaman 2/4" in text and "Baris 44:" not in text
    assert count(engine, Plan) == 0  # nothing stored before Terapkan
    preview, apply_button = find_button(fake, ADMIN_ID, "✅ Terapkan")
    text = await act(fake, press="✅ Terapkan")
    assert "Rencana aksi baru disimpan: rapk-2020.txt" in text and "45 kegiatan" in text
    assert count(engine, Kegiatan) == 45
    with unit_of_work(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "plan.import")).one()
        assert audit.actor_telegram_id == ADMIN_ID and audit.new_value == "rapk-2020.txt"
    # Terapkan again (a double tap, a replay): the upload is gone, nothing happens twice.
    fake.press_button(ADMIN_ID, preview, apply_button["callback_data"], forge=True)
    await fake.wait_idle()
    assert alerts(fake)[-1] == "Tombol ini sudah tidak berlaku. Ulangi perintahnya."
    assert count(engine, AuditLog) == 1


async def test_reimport_merges_and_summarises(bot, fake, engine):
    store(engine)
    lines = seed_lines()
    lines[14] = lines[14].replace("\t\t60\t157", "\t\t65\t157")
    text = await upload(fake, "rapk-2020-revisi.txt", "\n".join(lines).encode())
    assert "sudah tersimpan: berkas ini akan digabungkan" in text
    await bot.restart()  # the pending upload is in the persisted user_data: the preview stays usable
    text = await act(fake, press="✅ Terapkan")
    assert "Rencana aksi diperbarui: rapk-2020-revisi.txt" in text
    assert "Ditambah 0 · Diubah 1 · Dihapus 0" in text
    assert "aksi Pendidikan dan Pelatihan Teknis · aksi 2 — target TW II: “60” → “65”" in text
    with unit_of_work(engine) as session:
        assert "65" in [t.raw for t in session.exec(select(AksiTarget).where(AksiTarget.quarter == 2)).all()]


async def test_xlsx_upload(bot, fake, engine):
    text = await upload(fake, "rapk-2020.xlsx", (FIXTURES / "rapk-2020-bkd-gresik.xlsx").read_bytes(), XLSX)
    assert "45 kegiatan · 168 aksi" in text and "Total pagu: Rp17.326.515.850" in text
    await act(fake, press="✅ Terapkan")
    assert count(engine, Kegiatan) == 45


@pytest.mark.parametrize("name", ["commas.csv", "document.pdf", "truncated.txt", "zip_not_xlsx.xlsx", "empty.txt"])
async def test_broken_upload_changes_nothing(bot, fake, engine, name):
    store(engine)
    before = snapshot(engine)
    text = await upload(fake, name, (FIXTURES / "broken" / name).read_bytes())
    assert f"{name}</b> tidak dapat dibaca" not in text and f"{name} tidak dapat dibaca" in text
    assert "Baris " in text and "Tidak ada yang diubah" in text
    assert changed_tables(before, snapshot(engine)) == []
    text = await act(fake, document=("rapk.txt", SEED_TEXT, TXT))  # still waiting: a good file goes on
    assert "Pratinjau rencana aksi" in text


async def test_too_big_and_cancel(bot, fake, engine):
    text = await upload(fake, "besar.txt", b"x" * (5 * 1024 * 1024 + 1))
    assert "Berkas terlalu besar: paling banyak 5 MB" in text
    text = await act(fake, document=("rapk.txt", SEED_TEXT, TXT))
    text = await act(fake, text="/batal")
    assert "Dibatalkan. Tidak ada yang diubah." in text
    text = await act(fake, text="halo")
    assert "Saya menunggu" not in text  # the conversation ended
    assert count(engine, Plan) == 0


async def test_merge_refused_when_realised_kegiatan_would_go(bot, fake, engine):
    store(engine)
    with unit_of_work(engine) as session:
        kegiatan = session.exec(select(Kegiatan).where(Kegiatan.name == "Pendidikan Penjurangan Struktural")).one()
        aksi_id = session.exec(select(Aksi.id).where(Aksi.kegiatan_id == kegiatan.id)).first()
        session.add(AksiRealisation(aksi_id=aksi_id, quarter=1, value=100, value_raw="100"))
    before = snapshot(engine)
    renamed = SEED_TEXT.replace(b"Pendidikan Penjurangan Struktural", b"Pendidikan Penjenjangan Struktural")
    await upload(fake, "rapk-salah.txt", renamed)
    text = await act(fake, press="✅ Terapkan")
    assert "Impor rapk-salah.txt dibatalkan, tidak ada yang diubah" in text
    assert "Pendidikan Penjurangan Struktural" in text
    assert changed_tables(before, snapshot(engine)) == []


def xlsx_bytes(tmp_path, write) -> bytes:
    path = tmp_path / "rapk.xlsx"
    write(SEED.read_text(encoding="utf-8"), path)
    return path.read_bytes()


async def test_an_upload_whose_formulas_have_no_values_is_refused(bot, fake, engine, tmp_path):
    store(engine)
    before = snapshot(engine)
    text = await upload(fake, "rapk-skrip.xlsx", xlsx_bytes(tmp_path, write_formula_xlsx), XLSX)
    assert "rapk-skrip.xlsx</b> tidak dapat dibaca" not in text and "rapk-skrip.xlsx tidak dapat dibaca" in text
    assert "Baris 8: 285 sel berisi rumus tanpa nilai tersimpan" in text
    assert "Buka dan simpan dulu di Excel" in text and "Tidak ada yang diubah" in text
    assert changed_tables(before, snapshot(engine)) == []


async def test_several_plan_sheets_ask_which_one_to_read(bot, fake, engine, tmp_path):
    text = await upload(fake, "rapk-2020.xlsx", xlsx_bytes(tmp_path, write_with_hidden_draft), XLSX)
    assert "memuat rencana aksi di 2 lembar kerja" in text and "Pilih lembar yang dibaca" in text
    assert "--sheet" not in text
    assert count(engine, Plan) == 0
    sheets, draft_button = find_button(fake, ADMIN_ID, "📄 Draft (tersembunyi)")
    text = await act(fake, press="📄 RAPK 2020")
    assert "Pratinjau rencana aksi" in text and "Lembar kerja: RAPK 2020" in text and "45 kegiatan" in text
    text = await act(fake, press="✅ Terapkan")
    assert "Rencana aksi baru disimpan: rapk-2020.xlsx" in text and "Lembar kerja: RAPK 2020" in text
    assert count(engine, Kegiatan) == 45
    # The sheet-choice buttons (replaced by the preview) mean nothing any more.
    fake.press_button(ADMIN_ID, sheets, draft_button["callback_data"], forge=True)
    await fake.wait_idle()
    assert alerts(fake)[-1] == "Tombol ini sudah tidak berlaku. Ulangi perintahnya."


async def test_a_hidden_draft_sheet_can_be_chosen_and_says_so(bot, fake, engine, tmp_path):
    await upload(fake, "rapk-2020.xlsx", xlsx_bytes(tmp_path, write_with_hidden_draft), XLSX)
    text = await act(fake, press="📄 Draft (tersembunyi)")
    assert "Lembar kerja: Draft (tersembunyi)" in text and "44 kegiatan" in text


async def test_a_merge_that_empties_realised_targets_is_refused_and_can_be_forced(bot, fake, engine):
    store(engine)
    report(engine, FIRST, 2, quarter=2, value="60")
    lines = seed_lines()
    lines[14] = lines[14].replace("\t\t60\t157\t", "\t\t\t157\t")
    before = snapshot(engine)
    await upload(fake, "rapk-revisi.txt", "\n".join(lines).encode())
    text = await act(fake, press="✅ Terapkan")
    assert "Impor rapk-revisi.txt dibatalkan, tidak ada yang diubah" in text
    assert (
        f"target TW II aksi 2 “Pendataan Peserta Kegiatan dan koordinasi” pada kegiatan “{FIRST}” "
        "dikosongkan (realisasi TW II)"
    ) in text
    assert "--force" not in text and "Terapkan paksa" in text
    assert changed_tables(before, snapshot(engine)) == []
    text = await act(fake, press="⚠️ Terapkan paksa")
    assert "Rencana aksi diperbarui: rapk-revisi.txt" in text and "target TW II: “60” → “”" in text
    with unit_of_work(engine) as session:
        audit = session.exec(
            select(AuditLog).where(AuditLog.action == "plan.import").order_by(AuditLog.id.desc())
        ).first()
        assert "dipaksa" in audit.reason and audit.actor_telegram_id == ADMIN_ID
        assert len(session.exec(select(AksiRealisation)).all()) == 1


async def test_hostile_uploads_are_refused_in_bahasa_and_change_nothing(bot, fake, engine):
    store(engine)
    before = snapshot(engine)
    for name, data, said in (
        ("bom.xlsx", zip_bomb_xlsx(), "terlalu besar setelah dibuka: 200,0 MB"),
        ("sel.xlsx", many_cells_xlsx(), "lebih dari 200.000 sel"),
    ):
        text = await upload(fake, name, data, XLSX)
        assert f"{name} tidak dapat dibaca" in text and said in text and "Tidak ada yang diubah" in text
        assert changed_tables(before, snapshot(engine)) == []
    text = await act(fake, text="/status")  # the bot goes on answering
    assert text


async def test_only_the_first_anomalies_are_kept_and_the_rest_counted(bot, fake, engine):
    lines = seed_lines()
    junk = "\n".join(lines[:271] + ["x\ty"] * 1_000 + lines[271:]).encode()
    text = await upload(fake, "sampah.txt", junk)
    assert "Anomali (1.038)" in text and "halaman 1/42" in text
    text = await act(fake, press="✅ Terapkan")
    assert "Anomali (1.038)" in text and "… dan 1.028 lainnya (hanya 500 anomali pertama yang disimpan)" in text
