"""`rapk realisasi template` and `rapk realisasi import` as an admin runs them: a filled sheet or JSON stored
all or nothing, a bad file refused with one line per problem naming its row, exit 1, nothing changed.

The clock is the real one (a 2020 plan is served with TW IV open, so TW II is reported late)."""

import json

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.cli import main
from models import AksiRealisation
from models import AuditLog
from models import KegiatanRealisation
from tests.support.plans import SEED
from tests.support.plans import snapshot
from tests.support.realisasi import fill
from tests.support.realisasi import sheet_rows
from tests.support.seed import seed_with_reports

KASUS = 18  # Dedi Kurniawan's «Proses Penanganan Kasus»: aksi 2–4 due in TW II (tests/support/seed.py)


@pytest.fixture
def cli_env(db_url, engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    seed_with_reports(engine, SEED, quarters=(1,))
    return db_url


def test_template_then_import_dry_run_then_store(cli_env, engine, tmp_path, capsys):
    out = tmp_path / "kirim" / "realisasi-tw2.xlsx"
    assert main(["realisasi", "template", "--quarter", "2", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{out}: templat realisasi TW II 2020, ") and "--quarter 2 --by NAMA" in said
    filled = tmp_path / "dedi.xlsx"
    filled.write_bytes(fill(out.read_bytes(), {("Aksi", KASUS, "3"): "45", ("Anggaran", KASUS, ""): "Rp 12,5 juta"}))
    rows = sheet_rows(out.read_bytes())
    before = snapshot(engine)
    assert main(["realisasi", "import", str(filled), "--quarter", "2", "--by", "Dedi", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Uji coba, tidak ada yang disimpan: dedi.xlsx",
        "TW II 2020 · atas nama Dedi Kurniawan · tercatat terlambat (lewat batas lapor)",
        "2 nilai: 2 baru · 0 diubah · 0 sama",
        f"  Baris {rows[('Aksi', KASUS, '3')]} · kegiatan 18 · aksi 3: 45 (baru)",
        f"  Baris {rows[('Anggaran', KASUS, '')]} · kegiatan 18 · anggaran: Rp12.500.000 (baru)",
    ]
    assert snapshot(engine) == before
    assert main(["realisasi", "import", str(filled), "--quarter", "2", "--by", "Dedi"]) == 0
    assert capsys.readouterr().out.startswith("Realisasi disimpan: dedi.xlsx\n")
    with Session(engine) as session:
        assert session.exec(select(AksiRealisation.value_raw, AksiRealisation.late)
                            .where(AksiRealisation.quarter == 2)).all() == [("45", True)]
        assert session.exec(select(KegiatanRealisation.budget_realised)
                            .where(KegiatanRealisation.quarter == 2)).all() == [12_500_000]
        audit = session.exec(select(AuditLog).where(AuditLog.action == "realisasi.import")).one()
        assert (audit.actor_label, audit.new_value) == ("cli", "dedi.xlsx")


def test_a_bad_file_is_refused_one_line_per_problem_and_changes_nothing(cli_env, engine, tmp_path, capsys):
    doc = {"quarter": 2, "kegiatan": [{"seq": KASUS, "aksi": {"3": "45", "2": "satu"}},
                                      {"seq": 5, "budget": "1 juta"}]}
    path = tmp_path / "dedi.json"
    path.write_text(json.dumps(doc))
    before = snapshot(engine)
    assert main(["realisasi", "import", str(path), "--quarter", "2", "--by", "Dedi"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[1:] == [
        "rapk realisasi import: dedi.json: 2 masalah, tidak ada yang disimpan.",
        "  kegiatan[0].aksi.2: “satu” bukan angka. Ketik angkanya, dengan atau tanpa satuan: misalnya 75, 75%, 45 orang, 1.250 atau 3,5.",
        ("  kegiatan[1].budget: Dedi Kurniawan bukan PIC kegiatan 5 “Pendidikan dan Pelatihan Teknis Tugas dan "
        "Fungsi Bagi PNS Daerah”; 1 nilai kegiatan ini tidak dapat disimpan atas namanya."),
    ]
    assert snapshot(engine) == before


def test_english_refusals_and_files_that_are_not_realisation_files(cli_env, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RAPK_LANGUAGE", "en")
    assert main(["realisasi", "import", str(tmp_path / "hilang.json"), "--quarter", "2", "--by", "Dedi"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"rapk realisasi import: File {tmp_path / 'hilang.json'} not found.")
    assert main(["realisasi", "import", str(SEED), "--quarter", "2", "--by", "Dedi"]) == 1
    assert capsys.readouterr().err.splitlines()[-2:] == [
        "rapk realisasi import: rapk-2020-bkd-gresik.txt: 1 problems, nothing stored.",
        ("  Not a realisation file: no RAPK-REALISASI mark in cell A1 (make the template with rapk realisasi "
        "template), and not JSON."),
    ]


def test_import_into_an_empty_database_says_there_is_no_plan(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    path = tmp_path / "r.json"
    path.write_text('{"quarter": 2, "kegiatan": [{"seq": 1, "budget": "0"}]}')
    assert main(["realisasi", "import", str(path), "--quarter", "2", "--by", "Dedi"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "  Belum ada rencana aksi yang diimpor (rapk import BERKAS).")
    assert main(["realisasi", "template", "--quarter", "2", "--out", str(tmp_path / "t.xlsx")]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "rapk realisasi template: Belum ada rencana aksi yang diimpor (rapk import BERKAS).")
    assert not (tmp_path / "t.xlsx").exists()
