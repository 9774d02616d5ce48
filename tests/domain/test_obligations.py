"""What a PIC still has to report, and their status, on small plans built through the models."""

from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.obligations import due_for_person
from bot.domain.obligations import due_for_plan
from bot.domain.obligations import person_status
from bot.domain.obligations import reminder_items
from models import Aksi
from models import AksiRealisation
from models import Kegiatan
from models import KegiatanRealisation
from models import PeriodLock
from tests.support.builders import PlanBuilder
from tests.support.builders import report
from tests.support.builders import report_aksi
from tests.support.harness import WIB


@pytest.fixture
def world(engine):
    """Budi: Diklat Teknis (aksi in TW II-IV, budget) and Rapat (budget, aksi in TW IV only).
    Budi and Sari share Penjenjangan (aksi in TW I-II, no budget)."""
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        budi = b.person("Budi Santoso", telegram_user_id=3001)
        sari = b.person("Sari Dewi", telegram_user_id=3002)
        teknis = b.kegiatan("Pendidikan dan Pelatihan Teknis", budget=1_018_175_000, indicators=["30 Orang"], aksi=[
            ("Persiapan pelaksanaan kegiatan diklat", ["", "50%", "50%", ""]),
            ("Pendataan peserta", ["-", "60 Orang", "157 Orang", ""]),
            ("Evaluasi pelaksanaan", ["", "", "", "3 dokumen"]),
        ], pics=[budi])
        rapat = b.kegiatan("Rapat Koordinasi Kepegawaian", budget=25_000_000, pics=[budi],
                           aksi=[("Rapat", ["", "", "", "4 kali"])])
        struktural = b.kegiatan("Pendidikan Penjenjangan Struktural", budget=None, aksi=[
            ("Persiapan", ["100%", "", "", ""]),
            ("Pelaksanaan", ["30%", "50%", "", ""]),
        ], pics=[budi, sari])
        ids = {"plan": b.plan.id, "budi": budi.id, "sari": sari.id, "teknis": teknis.id, "rapat": rapat.id,
               "struktural": struktural.id}
    return engine, ids


def test_due_lists_aksi_with_a_target_this_quarter(world):
    engine, ids = world
    with Session(engine) as session:
        due = due_for_person(ids["budi"], ids["plan"], 2, session=session)
    assert [k.kegiatan_name for k in due] == [
        "Pendidikan dan Pelatihan Teknis", "Rapat Koordinasi Kepegawaian", "Pendidikan Penjenjangan Struktural"]
    teknis = due[0]
    assert [(a.no, a.name, a.target_raw, a.target_value, a.unit) for a in teknis.aksi] == [
        (1, "Persiapan pelaksanaan kegiatan diklat", "50%", Decimal(50), "%"),
        (2, "Pendataan peserta", "60 Orang", Decimal(60), "Orang"),
    ]
    assert teknis.budget_outstanding
    assert [(i.target_raw, i.reported) for i in teknis.indicators] == [("30 Orang", False)]
    assert not teknis.complete
    # Rapat has no aksi target in TW II but a budget: the budget realisation is due.
    assert due[1].aksi == [] and due[1].budget_outstanding
    # Penjenjangan: its aksi 2 has a TW II target (aksi 1 has not).
    assert [a.no for a in due[2].aksi] == [2]


def _report_value(session, kegiatan_id: int, no: int, quarter: int, value: int) -> None:
    aksi = session.exec(select(Aksi).where(Aksi.kegiatan_id == kegiatan_id, Aksi.no == no)).one()
    session.add(AksiRealisation(aksi_id=aksi.id, quarter=quarter, value=Decimal(value), value_raw=str(value)))


def test_kegiatan_with_nothing_due_is_not_listed(world):
    engine, ids = world
    with unit_of_work(engine) as session:  # Penjenjangan met as planned: 100% in TW I; 30% and 50% in TW I, II
        for no, quarter, value in ((1, 1, 100), (2, 1, 30), (2, 2, 50)):
            _report_value(session, ids["struktural"], no, quarter, value)
    with Session(engine) as session:
        assert due_for_person(ids["sari"], ids["plan"], 3, session=session) == []
        assert due_for_person(ids["sari"], ids["plan"], 4, session=session) == []


def test_late_work_is_offered_but_does_not_make_the_quarter_incomplete(world):
    """Penjenjangan (no budget, targets in TW I and TW II only), nothing reported: in TW III it owes late work
    only — «Persiapan» 100% from TW I, «Pelaksanaan» 30% + 50% = 80% from TW I — and nothing of its own."""
    engine, ids = world
    with Session(engine) as session:
        [late] = due_for_person(ids["sari"], ids["plan"], 3, session=session)
        budi = due_for_person(ids["budi"], ids["plan"], 3, session=session)
        status = person_status(ids["sari"], ids["plan"], 3, datetime(2020, 10, 20, tzinfo=UTC), ReportingCalendar(),
                               session=session)
    assert late.kegiatan_name == "Pendidikan Penjenjangan Struktural" and late.aksi == []
    assert [(a.no, a.due, a.arrear.since, a.arrear.owed, a.unit) for a in late.arrears] == [
        (1, False, 1, Decimal(100), "%"), (2, False, 1, Decimal(80), "%")]
    assert [a.no for a in late.late_work] == [1, 2] and late.late_work_open
    # The quarter counts as reported without it: not owed, complete, no budget asked, status «none».
    assert (late.owes, late.complete, late.open, late.budget_outstanding) == (False, True, False, False)
    assert status == "none"
    # Reminders: Sari has nothing of TW III's own open, so she is not chased for late work alone …
    assert reminder_items([late]) == []
    # … while Budi, who has TW III items open, gets the late work of the kegiatan he shares listed with them.
    assert [k.kegiatan_name for k in reminder_items(budi)] == [
        "Pendidikan dan Pelatihan Teknis", "Rapat Koordinasi Kepegawaian", "Pendidikan Penjenjangan Struktural"]

    with unit_of_work(engine) as session:  # the late work done in TW III, recorded as TW III's values
        _report_value(session, ids["struktural"], 1, 3, 100)
        _report_value(session, ids["struktural"], 2, 3, 80)
    with Session(engine) as session:
        [late] = due_for_person(ids["sari"], ids["plan"], 3, session=session)
        budi = due_for_person(ids["budi"], ids["plan"], 3, session=session)
        after = due_for_person(ids["sari"], ids["plan"], 4, session=session)
    # Still on TW III's form with its values (to see and correct them), settled, nothing left to chase.
    assert [(a.reported_value, a.arrear.settled, a.arrear.remaining) for a in late.arrears] == [
        (Decimal(100), True, 0), (Decimal(80), True, 0)]
    assert late.late_work == [] and not late.late_work_open
    assert [k.kegiatan_name for k in reminder_items(budi)] == [
        "Pendidikan dan Pelatihan Teknis", "Rapat Koordinasi Kepegawaian"]
    assert after == []  # met by TW III: nothing owed in TW IV


def test_reporting_removes_items_until_complete(world):
    engine, ids = world
    at = datetime(2020, 6, 29, 3, 0, tzinfo=UTC)
    with unit_of_work(engine) as session:
        first_aksi = due_for_person(ids["budi"], ids["plan"], 2, session=session)[0].aksi[0].aksi_id
        report_aksi(session, first_aksi, 2, at)
        # A narrative without a budget figure does not count as the budget realisation.
        session.add(KegiatanRealisation(kegiatan_id=ids["teknis"], quarter=2, kendala="Menunggu SPJ"))
    with Session(engine) as session:
        teknis_due = due_for_person(ids["budi"], ids["plan"], 2, session=session)[0]
    assert [a.name for a in teknis_due.outstanding] == ["Pendataan peserta"]
    assert teknis_due.aksi[0].reported and teknis_due.aksi[0].reported_value == Decimal(50)
    assert teknis_due.budget_outstanding
    with unit_of_work(engine) as session:
        narrative = session.exec(select(KegiatanRealisation).where(KegiatanRealisation.kegiatan_id == ids["teknis"]))
        narrative.one().budget_realised = 0  # nothing spent yet is a real answer
        report_aksi(session, teknis_due.aksi[1].aksi_id, 2, at)
    with Session(engine) as session:
        teknis_due = due_for_person(ids["budi"], ids["plan"], 2, session=session)[0]
    assert teknis_due.outstanding == [] and teknis_due.budget_reported and teknis_due.complete


def test_indicator_values_are_optional(world):
    engine, ids = world
    with unit_of_work(engine) as session:
        teknis = session.get(Kegiatan, ids["teknis"])
        report(session, teknis, 2, datetime(2020, 6, 29, tzinfo=UTC), indicators=False)
    with Session(engine) as session:
        teknis_due = due_for_person(ids["budi"], ids["plan"], 2, session=session)[0]
    assert teknis_due.complete and not teknis_due.indicator_reported


def test_due_for_plan_groups_per_person(world):
    engine, ids = world
    with Session(engine) as session:
        grouped = due_for_plan(ids["plan"], 1, session=session)
    assert {p: [k.kegiatan_name for k in items] for p, items in grouped.items()} == {
        ids["budi"]: ["Pendidikan dan Pelatihan Teknis", "Rapat Koordinasi Kepegawaian",
                      "Pendidikan Penjenjangan Struktural"],
        ids["sari"]: ["Pendidikan Penjenjangan Struktural"],
    }


def test_due_for_plan_of_some_people_lists_only_them(world):
    """A dispatcher chunk: Sari alone gets the kegiatan she shares with Budi, and nothing of his own."""
    engine, ids = world
    with Session(engine) as session:
        only_sari = due_for_plan(ids["plan"], 1, session=session, people=[ids["sari"]])
        nobody = due_for_plan(ids["plan"], 1, session=session, people=[])
    assert {p: [k.kegiatan_name for k in items] for p, items in only_sari.items()} == {
        ids["sari"]: ["Pendidikan Penjenjangan Struktural"]}
    assert sorted(only_sari[ids["sari"]][0].pic_ids) == sorted([ids["budi"], ids["sari"]])
    assert nobody == {}


def count_queries(engine, fn):
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return result, len(statements)


def test_due_for_plan_query_count_does_not_grow_with_the_plan(engine):
    """No query per kegiatan: 5 kegiatan and 60 kegiatan take the same number of queries."""
    counts = []
    for n in (5, 60):
        with unit_of_work(engine) as session:
            b = PlanBuilder(session, year=2020 + n)
            pic = b.person(f"PIC {n}", telegram_user_id=n)
            for i in range(n):
                b.kegiatan(f"Kegiatan {i}", budget=1000, indicators=["1 dokumen"], pics=[pic],
                           aksi=[(f"Aksi {j}", ["10%", "20%", "30%", "40%"]) for j in range(3)])
            plan_id = b.plan.id
        with Session(engine) as session:
            grouped, queries = count_queries(engine, lambda: due_for_plan(plan_id, 1, session=session))
        assert sum(len(items) for items in grouped.values()) == n
        counts.append(queries)
    assert counts[0] == counts[1] <= 7


@pytest.mark.parametrize(("reported_at", "expected"), [
    (datetime(2020, 4, 7, 23, 59, tzinfo=WIB), "submitted"),  # TW I 2020 deadline: Tue 7 Apr 2020
    (datetime(2020, 4, 8, 0, 1, tzinfo=WIB), "late"),
])
def test_status_submitted_or_late(world, reported_at, expected):
    engine, ids = world
    with unit_of_work(engine) as session:
        report(session, session.get(Kegiatan, ids["struktural"]), 1, reported_at)  # Sari's only kegiatan
    with Session(engine) as session:
        status = person_status(ids["sari"], ids["plan"], 1, datetime(2020, 12, 1, tzinfo=UTC), ReportingCalendar(),
                               session=session)
    assert status == expected


def test_status_pending_then_late_then_missed(world):
    engine, ids = world
    cal = ReportingCalendar()

    def status(person: str, quarter: int, at: datetime) -> str:
        with Session(engine) as session:
            return person_status(ids[person], ids["plan"], quarter, at, cal, session=session)

    # TW II 2020 is due Tue 7 Jul 2020; Budi has reported nothing.
    assert status("budi", 2, datetime(2020, 7, 7, 23, 59, tzinfo=WIB)) == "pending"
    assert status("budi", 2, datetime(2020, 7, 8, 0, 0, tzinfo=WIB)) == "late"
    assert status("sari", 4, datetime(2020, 7, 1, tzinfo=UTC)) == "none"
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=ids["plan"], quarter=2))
    assert status("budi", 2, datetime(2020, 7, 20, tzinfo=UTC)) == "missed"


def test_lock_of_one_kegiatan_misses_only_its_pics(world):
    engine, ids = world
    cal = ReportingCalendar()
    now = datetime(2020, 7, 1, tzinfo=UTC)
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=ids["plan"], quarter=2, kegiatan_id=ids["rapat"]))
    with Session(engine) as session:
        assert person_status(ids["budi"], ids["plan"], 2, now, cal, session=session) == "missed"
        assert person_status(ids["sari"], ids["plan"], 2, now, cal, session=session) == "pending"
        due = {k.kegiatan_id: k for k in due_for_person(ids["budi"], ids["plan"], 2, session=session)}
        assert due[ids["rapat"]].locked and not due[ids["rapat"]].open
        assert not due[ids["teknis"]].locked


def test_tw4_status_uses_the_deadline_in_the_next_year(world):
    """TW IV 2020 is due Fri 8 Jan 2021: a report at 23:00 WIB that day is on time."""
    engine, ids = world
    with unit_of_work(engine) as session:
        report(session, session.get(Kegiatan, ids["teknis"]), 4, datetime(2021, 1, 8, 23, 0, tzinfo=WIB))
        report(session, session.get(Kegiatan, ids["rapat"]), 4, datetime(2021, 1, 4, tzinfo=WIB))
    with Session(engine) as session:
        status = person_status(ids["budi"], ids["plan"], 4, datetime(2021, 2, 1, tzinfo=UTC), ReportingCalendar(),
                               session=session)
    assert status == "submitted"
