"""`rapk import --agency` stores a file only into the agency it names (a title naming another is one line and
exit 1, nothing changed), and `rapk agency member` / `members` give and list roles in a further agency."""


import pytest

from bot.cli import main
from bot.domain.plan_import import SAMPLE_PLAN
from tests.support.agencies import import_two_agencies
from tests.support.plans import snapshot

BKD = "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"


@pytest.fixture
def two_agencies(db_url, monkeypatch, capsys):
    """BKD's 2020 plan (agency 1, the seed) and Dinas Kesehatan's 2021 plan (agency 2), imported by an operator."""
    import_two_agencies(db_url, monkeypatch)
    capsys.readouterr()
    return db_url


def one_line(capsys) -> str:
    """The command's own line (after the database it opened), and no traceback."""
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return captured.err.strip().splitlines()[-1]


@pytest.mark.parametrize("ref", ["kesehatan", "2", "Dinas Sosial"])  # B by part of its name, by id; no agency
def test_a_file_naming_another_agency_than_agency_is_refused(two_agencies, engine, capsys, ref):
    before = snapshot(engine)
    assert main(["import", str(SAMPLE_PLAN), "--agency", ref]) == 1
    agency = "DINAS KESEHATAN KABUPATEN CONTOH" if ref != "Dinas Sosial" else ref
    assert one_line(capsys) == (f"rapk import: {SAMPLE_PLAN.name}: its title names {BKD!r}, not the agency "
                                f"{agency!r} (--agency); nothing was imported")
    assert snapshot(engine) == before


def test_a_file_of_the_agency_is_stored_into_it_however_agency_writes_it(two_agencies, engine, capsys):
    before = snapshot(engine)
    for ref in ("BKD", "1", "badan kepegawaian daerah"):  # initials, id, the name without its region
        assert main(["import", str(SAMPLE_PLAN), "--agency", ref]) == 0
        out = capsys.readouterr().out
        assert f"Instansi: {BKD} · Tahun: 2020" in out and "Tidak ada perubahan" in out
    after = snapshot(engine)
    assert after["agency"] == before["agency"]  # no agency made from --agency or the title
    assert [row[:2] for row in after["plan"]] == [row[:2] for row in before["plan"]] == [(1, 1), (2, 2)]
