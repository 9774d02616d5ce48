"""`rapk rekap`, `rapk agency add|list` and `rapk kabupaten`, as an operator types them (figures by hand:
tests/support/kabupaten.py)."""

import json

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from models import Agency
from models import Invite
from models import Person
from tests.support.kabupaten import OPD_A
from tests.support.kabupaten import OPD_B
from tests.support.kabupaten import OPD_C
from tests.support.kabupaten import make_kabupaten
from tests.support.plans import snapshot


@pytest.fixture
def kabupaten(db_url, engine, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "rapk_kab_bot")
    with unit_of_work(engine) as session:
        return make_kabupaten(session)


def test_rekap_json_states_the_hand_figures(kabupaten, capsys, tmp_path):
    assert main(["rekap", "--json", "--as-of", "2020-05-04", "--xlsx", str(tmp_path / "r.xlsx"),
                 "--chart", str(tmp_path / "r.png")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["quarter"] == 1
    assert [(o["rank"], o["agency"]) for o in data["opd"]] == [(1, OPD_A), (2, OPD_B), (None, OPD_C)]
    a, b = data["opd"][:2]
    assert (a["iku_pct"], a["aksi_pct"], a["absorption_pct"], a["completeness_pct"]) == (90, 80, 25, 100)
    assert (b["iku_pct"], b["aksi_pct"], b["absorption_pct"], b["completeness_pct"]) == (75, 50, 16.7, 50)
    k = data["kabupaten"]
    assert (k["opd"], k["opd_with_plan"], k["iku_pct"], k["aksi_pct"], k["absorption_pct"], k["completeness_pct"],
            k["pagu"], k["realised"], k["verification"]) == (
        3, 2, 82.5, 65, 18.8, 66.7, 400_000_000, 75_000_000, {"accepted": 1, "pending": 1, "returned": 0})
    assert load_workbook(tmp_path / "r.xlsx").sheetnames == ["Rekap", OPD_A, OPD_B]
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_rekap_text_and_quarter(kabupaten, capsys):
    assert main(["rekap", "--quarter", "2", "--as-of", "2020-05-04"]) == 0
    out = capsys.readouterr().out
    assert "Rekap kabupaten TW II" in out and f"1. {OPD_A}" in out


def test_agency_add_prints_the_first_admins_invite(kabupaten, engine, capsys):
    assert main(["agency", "add", "Dinas Sosial", "--admin", "Citra Dewi"]) == 0
    out = capsys.readouterr().out
    with unit_of_work(engine) as session:
        agency = session.exec(select(Agency).where(Agency.name == "Dinas Sosial")).one()
        citra = session.exec(select(Person).where(Person.name == "Citra Dewi")).one()
        token = session.exec(select(Invite).where(Invite.person_id == citra.id)).one().token
    assert (citra.is_admin, citra.agency_id) == (True, agency.id)
    assert f"Citra Dewi: https://t.me/rapk_kab_bot?start={token}" in out
    assert main(["agency", "list"]) == 0
    assert "Dinas Sosial: no plan; admins: Citra Dewi (0 connected)" in capsys.readouterr().out


def test_agency_add_refuses_a_known_name_in_one_line(kabupaten, engine, capsys):
    before = snapshot(engine)
    assert main(["agency", "add", "dinas kesehatan", "--admin", "Dewi"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "rapk agency add: an OPD named 'dinas kesehatan' exists already")
    assert snapshot(engine) == before


def test_kabupaten_grant_and_revoke(kabupaten, engine, capsys):
    assert main(["kabupaten", "Ani Kesehatan", "--admin"]) == 0
    assert "Ani Kesehatan" in capsys.readouterr().out
    with unit_of_work(engine) as session:
        ani = session.get(Person, kabupaten["ani"])
        assert (ani.is_kabupaten, ani.is_kabupaten_admin) == (True, True)
    assert main(["kabupaten", "Ani Kesehatan", "--revoke"]) == 0
    with unit_of_work(engine) as session:
        ani = session.get(Person, kabupaten["ani"])
        assert (ani.is_kabupaten, ani.is_kabupaten_admin) == (False, False)
