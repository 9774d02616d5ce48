"""bot.domain.admin without Telegram: target rules, locks, history, uploads, people settings."""

from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.admin import AdminError
from bot.domain.admin import apply_upload
from bot.domain.admin import change_aksi_target
from bot.domain.admin import change_indicator_target
from bot.domain.admin import check_aksi_target
from bot.domain.admin import item_history
from bot.domain.admin import preview_upload
from bot.domain.locks import kegiatan_locked
from bot.domain.locks import lock_overview
from bot.domain.locks import lock_quarter
from bot.domain.locks import unlock_quarter
from bot.domain.people import LeaveDateError
from bot.domain.people import Refused
from bot.domain.people import change_admin
from bot.domain.people import set_paused
from bot.domain.plan_import.parser import PlanFormatError
from bot.domain.reporting import Submission
from bot.domain.reporting import save_report
from bot.text.formatting import parse_quarter
from models import AksiTarget
from models import AuditLog
from models import KegiatanIndicator
from models import PeriodLock
from models import Person
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.plans import seed_lines

NOW = datetime(2020, 6, 23, 9, 0, tzinfo=WIB)
WHO = {"actor_label": "Admin", "actor_telegram_id": 1001, "now": NOW}


def ids(small_plan):
    k1, k2 = small_plan["kegiatan"]
    return k1, k2, small_plan["aksi"][k1], small_plan["aksi"][k2]


def change(engine, aksi_id, quarter, raw, reason="koreksi", **kw):
    with unit_of_work(engine) as session:
        return change_aksi_target(aksi_id, quarter, raw, session=session, reason=reason, **WHO, **kw)


def refused(engine, fn, *args, **kw) -> Refused:
    with pytest.raises(Refused) as info, unit_of_work(engine) as session:
        fn(*args, session=session, **kw)
    return info.value


@pytest.mark.parametrize("text, quarter", [("2", 2), ("II", 2), ("TW II", 2), ("tw2", 2), ("TW 4", 4), ("iv", 4),
                                           ("5", None), ("", None), ("TW V", None), ("dua", None)])
def test_parse_quarter(text, quarter):
    assert parse_quarter(text) == quarter


def test_target_rules(engine, small_plan):
    _, _, aksi1, aksi2 = ids(small_plan)
    persen, jumlah, kosong = aksi1[0], aksi1[1], aksi1[2]  # TW II: 50%, 60, empty
    cases = {
        (persen, "150%"): "percent_over_100",
        (jumlah, "-5"): "negative", (jumlah, "banyak"): "not_a_number", (jumlah, "60"): "unchanged",
        (jumlah, "1" + "0" * 16): "too_big", (jumlah, "9" * 201): "too_long",
        # What both databases give back exactly: below 10**11, four decimals (SQLite keeps a float).
        (jumlah, "100.000.000.000"): "too_big", (jumlah, "3,14159"): "too_many_decimals",
    }
    for (aksi_id, raw), code in cases.items():
        assert refused(engine, change_aksi_target, aksi_id, 2, raw, reason="x", **WHO).code == code, raw
    assert refused(engine, change_aksi_target, jumlah, 2, "70", reason="  ", **WHO).code == "reason_required"
    assert refused(engine, change_aksi_target, jumlah, 5, "70", reason="x", **WHO).code == "unknown_item"
    assert refused(engine, change_aksi_target, 999_999, 2, "70", reason="x", **WHO).code == "unknown_item"

    result = change(engine, kosong, 2, "2 dokumen")  # an empty cell takes any unit
    assert (result.old_raw, result.new_raw) == ("", "2 dokumen")
    assert [r.telegram_user_id for r in result.recipients] == [PIC_ID]
    result = change(engine, persen, 2, "60 %")
    assert result.new_raw == "60 %"
    with unit_of_work(engine) as session:
        target = session.exec(select(AksiTarget).where(AksiTarget.aksi_id == persen, AksiTarget.quarter == 2)).one()
        assert (target.value, target.unit, target.kind) == (Decimal(60), "%", "percent")
        audit = session.exec(select(AuditLog).where(AuditLog.entity_id == target.id)).one()
        assert (audit.action, audit.old_value, audit.new_value, audit.reason) == ("target.update", "50%", "60 %",
                                                                                   "koreksi")
    with unit_of_work(engine) as session:
        assert check_aksi_target(jumlah, 2, "65 peserta", session=session).new_raw == "65 peserta"
    assert refused(engine, change_aksi_target, aksi2[1], 3, "30%", reason="x", expected_old="10%",
                   **WHO).code == "stale"


def test_count_unit_is_kept_and_realised_quarter_cannot_be_emptied(engine, small_plan):
    k1, _, aksi1, _ = ids(small_plan)
    change(engine, aksi1[1], 2, "60 orang")
    change(engine, aksi1[1], 2, "70")  # a bare number keeps the unit
    with unit_of_work(engine) as session:
        target = session.exec(select(AksiTarget).where(AksiTarget.aksi_id == aksi1[1], AksiTarget.quarter == 2)).one()
        assert (target.raw, target.unit) == ("70", "orang")
        save_report(Submission(k1, 2, aksi_values={aksi1[1]: (Decimal(40), "40")}), session=session,
                    person_id=small_plan["budi"], actor_label="Budi", now=NOW, late=False)
    assert refused(engine, change_aksi_target, aksi1[1], 2, "-", reason="x", **WHO).code == "has_realisation"
    result = change(engine, aksi1[0], 1, "-")  # nothing due in TW I and nothing reported: fine
    assert (result.old_raw, result.new_raw) == ("", "-")


def test_locked_quarter_target_is_refused(engine, small_plan):
    _, _, aksi1, _ = ids(small_plan)
    with unit_of_work(engine) as session:
        lock_quarter(small_plan["plan"], 2, session=session, **WHO)
    error = refused(engine, change_aksi_target, aksi1[1], 2, "80", reason="x", **WHO)
    assert (error.code, error.detail["quarter"], error.detail["year"]) == ("locked", 2, 2020)
    change(engine, aksi1[1], 3, "160")  # another quarter is open


def test_indicator_target(engine, small_plan):
    k1, *_ = ids(small_plan)
    with unit_of_work(engine) as session:
        indicator = session.exec(select(KegiatanIndicator).where(KegiatanIndicator.kegiatan_id == k1)).one()
        indicator_id = indicator.id
    with unit_of_work(engine) as session:
        result = change_indicator_target(indicator_id, "a. 20 orang b. 25 orang", session=session, reason="dua diklat",
                                         **WHO)
        assert [r.name for r in result.recipients] == ["Budi Santoso"]
    with unit_of_work(engine) as session:
        indicator = session.get(KegiatanIndicator, indicator_id)
        # Several counts in one cell: kept as written, no single value to score (as the importer does).
        assert (indicator.target_raw, indicator.target_value, indicator.target_unit) == \
            ("a. 20 orang b. 25 orang", None, "orang")
    history = _history(engine, "indikator", indicator_id)
    assert [(e.action, e.old, e.new, e.reason) for e in history] == [
        ("target.update", "30 Orang", "a. 20 orang b. 25 orang", "dua diklat")]


def _history(engine, entity, item_id, **kw):
    with unit_of_work(engine) as session:
        return item_history(entity, item_id, session=session, **kw)


def test_locks_are_idempotent_and_tell_the_right_pics(engine, small_plan):
    plan, (k1, k2) = small_plan["plan"], small_plan["kegiatan"]

    def run(fn, *args):
        with unit_of_work(engine) as session:
            return fn(plan, *args, session=session, **WHO)

    first = run(lock_quarter, 2, k2)
    assert first.changed and [r.telegram_user_id for r in first.recipients] == [PIC2_ID]
    assert not run(lock_quarter, 2, k2).changed
    whole = run(lock_quarter, 2)
    assert whole.changed and [r.telegram_user_id for r in whole.recipients] == [PIC_ID]  # Sari already knew
    assert not run(lock_quarter, 2, k1).changed  # the whole plan is locked already
    with unit_of_work(engine) as session:
        assert lock_overview(plan, 2, session=session) == (True, ["Pendidikan Penjurangan Struktural"])
        assert kegiatan_locked(plan, k1, 2, session=session)
    with pytest.raises(AdminError) as info, unit_of_work(engine) as session:
        unlock_quarter(plan, 2, k2, session=session, **WHO)
    assert info.value.code == "plan_locked"
    opened = run(unlock_quarter, 2)
    assert opened.changed and {r.telegram_user_id for r in opened.recipients} == {PIC_ID, PIC2_ID}
    assert not run(unlock_quarter, 2).changed
    with unit_of_work(engine) as session:
        assert session.exec(select(PeriodLock)).all() == []
        actions = [(a.action, a.entity) for a in session.exec(select(AuditLog).order_by(AuditLog.id))]
    assert actions == [("period.lock", "kegiatan"), ("period.lock", "plan"), ("period.unlock", "plan"),
                       ("period.unlock", "kegiatan")]
    assert [(e.action, e.quarter) for e in _history(engine, "kegiatan", k2)] == [
        ("period.lock", 2), ("period.lock", 2), ("period.unlock", 2), ("period.unlock", 2)]
    assert [e.action for e in _history(engine, "kegiatan", k1)] == ["period.lock", "period.unlock"]


def test_history_of_an_aksi_includes_targets_and_reports(engine, small_plan):
    k1, _, aksi1, _ = ids(small_plan)
    change(engine, aksi1[1], 2, "80", reason="kuota naik")
    with unit_of_work(engine) as session:
        save_report(Submission(k1, 2, aksi_values={aksi1[1]: (Decimal(75), "75")}), session=session,
                    person_id=small_plan["budi"], actor_label="Budi Santoso", now=NOW, late=False)
    with unit_of_work(engine) as session:
        save_report(Submission(k1, 2, aksi_values={aksi1[1]: (Decimal(78), "78")}), session=session,
                    person_id=small_plan["budi"], actor_label="Budi Santoso", now=NOW, late=False)
    history = _history(engine, "aksi", aksi1[1])
    assert [(e.action, e.quarter, e.old, e.new, e.actor) for e in history] == [
        ("target.update", 2, "60", "80", "Admin"),
        ("report.create", 2, None, Decimal(75), "Budi Santoso"),
        ("report.update", 2, Decimal(75), Decimal(78), "Budi Santoso"),
    ]
    assert [e.action for e in _history(engine, "aksi", aksi1[1], limit=1)] == ["report.update"]
    assert _history(engine, "aksi", aksi1[0]) == []


def test_upload_preview_and_apply(engine):
    data = "\n".join(seed_lines()).encode()
    preview = preview_upload(data, "rapk.txt")
    assert (preview.kegiatan_count, preview.aksi_count, preview.budget_total) == (45, 168, 17_326_515_850)
    assert preview.anomalies[0] == (44, "Penomoran kegiatan melompat dari 7 ke 9.")
    with pytest.raises(AdminError) as info, unit_of_work(engine) as session:
        apply_upload(data + b"\n", "rapk.txt", session=session, expected_sha256=preview.sha256)
    assert info.value.code == "file_changed"
    with unit_of_work(engine) as session:
        result = apply_upload(data, "rapk.txt", session=session, expected_sha256=preview.sha256, actor_label="Admin")
    assert result.created and result.kegiatan_count == 45
    with pytest.raises(PlanFormatError):
        preview_upload(b"%PDF-1.4 ...", "rencana.pdf")
    untitled = "\n".join(seed_lines()[4:]).encode()  # no title lines: no agency, no year
    with pytest.raises(AdminError) as info:
        preview_upload(untitled, "tanpa-judul.txt")
    assert info.value.code == "no_title"
    with pytest.raises(AdminError) as info:
        preview_upload(b"x" * (5 * 1024 * 1024 + 1), "besar.txt")
    assert info.value.code == "file_too_big"


def test_admin_and_pause_rules(engine, small_plan):
    budi, rina = small_plan["budi"], small_plan["rina"]
    with unit_of_work(engine) as session:
        change_admin(rina, True, session=session, config_ids=[1001], actor_person_id=budi, actor_label="Budi")
        session.get(Person, budi).telegram_user_id = PIC_ID
    assert refused(engine, change_admin, budi, False, config_ids=[PIC_ID]).code == "config_admin"
    with unit_of_work(engine) as session:
        session.get(Person, budi).is_admin = True
    assert refused(engine, change_admin, budi, False, config_ids=[], actor_person_id=budi).code == "self_revoke"
    today = date(2020, 6, 23)
    # One pause for /cuti and /pengguna: not in the past, at most 90 days ahead.
    for until, code in ((date(2020, 6, 22), "past"), (date(2020, 9, 22), "too_far"), (date(2021, 7, 1), "too_far")):
        with pytest.raises(LeaveDateError) as info, unit_of_work(engine) as session:
            set_paused(budi, until, session=session, today=today, **WHO)
        assert info.value.code == code
    with unit_of_work(engine) as session:
        set_paused(budi, date(2020, 9, 21), session=session, today=today, **WHO)
        set_paused(budi, None, session=session, today=today, **WHO)
    with unit_of_work(engine) as session:
        set_paused(budi, date(2020, 7, 7), session=session, today=today, **WHO)
        set_paused(budi, date(2020, 7, 7), session=session, today=today, **WHO)  # the same again: no new row
        assert session.get(Person, budi).paused_until == date(2020, 7, 7)
    assert [e.action for e in _history(engine, "person", budi)] == ["person.pause", "person.unpause", "person.pause"]
    assert [e.action for e in _history(engine, "person", rina)] == ["admin.grant"]
