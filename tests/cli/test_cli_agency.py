"""`--agency NAME|ID` picks whose plan a `rapk` command acts on; `--year` reads a past year's plan."""

import json

import pytest

from bot.cli import main
from tests.support.agencies import import_two_agencies


@pytest.fixture
def two_agencies(db_url, monkeypatch, capsys):
    """BKD's 2020 plan (the seed) and Dinas Kesehatan's 2021 plan, imported as an operator does."""
    import_two_agencies(db_url, monkeypatch)
    capsys.readouterr()
    return db_url


def _summary(capsys, *argv: str) -> dict:
    assert main(["summary", "--json", *argv]) == 0
    return json.loads(capsys.readouterr().out)["plan"]


def test_agency_by_part_of_its_name_or_its_id(two_agencies, capsys):
    assert _summary(capsys, "--agency", "kesehatan") == {"id": 2, "year": 2021,
                                                          "agency": "DINAS KESEHATAN KABUPATEN CONTOH"}
    assert _summary(capsys, "--agency", "1")["agency"] == "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK"
    assert _summary(capsys, "--agency", "#2", "--year", "2021")["year"] == 2021


def test_an_unknown_or_ambiguous_agency_is_one_line_and_exit_2(two_agencies, capsys):
    for ref in ("99", "KABUPATEN"):  # no agency 99; both names hold KABUPATEN
        assert main(["summary", "--agency", ref]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1] == f"rapk summary: no agency (or several) match {ref!r}"
        assert "Traceback" not in "".join(err)


def test_last_years_plan_stays_readable(two_agencies, capsys):
    plan = _summary(capsys, "--agency", "kepegawaian", "--year", "2020")
    assert (plan["year"], plan["agency"]) == (2020, "BADAN KEPEGAWAIAN DAERAH KABUPATEN GRESIK")
    assert main(["summary", "--json", "--agency", "kepegawaian", "--year", "2020", "--quarter", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["quarter"] == 2
