"""`rapk evidence require` and `rapk evidence export` against files served by the fake Bot API."""

import asyncio
from datetime import UTC
from datetime import datetime

import pytest
from sqlmodel import select

from bot.cli import main
from bot.db import unit_of_work
from bot.domain.reporting import ReportError
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import AuditLog
from models import Evidence
from models import Kegiatan

PDF = b"%PDF-1.4 daftar hadir"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def env(monkeypatch, db_url, fake=None):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("PLAN_YEAR", "2020")
    monkeypatch.setenv("RAPK_LANGUAGE", "id")
    if fake is not None:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
        monkeypatch.setenv("TELEGRAM_BASE_URL", fake.base_url)


async def test_export_downloads_every_file_named_by_kegiatan_and_aksi_and_reports_a_lost_one(
        fake, db_url, engine, small_plan, monkeypatch, tmp_path, capsys):
    env(monkeypatch, db_url, fake)
    k1, k2 = small_plan["kegiatan"]
    pdf = fake.send_document(3001, "Daftar Hadir.pdf", PDF, "application/pdf")["message"]["document"]
    photo = fake.send_photo(3002, PHOTO)["message"]["photo"][-1]
    now = datetime(2020, 6, 23, tzinfo=UTC)
    with unit_of_work(engine) as session:
        session.add(Evidence(kegiatan_id=k1, quarter=2, file_id=pdf["file_id"], file_unique_id=pdf["file_unique_id"],
                             kind="document", file_name="Daftar Hadir.pdf", uploaded_at=now))
        session.add(Evidence(kegiatan_id=k2, quarter=2, file_id=photo["file_id"], file_unique_id="p",
                             kind="photo", uploaded_at=now))
        session.add(Evidence(kegiatan_id=k2, quarter=2, file_id="gone-since-2019", file_unique_id="g",
                             kind="photo", uploaded_at=now))
    code = await asyncio.to_thread(main, ["evidence", "export", "--quarter", "2", "--out", str(tmp_path / "bukti")])
    captured = capsys.readouterr()
    assert code == 1  # one file is lost: said, not skipped
    assert "2 of 3 files written" in captured.out
    assert "not served by Telegram any more" in captured.err and "TW2-aksi-2-02-foto.jpg" in captured.err
    written = sorted(str(p.relative_to(tmp_path / "bukti")) for p in (tmp_path / "bukti").rglob("*") if p.is_file())
    # TW II: kegiatan 1 owes aksi 1 and 2; kegiatan 2 owes aksi 2 only (its aksi 1 is TW I's).
    assert written == ["01-Pendidikan-dan-Pelatihan-Teknis/TW2-aksi-1-2-01-Daftar-Hadir.pdf",
                       "02-Pendidikan-Penjurangan-Struktural/TW2-aksi-2-01-foto.jpg"]
    assert (tmp_path / "bukti" / written[0]).read_bytes() == PDF
    assert (tmp_path / "bukti" / written[1]).read_bytes() == PHOTO


def test_require_blocks_a_report_without_evidence(db_url, engine, small_plan, monkeypatch, capsys):
    env(monkeypatch, db_url)
    assert main(["evidence", "require", "1"]) == 0
    assert "1. Pendidikan dan Pelatihan Teknis: evidence required before Simpan" in capsys.readouterr().out
    assert main(["evidence", "require", "2", "--aksi", "9"]) == 1
    assert "has no aksi 9" in capsys.readouterr().err
    k1 = small_plan["kegiatan"][0]
    sub = Submission(kegiatan_id=k1, quarter=2, budget_realised=5)
    with unit_of_work(engine) as session:
        assert session.get(Kegiatan, k1).evidence_required
    with pytest.raises(ReportError, match="evidence_required"), unit_of_work(engine) as session:
        save_report(sub, session=session, person_id=small_plan["budi"], actor_label="t",
                    now=datetime(2020, 6, 23, tzinfo=UTC), late=False)
    with unit_of_work(engine) as session:
        actions = [a.action for a in session.exec(select(AuditLog)).all()]
    assert actions == ["evidence.require"]  # the refused report left nothing behind
    assert main(["evidence", "require", "1", "--off"]) == 0
