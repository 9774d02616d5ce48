"""Two PICs of one kegiatan press Simpan at the same moment: both saves commit, each aksi keeps one row,
and the audit trail tells the story in order: every update starts from the value the save before it left."""

import threading
import time
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from models import AksiRealisation
from models import AuditLog
from models import KegiatanRealisation
from models import PicAssignment
from models import ReportReview

NOW = datetime(2020, 6, 20, 2, 0, tzinfo=UTC)


def _save(session, sub: Submission, person_id: int) -> None:
    save_report(sub, session=session, person_id=person_id, actor_label=str(person_id), now=NOW, late=False)


def _blocked_by(engine, session, second_writes: threading.Event, timeout: float = 30) -> None:
    """Return once the second save waits on the rows this session holds: on PostgreSQL when
    pg_blocking_pids says so; on SQLite (one writer at a time) once the second's first write is on its way,
    which SQLite's busy timeout holds until this session commits."""
    if engine.dialect.name != "postgresql":
        assert second_writes.wait(timeout), "the second save never reached its first write"
        return
    holder = session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while not conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
                               {"pid": holder}).scalar():
            assert time.monotonic() < deadline, "the second save never reached the rows the first holds"
            conn.rollback()  # a fresh snapshot of pg_stat_activity
            time.sleep(0.01)


def _second_while_first_holds(engine, first: tuple[Submission, int], second: tuple[Submission, int]) -> None:
    """`first` saves and, before it commits, `second` presses Simpan; `first` commits once `second` waits on it.
    Both must commit."""
    errors = []
    second_writes = threading.Event()

    def second_presses_simpan() -> None:
        try:
            with unit_of_work(engine) as session:
                _save(session, *second)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            second_writes.set()  # a save that failed before writing lets the first go on, and fails below

    def note_a_write(conn, cursor, statement, *args) -> None:
        """The second save's first INSERT or UPDATE is on its way (what SQLite's waiting is seen by)."""
        if threading.current_thread() is thread and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            second_writes.set()

    thread = threading.Thread(target=second_presses_simpan)
    sa.event.listen(engine, "before_cursor_execute", note_a_write)
    try:
        with unit_of_work(engine) as session:
            _save(session, *first)
            thread.start()
            _blocked_by(engine, session, second_writes)
        thread.join(timeout=60)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note_a_write)
    assert not thread.is_alive() and errors == []


def test_two_pics_saving_one_kegiatan_at_once_both_commit_and_the_audit_chains(engine, small_plan):
    kegiatan = small_plan["kegiatan"][0]
    persiapan, pendataan = small_plan["aksi"][kegiatan][:2]
    budi, sari = small_plan["budi"], small_plan["sari"]
    with unit_of_work(engine) as session:
        session.add(PicAssignment(person_id=sari, kegiatan_id=kegiatan))  # a second PIC of the kegiatan
    with unit_of_work(engine) as session:  # what was reported last week
        _save(session, Submission(kegiatan, 2, aksi_values={persiapan: (Decimal(40), "40%"),
                                                            pendataan: (Decimal(20), "20")}, kendala="awal"), budi)
    by_budi = Submission(kegiatan, 2, aksi_values={persiapan: (Decimal(50), "50%"), pendataan: (Decimal(60), "60")},
                         budget_realised=1_000, kendala="Budi")
    by_sari = Submission(kegiatan, 2, aksi_values={pendataan: (Decimal(61), "61"), persiapan: (Decimal(45), "45%")},
                         budget_realised=2_000, kendala="Sari")
    _second_while_first_holds(engine, (by_budi, budi), (by_sari, sari))  # Budi's is not committed when Sari presses

    with unit_of_work(engine) as session:
        rows = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation))}
        notes = session.exec(select(KegiatanRealisation)).all()
        trail = session.exec(select(AuditLog).where(AuditLog.entity.in_(["aksi_realisation", "kegiatan_realisation"]))
                             .order_by(AuditLog.id)).all()
    assert rows == {persiapan: Decimal(45), pendataan: Decimal(61)}  # Sari's, who committed last
    assert [(n.budget_realised, n.kendala) for n in notes] == [(2_000, "Sari")]
    for aksi, values in ((persiapan, ("40", "50", "45")), (pendataan, ("20", "60", "61"))):
        steps = [(a.action, a.old_value and Decimal(a.old_value), Decimal(a.new_value), int(a.actor_label))
                 for a in trail if a.field == f"aksi:{aksi}"]
        first, middle, last = map(Decimal, values)
        assert steps == [("report.create", None, first, budi), ("report.update", first, middle, budi),
                         ("report.update", middle, last, sari)]
    assert [(a.old_value, a.new_value) for a in trail if a.field == "kendala"] == [
        ("", "awal"), ("awal", "Budi"), ("Budi", "Sari")]


def test_two_pics_saving_different_aksi_of_one_kegiatan_at_once_both_commit(engine, small_plan):
    """They meet only on the kegiatan's verification status («menunggu verifikasi»): the second waits for the
    first's row instead of failing on its unique key, and the report is submitted once."""
    kegiatan = small_plan["kegiatan"][0]
    persiapan, pendataan = small_plan["aksi"][kegiatan][:2]
    budi, sari = small_plan["budi"], small_plan["sari"]
    with unit_of_work(engine) as session:
        session.add(PicAssignment(person_id=sari, kegiatan_id=kegiatan))
    _second_while_first_holds(engine, (Submission(kegiatan, 2, aksi_values={persiapan: (Decimal(50), "50%")}), budi),
                              (Submission(kegiatan, 2, aksi_values={pendataan: (Decimal(60), "60")}), sari))

    with unit_of_work(engine) as session:
        rows = {r.aksi_id: r.value for r in session.exec(select(AksiRealisation))}
        reviews = session.exec(select(ReportReview)).all()
        submitted = session.exec(select(AuditLog).where(AuditLog.action == "review.submit")).all()
    assert rows == {persiapan: Decimal(50), pendataan: Decimal(60)}
    assert [(r.kegiatan_id, r.quarter, r.status) for r in reviews] == [(kegiatan, 2, "pending")]
    assert [int(a.actor_label) for a in submitted] == [budi]
