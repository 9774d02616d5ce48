"""Reminders end to end: the tick creates rows, the dispatcher sends them through the real bot to the
fake Telegram, and every answer (delivered, 429, 5xx, 403) ends in the right row state."""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.outbox import BACKOFF_BASE
from bot.domain.outbox import CLAIM_TIMEOUT
from bot.domain.outbox import GROUP_POST_RENDERERS
from bot.domain.outbox import LATE_LIST
from bot.domain.outbox import claim_group_posts
from bot.domain.outbox import claim_reminders
from bot.domain.outbox import load_reminders
from bot.domain.outbox import mark_retry
from bot.domain.outbox import recover_stale_claims
from bot.domain.outbox import release_claims
from bot.domain.outbox import reminder_text
from bot.domain.outbox import touch_claims
from bot.domain.reminders import plan_due_reminders
from bot.telegram.sending import MESSAGE_LIMIT
from bot.telegram.sending import report_buttons
from jobs import JOBS
from jobs import schedule_jobs
from jobs.digest import DIGEST
from jobs.reminders import dispatch
from jobs.reminders import run_tick
from models import AuditLog
from models import GroupPost
from models import Person
from models import Reminder
from tests.support.builders import PlanBuilder
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import PIC2_ID
from tests.support.harness import PIC_ID
from tests.support.harness import WIB
from tests.support.outbox_steps import BLOCKED_NOTICE
from tests.support.outbox_steps import BUDI_KEGIATAN
from tests.support.outbox_steps import H1
from tests.support.outbox_steps import H3
from tests.support.outbox_steps import H7
from tests.support.outbox_steps import LATE_LIST_DAY
from tests.support.outbox_steps import SARI_KEGIATAN
from tests.support.outbox_steps import report_all
from tests.support.outbox_steps import set_person
from tests.support.outbox_steps import statuses
from tests.support.outbox_steps import texts
from tests.support.outbox_steps import tick_and_send


async def test_h7_names_each_pics_open_aksi_targets_and_the_deadline(harness, fake, engine, tw1_locked):
    result = await tick_and_send(harness, H7)
    assert result.delivered == 2 and result.claimed == 2
    [budi] = texts(fake, PIC_ID)
    assert "Pengingat laporan TW II 2020" in budi and "Budi Santoso" in budi and "7 hari lagi" in budi
    assert BUDI_KEGIATAN in budi and "Persiapan pelaksanaan kegiatan diklat: target TW II 50%" in budi
    assert "Pendataan Peserta Kegiatan dan koordinasi: target TW II 60" in budi
    assert "Evaluasi atas Pelaksanaan Kegiatan" not in budi  # nothing due in TW II
    assert "Batas akhir laporan: 7 Juli 2020" in budi and "Realisasi anggaran TW II" in budi
    assert SARI_KEGIATAN not in budi
    [sari] = texts(fake, PIC2_ID)
    assert SARI_KEGIATAN in sari and "Pelaksanaan Kegiatan: target TW II 50%" in sari and BUDI_KEGIATAN not in sari
    assert fake.buttons(fake.last_message_to(PIC_ID)) == [["📝 Lapor sekarang"]]
    assert set(statuses(engine).values()) == {"delivered"}
    with unit_of_work(engine) as session:
        row = session.exec(select(Reminder).where(Reminder.person_id == tw1_locked["budi"])).one()
        assert row.message_id == fake.last_message_to(PIC_ID)["message_id"] and row.attempts == 1

    # The same day again: nothing new, nothing repeated.
    result = await tick_and_send(harness, H7 + timedelta(hours=3))
    assert result.claimed == 0 and len(texts(fake, PIC_ID)) == 1


async def test_lapor_sekarang_opens_the_report_on_that_kegiatan(harness, fake, tw1_locked):
    await tick_and_send(harness, H7)
    fake.press(PIC_ID, "📝 Lapor sekarang")
    await fake.wait_idle()
    text = fake.last_message_to(PIC_ID)["text"]
    assert "Aksi 1/2" in text and "Persiapan pelaksanaan kegiatan diklat" in text
    assert fake.unanswered_callbacks() == []


async def test_several_kegiatan_get_one_button_each(harness, fake, engine, tw1_locked):
    with unit_of_work(engine) as session:
        from models import PicAssignment

        session.add(PicAssignment(person_id=tw1_locked["budi"], kegiatan_id=tw1_locked["kegiatan"][1]))
    await tick_and_send(harness, H7)
    buttons = fake.buttons(fake.last_message_to(PIC_ID))
    assert buttons == [["📝 Lapor sekarang: Pendidikan dan Pelatihan Teknis"],
                       ["📝 Lapor sekarang: Pendidikan Penjurangan Struktural"]]
    fake.press(PIC_ID, buttons[1][0])
    await fake.wait_idle()
    intro, question = (m["text"] for m in fake.messages_to(PIC_ID)[-2:])
    assert intro.startswith("Pendidikan Penjurangan Struktural — TW II 2020")
    # TW I is locked with nothing reported: its 100% «Persiapan» is asked first, as late work from TW I.
    assert "Aksi 1/2: 1. Persiapan" in question and "Tunggakan TW I: kurang 100%" in question


async def test_reminders_stop_once_everything_is_reported(harness, fake, engine, tw1_locked):
    await tick_and_send(harness, H7)
    report_all(engine, tw1_locked, 0)
    result = await tick_and_send(harness, H3)
    assert result.delivered == 1 and len(texts(fake, PIC_ID)) == 1 and len(texts(fake, PIC2_ID)) == 2
    assert (tw1_locked["budi"], "h-3") not in statuses(engine)

    # Sari's H-1 row exists, but she reports before it goes out: skipped, not sent.
    harness.clock.set(H1)
    await run_tick(harness.app)
    report_all(engine, tw1_locked, 1)
    result = await dispatch(harness.app)
    assert result.skipped == 1 and result.delivered == 0 and len(texts(fake, PIC2_ID)) == 2
    assert statuses(engine)[(tw1_locked["sari"], "h-1")] == "skipped"


async def test_paused_people_get_nothing_until_the_pause_ends(harness, fake, engine, tw1_locked):
    set_person(engine, tw1_locked["sari"], paused_until=date(2020, 6, 26))
    await tick_and_send(harness, H7)
    assert texts(fake, PIC2_ID) == [] and len(texts(fake, PIC_ID)) == 1
    await tick_and_send(harness, H3)  # the last day of the pause
    assert texts(fake, PIC2_ID) == []
    await tick_and_send(harness, H1)
    assert len(texts(fake, PIC2_ID)) == 1

    # Paused after the row was created, before it was sent: skipped.
    harness.clock.set(datetime(2020, 7, 7, 8, 0, tzinfo=WIB))  # the deadline day
    await run_tick(harness.app)
    set_person(engine, tw1_locked["budi"], paused_until=date(2020, 7, 10))
    result = await dispatch(harness.app)
    assert result.skipped == 1 and len(texts(fake, PIC_ID)) == 3  # H-7, H-3 and H-1; not the last call
    assert statuses(engine)[(tw1_locked["budi"], "deadline")] == "skipped"


async def test_blocked_person_is_marked_unreachable_and_admins_are_told_once(harness, fake, engine, tw1_locked):
    fake.block(PIC_ID)
    result = await tick_and_send(harness, H7)
    assert result.unreachable == 1 and result.delivered == 2  # Sari's reminder and the admin notice
    assert texts(fake, PIC_ID) == []
    [notice] = [t for t in texts(fake, ADMIN_ID) if BLOCKED_NOTICE in t]
    assert "Budi Santoso" in notice and BUDI_KEGIATAN in notice and "23 Juni 2020" in notice
    with unit_of_work(engine) as session:
        budi = session.get(Person, tw1_locked["budi"])
        assert budi.unreachable_at is not None
        row = session.exec(select(Reminder).where(Reminder.person_id == budi.id)).one()
        assert row.status == "failed" and row.last_error.startswith("unreachable: ") and row.attempts == 1
        assert session.exec(select(AuditLog).where(AuditLog.action == "person.unreachable")).one()
    sends_to_budi = len([c for c in fake.calls("sendMessage") if c.chat_id == PIC_ID])
    assert sends_to_budi == 1  # a 403 is never retried

    await tick_and_send(harness, H3)  # no row for an unreachable person, no second notice
    assert len([c for c in fake.calls("sendMessage") if c.chat_id == PIC_ID]) == 1
    assert sum(BLOCKED_NOTICE in t for t in texts(fake, ADMIN_ID)) == 1

    # Budi unblocks the bot and writes to it: reminders resume.
    fake.unblock(PIC_ID)
    fake.send_command(PIC_ID, "/start")
    await fake.wait_idle()
    with unit_of_work(engine) as session:
        assert session.get(Person, tw1_locked["budi"]).unreachable_at is None
    await tick_and_send(harness, H1)
    assert "Pengingat laporan TW II 2020" in fake.last_message_to(PIC_ID)["text"]


async def test_chat_not_found_counts_as_unreachable(harness, fake, engine, tw1_locked):
    set_person(engine, tw1_locked["sari"], telegram_user_id=4242)  # a chat Telegram does not know
    result = await tick_and_send(harness, H7)
    assert result.unreachable == 1
    assert sum(BLOCKED_NOTICE in t and "Sari Dewi" in t for t in texts(fake, ADMIN_ID)) == 1


async def test_429_retry_after_is_honoured(harness, fake, engine, tw1_locked):
    # The rate limiter retries three times, each after retry_after; the fourth 429 reaches the dispatcher,
    # which waits exactly retry_after before the next attempt.
    fake.fail_next("sendMessage", "429", count=4, retry_after=0.3, chat_id=PIC_ID)
    result = await tick_and_send(harness, H7)
    assert result.retried == 1 and result.delivered == 1
    tries = [c.time for c in fake.calls("sendMessage") if c.chat_id == PIC_ID]
    assert len(tries) == 4 and all(b - a >= 0.3 for a, b in zip(tries, tries[1:], strict=False))
    with unit_of_work(engine) as session:
        row = session.exec(select(Reminder).where(Reminder.person_id == tw1_locked["budi"])).one()
        assert row.status == "pending" and row.attempts == 0  # flood control is not the message's fault
        assert abs((row.next_attempt_at.replace(tzinfo=UTC) - H7.astimezone(UTC)).total_seconds() - 0.3) < 0.01

    assert (await dispatch(harness.app)).claimed == 0  # not before retry_after has passed
    harness.clock.advance(seconds=0.3)
    assert (await dispatch(harness.app)).delivered == 1
    assert len(texts(fake, PIC_ID)) == 1


async def test_server_errors_and_timeouts_retry_with_backoff(harness, fake, engine, tw1_locked):
    fake.fail_next("sendMessage", "500", chat_id=PIC_ID)
    fake.fail_next("sendMessage", "timeout", chat_id=PIC2_ID)
    result = await tick_and_send(harness, H7)
    assert result.retried == 2 and result.delivered == 0
    harness.clock.advance(seconds=BACKOFF_BASE.total_seconds() - 1)
    assert (await dispatch(harness.app)).claimed == 0
    harness.clock.advance(seconds=1)
    assert (await dispatch(harness.app)).delivered == 2
    assert len(texts(fake, PIC_ID)) == 1 and len(texts(fake, PIC2_ID)) == 1


async def test_a_message_telegram_refuses_fails_without_retrying(harness, fake, engine, tw1_locked):
    fake.fail_next("sendMessage", "400", chat_id=PIC_ID, description="Bad Request: message is too long")
    result = await tick_and_send(harness, H7)
    assert result.failed == 1 and result.delivered == 1
    assert statuses(engine)[(tw1_locked["budi"], "h-7")] == "failed"
    assert (await tick_and_send(harness, H7 + timedelta(minutes=30))).claimed == 0


async def test_late_list_reaches_the_leadership_group_and_admins_on_the_late_list_day(harness, fake, engine,
                                                                                      tw1_locked):
    await tick_and_send(harness, LATE_LIST_DAY - timedelta(days=1))  # the deadline day: last call to the PICs
    assert fake.messages_to(LEADERSHIP_CHAT) == []
    report_all(engine, tw1_locked, 1)  # Sari reports late; Budi does not
    await tick_and_send(harness, LATE_LIST_DAY)
    [post] = texts(fake, LEADERSHIP_CHAT)
    assert "Belum lapor TW II 2020" in post and BUDI_KEGIATAN in post and "Budi Santoso" in post
    assert SARI_KEGIATAN not in post
    assert any("Belum lapor TW II 2020" in t for t in texts(fake, ADMIN_ID))
    await tick_and_send(harness, LATE_LIST_DAY + timedelta(hours=4))
    assert len(texts(fake, LEADERSHIP_CHAT)) == 1
    await tick_and_send(harness, LATE_LIST_DAY + timedelta(days=1))  # Thu 9 Jul: the first overdue nudge
    assert "Laporan Anda terlambat" in texts(fake, PIC_ID)[-1] and len(texts(fake, PIC2_ID)) == 1
    with unit_of_work(engine) as session:
        assert {p.status for p in session.exec(select(GroupPost))} == {"delivered"}


async def test_late_list_is_not_posted_when_everyone_reported_before_it_went_out(harness, fake, engine, tw1_locked):
    harness.clock.set(LATE_LIST_DAY)
    await run_tick(harness.app)
    report_all(engine, tw1_locked, 0)
    report_all(engine, tw1_locked, 1)
    result = await dispatch(harness.app)
    assert result.skipped == 2 and fake.messages_to(LEADERSHIP_CHAT) == []


async def test_bot_down_at_eight_sends_the_h7_once_at_ten_and_not_the_next_day(harness, fake, engine, tw1_locked):
    harness.clock.set(H7 + timedelta(hours=2))
    await harness.restart()  # the bot comes up at 10:00
    await tick_and_send(harness)
    assert len(texts(fake, PIC_ID)) == 1 and "7 hari lagi" in texts(fake, PIC_ID)[0]
    await harness.restart()
    await tick_and_send(harness, H7 + timedelta(hours=3))
    harness.clock.set(H7 + timedelta(days=1, hours=2))
    await harness.restart()
    await tick_and_send(harness)
    assert len(texts(fake, PIC_ID)) == 1 and len(texts(fake, PIC2_ID)) == 1


async def test_a_row_whose_day_has_passed_is_skipped(harness, fake, engine, tw1_locked):
    harness.clock.set(H7)
    await run_tick(harness.app)  # created, then the bot was down until the next day
    result = await tick_and_send(harness, H7 + timedelta(days=1))
    assert result.skipped == 2 and texts(fake, PIC_ID) == []


async def test_jobs_run_through_the_job_queue_and_the_first_tick_runs_at_start(harness, fake, engine, tw1_locked):
    names = {name: (interval, first) for name, _, interval, first in JOBS}
    assert names["reminder_tick"] == (60.0, 1.0) and names["reminder_dispatch"][0] <= 10
    harness.clock.set(H7 + timedelta(hours=1))
    schedule_jobs(harness.app)
    jobs = {job.name: job for job in harness.app.job_queue.jobs()}
    assert jobs["reminder_tick"].job.misfire_grace_time == 60 and jobs["reminder_tick"].job.coalesce
    assert jobs["reminder_dispatch"].job.max_instances == 1
    await fake.wait_for_message(PIC_ID, contains="Pengingat laporan TW II 2020", since=0, timeout=10)
    await fake.wait_for_message(PIC2_ID, contains="Pengingat laporan TW II 2020", since=0, timeout=10)
    for job in jobs.values():
        job.schedule_removal()


# -- domain --------------------------------------------------------------------------------------------

CAL = ReportingCalendar()


def test_reminder_text_fits_telegram_and_lists_at_most_ten_kegiatan(engine):
    with unit_of_work(engine) as session:
        b = PlanBuilder(session)
        person = b.person("Budi", telegram_user_id=3001)
        for n in range(14):
            b.kegiatan("Kegiatan " + "panjang " * 40 + str(n), budget=None, pics=[person],
                       aksi=[("Aksi " + "x" * 250, ["", "50%", "", ""])])
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=CAL, plan_id=b.plan.id)
        row = session.exec(select(Reminder)).one()
        [draft] = load_reminders([row.id], session=session, calendar=CAL, now=H7)
        out = draft.render(CAL, limit=MESSAGE_LIMIT)
        assert len(out.text) <= 4096 and 1 <= len(out.report) <= 10 and "kegiatan lainnya" in out.text
        assert all(len(data.encode()) <= 64 for _, data in report_buttons(out.report, "id"))
        text, ids = reminder_text(row, person_name="Budi", year=2020, items=[], calendar=CAL,  # nothing open
                                  limit=MESSAGE_LIMIT)
        assert ids == [] and "sudah lengkap" in text


def test_retry_counts_attempts_and_gives_up(engine, small_plan):
    with unit_of_work(engine) as session:
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=CAL, plan_id=small_plan["plan"])
    now = H7.astimezone(UTC)
    delays = []
    for attempt in range(1, 20):
        with unit_of_work(engine) as session:
            ids = claim_reminders(session=session, worker_id="w", now=now, limit=1)
            if not ids:
                break
            row = session.get(Reminder, ids[0])
            assert row.attempts == attempt and row.claimed_by == "w"
            status = mark_retry(ids[0], session=session, now=now, error="500", worker_id="w")
            session.flush()
            session.refresh(row)
            if status == "failed":
                assert row.last_error.startswith("gave up after 8 attempts")
                break
            delays.append((row.next_attempt_at.replace(tzinfo=UTC) - now).total_seconds())
            now = row.next_attempt_at.replace(tzinfo=UTC)
    assert delays == [10, 20, 40, 80, 160, 320, 640]


def test_release_gives_back_only_unsent_claims_of_that_worker(engine, small_plan):
    with unit_of_work(engine) as session:
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=CAL, plan_id=small_plan["plan"])
        all_ids = [r.id for r in session.exec(select(Reminder))]
    assert len(all_ids) >= 2
    with unit_of_work(engine) as session:
        mine = claim_reminders(session=session, worker_id="a", now=H7, limit=1)
        theirs = claim_reminders(session=session, worker_id="b", now=H7, limit=10)
    with unit_of_work(engine) as session:
        assert release_claims(session=session, worker_id="a") == 1
        rows = {r.id: r for r in session.exec(select(Reminder))}
        assert rows[mine[0]].status == "pending" and rows[mine[0]].attempts == 0
        assert all(rows[i].status == "sending" for i in theirs)


def test_a_live_workers_claims_are_refreshed_and_recovery_waits_per_kind(engine, small_plan):
    with unit_of_work(engine) as session:
        plan_due_reminders(H7.astimezone(UTC), session=session, calendar=CAL, plan_id=small_plan["plan"])
        session.add_all([GroupPost(dedupe_key=kind, kind=kind, chat_id=LEADERSHIP_CHAT, status="pending")
                         for kind in (LATE_LIST, DIGEST)])
    with unit_of_work(engine) as session:
        mine = claim_reminders(session=session, worker_id="a", now=H7, limit=1)
        theirs = claim_reminders(session=session, worker_id="b", now=H7, limit=10)
        posts = claim_group_posts(session=session, now=H7, limit=2, kinds=(LATE_LIST, DIGEST))
        digest = session.exec(select(GroupPost.id).where(GroupPost.kind == DIGEST)).one()
    assert mine and theirs and len(posts) == 2
    later = H7 + timedelta(seconds=10)
    timeout = timedelta(seconds=7)
    with unit_of_work(engine) as session:
        # Worker a is alive and still holds its claim: it says so (b's claims are not its to touch).
        assert touch_claims(session=session, worker_id="a", now=later, ids=mine + theirs) == 1
        # b is dead: its claims are 10 s old, past the 7 s timeout; a's was refreshed just now. A digest
        # (not the dispatcher's kind) waits the full CLAIM_TIMEOUT; the late list does not.
        assert recover_stale_claims(session=session, now=later, older_than=timeout,
                                    post_kinds=GROUP_POST_RENDERERS) == len(theirs) + 1
        rows = {r.id: r for r in session.exec(select(Reminder))}
        assert rows[mine[0]].status == "sending" and all(rows[i].status == "pending" for i in theirs)
        assert {p.kind: p.status for p in session.exec(select(GroupPost))} == {LATE_LIST: "pending",
                                                                              DIGEST: "sending"}
    with unit_of_work(engine) as session:
        # The caller's own claims are never taken for a dead worker's, however old.
        assert recover_stale_claims(session=session, now=later + timeout, older_than=timeout,
                                    post_kinds=GROUP_POST_RENDERERS, keep_ids=mine) == 0
        assert recover_stale_claims(session=session, now=H7 + CLAIM_TIMEOUT, keep_ids=mine,
                                    keep_post_ids=[p for p in posts if p != digest]) == 1  # the digest
        assert recover_stale_claims(session=session, now=later + timeout, older_than=timeout) == 1  # a, once dead
