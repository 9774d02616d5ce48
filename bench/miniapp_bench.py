"""100 PICs press Simpan in the Mini App at once: the real bot's web server, the real database, the fake Telegram.

Each PIC saves one kegiatan (two aksi, the budget, one indicator) with initData signed for them: the request is
authenticated, the person resolved, the form read and checked, `save_report` commits, and the chat is told
«Tersimpan ✅» through the fake before the page hears 200. It prints p50/p99 of that save, next to a baseline in
the same run: the same 100 clients at once on GET /healthz of the same server (HTTP and one database round
trip), so the ratio is the Mini App's own work. Then the same 100 saves again: a second Simpan is idempotent.

    .venv/bin/python bench/miniapp_bench.py [--pics 100] [--db sqlite,postgresql]
"""

import argparse
import asyncio
import secrets
import sys
import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp  # noqa: E402
from fake_telegram.server import FakeTelegram  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench._common import database  # noqa: E402
from bench._common import percentile  # noqa: E402
from bench.lapor_bench import FIRST_USER  # noqa: E402
from bench.lapor_bench import seed  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.db import unit_of_work  # noqa: E402
from bot.domain.webapp_auth import sign_init_data  # noqa: E402
from bot.main import build_application  # noqa: E402
from bot.telegram.webhook import start_web_server  # noqa: E402
from models import Aksi  # noqa: E402
from models import Kegiatan  # noqa: E402
from models import KegiatanIndicator  # noqa: E402


def _forms(url: str, pics: int) -> list[tuple[int, dict]]:
    """(kegiatan id, fields) of each PIC's Simpan, in PIC order."""
    engine = make_engine(url)
    with unit_of_work(engine) as s:
        out = []
        for k in s.exec(select(Kegiatan).order_by(Kegiatan.seq)).all()[:pics]:
            aksi = s.exec(select(Aksi.id).where(Aksi.kegiatan_id == k.id).order_by(Aksi.no)).all()
            ind = s.exec(select(KegiatanIndicator.id).where(KegiatanIndicator.kegiatan_id == k.id)).all()
            out.append((k.id, {f"a{aksi[0]}": "50%", f"a{aksi[1]}": "60", "budget": "125jt", f"i{ind[0]}": "30"}))
    engine.dispose()
    return out


async def run(url: str, pics: int) -> dict[str, list[float]]:
    fake = FakeTelegram(token="123456:BENCH-TOKEN")
    await fake.start()
    for n in range(pics):
        fake.add_user(FIRST_USER + n, f"PIC{n}")
    clock = ManualClock(datetime(2020, 6, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    settings = load_settings(telegram_bot_token=fake.token, telegram_base_url=fake.base_url, database_url=url,
                             webapp_url="https://rapk.example/webapp", _env_file=None)
    app = build_application(settings, clock=clock, rate_limiter=False, run_jobs=False, read_timeout=30)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    runner = await start_web_server(app, listen="127.0.0.1", port=0)
    host, port = runner.addresses[0][:2]
    base = f"http://{host}:{port}"
    forms = _forms(url, pics)
    inits = [sign_init_data({"id": FIRST_USER + n, "first_name": f"PIC{n}"}, bot_token=fake.token,
                            auth_date=clock.now() - timedelta(minutes=1)) for n in range(pics)]
    results: dict[str, list[float]] = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            async def health(_n: int) -> float:
                started = time.perf_counter()
                async with http.get(f"{base}/healthz") as r:
                    assert r.status == 200, r.status
                return time.perf_counter() - started

            async def save(n: int) -> float:
                kegiatan, fields = forms[n]
                headers = {"Authorization": f"tma {inits[n]}", "X-Rapk-Nonce": secrets.token_hex(16)}
                started = time.perf_counter()
                async with http.post(f"{base}/webapp/api/save", headers=headers,
                                     json={"kegiatan_id": kegiatan, "quarter": 2, "fields": fields}) as r:
                    body = await r.json()
                    assert r.status == 200 and body["ok"], (r.status, body)
                return time.perf_counter() - started

            await save(0)  # one PIC warms the bot up, as a bot running since the day before is
            for name, fn in (("baseline GET /healthz", health), ("Simpan", save), ("Simpan again", save)):
                results[name] = await asyncio.gather(*(fn(n) for n in range(pics)))
    finally:
        await runner.cleanup()
        await app.stop()
        await app.shutdown()
        await fake.stop()
        fake.assert_no_violations()
    told = [m for n in range(pics) for m in fake.messages_to(FIRST_USER + n) if "Tersimpan" in (m.get("text") or "")]
    assert len(told) >= pics, len(told)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pics", type=int, default=100)
    parser.add_argument("--db", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"Mini App benchmark: {args.pics} PICs press Simpan at once (one kegiatan each)")
    for kind in args.db.split(","):
        with database(kind) as url:
            seed(url, args.pics)
            results = asyncio.run(run(url, args.pics))
        base = results["baseline GET /healthz"]
        for name, values in results.items():
            p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
            print(f"  {kind}: {name:<22} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")
        save = results["Simpan"]
        print(f"  {kind}: Simpan p50 {percentile(save, 50) / percentile(base, 50):.1f}×, "
              f"p99 {percentile(save, 99) / percentile(base, 99):.1f}× the baseline's")


if __name__ == "__main__":
    main()
