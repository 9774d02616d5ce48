"""Reminder rows of the idempotent tick, their content and the late list (small plans, exact times)."""

import threading
from datetime import UTC
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session
from sqlmodel import select

from bot.db import make_engine
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.obligations import due_for_person
from bot.domain.outbox import load_reminders
from bot.domain.reminders import late_list
from bot.domain.reminders import plan_due_reminders
from bot.domain.reminders import plan_late_list_posts
from bot.domain.reminders import render_late_list
from bot.domain.reminders import still_due
from bot.telegram.sending import MESSAGE_LIMIT
from models import GroupPost
from models import Kegiatan
from models import PeriodLock
from models import Reminder
from tests.support.builders import PlanBuilder
from tests.support.builders import report
from tests.support.builders import report_aksi

WIB = ZoneInfo("Asia/Jakarta")
CAL = ReportingCalendar()
# TW II 2020: H-7 Tue 23 Jun, H-3 Fri 26 Jun, H-1 Mon 29 Jun, deadline Tue 7 Jul, late list Wed 8 Jul,
# overdue Thu 9, Mon 13, Wed 15 Jul ...
H7 = datetime(2020, 6, 23, 8, 0, tzinfo=WIB)
TW2_AKSI = ["", "50%", "", ""]


@pytest.fixture
def world(engine):
    """Budi and Sari have TW II items open; the others are paused, blocked, not onboarded or done;
    one kegiatan has no PIC."""
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        people = {
            "budi": b.person("Budi Santoso", telegram_user_id=3001),
            "sari": b.person("Sari Dewi", telegram_user_id=3002),
            "dewi": b.person("Dewi (cuti)", telegram_user_id=3003, paused_until=date(2020, 6, 23)),
            "eko": b.person("Eko (blokir)", telegram_user_id=3004, unreachable_at=datetime(2020, 6, 1, tzinfo=UTC)),
            "rina": b.person("Rina (belum onboarding)"),
            "fajar": b.person("Fajar (sudah lapor)", telegram_user_id=3006),
        }
        teknis = b.kegiatan("Pendidikan dan Pelatihan Teknis", budget=1_018_175_000, pics=[people["budi"]], aksi=[
            ("Persiapan pelaksanaan kegiatan diklat", ["", "50%", "50%", ""]),
            ("Pendataan peserta", ["-", "60 Orang", "157 Orang", ""]),
            ("Evaluasi pelaksanaan", ["", "", "", "3 dokumen"]),
        ])
        rapat = b.kegiatan("Rapat Koordinasi Kepegawaian", budget=25_000_000, pics=[people["budi"]],
                           aksi=[("Rapat", ["", "", "", "4 kali"])])
        struktural = b.kegiatan("Pendidikan Penjenjangan Struktural", budget=None, pics=[people["sari"]],
                                aksi=[("Pelaksanaan", ["30%", "50%", "", ""])])
        for name in ("dewi", "eko", "rina", "fajar"):
            k = b.kegiatan(f"Kegiatan {name}", budget=None, pics=[people[name]], aksi=[("Aksi", TW2_AKSI)])
            if name == "fajar":
                report(session, k, 2, datetime(2020, 6, 20, tzinfo=UTC))
        b.kegiatan("Kegiatan tanpa PIC", budget=None, aksi=[("Aksi", TW2_AKSI)])
        session.add(PeriodLock(plan_id=b.plan.id, quarter=1))  # TW I is closed by June
        ids = {name: p.id for name, p in people.items()}
        ids.update(plan=b.plan.id, teknis=teknis.id, rapat=rapat.id, struktural=struktural.id)
    return engine, ids


def tick(engine, plan_id: int, at: datetime) -> int:
    with unit_of_work(engine) as session:
        return plan_due_reminders(at.astimezone(UTC), session=session, calendar=CAL, plan_id=plan_id)


def rows(engine) -> set[tuple[int, int, str]]:
    with Session(engine) as session:
        return {(r.person_id, r.quarter, r.kind) for r in session.exec(select(Reminder))}


def sent_reminder(reminder, *, session, calendar, lang="id"):
    """The reminder as the dispatcher sends it: load_reminders' draft, rendered."""
    [draft] = load_reminders([reminder.id], session=session, calendar=calendar, now=reminder.due_at)
    out = draft.render(calendar, lang, limit=MESSAGE_LIMIT)
    return out.text, [kegiatan_id for kegiatan_id, _ in out.report]


def test_rows_only_for_people_with_something_open_and_reachable(world):
    engine, ids = world
    assert tick(engine, ids["plan"], H7) == 2
    assert rows(engine) == {(ids["budi"], 2, "h-7"), (ids["sari"], 2, "h-7")}
    with Session(engine) as session:
        reminder = session.exec(select(Reminder).where(Reminder.person_id == ids["budi"])).one()
        assert reminder.status == "pending"
        assert reminder.due_at.replace(tzinfo=UTC) == datetime(2020, 6, 23, 1, 0, tzinfo=UTC)


def test_leave_that_ended_yesterday_does_not_stop_reminders(world):
    engine, ids = world
    tick(engine, ids["plan"], H7)
    h3 = datetime(2020, 6, 26, 8, 0, tzinfo=WIB)  # Dewi was on leave until 23 Jun
    assert tick(engine, ids["plan"], h3) == 3
    assert (ids["dewi"], 2, "h-3") in rows(engine) and (ids["dewi"], 2, "h-7") not in rows(engine)


def test_tick_is_idempotent_within_the_day(world):
    engine, ids = world
    assert tick(engine, ids["plan"], H7) == 2
    assert tick(engine, ids["plan"], H7) == 0
    assert tick(engine, ids["plan"], datetime(2020, 6, 23, 15, 0, tzinfo=WIB)) == 0
    assert len(rows(engine)) == 2


def test_bot_down_at_eight_sends_that_days_reminders_later_the_same_day(world):
    engine, ids = world
    assert tick(engine, ids["plan"], datetime(2020, 6, 23, 7, 59, tzinfo=WIB)) == 0
    assert tick(engine, ids["plan"], datetime(2020, 6, 23, 23, 30, tzinfo=WIB)) == 2
    assert {kind for _, _, kind in rows(engine)} == {"h-7"}


def test_reminder_missed_yesterday_is_not_sent_late(world):
    engine, ids = world
    assert tick(engine, ids["plan"], datetime(2020, 6, 24, 8, 0, tzinfo=WIB)) == 0
    assert rows(engine) == set()


def test_last_call_on_the_deadline_day_and_no_pic_rows_on_the_late_list_day(world):
    engine, ids = world
    assert tick(engine, ids["plan"], datetime(2020, 7, 7, 8, 0, tzinfo=WIB)) == 3  # Dewi is back from leave
    assert {kind for _, _, kind in rows(engine)} == {"deadline"}
    assert tick(engine, ids["plan"], datetime(2020, 7, 8, 8, 0, tzinfo=WIB)) == 0


def test_only_the_latest_missed_overdue_nudge_is_created(world):
    engine, ids = world
    # Down from 8 to 14 Jul: the nudges of 9 and 13 Jul were missed; only 13 Jul's is created.
    assert tick(engine, ids["plan"], datetime(2020, 7, 14, 9, 0, tzinfo=WIB)) == 3
    assert rows(engine) == {(ids[p], 2, "overdue-2020-07-13") for p in ("budi", "sari", "dewi")}
    assert tick(engine, ids["plan"], datetime(2020, 7, 15, 8, 0, tzinfo=WIB)) == 3
    assert (ids["sari"], 2, "overdue-2020-07-15") in rows(engine)


def test_locked_quarter_and_locked_kegiatan_get_no_rows(world):
    engine, ids = world
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=ids["plan"], quarter=2, kegiatan_id=ids["struktural"]))
    assert tick(engine, ids["plan"], datetime(2020, 7, 7, 8, 0, tzinfo=WIB)) == 2
    assert rows(engine) == {(ids["budi"], 2, "deadline"), (ids["dewi"], 2, "deadline")}
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=ids["plan"], quarter=2))
    assert tick(engine, ids["plan"], datetime(2020, 7, 9, 8, 0, tzinfo=WIB)) == 0


def test_concurrent_ticks_create_each_row_once(world, db_url):
    _, ids = world
    engines = [make_engine(db_url), make_engine(db_url)]
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def run(engine) -> None:
        try:
            with unit_of_work(engine) as session:
                barrier.wait(timeout=10)
                results.append(plan_due_reminders(H7.astimezone(UTC), session=session, calendar=CAL,
                                                  plan_id=ids["plan"]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.dispose()
    assert errors == []
    assert sorted(results) == [0, 2]
    assert rows(world[0]) == {(ids["budi"], 2, "h-7"), (ids["sari"], 2, "h-7")}


def latest_reminder(engine, plan_id: int, at: datetime, person_id: int) -> Reminder:
    """Run the tick at `at` and return the newest reminder row of the person."""
    tick(engine, plan_id, at)
    with Session(engine) as session:
        return session.exec(select(Reminder).where(Reminder.person_id == person_id)
                            .order_by(Reminder.id.desc())).first()


def test_content_names_exactly_the_open_aksi_and_their_targets(world):
    engine, ids = world
    reminder = latest_reminder(engine, ids["plan"], H7, ids["budi"])
    with unit_of_work(engine) as session:
        text, kegiatan_ids = sent_reminder(reminder, session=session, calendar=CAL)
        assert kegiatan_ids == [ids["teknis"], ids["rapat"]]
        assert "Budi Santoso" in text and "Batas akhir laporan: <b>7 Juli 2020</b>" in text
        assert "Persiapan pelaksanaan kegiatan diklat: target TW II <b>50%</b>" in text
        assert "Pendataan peserta: target TW II <b>60 Orang</b>" in text
        assert text.index("Pendidikan dan Pelatihan Teknis") < text.index("Rapat Koordinasi Kepegawaian")
        teknis = due_for_person(ids["budi"], ids["plan"], 2, session=session)[0]
        report_aksi(session, teknis.aksi[0].aksi_id, 2, datetime(2020, 6, 24, tzinfo=UTC))
        report(session, session.get(Kegiatan, ids["rapat"]), 2, datetime(2020, 6, 24, tzinfo=UTC))
        text, kegiatan_ids = sent_reminder(reminder, session=session, calendar=CAL)
    assert kegiatan_ids == [ids["teknis"]]
    assert "Pendataan peserta: target TW II <b>60 Orang</b>" in text
    assert "Persiapan pelaksanaan" not in text and "Rapat Koordinasi" not in text
    assert "TW II berakhir 7 hari lagi (30 Juni 2020). Batas akhir laporan: <b>7 Juli 2020</b>" in text
    assert "Realisasi anggaran TW II (pagu Rp1.018.175.000)" in text


def test_deadline_and_overdue_wording(world):
    engine, ids = world
    last_call = latest_reminder(engine, ids["plan"], datetime(2020, 7, 7, 8, 0, tzinfo=WIB), ids["sari"])
    overdue = latest_reminder(engine, ids["plan"], datetime(2020, 7, 9, 8, 0, tzinfo=WIB), ids["sari"])
    with Session(engine) as session:
        assert "Hari ini batas akhir laporan TW II 2020</b> (7 Juli 2020)" in sent_reminder(
            last_call, session=session, calendar=CAL)[0]
        late_text = sent_reminder(overdue, session=session, calendar=CAL)[0]
        assert "Laporan Anda terlambat" in late_text and "7 Juli 2020" in late_text
        english = sent_reminder(overdue, session=session, calendar=CAL, lang="en")[0]
        assert "Your report is late" in english and "July 7, 2020" in english


def test_still_due_turns_false_once_everything_is_reported_or_locked(world):
    engine, ids = world
    tick(engine, ids["plan"], H7)
    with unit_of_work(engine) as session:
        budi, sari = (session.exec(select(Reminder).where(Reminder.person_id == ids[name])).one()
                      for name in ("budi", "sari"))
        assert still_due(budi, session=session) and still_due(sari, session=session)
        report(session, session.get(Kegiatan, ids["struktural"]), 2, datetime(2020, 6, 24, tzinfo=UTC))
        assert not still_due(sari, session=session)
        session.add(PeriodLock(plan_id=ids["plan"], quarter=2))
        session.flush()
        assert not still_due(budi, session=session)


def test_user_supplied_names_are_escaped(world):
    engine, ids = world
    with unit_of_work(engine) as session:
        session.get(Kegiatan, ids["teknis"]).name = "Rapat <Koordinasi> & Evaluasi"
    reminder = latest_reminder(engine, ids["plan"], H7, ids["budi"])
    with Session(engine) as session:
        text, _ = sent_reminder(reminder, session=session, calendar=CAL)
        late = render_late_list(ids["plan"], 2, session=session, calendar=CAL, limit=MESSAGE_LIMIT)
    for html in (text, late):
        assert "Rapat &lt;Koordinasi&gt; &amp; Evaluasi" in html
        assert "<Koordinasi>" not in html


@pytest.mark.parametrize(("name_length", "shown"), [(20, 10), (290, None)])
def test_many_kegiatan_fit_in_one_message(engine, name_length, shown):
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        pic = b.person("Budi Santoso", telegram_user_id=3001)
        kegiatan_ids = [
            b.kegiatan(f"{i:02d} " + "Kegiatan pengembangan kompetensi aparatur " * (name_length // 40),
                       budget=10_000_000, pics=[pic],
                       aksi=[(f"Aksi {j} " + "x" * (name_length - 10), TW2_AKSI) for j in range(4)]).id
            for i in range(40)
        ]
        plan_id = b.plan.id
    reminder = latest_reminder(engine, plan_id, H7, pic.id)
    with Session(engine) as session:
        text, listed = sent_reminder(reminder, session=session, calendar=CAL)
    assert len(text) <= 4096
    assert listed == kegiatan_ids[: len(listed)] and 0 < len(listed) < 40
    if shown is not None:
        assert len(listed) == shown
    assert f"dan {40 - len(listed)} kegiatan lainnya" in text


def test_late_list_names_kegiatan_and_their_pics(world):
    engine, ids = world
    with Session(engine) as session:
        late = late_list(ids["plan"], 2, session=session)
        text = render_late_list(ids["plan"], 2, session=session, calendar=CAL, limit=MESSAGE_LIMIT)
    assert [(k.name, k.pic_names, k.outstanding_aksi, k.budget_missing) for k in late] == [
        ("Pendidikan dan Pelatihan Teknis", ["Budi Santoso"], 2, True),
        ("Rapat Koordinasi Kepegawaian", ["Budi Santoso"], 0, True),
        ("Pendidikan Penjenjangan Struktural", ["Sari Dewi"], 1, True),
        ("Kegiatan dewi", ["Dewi (cuti)"], 1, True),
        ("Kegiatan eko", ["Eko (blokir)"], 1, True),
        ("Kegiatan rina", ["Rina (belum onboarding)"], 1, True),
        ("Kegiatan tanpa PIC", [], 1, True),
    ]
    assert "Belum lapor TW II 2020" in text and "Batas akhir 7 Juli 2020 sudah lewat" in text
    # A PIC on Telegram is a tg://user mention (a tap opens them, no username needed); Rina is not on it.
    assert '<a href="tg://user?id=3001">Budi Santoso</a>' in text and "<i>belum ada PIC</i>" in text
    assert "PIC: Rina (belum onboarding)" in text
    assert "Kegiatan fajar" not in text


def test_late_list_posts_once_per_chat_on_the_late_list_day(world):
    engine, ids = world
    chats = [-1001, 42]

    def post(at: datetime) -> int:
        with unit_of_work(engine) as session:
            return plan_late_list_posts(at.astimezone(UTC), session=session, calendar=CAL, plan_id=ids["plan"],
                                        chat_ids=chats)

    assert post(datetime(2020, 7, 7, 20, 0, tzinfo=WIB)) == 0
    assert post(datetime(2020, 7, 8, 8, 0, tzinfo=WIB)) == 2
    assert post(datetime(2020, 7, 8, 12, 0, tzinfo=WIB)) == 0
    with Session(engine) as session:
        assert sorted(p.dedupe_key for p in session.exec(select(GroupPost))) == [
            f"late-list:plan={ids['plan']}:q=2:chat=-1001", f"late-list:plan={ids['plan']}:q=2:chat=42"]


def test_long_late_list_fits_in_one_message(engine):
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        pic = b.person("Budi Santoso", telegram_user_id=3001)
        for i in range(150):
            b.kegiatan(f"Kegiatan pengembangan kompetensi aparatur nomor {i}", budget=None, pics=[pic],
                       aksi=[("Aksi", TW2_AKSI)])
        plan_id = b.plan.id
    with Session(engine) as session:
        text = render_late_list(plan_id, 2, session=session, calendar=CAL, limit=MESSAGE_LIMIT)
    shown = text.count("• <b>")
    assert len(text) <= 4096 and 0 < shown < 150
    assert f"dan {150 - shown} kegiatan lainnya" in text
    assert "150 kegiatan belum lengkap, 1 PIC" in text
