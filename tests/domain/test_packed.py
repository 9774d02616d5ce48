"""Packed indicator cells (issue 15 item 3): split by the importer, each part its own target and unit.

Every packed entry of the seed (seq 16, 23, 25a/25b, 30, 34) as an admin would expect it, the held-out
style «a. 40 orang b. 12 desa», `rapk import --json`, and a re-import that splits a cell stored unsplit
keeping what was reported on its first part.
"""

import json
from decimal import Decimal as D

import pytest
from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from bot.domain.plan_import.packed import Piece
from bot.domain.plan_import.packed import note_target
from bot.domain.plan_import.packed import split_packed
from bot.domain.plan_import.parser import parse_plan_text
from bot.domain.plan_import.store import save_plan
from models import IndicatorRealisation
from models import Kegiatan
from models import KegiatanIndicator
from tests.support.plans import SEED
from tests.support.plans import seed_lines


def test_enumerated_cell_splits_at_its_letters_text_too():
    how, pieces = split_packed("a. Jumlah Peserta Pembinaan Paduan Suara b. Jumlah Peserta Pembinaan Olahraga "
                               "c. Jumlah OPD Yang dimonito", "a. 45 orang b. 40 orang c. 52 OPD%")
    assert how == "enumerated" and pieces == [
        Piece("a. Jumlah Peserta Pembinaan Paduan Suara", "a. 45 orang"),
        Piece("b. Jumlah Peserta Pembinaan Olahraga", "b. 40 orang"),
        Piece("c. Jumlah OPD Yang dimonito", "c. 52 OPD%")]
    # The held-out style: the text is not enumerated, each part keeps it with its letter.
    assert split_packed("Jumlah peserta dan desa binaan", "a. 40 orang b. 12 desa") == ("enumerated", [
        Piece("Jumlah peserta dan desa binaan (a)", "a. 40 orang"),
        Piece("Jumlah peserta dan desa binaan (b)", "b. 12 desa")])


def test_joined_numbers_split_with_their_own_words():
    assert split_packed("a. Jumlah Pendaftar CPNS dan PPPK", "a. 15000 pendaftar CPNS dan 5000 pendaftar PPPK") == (
        "joined", [Piece("a. Jumlah Pendaftar CPNS", "15000 pendaftar CPNS"),
                   Piece("a. Jumlah Pendaftar PPPK", "5000 pendaftar PPPK")])
    assert split_packed("b. Jumlah Peserta Bintal CPNS dan PPPK", "b. 500 CPNS dan 250 PPPK")[1] == [
        Piece("b. Jumlah Peserta Bintal CPNS", "500 CPNS"), Piece("b. Jumlah Peserta Bintal PPPK", "250 PPPK")]
    assert split_packed("Tersedianya makanan dan minuman BKD selama 12 bulan", "1600 dos snack dan 370 galon")[1] == [
        Piece("Tersedianya makanan dan minuman BKD selama 12 bulan (dos snack)", "1600 dos snack"),
        Piece("Tersedianya makanan dan minuman BKD selama 12 bulan (galon)", "370 galon")]


@pytest.mark.parametrize("text, raw", [
    ("Jumlah Jabatan Pimpinan Tinggi Pratama", "2 jabatan (1 kali seleksi)"),  # a note, not a second indicator
    ("Prosentase Penyerahan SK", "100% (4250 SK KGB, 450 SK Pensiun)"),
    ("Persentase", "25%, 50%"),  # shares, not indicators
    ("Jumlah peserta", "30 Orang"), ("Jumlah", "a. 95%"), ("Jumlah", ""), ("Jumlah", "sesuai kebutuhan"),
])
def test_one_indicator_stays_one(text, raw):
    assert split_packed(text, raw) is None


def test_a_note_in_brackets_is_scored_on_the_number_before_it():
    assert note_target("2 jabatan (1 kali seleksi)") == ("2 jabatan", "1 kali seleksi")
    assert note_target("30 Orang") is None
    plan = parse_plan_text("\n".join(seed_lines()))
    seleksi = next(k for k in plan.kegiatan if k.seq == 23).indicators
    assert [(i.target_raw, i.target.parts[0].value, i.target.parts[0].unit) for i in seleksi] == [
        ("2 jabatan (1 kali seleksi)", D(2), "jabatan")]  # kept as written, scored as 2 jabatan


def test_rapk_import_json_lists_the_split_seed_and_says_so(capsys):
    assert main(["import", str(SEED), "--json", "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    by_seq = {k["seq"]: k["indicators"] for k in plan["kegiatan"]}
    assert by_seq[16] == [
        {"text": "a. Jumlah Peserta Pembinaan Paduan Suara", "target_raw": "a. 45 orang"},
        {"text": "b. Jumlah Peserta Pembinaan Olahraga", "target_raw": "b. 40 orang"},
        {"text": "c. Jumlah OPD Yang dimonito", "target_raw": "c. 52 OPD%"}]
    assert [i["target_raw"] for i in by_seq[25]] == ["15000 pendaftar CPNS", "5000 pendaftar PPPK", "500 CPNS",
                                                     "250 PPPK", "c. 725 ASN"]
    assert [i["target_raw"] for i in by_seq[30]] == ["1600 dos snack", "370 galon"]
    assert [i["target_raw"] for i in by_seq[34]] == ["40 jenis ATK", "17 Jenis Barang"]
    assert by_seq[23] == [{"text": "Jumlah Jabatan Pimpinan Tinggi Pratama di lingkungan Pemkab Gresik",
                           "target_raw": "2 jabatan (1 kali seleksi)"}]
    split = [a for a in plan["anomalies"] if a["code"] == "indicator_split"]
    assert [a["line"] for a in split] == [94, 157, 158, 184, 202]
    assert split[0]["why"].startswith("Target “a. 45 orang b. 40 orang c. 52 OPD%” memuat 3 indikator, dipisah "
                                      "menjadi a. 45 orang · b. 40 orang · c. 52 OPD%; periksa")
    assert "Indikator tercetak: “a. Jumlah Peserta Pembinaan Paduan Suara b." in split[0]["why"]
    assert [a["line"] for a in plan["anomalies"] if a["code"] == "indicator_note"] == [141]


def test_rapk_import_json_splits_a_held_out_style_cell(tmp_path, capsys):
    lines = seed_lines()
    at = next(n for n, line in enumerate(lines) if line.startswith("3\tPembinaan Jiwa Korsa"))
    cells = lines[at].split("\t")
    cells[2], cells[3] = "Jumlah peserta dan desa binaan", "a. 40 orang b. 12 desa"
    lines[at] = "\t".join(cells)
    path = tmp_path / "held-out.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert main(["import", str(path), "--json", "--dry-run"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert next(k for k in plan["kegiatan"] if k["seq"] == 16)["indicators"] == [
        {"text": "Jumlah peserta dan desa binaan (a)", "target_raw": "a. 40 orang"},
        {"text": "Jumlah peserta dan desa binaan (b)", "target_raw": "b. 12 desa"}]


def test_reimport_splits_a_stored_cell_keeping_reports_on_the_first_part(engine):
    """A plan stored before cells were split: seq 16's one indicator has a TW I report. The re-import
    makes it three; the report stays on the first part (a. 45 orang), the other two are added."""
    plan = parse_plan_text("\n".join(seed_lines()))
    with unit_of_work(engine) as session:
        plan_id = save_plan(plan, session=session).plan_id
        kopri = session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id, Kegiatan.seq == 16)).one()
        first, *others = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kopri.id)
                                      .order_by(KegiatanIndicator.seq)).all()
        for row in others:
            session.delete(row)
        first.text = "a. Jumlah Peserta Pembinaan Paduan Suara b. Jumlah Peserta Pembinaan Olahraga " \
                     "c. Jumlah OPD Yang dimonito"
        first.target_raw, first.target_value, first.target_unit = "a. 45 orang b. 40 orang c. 52 OPD%", None, ""
        session.add(IndicatorRealisation(indicator_id=first.id, quarter=1, value=D(20), value_raw="20"))
        kept_id = first.id
    with unit_of_work(engine) as session:
        result = save_plan(plan, session=session)  # not forced: nothing reported is lost
        assert not result.created
    with unit_of_work(engine) as session:
        rows = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == kopri.id)
                            .order_by(KegiatanIndicator.seq)).all()
        assert [(r.id == kept_id, r.target_raw, r.target_value, r.target_unit) for r in rows] == [
            (True, "a. 45 orang", D(45), "orang"), (False, "b. 40 orang", D(40), "orang"),
            (False, "c. 52 OPD%", D(52), "OPD%")]
        report = session.exec(select(IndicatorRealisation)).one()
        assert (report.indicator_id, report.value) == (kept_id, D(20))
