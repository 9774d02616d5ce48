"""`rapk budget-plan`, and anggaran kas in `rapk import`, `rapk plan` and `rapk summary --json`
(the plan file: tests/support/kas_plan.py)."""

import json

import pytest

from bot.cli import main
from tests.support import kas_plan

JT = 1_000_000


@pytest.fixture
def imported(db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    path = tmp_path / "rapk-2021.txt"
    path.write_text(kas_plan.text(), encoding="utf-8")
    assert main(["import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Anggaran kas: 4 kegiatan, jumlah Rp840.000.000" in out
    assert f"Baris {kas_plan.BAD_LINE}: Anggaran kas TW II “sepuluh juta” kegiatan “Kegiatan Lima”" in out
    return path


def test_show_set_refuse_and_clear(imported, capsys):
    assert main(["plan"]) == 0
    assert ("Anggaran kas: TW I Rp50.000.000 · TW II Rp100.000.000 · TW III Rp150.000.000 · TW IV Rp100.000.000 "
            "(jumlah Rp400.000.000)") in capsys.readouterr().out
    assert main(["budget-plan", "tiga"]) == 0
    out = capsys.readouterr().out
    assert "3. Kegiatan Tiga" in out and "Belum ada anggaran kas" in out and "rapk budget-plan 3 TW_I" in out
    # Rp25.000.000 + 25 juta + nothing + Rp50.000.000 = Rp100.000.000, its whole pagu.
    assert main(["budget-plan", "3", "25.000.000", "25jt", "-", "50.000.000"]) == 0
    out = capsys.readouterr().out
    assert "TW III: Rp0 · s.d. TW III Rp50.000.000" in out and "Jumlah: Rp100.000.000 (100,0% dari pagu)" in out
    assert main(["budget-plan", "3", "25.000.000", "25jt", "1", "50.000.000"]) == 1  # one rupiah over
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == ("rapk budget-plan: Jumlah anggaran kas Rp100.000.001 melebihi pagu kegiatan «Kegiatan Tiga» "
                       "Rp100.000.000 (lebih Rp1). Tidak ada yang disimpan; periksa angkanya.")
    assert main(["budget-plan", "kegiatan", "1", "2", "3", "4"]) == 1
    assert "6 kegiatan match 'kegiatan'" in capsys.readouterr().err
    assert main(["audit", "--limit", "4"]) == 0
    assert "cli: budget_plan.set kegiatan#3.tw4 None → 50000000" in capsys.readouterr().out

    # Planned s.d. TW II of the five kegiatan with a plan: Satu 50 + 100, Dua 0 + 80, Tiga 25 + 25,
    # Empat 30 + 30, Enam 30 + 30 = 400 juta; nothing is realised yet, so no percentage.
    assert main(["summary", "--quarter", "2", "--json"]) == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["budget"] == {"pagu": 970 * JT, "realised": None, "realised_quarter": None, "absorption_pct": None,
                                 "budget_planned_to_date": 400 * JT, "budget_planned_realised": None,
                                 "absorption_plan_pct": None, "kegiatan_with_plan": 5}

    assert main(["budget-plan", "3", "--clear"]) == 0
    assert "Anggaran kas dihapus" in capsys.readouterr().out
