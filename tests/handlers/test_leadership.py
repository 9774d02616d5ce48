"""Leadership end to end: /ringkasan (chart, digest, drill-down), /ekspor, who may use them, and the
automatic digests in the leadership group — on the seed plan with TW I–II reported."""

import io
from datetime import date
from datetime import datetime

import pypdfium2
import pytest
import sqlalchemy as sa
from fake_telegram.tghtml import utf16_len
from openpyxl import load_workbook
from PIL import Image
from sqlmodel import Session
from sqlmodel import select

from bench.plan_gen import generate_plan
from bot.db import unit_of_work
from bot.domain.calendar import ReportingCalendar
from bot.domain.scoring import score_plan_from_db
from bot.telegram.sending import MESSAGE_LIMIT
from bot.text import formatting
from bot.text.formatting import parse_quarter
from bot.text.render import render
from jobs.digest import run_digests
from models import GroupPost
from models import Kegiatan
from models import PeriodLock
from models import Person
from models import Program
from tests.support.harness import ADMIN_ID
from tests.support.harness import LEADER_ID
from tests.support.harness import LEADERSHIP_CHAT
from tests.support.harness import OTHER_GROUP
from tests.support.harness import PIC_ID
from tests.support.harness import STRANGER_ID
from tests.support.harness import WIB
from tests.support.harness import BotHarness
from tests.support.seed import MAKAN_MINUM
from tests.support.seed import PENJENJANGAN
from tests.support.seed import seed_with_reports
from tests.support.workbook import number
from tests.support.workbook import rows_by_kind

PNG = b"\x89PNG\r\n\x1a\n"
AFTER_DEADLINE = datetime(2020, 7, 9, 10, 0, tzinfo=WIB)  # TW II's deadline was 7 July; still TW II's window
FOOD_PROGRAM = "Program Pelayanan Administrasi Perkantoran"
PUBLIC_GROUP = -100700  # an ordinary group with the admin and a leader in it


@pytest.fixture
def seeded(engine, seed_plan_path) -> int:
    """The seed plan with TW I–II reported; Ani Rahmawati (a PIC) is on Telegram as PIC_ID."""
    plan_id = seed_with_reports(engine, seed_plan_path)
    with unit_of_work(engine) as session:
        session.exec(select(Person).where(Person.name == "Ani Rahmawati")).one().telegram_user_id = PIC_ID
    return plan_id


@pytest.fixture
async def start_bot(fake, db_url):
    """Start the real bot on the test database (any settings); every one started is stopped at the end."""
    started = []

    async def start(now: datetime = AFTER_DEADLINE, **settings) -> BotHarness:
        bot = BotHarness(fake, db_url, now=now, **settings)
        await bot.start()
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await bot.stop()


def plain(message: dict) -> str:
    return message.get("text") or message.get("caption") or ""


def score(engine, plan_id: int, quarter: int = 2):
    with Session(engine) as session:
        return score_plan_from_db(plan_id, quarter, session=session, now=AFTER_DEADLINE)


async def ringkasan(fake, user: int, chat: int, args: str | None = None) -> list[dict]:
    """Send /ringkasan and return the bot's messages it caused, in order."""
    before = len(fake.messages_to(chat))
    fake.send_command(user, "/ringkasan", args=args, chat_id=None if chat == user else chat)
    await fake.wait_idle(timeout=30)
    return fake.messages_to(chat)[before:]


# -- /ringkasan ---------------------------------------------------------------------------------


async def test_ringkasan_in_the_group_sends_the_chart_then_the_digest(start_bot, fake, engine, seeded):
    await start_bot()
    sent = await ringkasan(fake, LEADER_ID, LEADERSHIP_CHAT)
    photo, *texts = sent
    # The chart first: a real phone-width PNG, captioned; then the digest (one message for the seed plan).
    assert "photo" in photo and plain(photo).startswith("📊 Capaian TW II 2020 per program.")
    [(name, content, method)] = fake.files_sent_to(LEADERSHIP_CHAT)
    assert method == "sendPhoto" and content[:8] == PNG
    assert Image.open(io.BytesIO(content)).size[0] == 1080
    assert len(texts) == 1
    text = plain(texts[0])
    # The headline is scoring's numbers, in Indonesian format.
    ps = score(engine, seeded)
    c = ps.completeness
    assert f"🎯 Progres rencana aksi s.d. TW II: 🟢 {formatting.number(ps.cumulative.pct, decimals=1)}% Sangat Tinggi" in text
    assert (f"💰 Anggaran terserap: {formatting.rupiah(ps.budget.real_cumulative)} dari "
            f"{formatting.rupiah(ps.budget.pagu)} ({formatting.number(ps.budget.absorption, decimals=1)}% terhadap pagu)") in text
    assert (f"👥 PIC sudah lapor: {c.pics_reported} dari {c.pics_due} · "
            f"kegiatan {c.kegiatan_reported} dari {c.kegiatan_due}") in text
    # The values checked by hand (93,7 %: tests/domain/test_scoring.py, after TW II's deadline).
    assert "93,7%" in text and "7 dari 9" in text and "kegiatan 42 dari 44" in text
    # One drill-down button per program under the digest.
    assert len(fake.buttons(texts[0])) == len(ps.programs) == 11  # one per program block


@pytest.mark.parametrize(("text", "quarter"), [
    ("2", 2), ("II", 2), ("TW2", 2), ("tw ii", 2), ("TW-II", 2), ("  Tw   II ", 2), ("triwulan 2", 2),
    ("tw.3", 3), ("iv", 4), ("I", 1), ("q1", 1),
    ("5", None), ("TW5", None), ("0", None), ("IIII", None), ("satu", None), ("2 3", None), ("", None),
])
def test_quarter_argument_forms(text, quarter):
    assert parse_quarter(text) == quarter


async def test_ringkasan_takes_a_quarter_and_explains_a_bad_one(start_bot, fake, engine, seeded):
    await start_bot()
    sent = await ringkasan(fake, ADMIN_ID, ADMIN_ID, "TW I")
    assert plain(sent[0]).startswith("📊 Capaian TW I 2020") and "Capaian RAPK TW I 2020" in plain(sent[1])
    sent = await ringkasan(fake, ADMIN_ID, ADMIN_ID, "kelima")
    assert [plain(m) for m in sent] == [
        "Triwulan «kelima» tidak dikenal. Tulis nomor triwulan 1 sampai 4, misalnya:\n/ringkasan 2\n"
        "/ringkasan II\n/ringkasan TW2\nTanpa nomor, saya pakai triwulan pelaporan sekarang (TW II)."]
    assert len(fake.files_sent_to(ADMIN_ID)) == 1  # only TW I's chart


async def test_ekspor_pdf_sends_the_signed_ready_form(start_bot, fake, engine, seeded):
    await start_bot(bappeda_head_name="Ir. KEPALA BAPPEDA", bappeda_head_nip="19700101 199503 1 001",
                    signing_place="Gresik")
    fake.send_command(LEADER_ID, "/ekspor pdf 2")
    document = await fake.wait_for_message(LEADER_ID, contains="Formulir evaluasi RAPK (PDF, siap tanda tangan) TW II")
    assert document["document"]["file_name"] == "Evaluasi-RAPK-2020-TW-II.pdf"
    [(name, content, method)] = fake.files_sent_to(LEADER_ID)
    assert (name, method) == ("Evaluasi-RAPK-2020-TW-II.pdf", "sendDocument") and content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(content)
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    # Both signatures, dated on the harness clock (9 Juli 2020) inside TW II's window (deadline 7 Juli).
    assert "Drs. NADLIF, M.Si" in text and "NIP. 19610926 198603 1 008" in text
    assert "Ir. KEPALA BAPPEDA" in text and "Gresik, 7 Juli 2020" in text
    fake.send_command(LEADER_ID, "/ekspor docx")
    refused = await fake.wait_for_message(LEADER_ID, contains="tidak dikenal")
    assert "Triwulan «docx» tidak dikenal" in plain(refused) and "/ekspor pdf" in plain(refused)
    assert len(fake.files_sent_to(LEADER_ID)) == 1  # nothing sent for the bad word


async def test_english_ringkasan_and_ekspor(start_bot, fake, engine, seeded):
    await start_bot(language="en")
    photo, digest = await ringkasan(fake, ADMIN_ID, ADMIN_ID)
    assert plain(photo).startswith("📊 Achievement TW II 2020 by program.")
    assert "👥 PICs reported: 7 of 9 · kegiatan 42 of 44" in plain(digest)
    [reply] = await ringkasan(fake, ADMIN_ID, ADMIN_ID, "TW 9")
    assert plain(reply).startswith("Quarter «TW 9» is not known.")
    fake.send_command(ADMIN_ID, "/ekspor", args="ii")
    document = await fake.wait_for_message(ADMIN_ID, contains="RAPK evaluation workbook TW II 2020")
    assert document["document"]["file_name"] == "Evaluasi-RAPK-2020-TW-II.xlsx"

async def test_drill_down_into_a_program_then_a_kegiatan_and_back(start_bot, fake, engine, seeded):
    await start_bot()
    digest = (await ringkasan(fake, LEADER_ID, LEADERSHIP_CHAT))[-1]
    message_id = digest["message_id"]
    messages = len(fake.messages_to(LEADERSHIP_CHAT))

    fake.press(LEADER_ID, "🟢 Program Pelayanan Administrasi…", chat_id=LEADERSHIP_CHAT)
    program = await fake.wait_for_message(LEADERSHIP_CHAT, contains=f"📁 {FOOD_PROGRAM}")
    assert program["message_id"] == message_id  # edited in place
    assert "👥 Kegiatan sudah lapor TW II: 6 dari 6" in plain(program)
    assert fake.buttons(program)[-1] == ["⬅️ Kembali"]

    food_button = next(row[0] for row in fake.buttons(program) if MAKAN_MINUM[:20] in row[0])
    fake.press(LEADER_ID, food_button, chat_id=LEADERSHIP_CHAT)
    food = await fake.wait_for_message(LEADERSHIP_CHAT, contains=f"📌 {MAKAN_MINUM}")
    assert food["message_id"] == message_id
    assert "👤 PIC: Gita Permata" in plain(food) and "✅ Sudah lapor TW II" in plain(food)
    assert "2.000% → 100% · 🔴 5,0% · ⚠️ target tidak wajar, tidak dihitung" in plain(food)

    fake.press(LEADER_ID, "⬅️ Kembali", chat_id=LEADERSHIP_CHAT)
    await fake.wait_for_message(LEADERSHIP_CHAT, contains=f"📁 {FOOD_PROGRAM}")
    fake.press(LEADER_ID, "⬅️ Kembali", chat_id=LEADERSHIP_CHAT)
    back = await fake.wait_for_message(LEADERSHIP_CHAT, contains="📊 Capaian RAPK TW II 2020")
    assert back["message_id"] == message_id and plain(back) == plain(digest)
    assert fake.buttons(back) == fake.buttons(digest)
    await fake.wait_idle()
    assert len(fake.messages_to(LEADERSHIP_CHAT)) == messages  # nothing new: one message browsed in place
    assert len(fake.calls("editMessageText")) == 4 and fake.unanswered_callbacks() == []


async def test_forged_drill_down_is_refused_and_shows_nothing(start_bot, fake, engine, seeded):
    with unit_of_work(engine) as session:
        other_plan = generate_plan(8, session=session, seed=3, year=2019, quarters=2)
    with Session(engine) as session:
        other_kegiatan = session.exec(select(Kegiatan.id).where(Kegiatan.plan_id == other_plan)).first()
        other_program = session.exec(select(Program.id).where(Program.plan_id == other_plan)).first()
        late = session.exec(select(Kegiatan.id).where(Kegiatan.name == PENJENJANGAN)).one()
    await start_bot()
    digest = (await ringkasan(fake, LEADER_ID, LEADERSHIP_CHAT))[-1]
    edits = len(fake.calls("editMessageText"))
    forged = [f"rk:k:{other_kegiatan}:2", f"rk:p:{other_program}:2", f"rk:d:{other_plan}:2", "rk:k:999999:2",
              f"rk:k:{late}:5", "rk:k:abc:2", f"rk:x:{late}:2"]
    for data in forged:
        fake.press_button(LEADER_ID, digest, data, forge=True)
        await fake.wait_idle()
    alerts = [c.params for c in fake.calls("answerCallbackQuery")[-len(forged):]]
    assert all(a.get("text") == render("stale_button") and a.get("show_alert") for a in alerts)
    assert len(fake.calls("editMessageText")) == edits
    assert fake.messages_to(LEADERSHIP_CHAT)[-1] == digest
    # A real button of this plan, pressed by a PIC in a private chat: the role is checked on every press.
    fake.send_command(PIC_ID, "/bantuan")
    help_message = await fake.wait_for_message(PIC_ID, contains="Perintah")
    fake.press_button(PIC_ID, help_message, f"rk:k:{late}:2", forge=True)
    await fake.wait_idle()
    assert fake.calls("answerCallbackQuery")[-1].params.get("text") == render("refused_alert")
    assert fake.messages_to(PIC_ID)[-1] == help_message


async def test_pic_and_stranger_are_refused_a_leader_in_private_is_not(start_bot, fake, engine, seeded):
    fake.add_group(PUBLIC_GROUP, "Grup Umum", [ADMIN_ID, LEADER_ID])
    await start_bot()
    leaders_only = render("refused", actor=None, needed=["leadership", "admin"], stranger=False)
    for command, args in (("/ringkasan", "2"), ("/ekspor", "2"), ("/ekspor", "pdf 2")):
        for user, chat in ((PIC_ID, PIC_ID), (PIC_ID, OTHER_GROUP), (STRANGER_ID, STRANGER_ID)):
            fake.send_command(user, command, args=args, chat_id=None if chat == user else chat)
            reply = await fake.wait_for_message(chat, contains="Maaf")
            if user == PIC_ID:
                assert plain(reply) == leaders_only
            else:
                assert "belum terdaftar" in plain(reply)
        # The admin in an ordinary group is sent to the private chat: the agency's numbers stay out of it.
        fake.send_command(ADMIN_ID, command, args=args, chat_id=PUBLIC_GROUP)
        hint = await fake.wait_for_message(PUBLIC_GROUP, contains="chat pribadi")
        assert fake.buttons(hint)
    await fake.wait_idle()
    for chat in (PIC_ID, OTHER_GROUP, STRANGER_ID, PUBLIC_GROUP):
        assert fake.files_sent_to(chat) == [] and not any("Capaian" in plain(m) for m in fake.messages_to(chat))
    # A member of the leadership group writing privately (checked with getChatMember) gets the summary.
    sent = await ringkasan(fake, LEADER_ID, LEADER_ID)
    assert "photo" in sent[0] and "Capaian RAPK TW II 2020" in plain(sent[1])


# -- /ekspor ------------------------------------------------------------------------------------


async def test_ekspor_sends_the_workbook_with_the_database_numbers(start_bot, fake, engine, seeded):
    await start_bot()
    fake.send_command(LEADER_ID, "/ekspor")
    document = await fake.wait_for_message(LEADER_ID, contains="Lembar evaluasi RAPK TW II 2020")
    assert document["document"]["file_name"] == "Evaluasi-RAPK-2020-TW-II.xlsx"
    assert ("Capaian kinerja sasaran (IKU): belum jatuh tempo · Progres rencana aksi s.d. TW II: 93,7% Sangat Tinggi "
            "(sebagian perlu dicek admin) · serapan 37,1% terhadap pagu · PIC sudah lapor 7 dari 9") in plain(document)
    [(name, content, method)] = fake.files_sent_to(LEADER_ID)
    assert (name, method) == ("Evaluasi-RAPK-2020-TW-II.xlsx", "sendDocument")
    book = load_workbook(io.BytesIO(content))
    ws = book["Rencana Aksi"]
    with engine.connect() as conn:
        pagu = conn.execute(sa.text("SELECT SUM(budget) FROM kegiatan WHERE plan_id = :p"), {"p": seeded}).scalar()
        spent = conn.execute(sa.text("SELECT SUM(budget_realised) FROM kegiatanrealisation WHERE quarter <= 2")).scalar()
        reals = {(k, no, q): v for k, no, q, v in conn.execute(sa.text(
            "SELECT k.name, a.no, r.quarter, r.value FROM aksirealisation r JOIN aksi a ON a.id = r.aksi_id "
            "JOIN kegiatan k ON k.id = a.kegiatan_id"))}
    footer = next([c.value for c in row] for row in ws.iter_rows()
                  if row[2].value == "Rata-rata capaian kinerja dan jumlah anggaran")
    assert (footer[13], footer[14]) == (pagu, spent)  # Pagu and Realisasi s.d. TW II columns
    aksi_rows = 0
    for kind, kegiatan, row in rows_by_kind(ws, engine, seeded):
        if kind == "aksi":
            no = int(row[2].value.split(".")[0])
            assert [number(row[7].value), number(row[8].value)] == [reals.get((kegiatan, no, q)) for q in (1, 2)]
            aksi_rows += 1
    assert aksi_rows == 168
    assert book["Kelengkapan"]["A2"].value == "PIC sudah lapor 7 dari 9; kegiatan 42 dari 44"
    # Another quarter, asked in the group.
    fake.send_command(ADMIN_ID, "/ekspor", args="tw 1", chat_id=LEADERSHIP_CHAT)
    await fake.wait_for_message(LEADERSHIP_CHAT, contains="Lembar evaluasi RAPK TW I 2020")
    assert [f.filename for f in fake.files_sent_to(LEADERSHIP_CHAT)] == ["Evaluasi-RAPK-2020-TW-I.xlsx"]


# -- automatic digests --------------------------------------------------------------------------


def posts(engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(p.dedupe_key, p.status) for p in session.exec(select(GroupPost).order_by(GroupPost.id))]


def photos(fake) -> list[str]:
    """Captions of the charts in the leadership group, in order."""
    return [plain(m) for m in fake.messages_to(LEADERSHIP_CHAT) if "photo" in m]


async def test_late_list_day_digest_goes_out_once(start_bot, fake, engine, seeded):
    calendar = ReportingCalendar()
    late_day = calendar.late_list_date(2020, 2)
    assert (calendar.deadline(2020, 2), late_day) == (date(2020, 7, 7), date(2020, 7, 8))
    bot = await start_bot(now=datetime(2020, 7, 8, 7, 59, tzinfo=WIB))
    assert (await run_digests(bot.app)).created == 0  # not before the reminder time
    assert photos(fake) == []

    # The bot was down at 08:00 and comes back at 10:00: that day's digest still goes out.
    bot.clock.set(datetime(2020, 7, 8, 10, 0, tzinfo=WIB))
    mark = fake.mark()
    run = await run_digests(bot.app)
    assert (run.created, run.delivered) == (1, 1)
    digest = await fake.wait_for_message(LEADERSHIP_CHAT, contains="📊 Capaian RAPK TW II 2020", since=mark)
    assert photos(fake) == ["📊 Ringkasan TW II 2020 — batas lapor 7 Juli 2020 sudah lewat.\n"
                            "Rincian dan tombol per program ada di pesan berikut."]
    assert "PIC sudah lapor: 7 dari 9" in plain(digest) and len(fake.buttons(digest)) == 11

    # A second tick, a restart, a tick after it: nothing more.
    assert (await run_digests(bot.app)).created == 0
    await bot.restart()
    run = await run_digests(bot.app)
    assert (run.created, run.delivered) == (0, 0)
    assert posts(engine) == [(f"digest:{seeded}:2:2020-07-08", "delivered")]
    # The next day is neither the late-list day nor the weekly day (Monday): nothing.
    bot.clock.set(datetime(2020, 7, 9, 8, 30, tzinfo=WIB))
    assert (await run_digests(bot.app)).created == 0
    await fake.wait_idle()
    assert len(photos(fake)) == len(fake.files_sent_to(LEADERSHIP_CHAT)) == 1


async def test_weekly_digest_on_the_configured_weekday_in_the_window_only(start_bot, fake, engine, seeded):
    # Fridays; TW II's window runs from its first reminder (23 June) until TW III's opens (23 September).
    bot = await start_bot(now=datetime(2020, 6, 26, 9, 0, tzinfo=WIB), digest_weekday=4)
    assert (await run_digests(bot.app)).delivered == 1
    for day in (27, 28, 29, 30):  # Saturday to Tuesday: nothing
        bot.clock.set(datetime(2020, 6, day, 9, 0, tzinfo=WIB))
        assert (await run_digests(bot.app)).created == 0
    bot.clock.set(datetime(2020, 7, 3, 9, 0, tzinfo=WIB))  # the next Friday: a digest of its own
    assert (await run_digests(bot.app)).delivered == 1
    assert photos(fake) == ["📊 Ringkasan mingguan TW II 2020.\nRincian dan tombol per program ada di pesan berikut."] * 2

    # Once the whole quarter is locked nothing changes any more: no weekly repeats.
    with unit_of_work(engine) as session:
        session.add(PeriodLock(plan_id=seeded, quarter=2))
    bot.clock.set(datetime(2020, 7, 10, 9, 0, tzinfo=WIB))
    assert (await run_digests(bot.app)).created == 0
    # March 2021: TW I 2021's window is open, the 2020 plan's TW IV window has closed: nothing to send about.
    bot.clock.set(datetime(2021, 3, 26, 9, 0, tzinfo=WIB))
    assert ReportingCalendar().reporting_quarter(bot.clock.now()) == (2021, 1)
    assert (await run_digests(bot.app)).created == 0
    assert [key for key, _ in posts(engine)] == [f"digest:{seeded}:2:2020-06-26", f"digest:{seeded}:2:2020-07-03"]


async def test_weekly_digest_can_be_turned_off(start_bot, fake, engine, seeded):
    bot = await start_bot(now=datetime(2020, 6, 29, 9, 0, tzinfo=WIB), digest_weekday=-1)  # a Monday
    assert (await run_digests(bot.app)).created == 0
    bot.clock.set(datetime(2020, 7, 8, 9, 0, tzinfo=WIB))  # the late-list day still gets its digest
    assert (await run_digests(bot.app)).delivered == 1


async def test_digest_delivery_retries_and_failures(start_bot, fake, engine, seeded):
    bot = await start_bot(now=datetime(2020, 7, 8, 9, 0, tzinfo=WIB))
    fake.fail_next("sendPhoto", "500", chat_id=LEADERSHIP_CHAT)
    run = await run_digests(bot.app)
    assert (run.created, run.retried, run.delivered) == (1, 1, 0)
    assert await run_digests(bot.app) == type(run)()  # waiting for its backoff (10 s)
    bot.clock.set(datetime(2020, 7, 8, 9, 0, 11, tzinfo=WIB))
    assert (await run_digests(bot.app)).delivered == 1
    assert len(fake.files_sent_to(LEADERSHIP_CHAT)) == 1

    # Flood control past the limiter's own retries: pending again, the attempt not counted.
    bot.clock.set(datetime(2020, 7, 13, 9, 0, tzinfo=WIB))  # a Monday: the weekly digest
    fake.fail_next("sendPhoto", "429", count=4, retry_after=0.01, chat_id=LEADERSHIP_CHAT)
    assert (await run_digests(bot.app)).retried == 1
    with Session(engine) as session:
        post = session.exec(select(GroupPost).where(GroupPost.dedupe_key.endswith("2020-07-13"))).one()
        assert (post.status, post.attempts) == ("pending", 0)
    bot.clock.set(datetime(2020, 7, 13, 9, 0, 1, tzinfo=WIB))
    assert (await run_digests(bot.app)).delivered == 1

    # The bot was removed from the group: failed at once, never retried.
    bot.clock.set(datetime(2020, 7, 20, 9, 0, tzinfo=WIB))
    fake.fail_next("sendPhoto", "403", chat_id=LEADERSHIP_CHAT, description="Forbidden: bot was kicked from the group chat")
    assert (await run_digests(bot.app)).failed == 1
    bot.clock.set(datetime(2020, 7, 20, 10, 0, tzinfo=WIB))
    assert (await run_digests(bot.app)).delivered == 0
    assert [status for _, status in posts(engine)] == ["delivered", "delivered", "failed"]
    await fake.wait_idle()
    assert len(fake.files_sent_to(LEADERSHIP_CHAT)) == 2


# -- a big plan ---------------------------------------------------------------------------------


async def test_long_digest_is_split_under_the_limit(start_bot, fake, engine):
    with unit_of_work(engine) as session:
        generate_plan(300, session=session, seed=7, quarters=2, missing_rate=0.3)
    await start_bot()
    photo, *texts = await ringkasan(fake, ADMIN_ID, ADMIN_ID)
    assert fake.files_sent_to(ADMIN_ID)[0].content[:8] == PNG
    assert len(texts) > 1
    assert all(utf16_len(plain(m)) < MESSAGE_LIMIT for m in texts)
    assert [bool(fake.buttons(m)) for m in texts] == [False] * (len(texts) - 1) + [True]  # buttons under the last
    assert plain(texts[0]).startswith("📊 Capaian RAPK TW II 2020") and plain(texts[-1]).endswith("⚪ belum ada data")
    # The fake checks every request against the Bot API (length, HTML, buttons): no violation is raised.
    assert fake.violations == []
