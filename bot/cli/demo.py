"""`rapk demo`: one quarter of the real bot, end to end, against the bundled fake Telegram.

A fresh SQLite database gets the bundled 2020 BKD Gresik plan and demo people; the real
Application talks HTTP to fake_telegram.FakeTelegram while a manual clock walks through TW II:
invites, the H-7 reminders, two PICs reporting (one with a typo), one who does not, the admin
(the Kasubag Perencanaan) taking an IKU with /pic and reporting its progress, the deadline, the
overdue nudge, the leadership digest with its chart, a target change by the admin and the
evaluation workbook. Then late work (tunggakan): Rina reports TW II late as 0, TW II is locked,
and in TW III she records what she did in July as TW III's realisation; the Kepala Badan reads
her kegiatan in the TW III drill-down. Last, the kabupaten: a second OPD (Dinas Kesehatan, the bundled plan
under its name) joins, and Bappeda reads /rekap — both OPD ranked — opens one OPD's digest and takes the
kabupaten workbook. It prints the chats as a transcript and writes the chart
and the workbook (TW II's, as sent on 8–9 July) to the output folder.
"""

import argparse
import asyncio
import logging
import sys
import time
import warnings
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from fake_telegram.server import FakeTelegram
from fake_telegram.transcript import render_transcript
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import load_settings
from bot.db import make_engine
from bot.db import migrate
from bot.db import unit_of_work
from bot.domain.locks import lock_quarter
from bot.domain.obligations import due_target
from bot.domain.people import assign_pic
from bot.domain.people import get_or_create_person
from bot.domain.plan_import import SAMPLE_PLAN
from bot.domain.plan_import.parser import parse_plan_file
from bot.domain.plan_import.store import save_plan
from bot.text.render import labels
from bot.text.render import render
from models import Aksi
from models import AksiRealisation
from models import AksiTarget
from models import Kegiatan
from models import KegiatanRealisation
from models import Person

WIB = ZoneInfo("Asia/Jakarta")
SEED_PLAN = SAMPLE_PLAN

ADMIN, KABAN, BUDI, SARI, RINA = 7001, 7002, 7101, 7102, 7103
BAPPEDA = 7201  # the kabupaten role (Bappeda / evaluator), who reads every OPD with /rekap
SECOND_OPD = "DINAS KESEHATAN KABUPATEN GRESIK"
LEADERSHIP_CHAT = -1001234
# The three PICs followed in the transcript, with the kegiatan (document order) they hold.
FOLLOWED = {BUDI: ("Budi Santoso", [1]), SARI: ("Sari Dewi", [2]), RINA: ("Rina Lestari", [3])}
# The admin on Telegram is the Kasubag Perencanaan, who reports the IKU (issue 14 item 6).
KASUBAG = "Wati Rahayu"
# Budi's bukti dukung in the verification scene: a 1×1 PNG (the fake serves it back by its file id).
DEMO_PHOTO = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63"
                           "000100000500010d0a2db40000000049454e44ae426082")


def add_arguments_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="out/demo", help="folder for the transcript, chart and workbook")
    parser.add_argument("--quiet", action="store_true", help="do not print the transcript")
    parser.add_argument("--webapp", action="store_true",
                        help="after the story, serve the Mini App locally and print its URLs (Ctrl-C stops)")
    parser.add_argument("--webapp-port", type=int, default=8090, help="the local port of --webapp (8090)")


def build_parser_args(argv: list[str]) -> argparse.Namespace:
    """The demo's options parsed from `argv` (as `rapk demo` parses them)."""
    parser = argparse.ArgumentParser(prog="rapk demo")
    add_arguments_demo(parser)
    return parser.parse_args(argv)


def seed_demo_plan(session) -> int:
    """The demo's data before the story starts (tests build on it too); returns the plan id.

    The bundled plan; the followed PICs (FOLLOWED) with TW I reported at target; colleagues holding
    every other kegiatan, who reported TW I and TW II on 2 July, every fifth of them (SHORTFALL) at
    70% of each TW II target; TW I locked in April.
    """
    result = save_plan(parse_plan_file(SEED_PLAN), session=session, actor_label="demo")
    plan_id = result.plan_id
    kegiatan = session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id).order_by(Kegiatan.seq)).all()
    followed = {seq for _, seqs in FOLLOWED.values() for seq in seqs}
    for _user, (name, seqs) in FOLLOWED.items():
        person, _ = get_or_create_person(name, session=session, agency_id=None, actor_label="demo")
        for seq in seqs:
            assign_pic(person.id, kegiatan[seq - 1].id, session=session, actor_label="demo")
            _report_as_planned(session, kegiatan[seq - 1], person.id, datetime(2020, 4, 3, 9, 0, tzinfo=WIB),
                               quarters=(1,), shortfall=False)
    # Colleagues (not on Telegram in this demo) hold the other kegiatan and reported TW II on time.
    colleagues = [get_or_create_person(n, session=session, agency_id=None, actor_label="demo")[0]
                  for n in ("Agus Prasetyo", "Dewi Anggraini", "Hendra Wijaya", "Nur Aini")]
    reported_at = datetime(2020, 7, 2, 10, 0, tzinfo=WIB)
    for index, k in enumerate(k for k in kegiatan if k.seq not in followed):
        owner = colleagues[index % len(colleagues)]
        assign_pic(owner.id, k.id, session=session, actor_label="demo")
        _report_as_planned(session, k, owner.id, reported_at, quarters=(1, 2), shortfall=index % SHORTFALL == 0)
    # The admin is a person too: the Kasubag Perencanaan, on Telegram since the bot was set up.
    kasubag, _ = get_or_create_person(KASUBAG, session=session, agency_id=None, actor_label="demo")
    kasubag.telegram_user_id, kasubag.onboarded_at = ADMIN, datetime(2020, 1, 6, 9, 0, tzinfo=WIB)
    # TW I was evaluated and locked in April.
    lock_quarter(plan_id, 1, session=session, actor_label="demo", now=datetime(2020, 4, 14, 9, 0, tzinfo=WIB))
    return plan_id


SHORTFALL = 5  # every fifth colleague's kegiatan reported TW II at 70%


def _report_as_planned(session, kegiatan, person_id, at, *, quarters, shortfall: bool) -> None:
    """Realised at target (a few kegiatan a little short in TW II), budget on plan."""
    rows = session.exec(select(Aksi, AksiTarget).join(AksiTarget, AksiTarget.aksi_id == Aksi.id)
                        .where(Aksi.kegiatan_id == kegiatan.id, AksiTarget.quarter.in_(quarters),
                               due_target())).all()
    for aksi, target in rows:
        value = target.value if target.value is not None else Decimal(0)
        if shortfall and target.quarter == 2:
            value = (value * Decimal("0.7")).quantize(Decimal("1"))
        session.add(AksiRealisation(aksi_id=aksi.id, quarter=target.quarter, value=value, value_raw=str(value),
                                    reported_by=person_id, reported_at=at))
    for quarter, share in ((1, 20), (2, 25), (3, 25)):
        if quarter not in quarters:
            continue
        session.add(KegiatanRealisation(kegiatan_id=kegiatan.id, quarter=quarter,
                                        budget_realised=(kegiatan.budget or 0) * share // 100,
                                        reported_by=person_id, reported_at=at))


class Demo:
    """The cast, the clock and the scenes."""

    def __init__(self, out: Path, webapp_port: int | None = None):
        self.out = out
        self.webapp_url = f"http://127.0.0.1:{webapp_port}/webapp" if webapp_port else None
        self.webapp_port = webapp_port
        self.clock = ManualClock(datetime(2020, 6, 22, 9, 0, tzinfo=WIB))
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal"):
            record_output(out, name)
        self.db_url = f"sqlite:///{out / DB_NAME}"
        self.fake = FakeTelegram(token="123456:DEMO-TOKEN-NOT-REAL", bot_username="rapk_bkd_bot",
                                 clock=self.clock)
        self.app = None
        self.sections: list[tuple[str, int]] = []
        # The bot's language (RAPK_LANGUAGE) is the story's too: its words and the buttons it taps.
        self.lang = load_settings(telegram_bot_token=self.fake.token, database_url=self.db_url,
                                  _env_file=None).language
        self.words = labels("demo_script", self.lang)
        self.buttons = labels("lapor_buttons", self.lang)
        self.admin_buttons = labels("admin_buttons", self.lang)
        self.names = {ADMIN: self.words["admin"], KABAN: self.words["kaban"], BUDI: "Budi", SARI: "Sari",
                      RINA: "Rina", LEADERSHIP_CHAT: self.words["leadership"], BAPPEDA: self.words["bappeda"]}

    # -- set-up ------------------------------------------------------------------------------
    def seed(self) -> None:
        """The bundled plan, the followed PICs, and colleagues who already reported their kegiatan."""
        engine = make_engine(self.db_url)
        migrate(engine)
        with unit_of_work(engine) as session:
            seed_demo_plan(session)
        engine.dispose()

    async def start(self) -> None:
        from bot.main import build_application
        from bot.telegram.app import ALLOWED_UPDATES

        await self.fake.start()
        self.fake.add_user(ADMIN, "Wati", username="wati_perencanaan")
        self.fake.add_user(KABAN, "Nadlif", username="kaban_bkd")
        for user, (name, _) in FOLLOWED.items():
            self.fake.add_user(user, name.split()[0])
        self.fake.add_user(BAPPEDA, "Ratna", username="bappeda_gresik")
        self.fake.add_group(LEADERSHIP_CHAT, "Pimpinan BKD", [KABAN, ADMIN])
        settings = load_settings(
            telegram_bot_token=self.fake.token, telegram_base_url=self.fake.base_url, database_url=self.db_url,
            admin_telegram_ids=[ADMIN], leadership_chat_id=LEADERSHIP_CHAT, _env_file=None,
            webapp_url=self.webapp_url,
        )
        self.app = build_application(settings, clock=self.clock, run_jobs=False, read_timeout=5)
        await self.app.initialize()
        await self.app.post_init(self.app)
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
        self.fake.attach(self.app)

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.updater.stop()
            await self.app.stop()
            await self.app.shutdown()
            await self.app.post_shutdown(self.app)  # closes the database so SQLite folds its WAL back
        await self.fake.stop()

    # -- acting ---------------------------------------------------------------------------------
    def scene(self, title: str) -> None:
        """Start a new part of the transcript (a key of demo_script.j2), headed with the simulated date and time."""
        when = self.clock.now().astimezone(WIB)
        from bot.text.formatting import date_time

        self.sections.append((f"{self.words[title]} — {date_time(when, self.lang)} WIB", len(self.fake.events)))

    def at(self, *args) -> None:
        self.clock.set(datetime(*args, tzinfo=WIB))

    async def say(self, user: int, text: str, chat: int | None = None) -> None:
        if text.startswith("/"):
            command, _, args = text.partition(" ")
            self.fake.send_command(user, command, args=args or None, chat_id=chat)
        else:
            self.fake.send_message(user, text, chat_id=chat)
        await self.fake.wait_idle(timeout=20)

    async def tap(self, user: int, label: str, chat: int | None = None) -> None:
        self.fake.press(user, label, chat_id=chat)
        await self.fake.wait_idle(timeout=20)

    async def tap_starting(self, user: int, prefix: str) -> None:
        """Tap the latest button whose label starts with `prefix` (labels carry names and emoji)."""
        for message in reversed(self.fake.messages_to(user)):
            for row in self.fake.buttons(message):
                for label in row:
                    if label.startswith(prefix):
                        await self.tap(user, label)
                        return
        raise AssertionError(f"no button starting with {prefix!r} for {self.names.get(user, user)}")

    async def tap_containing(self, user: int, part: str, chat: int) -> None:
        """Tap the latest button in `chat` whose label holds `part` (digest buttons start with a band emoji)."""
        for message in reversed(self.fake.messages_to(chat)):
            for row in self.fake.buttons(message):
                for label in row:
                    if part in label:
                        await self.tap(user, label, chat=chat)
                        return
        raise AssertionError(f"no button with {part!r} in chat {chat}")

    def transcript(self) -> str:
        parts, shown = [], {}
        bounds = [start for _, start in self.sections] + [len(self.fake.events)]
        for (title, start), end in zip(self.sections, bounds[1:], strict=False):
            body = render_transcript(self.fake.events[start:end], self.fake.users, self.fake.groups, self.names,
                                     shown=shown)
            parts.append(f"━━ {title}\n{body}".rstrip())
        return "\n\n".join(parts) + "\n"

    # -- the story -------------------------------------------------------------------------
    async def invites(self) -> None:
        self.scene("scene_invites")
        for user, (name, _) in FOLLOWED.items():
            await self.say(ADMIN, f"/undang {name}")
            link = self.fake.last_message_to(ADMIN)["text"]
            token = link.split("?start=", 1)[1].split()[0]
            await self.say(user, f"/start {token}")

    async def budi_reports_with_a_typo(self) -> None:
        self.scene("scene_budi")
        await self.say(BUDI, "/lapor")
        await self.tap_starting(BUDI, "📝")
        await self.say(BUDI, self.words["typo"])
        await self.say(BUDI, "50%")
        await self.rest_of_aksi_at_target(BUDI)
        await self.say(BUDI, "250 jt")
        await self.say(BUDI, "28")
        await self.rest_of_indicators(BUDI, "30")
        await self.say(BUDI, self.words["kendala"])
        await self.say(BUDI, self.words["tindak"])
        await self.save_report(BUDI)

    async def save_report(self, user: int) -> None:
        """No faktor pendorong (when it is asked), no evidence files, then «Simpan» on the summary card."""
        if self.asked(user).startswith(self.buttons["pendorong"]):
            await self.tap(user, self.buttons["none"])
        await self.tap(user, self.buttons["evidence_done"])
        await self.tap(user, self.buttons["save"])

    def asked(self, user: int) -> str:
        return (self.fake.last_message_to(user) or {}).get("text", "")

    async def rest_of_aksi_at_target(self, user: int) -> None:
        """Every further aksi question answered with «🎯 Sesuai target» («✅ Sudah ada» for a document)."""
        while self.asked(user).startswith(self.buttons["aksi"] + " "):
            shown = [b for row in self.fake.buttons(self.fake.last_message_to(user)) for b in row]
            await self.tap(user, self.buttons["equal_target"] if self.buttons["equal_target"] in shown
                           else self.buttons["doc_yes"])

    async def rest_of_indicators(self, user: int, value: str) -> None:
        while self.asked(user).startswith(self.buttons["indicator"]):
            await self.say(user, value)

    async def sari_reports_from_the_reminder(self) -> None:
        self.scene("scene_sari")
        await self.tap_starting(SARI, labels("reminder_buttons", self.lang)["report_now"])
        await self.rest_of_aksi_at_target(SARI)
        await self.say(SARI, "Rp 372.940.500")
        await self.rest_of_indicators(SARI, "30")
        await self.tap(SARI, self.buttons["no_notes"])
        await self.save_report(SARI)

    async def kasubag_reports_an_iku(self) -> None:
        """The admin gives herself IKU 1 with /pic and reports its progress: it falls due in TW IV only."""
        self.scene("scene_iku")
        await self.say(ADMIN, f"/pic {KASUBAG.split()[0]}")
        await self.tap_starting(ADMIN, self.admin_buttons["iku"])
        await self.tap_starting(ADMIN, "▫️ IKU 1 ")
        await self.tap(ADMIN, render("button_done", self.lang))
        await self.say(ADMIN, "/lapor")
        await self.tap_starting(ADMIN, f"📝 {self.buttons['outcomes']}")
        await self.say(ADMIN, self.words["iku_progress"])
        await self.tap(ADMIN, self.buttons["save"])

    async def tick(self) -> None:
        """What the JobQueue does every minute: reminder rows, the outbox, and digests."""
        from jobs.digest import run_digests
        from jobs.reminders import dispatch
        from jobs.reminders import run_tick

        await run_tick(self.app)
        await dispatch(self.app)
        await run_digests(self.app)
        await self.fake.wait_idle(timeout=20)

    async def admin_changes_a_target(self) -> None:
        self.scene("scene_target")
        await self.say(ADMIN, "/target")
        await self.tap_starting(ADMIN, "Program Pendidikan dan Pelatihan ASN")
        await self.tap_starting(ADMIN, "Pendidikan Penjurangan Struktural")
        await self.tap_starting(ADMIN, f"{self.admin_buttons['aksi']} 3.")
        await self.tap_starting(ADMIN, "TW III")
        await self.say(ADMIN, "25%")
        await self.say(ADMIN, self.words["target_reason"])
        await self.tap(ADMIN, self.admin_buttons["save"])

    async def play_quarter(self) -> None:
        self.at(2020, 6, 23, 8, 0)
        self.scene("scene_h7")
        await self.tick()
        self.at(2020, 6, 24, 10, 15)
        await self.budi_reports_with_a_typo()
        self.at(2020, 6, 25, 14, 0)
        await self.sari_reports_from_the_reminder()
        self.at(2020, 6, 25, 15, 30)
        await self.kasubag_reports_an_iku()
        self.at(2020, 6, 26, 8, 0)
        self.scene("scene_h3")
        await self.tick()
        self.at(2020, 7, 7, 8, 0)
        self.scene("scene_deadline")
        await self.tick()
        self.at(2020, 7, 8, 8, 0)
        self.scene("scene_after")
        await self.tick()
        self.at(2020, 7, 9, 8, 0)
        self.scene("scene_overdue")
        await self.tick()
        self.at(2020, 7, 9, 9, 30)
        await self.admin_changes_a_target()
        self.at(2020, 7, 9, 9, 45)
        await self.admin_returns_budis_report()
        self.at(2020, 7, 9, 9, 55)
        await self.kaban_responds()
        self.at(2020, 7, 9, 10, 0)
        self.scene("scene_export")
        await self.say(KABAN, "/ekspor", chat=LEADERSHIP_CHAT)
        self.save_files()

    async def admin_returns_budis_report(self) -> None:
        """/verifikasi: Budi's report goes back with a note; he adds the evidence from «Perbaiki»; accepted."""
        self.scene("scene_verify")
        verify = labels("verifikasi_buttons", self.lang)
        await self.say(ADMIN, "/verifikasi")
        while "Pendidikan dan Pelatihan Teknis" not in self.asked(ADMIN):
            await self.tap(ADMIN, verify["next"])
        await self.tap(ADMIN, verify["return"])
        await self.say(ADMIN, self.words["return_note"])
        await self.tap(BUDI, verify["fix"])
        await self.tap(BUDI, self.buttons["edit"])
        await self.tap(BUDI, self.buttons["evidence"])
        self.fake.send_photo(BUDI, DEMO_PHOTO, caption=self.words["evidence_caption"])
        await self.fake.wait_idle(timeout=20)
        await self.save_report(BUDI)
        await self.say(ADMIN, "/verifikasi")
        while "Pendidikan dan Pelatihan Teknis" not in self.asked(ADMIN):
            await self.tap(ADMIN, verify["next"])
        await self.tap(ADMIN, verify["accept"])

    async def kaban_responds(self) -> None:
        """The Kepala Badan opens Budi's kegiatan from the digest and answers it («Tanggapi»)."""
        self.scene("scene_response")
        await self.say(KABAN, "/ringkasan", chat=LEADERSHIP_CHAT)
        await self.tap_containing(KABAN, "Program Pendidikan dan", LEADERSHIP_CHAT)
        await self.tap_containing(KABAN, "Pendidikan dan Pelatihan", LEADERSHIP_CHAT)
        await self.tap(KABAN, labels("tanggapan_buttons", self.lang)["respond"], chat=LEADERSHIP_CHAT)
        # The forced reply: Telegram sends the answer as a reply to the bot's question (privacy mode lets it in).
        self.fake.send_message(KABAN, self.words["response"], LEADERSHIP_CHAT,
                               reply_to=self.fake.last_message_to(LEADERSHIP_CHAT))
        await self.fake.wait_idle(timeout=20)

    async def admin_locks_tw2(self) -> None:
        self.scene("scene_lock")
        await self.say(ADMIN, "/kunci TW II")
        await self.tap(ADMIN, self.admin_buttons["lock_all"])

    async def rina_reports_late_work(self) -> None:
        """Rina's TW II work, done in July, recorded as TW III's realisation («tunggakan TW II»)."""
        self.scene("scene_rina_late")
        await self.tap_starting(RINA, labels("reminder_buttons", self.lang)["report_now"])
        await self.tap(RINA, self.buttons["settle_arrear"])  # aksi 1: the 100% owed from TW II
        await self.tap(RINA, self.buttons["settle_arrear"])  # aksi 2: the 200 participants owed
        await self.say(RINA, "100")  # aksi 3: TW III's own 20% and the 80% owed from TW II
        await self.say(RINA, self.words["rina_budget"])
        await self.rest_of_indicators(RINA, "200")
        await self.say(RINA, self.words["rina_kendala"])
        await self.tap(RINA, self.buttons["none"])
        await self.save_report(RINA)

    async def rina_reports_nothing_done_yet(self) -> None:
        """Late, and honest: nothing of TW II was done (the training was postponed)."""
        self.scene("scene_rina_zero")
        await self.say(RINA, "/lapor")
        await self.tap_starting(RINA, "📝")
        while self.asked(RINA).startswith(self.buttons["aksi"] + " "):  # «Belum» for a document target
            shown = [b for row in self.fake.buttons(self.fake.last_message_to(RINA)) for b in row]
            await self.tap(RINA, self.buttons["zero"] if self.buttons["zero"] in shown else self.buttons["doc_no"])
        await self.tap(RINA, self.buttons["no_spending"])
        while self.asked(RINA).startswith(self.buttons["indicator"]):
            await self.tap(RINA, self.buttons["skip"])
        await self.say(RINA, self.words["rina_kendala_tw2"])
        await self.say(RINA, self.words["rina_tindak_tw2"])
        await self.save_report(RINA)

    def colleagues_report(self, quarter: int, at: datetime) -> None:
        """The colleagues (not on Telegram in this demo) report the quarter at its targets, off screen."""
        engine = make_engine(self.db_url)
        with unit_of_work(engine) as session:
            followed = {seq for _, seqs in FOLLOWED.values() for seq in seqs}
            for k in session.exec(select(Kegiatan).where(Kegiatan.seq.not_in(followed))).all():
                _report_as_planned(session, k, None, at, quarters=(quarter,), shortfall=False)
        engine.dispose()

    async def late_work_in_tw3(self) -> None:
        """After the quarter: Rina reports TW II honestly as 0, TW II is locked; in TW III she catches up,
        and what she did in July is TW III's realisation (tunggakan TW II)."""
        self.at(2020, 7, 10, 10, 0)
        await self.rina_reports_nothing_done_yet()
        self.at(2020, 7, 14, 9, 0)
        await self.admin_locks_tw2()
        self.colleagues_report(3, datetime(2020, 9, 22, 10, 0, tzinfo=WIB))
        self.at(2020, 9, 23, 8, 0)
        self.scene("scene_tw3_h7")
        await self.tick()
        self.at(2020, 9, 24, 10, 0)
        await self.rina_reports_late_work()
        self.at(2020, 9, 24, 13, 0)
        await self.kaban_reads_the_late_work()

    async def kaban_reads_the_late_work(self) -> None:
        """The digest's drill-down: Rina's program, then her kegiatan, where TW II reads late."""
        self.scene("scene_kaban_late")
        await self.say(KABAN, "/ringkasan", chat=LEADERSHIP_CHAT)
        await self.tap_containing(KABAN, "Program Pendidikan", chat=LEADERSHIP_CHAT)
        await self.tap_containing(KABAN, "Peningkatan Keterampilan", chat=LEADERSHIP_CHAT)

    def second_opd_joins(self) -> None:
        """Off screen: a second OPD with its plan (the bundled one under its name), its TW I–III reported, half
        of its kegiatan short in TW II; and Bappeda, who holds the kabupaten role."""
        engine = make_engine(self.db_url)
        with unit_of_work(engine) as session:
            plan_id = save_plan(parse_plan_file(SEED_PLAN), agency=SECOND_OPD, session=session,
                                actor_label="demo").plan_id
            reported_at = datetime(2020, 9, 22, 10, 0, tzinfo=WIB)
            kegiatan = session.exec(select(Kegiatan).where(Kegiatan.plan_id == plan_id)).all()
            pic, _ = get_or_create_person("Yuni Kartika", session=session, agency_id=None, actor_label="demo")
            for index, k in enumerate(kegiatan):
                assign_pic(pic.id, k.id, session=session, actor_label="demo")
                if index % 9:  # every ninth kegiatan has not reported TW III yet
                    _report_as_planned(session, k, pic.id, reported_at, quarters=(1, 2, 3), shortfall=index % 2 == 0)
            session.add(Person(name="Ratna Bappeda", telegram_user_id=BAPPEDA, is_kabupaten=True))
        engine.dispose()

    async def bappeda_reads_the_rekap(self) -> None:
        """The kabupaten scene: /rekap ranks both OPD; Bappeda opens the second one's digest, goes back,
        and takes the kabupaten workbook."""
        self.second_opd_joins()
        self.scene("scene_kabupaten")
        rekap = labels("rekap_labels", self.lang)
        await self.say(BAPPEDA, "/rekap")
        await self.tap_starting(BAPPEDA, "2. ")
        await self.tap(BAPPEDA, rekap["back"])
        await self.tap(BAPPEDA, rekap["workbook"])
        for name, content, method in self.fake.files_sent_to(BAPPEDA):  # the kabupaten chart and workbook
            write_output(self.out, "rekap-kabupaten-tw3-2020.png" if method == "sendPhoto" else name, content)

    def save_files(self) -> None:
        """The chart and the workbook exactly as the leadership group received them."""
        for name, content, method in self.fake.files_sent_to(LEADERSHIP_CHAT):
            if method == "sendPhoto":
                write_output(self.out, "capaian-tw2-2020.png", content)
            elif name and name.endswith(".xlsx"):
                write_output(self.out, name, content)


DB_NAME = "rapk-demo.sqlite3"
# Lists, one a line, every file the demo wrote into the folder: only those are ever removed.
MARKER = ".rapk-demo-output"
MARKER_HEADER = "rapk demo output:"


def _recorded(out: Path) -> set[str]:
    marker = out / MARKER
    if not marker.is_file():
        return set()
    lines = marker.read_text(encoding="utf-8").splitlines()
    return {line for line in lines if line and not line.startswith(MARKER_HEADER)}


def record_output(out: Path, name: str) -> None:
    """Note a file in the marker before writing it, so an interrupted run can still be cleared."""
    if name not in _recorded(out):
        with (out / MARKER).open("a", encoding="utf-8") as marker:
            marker.write(f"{name}\n")


def write_output(out: Path, name: str, content: bytes | str) -> None:
    record_output(out, name)
    if isinstance(content, str):
        (out / name).write_text(content, encoding="utf-8")
    else:
        (out / name).write_bytes(content)


def prepare_output(out: Path) -> str | None:
    """Make `out` ready for a fresh run; a one-line refusal when the folder holds anything else.

    The folder is used when it is new, empty, or holds only files an earlier demo wrote (they are
    removed, nothing else is). `rapk demo --out .` in a checkout must never touch `.git`.
    """
    if out.exists() and not out.is_dir():
        return f"rapk demo: --out {out} is a file, not a folder"
    if out.is_dir() and any(out.iterdir()):
        ours = _recorded(out)
        foreign = sorted(p.name for p in out.iterdir()
                         if p.name != MARKER and (p.name not in ours or not p.is_file() or p.is_symlink()))
        if not (out / MARKER).is_file() or foreign:
            return (f"rapk demo: {out} holds files the demo did not write ({', '.join(foreign[:3]) or 'no marker'});"
                    " choose a new or empty folder with --out")
        for name in ours:
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(f"{MARKER_HEADER} files listed below are rewritten by the next run\n",
                              encoding="utf-8")
    return None


def webapp_links(base_url: str, token: str, now: datetime) -> list[tuple[str, str]]:
    """(who, URL) of the Mini App as Telegram would open it for the demo's Budi (a PIC) and the Kepala Badan,
    initData signed with the demo's token at the demo's moment."""
    from urllib.parse import quote

    from bot.domain.webapp_auth import sign_init_data

    return [(name, f"{base_url}#tgWebAppData="
                   + quote(sign_init_data({"id": user, "first_name": name}, bot_token=token, auth_date=now)))
            for user, name in ((BUDI, "Budi"), (KABAN, "Nadlif"))]


async def serve_webapp(demo: "Demo", stop: asyncio.Event | None = None) -> None:
    """The Mini App on 127.0.0.1:<port> over the demo's database and fake Telegram, until Ctrl-C."""
    import signal

    from bot.telegram.webhook import start_web_server

    runner = await start_web_server(demo.app, listen="127.0.0.1", port=demo.webapp_port)
    try:
        print(demo.words["webapp_ready"])
        for name, url in webapp_links(demo.webapp_url, demo.fake.token, demo.clock.now()):
            print(f"  {name}: {url}")
        sys.stdout.flush()
        if stop is None:
            stop = asyncio.Event()
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def cmd_demo(args) -> int:
    started = time.perf_counter()
    out = Path(args.out)
    refusal = prepare_output(out)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    warnings.filterwarnings("ignore", message="If 'per_message=False'")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("rapk").setLevel(logging.WARNING)
    demo = Demo(out, webapp_port=args.webapp_port if getattr(args, "webapp", False) else None)
    demo.seed()
    asyncio.run(_play(demo))
    text = demo.transcript()
    write_output(out, "transcript.txt", text)
    if not args.quiet:
        print(text)
    print(f"RAPK demo finished in {time.perf_counter() - started:.1f} s. Output in {out.resolve()}:")
    for path in sorted(p for p in out.iterdir() if p.name != MARKER):
        print(f"  {path.name}")
    return 0


async def _play(demo: Demo) -> None:
    await demo.start()
    try:
        await demo.invites()
        await demo.play_quarter()
        await demo.late_work_in_tw3()
        await demo.bappeda_reads_the_rekap()  # last: the second OPD's plan joins only now
        demo.fake.assert_no_violations()
        if demo.webapp_port:
            await serve_webapp(demo)
    finally:
        await demo.stop()


if __name__ == "__main__":
    sys.exit(cmd_demo(argparse.Namespace(out="out/demo", quiet=False, webapp=False)))
