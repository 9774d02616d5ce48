"""`rapk assign`, `rapk invite`, and configuration errors at start, as an admin types them."""

import subprocess
import sys

from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from models import Invite
from models import Person
from models import PicAssignment


def test_assign_creates_the_person_and_invite_prints_a_link(db_url, engine, small_plan, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "rapk_bkd_bot")
    assert main(["assign", "Dewi Kartika", "1", "Penjurangan"]) == 0
    out = capsys.readouterr().out
    assert "assigned: 1. Pendidikan dan Pelatihan Teknis" in out and "new person: Dewi Kartika" in out
    with unit_of_work(engine) as session:
        dewi = session.exec(select(Person).where(Person.name == "Dewi Kartika")).one()
        assert len(session.exec(select(PicAssignment).where(PicAssignment.person_id == dewi.id)).all()) == 2
    assert main(["invite", "Dewi Kartika"]) == 0
    link = capsys.readouterr().out.split(": ", 1)[1].split()[0]
    with unit_of_work(engine) as session:
        token = session.exec(select(Invite)).one().token
    assert link == f"https://t.me/rapk_bkd_bot?start={token}"


def test_ambiguous_names_are_refused_without_changes(db_url, engine, small_plan, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["assign", "Budi Santoso", "Pendidikan"]) == 1  # two kegiatan match
    assert "2 kegiatan match" in capsys.readouterr().err
    with unit_of_work(engine) as session:
        assert len(session.exec(select(PicAssignment)).all()) == 2


def test_run_without_token_stops_with_one_line_naming_the_key(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    run = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"rapk: database sqlite:///{tmp_path}/x.sqlite3",
        "configuration error: TELEGRAM_BOT_TOKEN: required to run the bot (see .env.example)"]
    env["REPORT_DEADLINE_WORKING_DAYS"] = "lima"
    run = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=60)
    assert run.returncode == 2 and run.stderr.startswith("configuration error: REPORT_DEADLINE_WORKING_DAYS:")


def test_inviting_the_same_person_twice_gives_a_working_second_link(db_url, engine, small_plan, monkeypatch,
                                                                     capsys):
    """SQLite hands stored times back naive; the second invite compared them with an aware now."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "rapk_bkd_bot")
    assert main(["invite", "Rina Lestari"]) == 0
    assert main(["invite", "Rina Lestari"]) == 0
    second = capsys.readouterr().out.splitlines()[-2].rsplit("start=", 1)[1]
    with unit_of_work(engine) as session:
        invites = session.exec(select(Invite).order_by(Invite.id)).all()
        assert [i.token for i in invites][-1] == second
        assert invites[0].expires_at <= invites[1].created_at < invites[1].expires_at


def test_a_failed_invite_keeps_the_last_printed_link_working(db_url, engine, small_plan, monkeypatch, capsys,
                                                              unused_port):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "rapk_bkd_bot")
    assert main(["invite", "Rina Lestari"]) == 0
    capsys.readouterr()
    with unit_of_work(engine) as session:
        before = [(i.token, i.expires_at) for i in session.exec(select(Invite)).all()]
    # No username configured and Telegram unreachable: getMe fails, nothing may change.
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    monkeypatch.setenv("TELEGRAM_BASE_URL", f"http://127.0.0.1:{unused_port}")
    assert main(["invite", "Rina Lestari"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[1:]  # after "rapk: database ..."
    assert len(err) == 1 and "Telegram" in err[0] and "ABCDEFGHIJ" not in err[0]
    with unit_of_work(engine) as session:
        assert [(i.token, i.expires_at) for i in session.exec(select(Invite)).all()] == before


def test_a_part_of_a_name_is_matched_like_in_the_bot(db_url, engine, small_plan, monkeypatch, capsys):
    """`rapk assign Budi 2` made a new «Budi» who was PIC of nothing; now it means Budi Santoso."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "rapk_bkd_bot")
    assert main(["assign", "Budi", "2"]) == 0
    assert f"person: Budi Santoso (#{small_plan['budi']})" in capsys.readouterr().out
    with unit_of_work(engine) as session:
        assert session.exec(select(Person).where(Person.name == "Budi")).first() is None
        session.add(Person(name="Budi Hartono", agency_id=small_plan["agency"]))
    with unit_of_work(engine) as session:
        before = len(session.exec(select(PicAssignment)).all())
    for command in (["assign", "budi", "1"], ["invite", "Budi"]):  # two people now: refused, never guessed
        assert main(command) == 1
        err = capsys.readouterr().err
        assert "2 people match 'budi'" in err.lower() and "Budi Hartono" in err and "Budi Santoso" in err
    with unit_of_work(engine) as session:
        assert len(session.exec(select(PicAssignment)).all()) == before
        assert session.exec(select(Invite)).all() == []
    assert main(["assign", '"Budi"', "1"]) == 0  # in quotes: exactly that name, a new person
    assert "new person: Budi (#" in capsys.readouterr().out
    assert main(["invite", "Budi Hart"]) == 0
    assert capsys.readouterr().out.startswith("Budi Hartono: https://t.me/rapk_bkd_bot?start=")


def test_assign_gives_an_iku_and_a_program_indicator_by_their_numbers(db_url, engine, small_plan, monkeypatch,
                                                                      capsys):
    """`--iku N` and `--program-indicator B.N` number them as `rapk summary --json` does (iku[].seq,
    program_blocks[].seq and indicators[].n)."""
    from models import OutcomeAssignment
    from tests.support.outcomes import add_outcomes

    ids = add_outcomes(engine, small_plan, holder=None)
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert main(["assign", "Sari Dewi", "--iku", "1", "--program-indicator", "1.2"]) == 0
    out = capsys.readouterr().out
    assert "assigned: IKU 1. Prosentase ASN yang memiliki sertifikat diklat kompetensi" in out
    assert "assigned: program indicator 1.2. Jumlah peserta diklat teknis" in out
    assert main(["assign", "Sari Dewi", "--iku", "1"]) == 0
    assert "already reports: IKU 1." in capsys.readouterr().out
    for wrong in (["--iku", "2"], ["--program-indicator", "1.3"], ["--program-indicator", "1"], []):
        assert main(["assign", "Sari Dewi", *wrong]) == 1
    err = capsys.readouterr().err
    assert "the plan has no IKU '2'" in err and "no program indicator '1.3'" in err
    assert "name a kegiatan, --iku N, --program-indicator B.N or --unit" in err
    with unit_of_work(engine) as session:
        held = session.exec(select(OutcomeAssignment).where(OutcomeAssignment.person_id == small_plan["sari"])).all()
        assert {(h.goal_indicator_id, h.program_indicator_id) for h in held} == {(ids["iku"], None),
                                                                                (None, ids["count"])}
