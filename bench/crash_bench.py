"""PICs report through a bot that is killed with SIGKILL again and again; nothing confirmed may change.

The bot runs as its own process (tests.support.botproc: bot.main.build_application, polling, as
`rapk run`) against the fake Bot API server in this process. Every PIC answers what the bot last
asked, with values fixed in advance, and types the answer again when the bot stays silent (as a
person does with a dead bot). Meanwhile the bot is killed at random moments and started again.

At the end it prints, per database: reports confirmed («Tersimpan ✅», or the alert «sudah tersimpan» on
a second tap of Simpan when the kill fell between the commit and «Tersimpan»: counted apart), lost (confirmed but not
stored), altered (stored with a value other than the PIC's answer to that question), duplicated
(one report confirmed twice), the kills, and the PICs that never got to «Tersimpan».

    .venv/bin/python bench/crash_bench.py [--pics 40] [--kills 25] [--db sqlite,postgresql] [--seed 7]
"""

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fake_telegram.server import FakeTelegram
from sqlmodel import select

from bench._common import database
from bench.lapor_bench import FIRST_USER
from bench.lapor_bench import seed
from bot.db import make_engine
from bot.db import unit_of_work
from models import Aksi
from models import AksiRealisation
from models import Kegiatan
from models import KegiatanRealisation
from tests.support.botproc import BotProcess

NOW = datetime(2020, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
SILENCE = 10.0  # seconds a PIC waits for an answer before typing or tapping again


def answers(rng: random.Random, n: int) -> dict[str, object]:
    """What PIC n will answer to each question (distinct, so a shifted value shows)."""
    a1 = rng.randint(1, 49)
    return {"a1": a1, "a2": rng.randint(50, 110), "budget": rng.randint(111, 999) * 1_000_000,
            "kendala": f"kendala {n}-{rng.randint(1000, 9999)}"}


def act(fake: FakeTelegram, user: int, n: int, text: str, plan: dict) -> bool:
    """Answer the question `text` as PIC n would; False when `text` is no question of /lapor."""
    if "Tersimpan ✅" in text:
        return False
    if "Sudah benar?" in text:  # a value the bot finds unusual: the PIC trusts what they typed
        fake.press(user, "Ya, sudah benar")
    elif "Ringkasan laporan" in text:
        fake.press(user, "💾 Simpan")
    elif "Bukti dukung" in text:
        fake.press(user, "Selesai")
    elif "Tindak lanjut" in text or "Faktor pendorong" in text:
        fake.press(user, "Tidak ada")
    elif "Kendala" in text:
        fake.send_message(user, plan["kendala"])
    elif "Indikator kegiatan" in text:
        fake.press(user, "Lewati")
    elif "Realisasi anggaran" in text:
        fake.send_message(user, f"{plan['budget'] // 1_000_000}jt")
    elif "Aksi 2/2" in text:
        fake.send_message(user, str(plan["a2"]))
    elif "Aksi 1/2" in text:
        fake.send_message(user, f"{plan['a1']}%")
    elif "Laporan TW II" in text:
        fake.press(user, f"📝 Kegiatan {n}")
    else:
        return False
    return True


async def pic(fake: FakeTelegram, n: int, plan: dict, stop: asyncio.Event) -> None:
    """Answer each new question once; after SILENCE seconds without a new message, answer the last one again."""
    user = FIRST_USER + n
    fake.send_command(user, "/lapor")
    answered = None  # the message id of the question last answered
    while not stop.is_set():
        seen = len(fake.messages_to(user))
        try:
            await fake.wait_for(lambda seen=seen: len(fake.messages_to(user)) > seen or stop.is_set(), SILENCE)
            silent = False
        except AssertionError:
            silent = True
        messages = fake.messages_to(user)
        if confirmation(fake, user):
            return
        question = next((m for m in reversed(messages) if _is_question(m.get("text") or "")), None)
        if question is not None and question["message_id"] == answered and not silent:
            continue  # a note or a reply about the same question: it is answered already
        try:
            if question is None or not act(fake, user, n, question["text"], plan):
                fake.send_command(user, "/lapor")
            answered = question["message_id"] if question else None
        except AssertionError:  # the button is gone (the question was closed): read again
            continue


def confirmation(fake: FakeTelegram, user: int) -> str | None:
    """How the PIC learnt the report is stored: «Tersimpan ✅», or the alert «Laporan ini sudah tersimpan ✅»
    on tapping Simpan again (the kill fell between the commit and «Tersimpan»); None while not told."""
    if any("Tersimpan ✅" in (m.get("text") or "") for m in fake.messages_to(user)):
        return "message"
    if any(e.kind == "notice" and "sudah tersimpan" in e.text and e.chat_id == user for e in fake.events):
        return "alert"
    return None


def _is_question(text: str) -> bool:
    markers = ("Sudah benar?", "Ringkasan laporan", "Bukti dukung", "Faktor pendorong", "Tindak lanjut", "Kendala", "Indikator kegiatan",
               "Realisasi anggaran", "Aksi 2/2", "Aksi 1/2", "Laporan TW II")
    return any(m in text for m in markers)


def stored(url: str, pics: int) -> dict[int, dict[str, object]]:
    engine = make_engine(url)
    out: dict[int, dict[str, object]] = {}
    with unit_of_work(engine) as s:
        kegiatan = {k.id: int(k.name.split()[-1]) for k in s.exec(select(Kegiatan))}
        aksi = {a.id: (kegiatan[a.kegiatan_id], a.no) for a in s.exec(select(Aksi))}
        for row in s.exec(select(AksiRealisation).where(AksiRealisation.quarter == 2)):
            n, no = aksi[row.aksi_id]
            out.setdefault(n, {})[f"a{no}"] = row.value
        for row in s.exec(select(KegiatanRealisation).where(KegiatanRealisation.quarter == 2)):
            n = kegiatan[row.kegiatan_id]
            out.setdefault(n, {}).update(budget=row.budget_realised, kendala=row.kendala)
    engine.dispose()
    return out


async def run(kind: str, pics: int, kills: int, rng: random.Random) -> dict[str, int]:
    fake = FakeTelegram(token="123456:CRASH-TOKEN")
    await fake.start()
    for n in range(pics):
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    plans = {n: answers(rng, n) for n in range(pics)}
    folder = Path(tempfile.mkdtemp(prefix="rapk-crash-"))
    with database(kind) as url:
        seed(url, pics)
        bot = BotProcess(fake, url, now=NOW, log_path=folder / "bot.log", RAPK_TEST_TIMEOUT=20)
        await bot.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(pic(fake, n, plans[n], stop)) for n in range(pics)]
        done = 0
        for _ in range(kills):
            await asyncio.wait(tasks, timeout=rng.uniform(0.2, 1.5))
            if all(t.done() for t in tasks):
                break
            bot.kill()
            done += 1
            await bot.start()
        _finished, unfinished = await asyncio.wait(tasks, timeout=180)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        bot.stop()
        rows = stored(url, pics)
    confirmed = by_alert = lost = altered = duplicated = 0
    for n, plan in plans.items():
        saved = [m for m in fake.messages_to(FIRST_USER + n) if "Tersimpan ✅" in (m.get("text") or "")]
        how = confirmation(fake, FIRST_USER + n)
        if how is None:
            last = [(m.get("text") or "")[:80].replace("\n", " ") for m in fake.messages_to(FIRST_USER + n)[-3:]]
            print(f"  unfinished: PIC {n}, the bot's last messages: {last}")
            events = [(e.kind, e.text[:40].replace("\n", " "), e.detail) for e in fake.events
                      if e.chat_id == FIRST_USER + n][-6:]
            print(f"    last events: {events}; unconfirmed updates: {len(fake.pending_updates)}")
            continue
        confirmed += 1
        by_alert += how == "alert"
        duplicated += len(saved) > 1
        got = rows.get(n, {})
        expected = {"a1": Decimal(plan["a1"]), "a2": Decimal(plan["a2"]), "budget": plan["budget"],
                    "kendala": plan["kendala"]}
        if any(got.get(k) is None for k in expected):
            lost += 1
        elif any(got[k] != v for k, v in expected.items()):
            altered += 1
            print(f"  altered: PIC {n} answered {expected}, stored {got}")
    await fake.stop()
    if unfinished or lost or altered:
        print(f"  the bot's log: {folder / 'bot.log'}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return {"kills": done, "confirmed": confirmed, "of_them_by_alert": by_alert, "lost": lost, "altered": altered, "duplicated": duplicated,
            "unfinished": len(unfinished)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pics", type=int, default=40)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for kind in args.db.split(","):
        result = asyncio.run(run(kind, args.pics, args.kills, random.Random(args.seed)))
        print(f"{kind:10} " + "  ".join(f"{k} {v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
