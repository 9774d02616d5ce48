"""`rapk import` and `rapk plan` as an admin runs them."""

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.support.plans import SEED
from tests.support.plans import seed_lines
from tests.support.plans import snapshot
from tests.support.plans import store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def cli_env(db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    return db_url


def test_console_script_prints_the_plan_as_json(tmp_path):
    # The real console script in a real process, once; the in-process tests below cover both databases.
    rapk = Path(sys.executable).with_name("rapk")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/rapk.sqlite3", "RAPK_LANGUAGE": "id"}
    done = subprocess.run([str(rapk), "import", str(SEED), "--json"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)  # stdout is nothing but the JSON
    assert (plan["agency"], plan["year"], len(plan["kegiatan"]), plan["budget_total"]) == (
        "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK", 2020, 45, 17_326_515_850)
    assert plan["kegiatan"][0]["aksi"][0]["tw"] == ["", "50%", "50%", ""]
    assert "Total pagu: Rp17.326.515.850" in done.stderr


def test_python_dash_m_bot_runs_the_same_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setattr(sys, "argv", ["python -m bot", "import", str(SEED), "--dry-run", "--json"])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("bot", run_name="__main__")
    assert done.value.code == 0
    assert len(json.loads(capsys.readouterr().out)["kegiatan"]) == 45
    assert not (tmp_path / "x.sqlite3").exists()  # a dry run does not even create the database


def test_import_prints_counts_budget_and_anomalies_by_line(cli_env, capsys):
    assert main(["import", str(SEED)]) == 0
    out = capsys.readouterr().out
    assert "Rencana aksi baru disimpan: rapk-2020-bkd-gresik.txt" in out
    assert "45 kegiatan · 168 aksi · 64 indikator kegiatan" in out
    assert "Total pagu: Rp17.326.515.850" in out
    # The modes inferred at import (the 9 level aksi and 15 level indicators: tests/domain/test_modes.py).
    assert ("Cara hitung: 159 aksi dijumlah per triwulan · 9 aksi capaian s.d. triwulan · 0 makin kecil makin baik; "
            "indikator kegiatan: 47 dijumlah · 17 capaian s.d. triwulan · 0 makin kecil makin baik") in out
    assert "Baris 44: Penomoran kegiatan melompat dari 7 ke 9." in out
    assert "Baris 185: Persentase lebih dari 100%" in out
    assert main(["import", str(SEED)]) == 0
    assert "Tidak ada perubahan dibanding rencana yang tersimpan" in capsys.readouterr().out


def test_dry_run_leaves_the_database_alone(cli_env, engine, capsys):
    store(engine)
    before = snapshot(engine)
    assert main(["import", str(FIXTURES / "rapk-2020-bkd-gresik.xlsx"), "--dry-run"]) == 0
    assert "Uji baca, tidak disimpan" in capsys.readouterr().out
    assert snapshot(engine) == before


def test_agency_and_year_options_override_the_title(cli_env, capsys):
    # «BKD» names the title's BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK (bot.domain.agencies `same_agency_name`).
    assert main(["import", str(SEED), "--agency", "BKD", "--year", "2021", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["agency"] == "BKD"
    assert "Instansi: BKD · Tahun: 2021" in captured.err
    assert main(["plan", "--agency", "BKD", "--year", "2021"]) == 0
    assert "BKD · Tahun 2021" in capsys.readouterr().out


def test_refused_merge_exits_1_and_force_goes_through(cli_env, engine, tmp_path, capsys):
    from tests.support.plans import LAST
    from tests.support.plans import report

    store(engine)
    report(engine, LAST, 4)
    lines = seed_lines()
    del lines[270]
    revised = tmp_path / "revisi.txt"
    revised.write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(engine)
    assert main(["import", str(revised)]) == 1
    err = capsys.readouterr().err
    assert "Impor dibatalkan" in err and f"aksi 4 “Evaluasi atas Pelaksanaan Kegiatan” pada kegiatan “{LAST}”" in err
    assert snapshot(engine) == before
    assert main(["import", str(revised), "--force"]) == 0
    assert "Dihapus 1" in capsys.readouterr().out


def test_missing_file_is_a_clear_error(capsys, tmp_path):
    assert main(["import", str(tmp_path / "tidak-ada.txt")]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err


def test_plan_prints_the_stored_plan_as_a_tree(cli_env, capsys):
    assert main(["import", str(SEED)]) == 0
    capsys.readouterr()
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("RENCANA AKSI PERJANJIAN KINERJA TAHUN 2020\nBADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK")
    assert "45 kegiatan · 168 aksi · total pagu Rp17.326.515.850" in out
    assert "PROGRAM 1. Prog. Pembinaan & Kesejahteraan ASN" in out  # as written, not HTML-escaped
    assert "[1] Kegiatan 1. Pendidikan dan Pelatihan Teknis — pagu Rp1.018.175.000" in out
    assert "TW I – · TW II 50% · TW III 50% · TW IV – [dijumlah per triwulan]" in out
    # Each item's mode: «Koordinasi dengan BKN» 20/25/40/100 is a level; «12 bulan» of a service too.
    assert "TW I 20% · TW II 25% · TW III 40% · TW IV 100% [capaian s.d. triwulan]" in out
    assert "Indikator: Tersedianya Jasa Pelaksana Administrasi Kantor BKD → 12 bulan [capaian s.d. triwulan]" in out
    assert "[45] Kegiatan 3. Optimalisasi Pemanfaatan Jaringan dan Teknologi Informasi — pagu Rp74.500.000" in out
    assert out.index("[8] Kegiatan 9.") < out.index("[9] Kegiatan 1.")


def test_plan_without_any_plan_says_what_to_do(cli_env, capsys):
    assert main(["plan"]) == 1
    # In English, like every operator's error line (`rapk assign`, `rapk summary`).
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "rapk plan: no plan imported yet, or none of that agency and year (rapk import FILE)"


def test_plan_in_english(cli_env, capsys, monkeypatch):
    assert main(["import", str(SEED)]) == 0
    monkeypatch.setenv("RAPK_LANGUAGE", "en")
    capsys.readouterr()
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "45 activities · 168 actions · total budget IDR17,326,515,850" in out
    assert "Action 1. Persiapan pelaksanaan kegiatan diklat" in out


def test_a_reupload_whose_formulas_have_no_values_is_refused_and_changes_nothing(cli_env, engine, tmp_path, capsys):
    """Issue 13.5: such a file used to exit 0, «Diubah 254», every budget and percentage target emptied."""
    from tests.fixtures.make_xlsx import cache_formula_values
    from tests.fixtures.make_xlsx import write_formula_xlsx
    from tests.support.plans import FIRST
    from tests.support.plans import report

    assert main(["import", str(FIXTURES / "rapk-2020-bkd-gresik.xlsx")]) == 0
    report(engine, FIRST, 1, quarter=2, value="50")
    capsys.readouterr()
    before = snapshot(engine)
    scripted = tmp_path / "rapk-2020-skrip.xlsx"
    write_formula_xlsx(SEED.read_text(encoding="utf-8"), scripted)
    for args in ([], ["--force"]):
        assert main(["import", str(scripted), *args]) == 1
        err = capsys.readouterr().err
        assert "rapk import: rapk-2020-skrip.xlsx: Baris 8: 285 sel berisi rumus tanpa nilai tersimpan" in err
        assert "Buka dan simpan dulu di Excel" in err
        assert snapshot(engine) == before
    cache_formula_values(scripted)
    assert main(["import", str(scripted)]) == 0
    assert "Tidak ada perubahan dibanding rencana yang tersimpan" in capsys.readouterr().out


def test_the_sheet_read_is_named_and_sheet_picks_one(cli_env, engine, tmp_path, capsys):
    from tests.fixtures.make_xlsx import write_with_hidden_draft

    path = tmp_path / "rapk-2020.xlsx"
    write_with_hidden_draft(SEED.read_text(encoding="utf-8"), path)
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "2 lembar kerja: “Draft” (tersembunyi), “RAPK 2020”" in err and "--sheet" in err
    assert snapshot(engine)["plan"] == []
    assert main(["import", str(path), "--sheet", "RAPK 2020"]) == 0
    out = capsys.readouterr().out
    assert "Lembar kerja: RAPK 2020\n" in out and "45 kegiatan" in out
    assert main(["import", str(path), "--sheet", "Draft", "--dry-run"]) == 0
    assert "Lembar kerja: Draft (tersembunyi)\n" in capsys.readouterr().out
    assert main(["import", str(SEED), "--sheet", "RAPK 2020"]) == 1
    assert "--sheet hanya untuk buku kerja Excel" in capsys.readouterr().err


def test_hostile_workbooks_are_refused_and_change_nothing(cli_env, engine, tmp_path, capsys):
    """Issue 13.26: the zip bomb and the 2-million-cell sheet."""
    from tests.fixtures.make_broken import many_cells_xlsx
    from tests.fixtures.make_broken import zip_bomb_xlsx

    store(engine)
    before = snapshot(engine)
    for name, data, said in (("bom.xlsx", zip_bomb_xlsx(), "terlalu besar setelah dibuka: 200,0 MB"),
                             ("sel.xlsx", many_cells_xlsx(), "lebih dari 200.000 sel")):
        path = tmp_path / name
        path.write_bytes(data)
        assert main(["import", str(path)]) == 1
        err = capsys.readouterr().err
        assert f"rapk import: {name}: " in err and said in err, err
        assert snapshot(engine) == before


def test_a_file_past_the_size_limit_is_refused(cli_env, tmp_path, capsys):
    path = tmp_path / "besar.txt"
    path.write_bytes(b"\t" * (5 * 1024 * 1024 + 1))
    assert main(["import", str(path)]) == 1
    assert "Berkas terlalu besar: 5,0 MB, paling banyak 5 MB." in capsys.readouterr().err


def test_only_the_first_anomalies_are_listed_and_the_rest_counted(cli_env, tmp_path, capsys):
    lines = seed_lines()
    path = tmp_path / "sampah.txt"
    path.write_text("\n".join(lines[:271] + ["x\ty"] * 1_000 + lines[271:]), encoding="utf-8")
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Anomali (1.038), disimpan apa adanya — periksa baris berikut:" in out
    assert out.count("\n  Baris ") == 500
    assert "  … dan 538 lainnya (hanya 500 anomali pertama yang disimpan)" in out
