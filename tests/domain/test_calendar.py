"""The reporting calendar: exact dates for 2020 and 2021 with Indonesian holidays and cuti bersama."""

import json
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.cli.calendar import calendar_text
from bot.config import load_settings
from bot.domain.calendar import ReportingCalendar

WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def cal() -> ReportingCalendar:
    return ReportingCalendar()


def slots_by_kind(cal: ReportingCalendar, year: int, quarter: int) -> dict[str, date]:
    return {s.kind: s.date for s in cal.reminder_slots(year, quarter)}


@pytest.mark.parametrize(("year", "quarter", "end", "deadline"), [
    # 31 Mar 2020 (Tue) + Wed 1, Thu 2, Fri 3, Mon 6, Tue 7 Apr.
    (2020, 1, date(2020, 3, 31), date(2020, 4, 7)),
    (2020, 2, date(2020, 6, 30), date(2020, 7, 7)),
    (2020, 3, date(2020, 9, 30), date(2020, 10, 7)),
    # Year boundary: 31 Dec 2020 (Thu) is itself cuti bersama, but counting starts the day after.
    # Fri 1 Jan 2021 Tahun Baru Masehi, Sat 2 and Sun 3 skipped; Mon 4, Tue 5, Wed 6, Thu 7, Fri 8 Jan 2021.
    (2020, 4, date(2020, 12, 31), date(2021, 1, 8)),
    # 31 Mar 2021 (Wed) + Thu 1 Apr, (Fri 2 Apr Wafat Yesus Kristus), Mon 5, Tue 6, Wed 7, Thu 8 Apr.
    (2021, 1, date(2021, 3, 31), date(2021, 4, 8)),
    (2021, 2, date(2021, 6, 30), date(2021, 7, 7)),
    (2021, 3, date(2021, 9, 30), date(2021, 10, 7)),
    # 31 Dec 2021 (Fri) + Mon 3 .. Fri 7 Jan 2022 (Sat 1 Jan is also Tahun Baru).
    (2021, 4, date(2021, 12, 31), date(2022, 1, 7)),
])
def test_quarter_end_and_deadline(cal, year, quarter, end, deadline):
    assert cal.quarter_end(year, quarter) == end
    assert cal.deadline(year, quarter) == deadline


def test_default_reminder_days_2020_and_2021(cal):
    assert slots_by_kind(cal, 2020, 1) == {
        "h-7": date(2020, 3, 24), "h-3": date(2020, 3, 27), "h-1": date(2020, 3, 30), "deadline": date(2020, 4, 7)}
    # H-7 of TW IV 2020 would be Thu 24 Dec 2020, cuti bersama Natal: moved to Wed 23 Dec.
    assert slots_by_kind(cal, 2020, 4) == {
        "h-7": date(2020, 12, 23), "h-3": date(2020, 12, 28), "h-1": date(2020, 12, 30), "deadline": date(2021, 1, 8)}
    assert slots_by_kind(cal, 2021, 2) == {
        "h-7": date(2021, 6, 23), "h-3": date(2021, 6, 25), "h-1": date(2021, 6, 29), "deadline": date(2021, 7, 7)}


def test_reminder_moved_off_weekend_says_why(cal):
    h3 = next(s for s in cal.reminder_slots(2020, 1) if s.kind == "h-3")
    assert (h3.nominal, h3.date) == (date(2020, 3, 28), date(2020, 3, 27))
    assert h3.reason == "H-3 dipindah dari Sabtu 28 Maret 2020 (akhir pekan)"
    h7 = next(s for s in cal.reminder_slots(2020, 4) if s.kind == "h-7")
    assert h7.reason == "H-7 dipindah dari Kamis 24 Desember 2020 (Cuti Bersama Hari Raya Natal)"


def test_reminder_time_is_local_and_stored_utc(cal):
    slot = cal.reminder_slots(2020, 1)[0]
    assert slot.time == time(8, 0)
    assert slot.local == datetime(2020, 3, 24, 8, 0, tzinfo=WIB)
    assert slot.utc == datetime(2020, 3, 24, 1, 0, tzinfo=UTC)
    wita = ReportingCalendar(tz="Asia/Makassar", reminder_time=time(7, 30))
    assert wita.reminder_slots(2020, 1)[0].utc == datetime(2020, 3, 23, 23, 30, tzinfo=UTC)


def test_nyepi_is_a_day_off_and_reminders_move_before_it():
    assert ReportingCalendar().day_off_reason(date(2020, 3, 25)) == "Hari Suci Nyepi"
    # H-6 of TW I 2020 is Wed 25 Mar 2020, Nyepi: moved to Tue 24 Mar.
    h6 = ReportingCalendar(reminder_offsets_days=[6]).reminder_slots(2020, 1)[0]
    assert (h6.kind, h6.date) == ("h-6", date(2020, 3, 24))
    assert h6.reason == "H-6 dipindah dari Rabu 25 Maret 2020 (Hari Suci Nyepi)"
    # H-17 of TW I 2021 is Sun 14 Mar 2021, Nyepi; Sat 13 is weekend, Thu 11 Isra Mikraj: Fri 12 Mar.
    h17 = ReportingCalendar(reminder_offsets_days=[17]).reminder_slots(2021, 1)[0]
    assert h17.date == date(2021, 3, 12)
    assert h17.reason == "H-17 dipindah dari Minggu 14 Maret 2021 (Hari Suci Nyepi)"


def test_idul_fitri_and_its_cuti_bersama_are_skipped(cal):
    # Fri 22 May 2020 -> Sat 23, Sun 24 (Idul Fitri), Mon 25 (second day) -> Tue 26 May.
    assert cal.add_working_days(date(2020, 5, 22), 1) == date(2020, 5, 26)
    assert cal.day_off_reason(date(2020, 5, 25)) == "Hari kedua dari Hari Raya Idul Fitri"
    # Tue 11 May 2021 -> Wed 12 (cuti bersama), Thu 13 (Idul Fitri), Fri 14 -> Mon 17 May.
    assert cal.add_working_days(date(2021, 5, 11), 1) == date(2021, 5, 17)
    assert cal.day_off_reason(date(2021, 5, 12)) == "Cuti Bersama Hari Raya Idul Fitri"
    # H-48 of TW II 2021 is 13 May (Idul Fitri); 12 May is cuti bersama: moved to Tue 11 May.
    assert ReportingCalendar(reminder_offsets_days=[48]).reminder_slots(2021, 2)[0].date == date(2021, 5, 11)


def test_cuti_bersama_from_the_package_can_be_turned_off():
    without = ReportingCalendar(cuti_bersama=False)
    assert without.is_working_day(date(2021, 5, 12))
    assert without.add_working_days(date(2021, 5, 11), 1) == date(2021, 5, 12)
    assert slots_by_kind(without, 2020, 4)["h-7"] == date(2020, 12, 24)


def test_weekend_reason_is_the_day_name(cal):
    assert cal.day_off_reason(date(2020, 3, 28)) == "Sabtu"
    assert cal.day_off_reason(date(2020, 3, 29)) == "Minggu"
    assert cal.day_off_reason(date(2020, 3, 30)) is None
    assert ReportingCalendar(lang="en").day_off_reason(date(2020, 3, 28)) == "Saturday"


def test_extra_days_off_from_configuration_move_the_deadline(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("EXTRA_DAYS_OFF", "2020-04-06,2020-04-07")
    cal = ReportingCalendar.from_settings(load_settings())
    assert cal.day_off_reason(date(2020, 4, 6)) == "Cuti bersama"
    # Wed 1, Thu 2, Fri 3, (Mon 6, Tue 7 off), Wed 8, Thu 9 Apr 2020.
    assert cal.deadline(2020, 1) == date(2020, 4, 9)
    deadline = cal.reminder_slots(2020, 1)[-1]
    assert deadline.kind == "deadline"
    assert "6 April 2020 (cuti bersama), 7 April 2020 (cuti bersama)" in deadline.reason


def test_the_shared_calendar_of_one_configuration_never_answers_for_another(monkeypatch, tmp_path):
    # Handlers share one calendar per configuration (and it remembers deadlines): a different day off
    # must still move the deadline. TW I 2020 ends Tue 31 Mar; 5 working days: Wed 1 … Tue 7 Apr.
    monkeypatch.chdir(tmp_path)
    plain = ReportingCalendar.from_settings(load_settings())
    assert plain.deadline(2020, 1) == date(2020, 4, 7)
    assert ReportingCalendar.from_settings(load_settings()) is plain
    monkeypatch.setenv("EXTRA_DAYS_OFF", "2020-04-06")
    moved = ReportingCalendar.from_settings(load_settings())
    assert moved.deadline(2020, 1) == date(2020, 4, 8)
    assert plain.deadline(2020, 1) == date(2020, 4, 7)


def test_configured_deadline_offsets_and_time(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REPORT_DEADLINE_WORKING_DAYS", "10")
    monkeypatch.setenv("REMINDER_OFFSETS_DAYS", "14,1")
    monkeypatch.setenv("REMINDER_TIME", "09:30")
    cal = ReportingCalendar.from_settings(load_settings())
    # 31 Mar 2020 + 10 working days, Good Friday 10 Apr skipped: Wed 15 Apr 2020.
    assert cal.deadline(2020, 1) == date(2020, 4, 15)
    assert [(s.kind, s.date, s.time) for s in cal.reminder_slots(2020, 1)] == [
        ("h-14", date(2020, 3, 17), time(9, 30)), ("h-1", date(2020, 3, 30), time(9, 30)),
        ("deadline", date(2020, 4, 15), time(9, 30))]


def test_two_reminders_moved_onto_one_day_send_once():
    # TW III 2024 ends Mon 30 Sep: H-3 is Fri 27 Sep and H-1 (Sun 29) moves to Fri 27 too.
    slots = ReportingCalendar().reminder_slots(2024, 3)
    assert [(s.kind, s.date) for s in slots[:-1]] == [("h-7", date(2024, 9, 23)), ("h-1", date(2024, 9, 27))]


def test_late_list_and_overdue_nudges(cal):
    assert cal.late_list_date(2020, 1) == date(2020, 4, 8)
    assert cal.late_list_date(2020, 4) == date(2021, 1, 11)
    # Every 2 working days after Tue 7 Apr 2020; Good Friday 10 Apr is skipped.
    overdue = cal.overdue_slots(2020, 1, until=date(2020, 4, 20))
    assert [s.kind for s in overdue] == ["overdue-2020-04-09", "overdue-2020-04-14", "overdue-2020-04-16",
                                         "overdue-2020-04-20"]
    assert cal.overdue_slots(2020, 1, until=date(2020, 4, 8)) == []


def test_late_is_after_the_deadline_day_ends(cal):
    assert not cal.is_late(2020, 1, datetime(2020, 4, 7, 23, 59, tzinfo=WIB))
    assert cal.is_late(2020, 1, datetime(2020, 4, 8, 0, 0, tzinfo=WIB))


@pytest.mark.parametrize(("at", "quarter"), [
    (datetime(2020, 3, 23, 23, 59, tzinfo=WIB), (2019, 4)),
    (datetime(2020, 3, 24, 0, 0, tzinfo=WIB), (2020, 1)),  # the H-7 day opens TW I
    (datetime(2020, 5, 15, 12, 0, tzinfo=WIB), (2020, 1)),  # late TW I reports until TW II's window
    (datetime(2020, 6, 22, 23, 59, tzinfo=WIB), (2020, 1)),
    (datetime(2020, 6, 23, 0, 0, tzinfo=WIB), (2020, 2)),
    (datetime(2020, 12, 23, 0, 0, tzinfo=WIB), (2020, 4)),  # H-7 moved to 23 Dec opens TW IV
    (datetime(2021, 1, 8, 12, 0, tzinfo=WIB), (2020, 4)),  # TW IV 2020's deadline day
    (datetime(2021, 3, 24, 0, 0, tzinfo=WIB), (2021, 1)),
    (datetime(2020, 6, 22, 17, 0, tzinfo=UTC), (2020, 2)),  # = 23 Jun 00:00 WIB
])
def test_reporting_quarter(cal, at, quarter):
    assert cal.reporting_quarter(at) == quarter


def run_cli(capsys, *argv: str) -> str:
    assert main(["calendar", *argv]) == 0
    return capsys.readouterr().out


def test_cli_json_shape(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    data = json.loads(run_cli(capsys, "2020", "--json"))
    assert data["year"] == 2020
    assert [(q["quarter"], q["end"], q["deadline"]) for q in data["quarters"]] == [
        (1, "2020-03-31", "2020-04-07"), (2, "2020-06-30", "2020-07-07"),
        (3, "2020-09-30", "2020-10-07"), (4, "2020-12-31", "2021-01-08")]
    q1 = data["quarters"][0]["reminders"]
    assert q1[:6] == [
        {"date": "2020-03-24", "time": "08:00", "kind": "h-7"},
        {"date": "2020-03-27", "time": "08:00", "kind": "h-3"},
        {"date": "2020-03-30", "time": "08:00", "kind": "h-1"},
        {"date": "2020-04-07", "time": "08:00", "kind": "deadline"},
        {"date": "2020-04-08", "time": "08:00", "kind": "late-list"},
        {"date": "2020-04-09", "time": "08:00", "kind": "overdue-2020-04-09"},
    ]
    # Overdue nudges are listed until TW II's window opens on 23 Jun 2020.
    assert q1[-1] == {"date": "2020-06-22", "time": "08:00", "kind": "overdue-2020-06-22"}
    assert all(set(r) == {"date", "time", "kind"} for q in data["quarters"] for r in q["reminders"])


def test_cli_text_has_indonesian_dates_and_reasons(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = run_cli(capsys, "2020")
    assert "Batas akhir laporan: Jumat 8 Januari 2021" in out
    assert "Jumat 27 Maret 2020 08.00  [h-3]  H-3 dipindah dari Sabtu 28 Maret 2020 (akhir pekan)" in out
    assert "1 Januari 2021 (Tahun Baru Masehi)" in out
    english = calendar_text(ReportingCalendar(lang="en"), 2020)
    assert "Report deadline: Friday January 8, 2021" in english
