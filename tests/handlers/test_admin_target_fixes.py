"""/target fixes what the importer and the digest flag, in one step, after the PIC has reported (issue 15 item 1, 5).

The seed plan (BKD Gresik 2020) reported for all four quarters, in early January 2021 (TW IV 2020 served,
TW I–III past their deadlines). Each fix changes unit and value at once; what was reported is re-scored
(bot.domain.target_effect, by bot.domain.scoring) and shown old → new before «Simpan»; audited; the PIC told.

Hand-worked figures (achievement = realisation / target × 100, cumulative to TW IV, increment mode):
* seq 8 aksi 1 «Presentase kesiapan …», TW I target `1`, Budi reported 1: 1 / 1 = 100%, flagged (a count on a
  «presentase» wording). Fixed to `100%`: 1 / 100 = 1%, no longer flagged; Budi is asked to correct his report.
* seq 45 aksi 4 «Jumlah dokumen evaluasi …», TW IV target `100%`, Indra reported 1 document: 1 / 100 = 1%,
  flagged (a percentage on a «jumlah» wording). Fixed to `1`: 1 / 1 = 100%.
* seq 41 aksi 4 «Jumlah dokumen evaluasi …», TW IV target `1%`, Indra reported 1: 1 / 1 = 100%, flagged.
  Fixed to `1`: still 1 / 1 = 100%, no longer flagged.
"""

from datetime import datetime
from decimal import Decimal as D

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.scoring import score_plan_from_db
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import AuditLog
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import Person
from models import PicAssignment
from tests.support.admin_steps import act
from tests.support.admin_steps import snapshot
from tests.support.harness import ADMIN_ID
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.seed import seed_with_reports

JANUARY = datetime(2021, 1, 4, 9, 0, tzinfo=WIB)  # TW IV 2020 is served; its deadline is 7 January


@pytest.fixture
def reported_seed(engine, seed_plan_path) -> dict:
    """The seed reported TW I–IV; Budi (seq 5–8) is PIC_ID, Indra (seq 41–44, and seq 45 here) PIC2_ID;
    seq 45 aksi 4 got its evaluation document reported as `1`."""
    plan_id = seed_with_reports(engine, seed_plan_path, quarters=(1, 2, 3, 4))
    with unit_of_work(engine) as session:
        kegiatan = {k.seq: k for k in session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id))}
        aksi = {(kegiatan_seq, a.no): a.id for kegiatan_seq, k in kegiatan.items()
                for a in session.exec(select(Aksi).where(Aksi.kegiatan_id == k.id))}
        budi = session.exec(select(Person).where(Person.name == "Budi Santoso")).one()
        indra = session.exec(select(Person).where(Person.name == "Indra Wijaya")).one()
        budi.telegram_user_id, indra.telegram_user_id = PIC_ID, PIC2_ID
        session.add(PicAssignment(person_id=indra.id, kegiatan_id=kegiatan[45].id))
        session.add(AksiRealisation(aksi_id=aksi[(45, 4)], quarter=4, value=D(1), value_raw="1"))
    return {"plan": plan_id, "aksi": aksi, "kegiatan": {s: k.id for s, k in kegiatan.items()}}


@pytest.fixture
async def bot(fake, db_url, reported_seed):
    h = BotHarness(fake, db_url, now=JANUARY)
    await h.start()
    yield h
    await h.stop()


def cell(engine, aksi_id: int, quarter: int) -> tuple:
    with unit_of_work(engine) as session:
        t = session.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi_id, AksiTarget.quarter == quarter)).one()
        return t.raw, t.value, t.unit, t.kind


def aksi_score(engine, plan_id: int, aksi_id: int):
    with unit_of_work(engine) as session:
        score = score_plan_from_db(plan_id, 4, session=session, now=JANUARY)
    return next(a for k in score.kegiatan for a in k.aksi if a.id == aksi_id)


async def fix(fake, kegiatan_seq: int, aksi_no: int, quarter_button: str, new: str, reason: str) -> tuple[str, str]:
    """/target N → aksi → quarter → new value → reason: (the confirmation card, the «Tersimpan» message)."""
    await act(fake, text=f"/target {kegiatan_seq}")
    await act(fake, press=f"Aksi {aksi_no}.")
    await act(fake, press=quarter_button)
    text = await act(fake, text=new)
    assert "alasan" in text, text  # accepted at once: no «Satuannya berbeda»
    card = await act(fake, text=reason)
    saved = await act(fake, press="💾 Simpan")
    return card, saved


async def test_three_refused_fixes_succeed_in_one_step_rescored_audited_and_told(bot, fake, engine, reported_seed):
    plan, aksi = reported_seed["plan"], reported_seed["aksi"]
    assert aksi_score(engine, plan, aksi[(8, 1)]).flags  # the digest's «satuan target tidak cocok»

    mark = fake.mark()
    card, saved = await fix(fake, 8, 1, "TW I: 1", "100%", "Target ditulis tanpa persen di dokumen")
    assert "Simpan perubahan target?" in card and "TW I 2020: 1 → 100%" in card
    assert "Satuan berubah: angka tanpa satuan → persen (%)" in card
    assert "Realisasi yang sudah dilaporkan (TW I: 1) dinilai ulang" in card
    assert "Capaian s.d. TW IV: 100,0% → 1,0%" in card  # 1 / 1 → 1 / 100
    assert "Tidak lagi ditandai «perlu dicek admin» (satuan target tidak cocok)" in card
    assert "Tersimpan ✅" in saved and "Capaian s.d. TW IV: 100,0% → 1,0%" in saved
    assert cell(engine, aksi[(8, 1)], 1) == ("100%", D(100), "%", "percent")
    score = aksi_score(engine, plan, aksi[(8, 1)])
    assert (score.cumulative.pct, score.flags) == (D("1.0"), ())
    notice = await fake.wait_for_message(PIC_ID, contains="Target diubah oleh admin", since=mark)
    assert "Satuan target sekarang persen (%)" in notice["text"]
    assert "capaian s.d. TW IV 100,0% → 1,0%" in notice["text"] and "/lapor" in notice["text"]

    card, saved = await fix(fake, 45, 4, "TW IV: 100%", "1", "Jumlah dokumen, bukan persen")
    assert "TW IV 2020: 100% → 1" in card and "Satuan berubah: persen (%) → angka tanpa satuan" in card
    assert "Capaian s.d. TW IV: 1,0% → 100,0%" in card  # 1 / 100 → 1 / 1
    assert cell(engine, aksi[(45, 4)], 4) == ("1", D(1), "", "count")

    card, saved = await fix(fake, 41, 4, "TW IV: 1%", "1", "Jumlah dokumen, bukan persen")
    assert "TW IV 2020: 1% → 1" in card and "Capaian s.d. TW IV: 100,0% → 100,0%" in card
    assert "Tidak lagi ditandai" in card
    assert cell(engine, aksi[(41, 4)], 4) == ("1", D(1), "", "count")
    assert not aksi_score(engine, plan, aksi[(41, 4)]).flags

    with unit_of_work(engine) as session:
        audits = session.exec(select(AuditLog).where(AuditLog.action == "target.update").order_by(AuditLog.id)).all()
    assert [(a.old_value, a.new_value) for a in audits] == [("1", "100%"), ("100%", "1"), ("1%", "1")]
    assert audits[1].reason == "Jumlah dokumen, bukan persen"
    told = [m["text"] for m in fake.messages_to(PIC2_ID) if "Target diubah oleh admin" in (m.get("text") or "")]
    assert len(told) == 2 and "capaian s.d. TW IV 1,0% → 100,0%" in told[0]
    with unit_of_work(engine) as session:  # what was reported is never changed
        reals = session.exec(select(AksiRealisation.value).where(
            AksiRealisation.aksi_id.in_([aksi[(8, 1)], aksi[(45, 4)], aksi[(41, 4)]]))).all()
    assert sorted(reals) == [D(1), D(1), D(1)]


async def test_clearing_a_reported_target_is_refused_with_the_way_through(bot, fake, engine, reported_seed):
    await act(fake, text="/target 8")
    await act(fake, press="Aksi 1.")
    await act(fake, press="TW I: 1")
    before = snapshot(engine)
    text = await act(fake, text="-")
    assert "tidak dapat dikosongkan" in text and "Ketik target yang benar sebagai gantinya" in text
    assert "Ketik target baru" in text  # asked again
    assert snapshot(engine) == before


async def test_the_demo_scene_warns_that_shares_add_up_to_105(bot, fake, engine, reported_seed):
    """seq 2 aksi 3 «Pelaksanaan Kegiatan» 30% + 50% + 20% = 100%; the demo sets TW III to 25%: 105%."""
    aksi_id = reported_seed["aksi"][(2, 3)]
    await act(fake, text="/target Penjurangan")
    await act(fake, press="Aksi 3.")
    await act(fake, press="TW III: 20%")
    await act(fake, text="25%")
    card = await act(fake, text="Penyesuaian jadwal diklat")
    assert "Target TW I + II + III = 105%, lebih dari 100%" in card
    assert "target tahunan aksi ini menjadi 105% (sebelumnya 100%)" in card
    assert "Target tahunan: 100% → 105%" in card
    assert cell(engine, aksi_id, 3)[0] == "20%"  # warned before saving: nothing stored yet
    await act(fake, press="💾 Simpan")
    assert cell(engine, aksi_id, 3)[0] == "25%"  # a warning, not a refusal


async def test_target_by_number_or_name(bot, fake, engine, reported_seed):
    text = await act(fake, text="/target Kenaikan Pangkat")  # one kegiatan: its aksi and indicators at once
    assert "Penataan Sistem Administrasi Kenaikan Pangkat Otomatis PNS" in text and "Pilih aksi" in text
    text = await act(fake, text="/target Pelaksanaan")
    assert "2 kegiatan cocok dengan «Pelaksanaan»" in text and "/target 10 — Pelaksanaan Uji Kesehatan" in text
    text = await act(fake, text="/target tidak ada <b>")
    assert "Tidak ada kegiatan «tidak ada <b>»" in text  # escaped: shown as typed
    text = await act(fake, text="/target 41")
    assert "Penataan Sistem Administrasi Kenaikan Pangkat Otomatis PNS" in text
    text = await act(fake, press="Aksi 4.")
    assert "TW IV: 1%" in text


async def test_rename_survives_a_reimport_of_the_signed_file(bot, fake, engine, reported_seed, seed_plan_path):
    """The document's typo «Penjurangan» fixed by the admin; the signed file uploaded again keeps the fix."""
    kegiatan_id, indicator_text = reported_seed["kegiatan"][2], "Jumlah peserta pendidikan dan pelatihan Eselon IV"
    with unit_of_work(engine) as session:  # Budi (on Telegram) helps Ani with seq 2
        budi = session.exec(select(Person).where(Person.telegram_user_id == PIC_ID)).one()
        session.add(PicAssignment(person_id=budi.id, kegiatan_id=kegiatan_id))
    await act(fake, text="/target 2")
    text = await act(fake, press="✏️ Ubah nama kegiatan")
    assert "Nama saat ini: Pendidikan Penjurangan Struktural" in text and "impor ulang" in text
    text = await act(fake, text="   ")
    assert "Nama baru tidak boleh kosong" in text and "Ketik nama yang benar" in text  # asked again
    text = await act(fake, text="Pendidikan dan Pelatihan Teknis")  # another kegiatan's name
    assert "Sudah ada kegiatan bernama «Pendidikan dan Pelatihan Teknis»" in text
    text = await act(fake, text="Pendidikan Penjenjangan Struktural")
    assert "Nama baru: Pendidikan Penjenjangan Struktural (sebelumnya Pendidikan Penjurangan Struktural)" in text
    card = await act(fake, text="Salah ketik di dokumen")
    assert "Simpan perubahan nama?" in card and "Nama seperti tercetak (untuk impor ulang): Pendidikan Penjurangan" in card
    mark = fake.mark()
    text = await act(fake, press="💾 Simpan")
    assert "Tersimpan ✅ Kegiatan: Pendidikan Penjurangan Struktural → Pendidikan Penjenjangan Struktural" in text
    notice = await fake.wait_for_message(PIC_ID, contains="Nama diubah oleh admin", since=mark)
    assert "Pendidikan Penjurangan Struktural → Pendidikan Penjenjangan Struktural" in notice["text"]
    assert "Alasan: Salah ketik di dokumen" in notice["text"] and "tidak berubah" in notice["text"]

    await act(fake, text="/target 2")
    await act(fake, press="Indikator 1.")
    text = await act(fake, press="✏️ Ubah nama")
    assert f"Nama saat ini: {indicator_text}" in text
    await act(fake, text="Jumlah peserta Diklat PIM IV")
    await act(fake, text="Sebutan resmi diklat")
    text = await act(fake, press="💾 Simpan")
    assert "Indikator: Jumlah peserta pendidikan dan pelatihan Eselon IV → Jumlah peserta Diklat PIM IV" in text

    with unit_of_work(engine) as session:
        audits = session.exec(select(AuditLog).where(AuditLog.action == "item.rename").order_by(AuditLog.id)).all()
    assert [(a.entity, a.old_value, a.new_value, a.reason) for a in audits] == [
        ("kegiatan", "Pendidikan Penjurangan Struktural", "Pendidikan Penjenjangan Struktural", "Salah ketik di dokumen"),
        ("kegiatan_indicator", indicator_text, "Jumlah peserta Diklat PIM IV", "Sebutan resmi diklat")]

    await act(fake, text="/impor")  # the signed file, as printed, once more
    text = await act(fake, document=("rapk-2020.txt", seed_plan_path.read_bytes(), "text/plain"))
    assert "Pratinjau rencana aksi" in text
    text = await act(fake, press="✅ Terapkan")
    assert "Penjurangan" not in text  # the merge sees no change of name
    with unit_of_work(engine) as session:
        kegiatan = session.get(Kegiatan, kegiatan_id)
        assert (kegiatan.name, kegiatan.printed_name) == ("Pendidikan Penjenjangan Struktural",
                                                          "Pendidikan Penjurangan Struktural")
        indicator = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id)).one()
        assert (indicator.text, indicator.printed_text) == ("Jumlah peserta Diklat PIM IV", indicator_text)
        assert session.exec(select(AksiRealisation).join(Aksi).where(Aksi.kegiatan_id == kegiatan_id)).first()
    text = await act(fake, text="/target Penjenjangan")
    assert "Pendidikan Penjenjangan Struktural" in text


async def test_admin_sets_how_an_item_is_measured_with_the_effect_shown_first(bot, fake, engine, reported_seed):
    """seq 30's split indicator «… (dos snack)» 1600 dos snack was inferred a level («Tersedianya …»), but the
    snacks are counted each quarter: 400 a quarter reported. As a level the latest counts: 400 / 1600 = 25,0%;
    summed per quarter: (400 + 400 + 400 + 400) / 1600 = 100,0%."""
    with unit_of_work(engine) as session:
        snacks = session.exec(select(KegiatanIndicator).where(
            KegiatanIndicator.kegiatan_id == reported_seed["kegiatan"][30], KegiatanIndicator.seq == 1)).one()
        assert (snacks.target_raw, snacks.mode) == ("1600 dos snack", "level")
        session.add_all(IndicatorRealisation(indicator_id=snacks.id, quarter=q, value=D(400), value_raw="400")
                        for q in (1, 2, 3, 4))
        snacks_id = snacks.id
    await act(fake, text="/target 30")
    await act(fake, press="Indikator 1.")
    text = await act(fake, press="📏 Cara ukur")
    assert "Sekarang: capaian s.d. triwulan, satuan «dos snack»" in text
    before = snapshot(engine)
    text = await act(fake, press="✓ 📈 Capaian s.d. triwulan")  # what it is already
    assert "sudah seperti itu" in text
    text = await act(fake, text="12 dos")
    assert "memuat angka; satuan hanya kata" in text
    assert snapshot(engine) == before
    text = await act(fake, press="➕ Dijumlah per triwulan")
    assert "Cara ukur baru: dijumlah per triwulan, satuan «dos snack»" in text
    card = await act(fake, text="Snack dihitung per triwulan")
    assert "Cara ukur: capaian s.d. triwulan → dijumlah per triwulan" in card
    assert "Capaian s.d. TW IV: 25,0% → 100,0%" in card  # 400 / 1600 → 1600 / 1600
    with unit_of_work(engine) as session:
        assert session.get(KegiatanIndicator, snacks_id).mode == "level"  # shown first, nothing stored yet
    text = await act(fake, press="💾 Simpan")
    assert "Tersimpan ✅" in text and "Capaian s.d. TW IV: 25,0% → 100,0%" in text
    with unit_of_work(engine) as session:
        assert session.get(KegiatanIndicator, snacks_id).mode == "increment"
        audit = session.exec(select(AuditLog).where(AuditLog.action == "item.measure")).one()
        assert (audit.field, audit.old_value, audit.new_value) == ("mode", "level", "increment")


async def test_admin_names_the_unit_of_an_aksi_count_and_the_pic_is_told(bot, fake, engine, reported_seed):
    """seq 8 aksi 4 «Jumlah dokumen evaluasi …» TW IV `1`, reported 1: 1 / 1 = 100,0% either way; the unit
    becomes «dokumen». A percentage aksi keeps its % (seq 8 aksi 3: 100% in TW III)."""
    aksi_id = reported_seed["aksi"][(8, 4)]
    await act(fake, text="/target 8")
    await act(fake, press="Aksi 3.")
    await act(fake, press="📏 Cara ukur")
    text = await act(fake, text="dokumen")
    assert "berupa persen, jadi satuannya tetap persen" in text and "/target" in text
    await act(fake, text="/target 8")
    await act(fake, press="Aksi 4.")
    await act(fake, press="📏 Cara ukur")
    await act(fake, text="dokumen")
    card = await act(fake, text="Satuan tertulis di indikator")
    assert "Satuan: angka tanpa satuan → «dokumen»" in card and "Capaian s.d. TW IV: 100,0% → 100,0%" in card
    mark = fake.mark()
    await act(fake, press="💾 Simpan")
    assert cell(engine, aksi_id, 4) == ("1", D(1), "dokumen", "count")
    notice = await fake.wait_for_message(PIC_ID, contains="Cara ukur diubah oleh admin", since=mark)
    assert "satuan «dokumen»" in notice["text"] and "Alasan: Satuan tertulis di indikator" in notice["text"]


async def test_admin_splits_seq_16_stored_whole_keeping_its_report_on_the_first_part(bot, fake, engine,
                                                                                       reported_seed):
    """A plan stored before the importer split cells: seq 16 «a. 45 orang b. 40 orang c. 52 OPD%» is one
    indicator, with 20 reported in TW I. The admin splits it with the importer's proposal."""
    kegiatan_id = reported_seed["kegiatan"][16]
    with unit_of_work(engine) as session:  # as the old importer stored it
        first, *others = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id)
                                      .order_by(KegiatanIndicator.seq)).all()
        for row in others:
            session.delete(row)
        first.text = first.printed_text = ("a. Jumlah Peserta Pembinaan Paduan Suara b. Jumlah Peserta Pembinaan "
                                           "Olahraga c. Jumlah OPD Yang dimonito")
        first.target_raw, first.target_value, first.target_unit = "a. 45 orang b. 40 orang c. 52 OPD%", None, ""
        session.add(IndicatorRealisation(indicator_id=first.id, quarter=1, value=D(20), value_raw="20"))
        kept_id = first.id
    await act(fake, text="/target 16")
    await act(fake, press="Indikator 1.")
    text = await act(fake, press="✂️ Pisah indikator")
    assert "1. a. Jumlah Peserta Pembinaan Paduan Suara = a. 45 orang" in text
    assert "3. c. Jumlah OPD Yang dimonito = c. 52 OPD%" in text
    before = snapshot(engine)
    text = await act(fake, text="Jumlah peserta paduan suara")  # no `=`
    assert "tidak memuat tanda =" in text and "Ketuk «Pakai usulan ini»" in text  # asked again, with the proposal
    text = await act(fake, text="Jumlah peserta = 45 orang")  # one part only
    assert "Perlu paling sedikit dua bagian" in text
    assert snapshot(engine) == before
    fake.send_photo(ADMIN_ID, b"\x89PNG\r\n\x1a\n")  # a photo where the parts go
    await fake.wait_idle()
    assert "Saya menunggu bagian-bagian indikator" in fake.last_message_to(ADMIN_ID)["text"]
    text = await act(fake, press="✅ Pakai usulan ini")
    assert "Dipisah menjadi 3 indikator" in text
    card = await act(fake, text="Tiga indikator dalam satu sel")
    assert "Simpan pemisahan indikator?" in card and "(realisasi yang ada tetap di sini)" in card
    text = await act(fake, press="💾 Simpan")
    assert "kini 3 indikator: a. 45 orang · b. 40 orang · c. 52 OPD%" in text
    with unit_of_work(engine) as session:
        rows = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kegiatan_id)
                            .order_by(KegiatanIndicator.seq)).all()
        assert [(r.id == kept_id, r.seq, r.target_raw, r.target_value, r.target_unit) for r in rows] == [
            (True, 1, "a. 45 orang", D(45), "orang"), (False, 2, "b. 40 orang", D(40), "orang"),
            (False, 3, "c. 52 OPD%", D(52), "OPD%")]
        report = session.exec(select(IndicatorRealisation).where(
            IndicatorRealisation.indicator_id.in_([r.id for r in rows]))).one()
        assert (report.indicator_id, report.value) == (kept_id, D(20))
        audit = session.exec(select(AuditLog).where(AuditLog.action == "indicator.split")).one()
        assert audit.new_value == "a. 45 orang | b. 40 orang | c. 52 OPD%"
