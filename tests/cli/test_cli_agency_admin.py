"""`rapk import --agency` stores a file only into the agency it names (a title naming another is one line and
exit 1, nothing changed), and `rapk agency member` / `members` give and list roles in a further agency."""


import pytest
from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from bot.domain.plan_import import SAMPLE_PLAN
from models import AgencyMember
from models import AuditLog
from models import Kegiatan
from models import Person
from models import PicAssignment
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


@pytest.fixture
def wulan(two_agencies, engine) -> int:
    """Wulan, of Dinas Kesehatan (agency 2), PIC of one of its kegiatan."""
    with unit_of_work(engine) as session:
        person = Person(name="Wulan Kesehatan", agency_id=2)
        session.add(person)
        session.flush()
        kegiatan = session.exec(select(Kegiatan.id).where(Kegiatan.plan_id == 2)).first()
        session.add(PicAssignment(person_id=person.id, kegiatan_id=kegiatan))
        session.flush()
        return person.id


def run(capsys, *argv: str) -> str:
    assert main(["agency", *argv]) == 0
    return capsys.readouterr().out.strip()


def audit(engine, person_id: int) -> list[tuple]:
    with unit_of_work(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.entity == "person", AuditLog.entity_id == person_id)
                            .order_by(AuditLog.id)).all()
        return [(r.action, r.field, r.old_value, r.new_value, r.reason, r.actor_label) for r in rows]


def test_member_gives_and_takes_roles_in_a_further_agency_audited(wulan, engine, capsys):
    who = f"Wulan Kesehatan (#{wulan} of DINAS KESEHATAN KABUPATEN CONTOH)"
    assert run(capsys, "member", "kepegawaian", "Wulan", "--admin") == f"{BKD}: {who}: admin (not connected yet)"
    both = f"{BKD}: {who}: admin, verifier (not connected yet)"
    assert run(capsys, "member", "1", f"#{wulan}", "--verifier") == both
    assert run(capsys, "members", "BKD") == (f"#1 {BKD}: 1 member(s) from other OPD\n"
                                             f"  {who}: admin, verifier (not connected yet)")
    assert run(capsys, "member", "1", "Wulan", "--remove", "--admin") == f"{BKD}: {who}: verifier (not connected yet)"
    gone = f"Wulan Kesehatan (#{wulan}) is no longer a member of {BKD}"
    assert run(capsys, "member", "1", "Wulan", "--remove") == gone
    assert run(capsys, "members", "1") == f"#1 {BKD}: 0 member(s) from other OPD"
    assert audit(engine, wulan) == [
        ("member.add", "agency_member", None, BKD, BKD, "cli"),
        ("admin.grant", "agency_member.is_admin", "False", "True", BKD, "cli"),
        ("verifier.grant", "agency_member.is_verifier", "False", "True", BKD, "cli"),
        ("admin.revoke", "agency_member.is_admin", "True", "False", BKD, "cli"),
        ("member.remove", "agency_member", BKD, None, BKD, "cli"),
    ]
    with unit_of_work(engine) as session:  # only the membership went: she, her agency and her kegiatan stay
        person = session.get(Person, wulan)
        assert person.agency_id == 2 and not person.is_admin and not person.is_verifier
        assert len(session.exec(select(PicAssignment).where(PicAssignment.person_id == wulan)).all()) == 1
        assert session.exec(select(AgencyMember)).all() == []


@pytest.mark.parametrize(("argv", "line"), [
    (("member", "99", "Wulan"), "rapk agency member: no agency (or several) match '99' (rapk agency list)"),
    (("members", "KABUPATEN"), "rapk agency members: no agency (or several) match 'KABUPATEN' (rapk agency list)"),
    (("member", "1", "Nobody"), "rapk agency member: 0 people match 'Nobody' (none); give more of the name or #id"),
    (("member", "kesehatan", "Wulan", "--admin"),
     "rapk agency member: DINAS KESEHATAN KABUPATEN CONTOH is Wulan Kesehatan's own agency: their roles there are "
     "given in /pengguna"),
    (("member", "1", "Wulan", "--remove"),
     f"rapk agency member: Wulan Kesehatan is no member of {BKD}: nothing to remove"),
    (("member", "1", "Wulan", "--remove", "--verifier"),
     f"rapk agency member: Wulan Kesehatan is no member of {BKD}: nothing to remove"),
])
def test_member_errors_are_one_line_exit_1_and_change_nothing(wulan, engine, capsys, argv, line):
    before = snapshot(engine)
    assert main(["agency", *argv]) == 1
    assert one_line(capsys) == line
    assert snapshot(engine) == before
