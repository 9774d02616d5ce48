"""`rapk audit [--since DATE]` prints the audit trail: who, when, what, old → new, reason."""

from datetime import datetime

from bot.cli import main
from bot.db import unit_of_work
from bot.domain.admin import change_aksi_target
from bot.domain.locks import lock_quarter
from tests.support.harness import WIB


def test_audit_prints_admin_actions_since_a_date(engine, db_url, small_plan, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TIMEZONE", "Asia/Jakarta")
    aksi_id = small_plan["aksi"][small_plan["kegiatan"][0]][1]
    with unit_of_work(engine) as session:
        lock_quarter(small_plan["plan"], 1, session=session, actor_label="Admin Perencanaan",
                     now=datetime(2020, 4, 14, 8, 30, tzinfo=WIB))
        change_aksi_target(aksi_id, 2, "80", session=session, reason="kuota peserta naik",
                           actor_label="Admin Perencanaan", now=datetime(2020, 6, 23, 9, 5, tzinfo=WIB))

    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    plan = small_plan["plan"]
    assert lines[0] == f"2020-04-14 08:30 Admin Perencanaan: period.lock plan#{plan}.tw1 terbuka → terkunci"
    assert lines[1].startswith("2020-06-23 09:05 Admin Perencanaan: target.update aksi_target#")
    assert lines[1].endswith(".raw 60 → 80 (kuota peserta naik)")

    assert main(["audit", "--since", "2020-06-01"]) == 0
    assert [line[:16] for line in capsys.readouterr().out.splitlines()] == ["2020-06-23 09:05"]
    assert main(["audit", "--limit", "1"]) == 0  # the newest entry, not the first of the year
    assert [line[:16] for line in capsys.readouterr().out.splitlines()] == ["2020-06-23 09:05"]
    assert main(["audit", "--since", "kemarin"]) == 2
    refused = capsys.readouterr()
    assert refused.out == "" and "is not a date" in refused.err  # a refusal goes where errors go, like the others


def test_audit_shows_stored_utc_times_in_the_agency_zone(engine, db_url, small_plan, monkeypatch, capsys):
    """Rows stamped in UTC (the default) print in local time, and --since is a local day, on both databases."""
    from datetime import UTC

    from bot.domain.audit import record

    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TIMEZONE", "Asia/Jakarta")
    with unit_of_work(engine) as session:
        record(session, action="test.early", entity="person", at=datetime(2020, 5, 31, 16, 30, tzinfo=UTC))
        record(session, action="test.late", entity="person", at=datetime(2020, 5, 31, 20, 0, tzinfo=UTC))
    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[:16] for line in lines] == ["2020-05-31 23:30", "2020-06-01 03:00"]
    assert main(["audit", "--since", "2020-06-01"]) == 0
    assert [line[:16] for line in capsys.readouterr().out.splitlines()] == ["2020-06-01 03:00"]
