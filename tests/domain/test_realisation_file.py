"""Realisations from a file (bot.domain.realisation_file): the template of a quarter, the filled sheet and
its JSON form read back, checked as /lapor checks an answer and stored all or nothing.

The plan is the seed with TW I reported as tests/support/seed.py reports it (every due aksi on target,
budget 20% of the pagu) and its PICs: Dedi Kurniawan holds kegiatan 14–19, Budi Santoso 5–8. Seq 18,
«Proses Penanganan Kasus», owes in TW II: aksi 2 (1 a quarter, increment), aksi 3 (20/25/40/100%, level),
aksi 4 (1 a quarter); its indicator «… yang ditandatangani» (25 kasus, level); a pagu of Rp74.004.000.
"""

import io
import json
from datetime import UTC
from datetime import datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import Session
from sqlmodel import select

from bot.config import load_settings
from bot.db import unit_of_work
from bot.domain.locks import lock_quarter
from bot.domain.people import assign_outcome
from bot.domain.period import plan_outcomes
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from bot.domain.realisation_file.reader import MARKER
from bot.domain.realisation_file.reader import NotRealisationFile
from bot.domain.realisation_file.reader import read_realisation_file
from bot.domain.realisation_file.store import RealisationRefused
from bot.domain.realisation_file.store import check_file
from bot.domain.realisation_file.store import import_file
from bot.domain.realisation_file.store import store_checked
from bot.domain.realisation_file.template import build_template
from bot.domain.realisation_file.template import template_rows
from bot.domain.scoring import score_plan_from_db
from models import Aksi
from models import AksiRealisation
from models import AuditLog
from models import GoalIndicatorRealisation
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from models import KegiatanRealisation
from models import Person
from models import Plan
from models import ProgramIndicatorRealisation
from tests.fixtures.make_broken import many_cells_xlsx
from tests.fixtures.make_broken import zip_bomb_xlsx
from tests.support.plans import SEED
from tests.support.plans import snapshot
from tests.support.realisasi import fill
from tests.support.realisasi import sheet_rows
from tests.support.seed import seed_with_reports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
JULY_2 = datetime(2020, 7, 2, 3, 0, tzinfo=UTC)  # TW II is reported now; its deadline (7 July) has not passed
AFTER_DEADLINE = datetime(2020, 7, 20, 3, 0, tzinfo=UTC)
KASUS = 18  # «Proses Penanganan Kasus - kasus pelanggaran disiplin PNS», Dedi's
PAGU_18 = 74_004_000
TW1_SPENT_18 = PAGU_18 * 20 // 100  # 14.800.800, what the seed reports for TW I


@pytest.fixture
def plan(engine) -> int:
    return seed_with_reports(engine, SEED, quarters=(1,))


@pytest.fixture
def settings(db_url):
    return load_settings(database_url=db_url, _env_file=None)


def template(engine, plan_id: int, quarter: int = 2, lang: str = "id") -> bytes:
    with Session(engine) as session:
        return build_template(plan_id, quarter, session=session, lang=lang)


def run(engine, settings, data: bytes, name: str = "realisasi.xlsx", *, quarter: int | None = 2,
        by: str | None = None, now=JULY_2, dry_run: bool = False):
    """`rapk realisasi import` without the command line: one unit of work, rolled back on a refusal."""
    file = read_realisation_file(data, name)
    with unit_of_work(engine) as session:
        plan = session.exec(select(Plan)).first()
        return import_file(file, session=session, plan=plan, quarter=quarter, by=by, settings=settings, now=now,
                           importer={"actor_label": "cli"}, dry_run=dry_run)


def refused(engine, settings, data: bytes, name: str = "realisasi.xlsx", lang: str = "id", **kwargs) -> list[str]:
    before = snapshot(engine)
    with pytest.raises(RealisationRefused) as caught:
        run(engine, settings, data, name, **kwargs)
    assert snapshot(engine) == before  # a refused file changes nothing at all
    return [p.text(lang) for p in caught.value.problems]


def as_json(doc: dict) -> bytes:
    return json.dumps(doc).encode()


# -- the template ------------------------------------------------------------------------------------

def test_the_template_lists_what_is_due_as_lapor_asks_it(engine, plan):
    with unit_of_work(engine) as session:
        lock_quarter(plan, 2, session.exec(select(Kegiatan.id).where(Kegiatan.seq == 17)).one(), session=session)
    data = template(engine, plan)
    ws = load_workbook(io.BytesIO(data)).active
    assert [ws["A1"].value, ws["B1"].value] == [MARKER, "Realisasi rencana aksi TW II 2020"]
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in (2, 3, 4, 5)] == [
        ("Instansi", "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"), ("Tahun", 2020), ("Triwulan", 2), ("Pelapor", None)]
    with Session(engine) as session:
        rows = template_rows(plan, 2, session=session)
    kasus = [r for r in rows if r[0] == KASUS]
    name = "Proses Penanganan Kasus - kasus pelanggaran disiplin PNS"
    assert {r[1:3] for r in kasus} == {(name, "Dedi Kurniawan")}
    # (Jenis, No., target, target to date, how to fill it in, stored): aksi 1 (100% in TW I only) is not due.
    assert [(r[3], r[4], r[6], r[7], r[8], r[9]) for r in kasus] == [
        ("Aksi", "2", "TW II: 1", "2", "Realisasi TW II saja", ""),  # 1 + 1 due to TW II
        ("Aksi", "3", "TW II: 25%", "25%", "Capaian s.d. TW II (persen, mis. 75)", ""),  # level: the latest, 25%
        ("Aksi", "4", "TW II: 1", "2", "Realisasi TW II saja", ""),
        ("Indikator kegiatan", "1", "tahunan: 25 kasus", "", "Capaian s.d. TW II", ""),
        # The pagu less TW I's Rp14.800.800 (20%): Rp59.203.200 left.
        ("Anggaran", "", "pagu Rp74.004.000 (sisa Rp59.203.200)", "",
         "Anggaran terealisasi TW II saja (Rp), mis. 125.000.000 atau 125 juta", ""),
        ("Kendala", "", "", "", "Teks; kosongkan bila tidak berubah", ""),
        ("Tindak lanjut", "", "", "", "Teks; kosongkan bila tidak berubah", ""),
        ("Faktor pendorong", "", "", "", "Teks; kosongkan bila tidak berubah", ""),
    ]
    assert 17 not in {r[0] for r in rows}  # locked for TW II: it owes nothing more
    assert next(r[2] for r in rows if r[0] == 45) == ""  # «Optimalisasi … Jaringan» has no PIC
    # No IKU or program indicator of the seed is due before TW IV (their TW I–III cells are «-»).
    assert {r[3] for r in rows} == {"Aksi", "Indikator kegiatan", "Anggaran", "Kendala", "Tindak lanjut", "Faktor pendorong"}


def test_the_tw4_template_opens_with_the_iku_and_program_indicators(engine, plan):
    with Session(engine) as session:
        rows = template_rows(plan, 4, session=session)
    # 6 IKU and 13 program indicators (tests/domain/test_modes.py), all due in TW IV only («-» before).
    assert [r[3] for r in rows[:19]] == ["IKU"] * 6 + ["Indikator program"] * 13
    assert rows[0][4:10] == ("1", ("Prosentase ASN yang memiliki sertifikat diklat kompetensi — sasaran: "
                             "Meningkatnya Kualitas Kinerja dan Kompetensi ASN"), "TW IV: 73% · tahunan: 73%", "73%",
                             "Capaian s.d. TW IV (persen, mis. 75)", "")
    assert rows[6][4] == "1.1" and rows[19][3] == "Aksi"


def test_the_template_is_written_in_english_too_and_reads_back_under_either(engine, plan, settings):
    data = template(engine, plan, lang="en")
    ws = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[8]][3:6] == ["Type", "No.", "Item"] and ws["A5"].value == "Reported by"
    ws.cell(sheet_rows_en(ws, ("Action", KASUS, "2")), 11).value = "1"
    ws["B5"] = "Dedi"
    out = io.BytesIO()
    ws.parent.save(out)
    checked = run(engine, settings, out.getvalue())  # RAPK_LANGUAGE id: the English words are read all the same
    assert [(c.kind, c.kegiatan_seq, c.ref, c.new, c.status) for c in checked.changes] == [
        ("aksi", KASUS, "2", "1", "new")]


def sheet_rows_en(ws, key) -> int:
    return next(r for r in range(9, ws.max_row + 1)
                if (ws.cell(r, 4).value, ws.cell(r, 1).value, ws.cell(r, 5).value) == key)


# -- storing ----------------------------------------------------------------------------------------

def test_a_filled_template_is_stored_as_the_pic_would_have_reported_it(engine, plan, settings):
    data = fill(template(engine, plan), {
        ("Aksi", KASUS, "2"): "1", ("Aksi", KASUS, "3"): "45", ("Aksi", KASUS, "4"): 1,  # 1 typed as a number
        ("Indikator kegiatan", KASUS, "1"): "12", ("Anggaran", KASUS, ""): "Rp 12,5 juta",
        ("Kendala", KASUS, ""): "Saksi belum hadir", ("Tindak lanjut", KASUS, ""): "Dijadwalkan ulang",
    }, by="Dedi")
    checked = run(engine, settings, data)
    assert checked.person_name == "Dedi Kurniawan" and not checked.late
    assert checked.counts == {"new": 7, "changed": 0, "same": 0}
    with Session(engine) as session:
        dedi = session.exec(select(Person).where(Person.name == "Dedi Kurniawan")).one()
        kasus = session.exec(select(Kegiatan).where(Kegiatan.seq == KASUS)).one()
        reals = session.exec(select(Aksi.no, AksiRealisation).join(Aksi, Aksi.id == AksiRealisation.aksi_id)
                             .where(Aksi.kegiatan_id == kasus.id, AksiRealisation.quarter == 2)
                             .order_by(Aksi.no)).all()
        assert [(no, r.value, r.value_raw, r.reported_by, r.late) for no, r in reals] == [
            (2, D(1), "1", dedi.id, False), (3, D(45), "45", dedi.id, False), (4, D(1), "1", dedi.id, False)]
        budget = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == kasus.id,
                                                                KegiatanRealisation.quarter == 2)).one()
        assert (budget.budget_realised, budget.kendala, budget.tindak_lanjut) == (
            12_500_000, "Saksi belum hadir", "Dijadwalkan ulang")
        audit = session.exec(select(AuditLog).where(AuditLog.action.in_(["report.create", "realisasi.import"]))
                             .order_by(AuditLog.id)).all()
        # Seven values (three aksi, the indicator, budget, kendala, tindak lanjut), each audited as Dedi's.
        assert [a.actor_person_id for a in audit[:7]] == [dedi.id] * 7
        assert {a.actor_label for a in audit[:7]} == {"Dedi Kurniawan (berkas realisasi.xlsx, cli)"}
        assert (audit[7].action, audit[7].field, audit[7].new_value, audit[7].actor_label, audit[7].reason) == (
            "realisasi.import", "tw2", "realisasi.xlsx", "cli",
            f"7 nilai atas nama Dedi Kurniawan (#{dedi.id}): 7 baru, 0 diubah, 0 sama")
        score = score_plan_from_db(plan, 2, session=session, now=JULY_2)
    aksi = {a.no: a for a in next(k for k in score.kegiatan if k.seq == KASUS).aksi}
    assert aksi[3].cumulative.pct == D("180.0")  # level: 45% to date against 25% to date, 45 / 25 × 100
    assert aksi[2].cumulative.pct == D("100.0")  # increment: TW I 1 + TW II 1 = 2 against 1 + 1 = 2


def test_the_same_file_again_changes_nothing_and_a_corrected_one_says_what_changes(engine, plan, settings):
    blank = template(engine, plan)
    run(engine, settings, fill(blank, {("Aksi", KASUS, "3"): "45", ("Anggaran", KASUS, ""): "12.500.000"}, by="Dedi"))
    checked = run(engine, settings, fill(blank, {("Aksi", KASUS, "3"): "45", ("Anggaran", KASUS, ""): "12.500.000"},
                                         by="Dedi"))
    assert checked.counts == {"new": 0, "changed": 0, "same": 2}
    checked = run(engine, settings, fill(blank, {("Aksi", KASUS, "3"): "50%", ("Anggaran", KASUS, ""): "13 juta"},
                                         by="Dedi"), dry_run=True)
    assert [(c.ref or c.kind, c.old, c.new, c.status) for c in checked.changes] == [
        ("3", "45", "50%", "changed"), ("budget", 12_500_000, 13_000_000, "changed")]
    with Session(engine) as session:  # a dry run stores nothing
        assert session.exec(select(AksiRealisation.value_raw).where(AksiRealisation.quarter == 2)).all() == ["45"]
    # A template written after the first import shows what is stored.
    rows = sheet_rows(template(engine, plan))
    ws = load_workbook(io.BytesIO(template(engine, plan))).active
    assert ws.cell(rows[("Aksi", KASUS, "3")], 10).value == "45"
    assert ws.cell(rows[("Anggaran", KASUS, "")], 10).value == "Rp12.500.000"


def test_values_are_read_as_a_pic_types_them(engine, plan, settings):
    blank = template(engine, plan)
    book = load_workbook(io.BytesIO(fill(blank, {("Aksi", KASUS, "2"): "1.250", ("Aksi", KASUS, "4"): "3,5",
                                                 ("Indikator kegiatan", KASUS, "1"): 1250,
                                                 ("Anggaran", KASUS, ""): "1,5 M"}, by="Dedi")))
    rows = sheet_rows(blank)
    percent = book.active.cell(rows[("Aksi", KASUS, "3")], 11)
    percent.value, percent.number_format = 0.75, "0%"  # 75% typed into a cell Excel formats as a percentage
    out = io.BytesIO()
    book.save(out)
    checked = run(engine, settings, out.getvalue())
    assert [(c.ref or c.kind, c.new) for c in checked.changes] == [
        ("2", "1.250"), ("3", "75%"), ("4", "3,5"), ("1", "1250"), ("budget", 1_500_000_000)]
    with Session(engine) as session:
        values = session.exec(select(Aksi.no, AksiRealisation.value).join(Aksi).where(AksiRealisation.quarter == 2)
                              .order_by(Aksi.no)).all()
        assert values == [(2, D(1250)), (3, D(75)), (4, D("3.5"))]
        ind = session.exec(select(IndicatorRealisation.value).join(KegiatanIndicator).join(Kegiatan)
                           .where(IndicatorRealisation.quarter == 2, Kegiatan.seq == KASUS)).one()
        assert ind == 1250


def test_a_number_with_its_unit_is_read_as_lapor_reads_it(engine, plan, settings):
    """bot.domain.numbers.parse_realised with the item's unit, as /lapor: aksi 2 and 4 of the kasus kegiatan
    have a bare `1` target (any count unit), aksi 3 a percentage (`25 persen`; `5 orang` contradicts it)."""
    blank = template(engine, plan)
    rows = sheet_rows(blank)
    bad = fill(blank, {("Aksi", KASUS, "2"): "1 dokumen", ("Aksi", KASUS, "3"): "5 orang"}, by="Dedi")
    assert refused(engine, settings, bad) == [
        f"Baris {rows[('Aksi', KASUS, '3')]}: Satuan “orang” tidak cocok: target ini dalam persen (%). "
        "Ketik angkanya saja (tanpa satuan boleh), misalnya 75 atau 75%."]
    good = fill(blank, {("Aksi", KASUS, "2"): "1 dokumen", ("Aksi", KASUS, "3"): "25 persen",
                        ("Aksi", KASUS, "4"): "1 dok", ("Faktor pendorong", KASUS, ""): "Dukungan Inspektorat"},
                by="Dedi")
    checked = run(engine, settings, good)
    assert [(c.ref or c.kind, c.new) for c in checked.changes] == [
        ("2", "1 dokumen"), ("3", "25 persen"), ("4", "1 dok"), ("pendorong", "Dukungan Inspektorat")]
    with Session(engine) as session:
        values = session.exec(select(Aksi.no, AksiRealisation.value).join(Aksi).where(AksiRealisation.quarter == 2)
                              .order_by(Aksi.no)).all()
        pendorong = session.exec(select(KegiatanRealisation.pendorong).join(Kegiatan)
                                 .where(Kegiatan.seq == KASUS, KegiatanRealisation.quarter == 2)).one()
    assert values == [(2, D(1)), (3, D(25)), (4, D(1))] and pendorong == "Dukungan Inspektorat"


def test_a_report_after_the_deadline_is_recorded_late(engine, plan, settings):
    checked = run(engine, settings, fill(template(engine, plan), {("Aksi", KASUS, "3"): "45"}, by="Dedi"),
                  now=AFTER_DEADLINE)
    assert checked.late
    with Session(engine) as session:
        assert session.exec(select(AksiRealisation.late).where(AksiRealisation.quarter == 2)).one() is True


# -- refusals: nothing stored, every problem at its row or path ----------------------------------------

def test_a_bad_row_stores_nothing_and_every_problem_names_its_row(engine, plan, settings):
    blank = template(engine, plan)
    rows = sheet_rows(blank)
    data = fill(blank, {
        ("Aksi", KASUS, "2"): "1",  # fine
        ("Aksi", KASUS, "3"): "empat puluh lima",
        ("Anggaran", KASUS, ""): "-5 juta",
        ("Aksi", 5, "2"): "30%",  # Budi's kegiatan: Dedi may not report it
        ("Aksi", 19, "3"): 3.14159,  # typed as a number with 5 decimals
        ("Kendala", 19, ""): "x" * 1001,
    }, by="Dedi")
    assert refused(engine, settings, data) == [
        (f"Baris {rows[('Aksi', 5, '2')]}: Dedi Kurniawan bukan PIC kegiatan 5 “Pendidikan dan Pelatihan Teknis Tugas "
        "dan Fungsi Bagi PNS Daerah”; 1 nilai kegiatan ini tidak dapat disimpan atas namanya."),
        f"Baris {rows[('Aksi', KASUS, '3')]}: “empat puluh lima” bukan angka. Ketik angkanya, dengan atau tanpa satuan: misalnya 75, 75%, 45 orang, 1.250 atau 3,5.",
        f"Baris {rows[('Anggaran', KASUS, '')]}: Jumlah uang tidak boleh negatif.",
        f"Baris {rows[('Aksi', 19, '3')]}: Paling banyak 4 angka di belakang koma, misalnya 3,1416.",
        f"Baris {rows[('Kendala', 19, '')]}: teks terlalu panjang (1.001 karakter, paling banyak 1.000).",
    ]


def test_a_refusal_while_storing_rolls_back_what_was_stored_before_it(engine, plan, settings):
    data = fill(template(engine, plan), {("Aksi", KASUS, "3"): "45", ("Aksi", 19, "3"): "25"}, by="Dedi")
    file = read_realisation_file(data, "realisasi.xlsx")
    before = snapshot(engine)
    with pytest.raises(RealisationRefused) as caught, unit_of_work(engine) as session:
        checked = check_file(file, session=session, plan=session.get(Plan, plan), quarter=2, by=None,
                             settings=settings, now=JULY_2)
        assert not checked.problems
        # The admin locks kegiatan 19 between the check and the store: save_report refuses it, after kegiatan 18.
        lock_quarter(plan, 2, session.exec(select(Kegiatan.id).where(Kegiatan.seq == 19)).one(), session=session)
        store_checked(checked, session=session, now=JULY_2, importer={"actor_label": "cli"})
    assert [p.text() for p in caught.value.problems] == [
        f"Baris {sheet_rows(data)[('Aksi', 19, '3')]}: triwulan ini baru saja dikunci; tidak ada yang disimpan."]
    assert snapshot(engine) == before  # kegiatan 18's value went with the rest


def test_the_file_must_fit_the_plan_quarter_and_reporter(engine, plan, settings):
    blank = template(engine, plan)
    rows = sheet_rows(blank)
    good = {("Aksi", KASUS, "3"): "45"}
    assert refused(engine, settings, fill(blank, good), by=None) == [
        ('Baris 5: pelapor tidak disebutkan: isi «Pelapor» (atau "by" di JSON, --by di baris perintah) '
        "dengan nama PIC.")]
    assert refused(engine, settings, fill(blank, good, by="Budi"), by="Dedi") == [
        "Baris 5: berkas menyebut pelapor Budi, sedangkan yang diminta Dedi Kurniawan."]
    assert refused(engine, settings, fill(blank, good, by="a")) == [
        ("Baris 5: “a” cocok dengan 9 orang (Ani Rahmawati (#1), Budi Santoso (#2), Citra Lestari (#3), "
        "Dedi Kurniawan (#4), Eka Pratiwi (#5), …); tulis namanya lebih lengkap atau #id.")]
    assert refused(engine, settings, fill(blank, good, by="Dedi", cells={"B4": 3})) == [
        "Baris 4: berkas ini untuk TW III, bukan TW II."]
    assert refused(engine, settings, fill(blank, good, by="Dedi", cells={"B3": 2019})) == [
        "Baris 3: berkas ini untuk rencana 2019, bukan 2020."]
    assert refused(engine, settings, fill(blank, good, by="Dedi", cells={"B4": 3}), quarter=3) == [
        "Baris 4: TW III belum dapat dilaporkan (triwulan yang dilaporkan sekarang: TW II)."]
    renamed = fill(blank, good, by="Dedi", cells={f"B{rows[('Aksi', KASUS, '3')]}": "Penempatan PNS"})
    assert refused(engine, settings, renamed) == [
        (f"Baris {rows[('Aksi', KASUS, '3')]}: kegiatan 18 di rencana adalah “Proses Penanganan Kasus - kasus "
        "pelanggaran disiplin PNS”, di berkas “Penempatan PNS” (templat dari rencana lain atau baris bergeser?).")]
    twice = fill(blank, good, by="Dedi", cells={f"E{rows[('Aksi', KASUS, '2')]}": "3",
                                                f"K{rows[('Aksi', KASUS, '2')]}": "40"})
    assert refused(engine, settings, twice) == [
        (f"Baris {rows[('Aksi', KASUS, '3')]}: nilai yang sama sudah diisi di Baris {rows[('Aksi', KASUS, '2')]}; "
        "isi setiap nilai sekali.")]
    assert refused(engine, settings, fill(blank, {}, by="Dedi")) == [
        "Tidak ada nilai yang diisi (kolom «Realisasi» kosong semua)."]


def test_the_json_form_names_each_problem_by_its_path_in_english_too(engine, plan, settings):
    doc = {"quarter": 2, "by": "Dedi Kurniawan",
           "kegiatan": [{"seq": KASUS, "aksi": {"3": "45", "1": "100", "9": "1"}, "budget": "Rp12.500.000",
                         "tindaklanjut": "x"},
                        {"seq": 19, "aksi": {"3": 25.0}, "indicators": {"2": "1"}},
                        {"seq": KASUS},
                        {"seq": 5, "budget": "1 juta"},
                        {"seq": 99, "kendala": "-"}],
           "iku": {"1": "70"}, "program_indicators": {"x": "1"}}
    assert refused(engine, settings, as_json(doc), "realisasi.json", lang="en") == [
        ("kegiatan[0].tindaklanjut: unknown key “tindaklanjut” (known: seq, budget, aksi, indicators, kendala, "
        "tindak_lanjut, pendorong)."),
        "kegiatan[0].aksi.1: action 1 of activity 18 has no TW II target; nothing is reported for it.",
        "kegiatan[0].aksi.9: activity 18 has no action 9.",
        ("kegiatan[1].aksi.3: the value 25.0 must be written as text, as the PIC would type it, e.g. \"75\" or "
        "\"1.250\" (JSON fractions are not read: 1.250 may mean one thousand two hundred and fifty)."),
        "kegiatan[1].indicators.2: activity 19 has no indicator 2.",
        "kegiatan[2].seq: activity 18 is already at kegiatan[0]; give each activity once.",
        ("kegiatan[3].budget: Dedi Kurniawan is not a PIC of activity 5 “Pendidikan dan Pelatihan Teknis Tugas dan "
        "Fungsi Bagi PNS Daerah”; 1 values of this activity cannot be stored as theirs."),
        "kegiatan[4].kendala: there is no activity number 99 in this plan.",
        "iku.1: IKU 1 has no TW II target.",
        "program_indicators.x: “x” is not a program and indicator number, e.g. “3.1” (3rd program, 1st indicator).",
    ]


def test_the_json_form_stores_like_the_sheet(engine, plan, settings):
    doc = {"quarter": 2, "by": "Dedi",
           "kegiatan": [{"seq": KASUS, "aksi": {"3": "45"}, "indicators": {"1": "12"}, "budget": "12,5 jt",
                         "kendala": "", "tindak_lanjut": None}]}
    checked = run(engine, settings, as_json(doc), "realisasi.json", quarter=None)  # the quarter is the file's
    # kendala "" is «Tidak ada», as /lapor's button stores it: nothing was stored, so it is the same.
    assert [(str(c.where.path), c.new, c.status) for c in checked.changes] == [
        ("kegiatan[0].aksi.3", "45", "new"), ("kegiatan[0].indicators.1", "12", "new"),
        ("kegiatan[0].budget", 12_500_000, "new"), ("kegiatan[0].kendala", "", "same")]
    with Session(engine) as session:
        assert session.exec(select(KegiatanRealisation.budget_realised)
                            .where(KegiatanRealisation.quarter == 2)).all() == [12_500_000]


# -- hostile and foreign files -------------------------------------------------------------------------

@pytest.mark.parametrize("data, code", [
    (zip_bomb_xlsx(), "xlsx_unpacked_too_big"),
    (many_cells_xlsx(), "too_many_cells"),
])
def test_hostile_workbooks_are_refused_before_they_are_read(data, code):
    with pytest.raises(PlanFormatError) as caught:
        read_realisation_file(data, "realisasi.xlsx")
    assert caught.value.code == code


def test_a_formula_without_its_value_is_refused_at_its_cell(engine, plan):
    data = fill(template(engine, plan), {("Aksi", KASUS, "3"): "=40+5"}, by="Dedi")  # written by a script
    row = sheet_rows(data)[("Aksi", KASUS, "3")]
    file = read_realisation_file(data, "realisasi.xlsx")
    assert [p.text() for p in file.problems] == [
        (f"Baris {row}: 1 sel berisi rumus tanpa nilai tersimpan (K{row}); berkas ini ditulis oleh program lain dan "
        "nilainya belum dihitung. Buka dan simpan dulu di Excel, lalu kirim lagi.")]
    assert file.entries == []


@pytest.mark.parametrize("data, line", [
    (b'{"kegiatan": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "JSON nested too deep; this is not a realisation file."),
    (b'{"kegiatan": [{"seq": ' + b"9" * 5000 + b"}]}", "Unreadable JSON (a number far too long?)."),
    (b'{"quarter": 2, "by": "Dedi\xff"}', "A JSON file must be UTF-8."),
    (b'{"quarter": 2,', "Not valid JSON (line 1, column 15)."),
    (b'["kegiatan"]', "A JSON file must be an object {\"quarter\": …, \"by\": …, \"kegiatan\": […]}."),
])
def test_broken_json_is_one_problem(data, line):
    file = read_realisation_file(data, "realisasi.json")
    assert [p.text("en") for p in file.problems] == [line] and file.entries == []


@pytest.mark.parametrize("name", ["rapk-2020-bkd-gresik.xlsx", "rapk-2021-dinkes-contoh.txt"])
def test_a_plan_is_no_realisation_file(name):
    with pytest.raises(NotRealisationFile):
        read_realisation_file((FIXTURES / name).read_bytes(), name)


# -- IKU and program indicators ------------------------------------------------------------------------

DINKES = FIXTURES / "rapk-2021-dinkes-contoh.txt"
JULY_2_2021 = datetime(2021, 7, 2, 3, 0, tzinfo=UTC)


def test_iku_and_program_indicators_are_stored_for_the_one_who_holds_them(engine, settings):
    with unit_of_work(engine) as session:
        plan_id = save_plan(parse_plan_file(DINKES), session=session).plan_id
        wati = Person(name="Wati Kasubag Perencanaan")
        session.add(wati)
        session.flush()
        items = {i.ref: i for i in plan_outcomes(plan_id, session=session)}
        assign_outcome(wati.id, goal_indicator_id=items["1"].id, session=session)
        assign_outcome(wati.id, goal_indicator_id=items["2"].id, session=session)
        assign_outcome(wati.id, program_indicator_id=items["1.1"].id, session=session)
    with Session(engine) as session:
        rows = template_rows(plan_id, 2, session=session)
    # IKU 2 (Angka Kematian Ibu) is due in TW IV only; both program indicators are due every quarter.
    assert [(r[2], r[3], r[4], r[6], r[7], r[8]) for r in rows[:3]] == [
        ("Wati Kasubag Perencanaan", "IKU", "1", "TW II: 19,5% · tahunan: 18%", "19,5%",
         "Capaian s.d. TW II — makin kecil makin baik (persen, mis. 75)"),
        ("Wati Kasubag Perencanaan", "Indikator program", "1.1", "TW II: 70% · tahunan: 85%", "70%",
         "Capaian s.d. TW II (persen, mis. 75)"),
        ("", "Indikator program", "1.2", "TW II: 300 · tahunan: 1.200 orang", "600 orang", "Realisasi TW II saja"),
    ]
    bad = {"quarter": 2, "by": "Wati", "iku": {"1": "19%", "2": "80", "3": "1"},
           "program_indicators": {"1.1": "72", "1.2": "310"}}
    assert refused(engine, settings, as_json(bad), "outcomes.json", now=JULY_2_2021) == [
        "iku.2: IKU 2 tidak punya target TW II.",
        "iku.3: tidak ada IKU nomor 3 di rencana ini.",
        "program_indicators.1.2: Wati Kasubag Perencanaan tidak memegang indikator program 1.2.",
    ]
    good = {"quarter": 2, "by": "Wati", "iku": {"1": "19%"}, "program_indicators": {"1.1": "72"}}
    checked = run(engine, settings, as_json(good), "outcomes.json", now=JULY_2_2021)
    assert [(c.kind, c.ref, c.new, c.status) for c in checked.changes] == [
        ("iku", "1", "19%", "new"), ("program_indicator", "1.1", "72", "new")]
    with Session(engine) as session:
        assert session.exec(select(GoalIndicatorRealisation.value_raw)).all() == ["19%"]
        assert session.exec(select(ProgramIndicatorRealisation.value)).all() == [72]
        score = score_plan_from_db(plan_id, 2, session=session, now=JULY_2_2021)
    # Stunting is negative: (2 × 19,5 − 19) / 19,5 × 100 = 102,56… → 102,6. Balita ditimbang is level: 72 / 70 → 102,9.
    assert score.iku[0].cumulative.pct == D("102.6")
    assert score.program_indicators[0].cumulative.pct == D("102.9")
