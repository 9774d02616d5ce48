"""`rapk doctor` against the fake Telegram: what a newcomer has left to do in «Running it for real»."""

import asyncio
import os
import sys

from fake_telegram import FakeTelegram

GROUP = -1001234567890


async def doctor(tmp_path, fake, **env) -> tuple[int, str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RAPK_HOME": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path}/rapk.sqlite3", "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.root_url, "ADMIN_TELEGRAM_IDS": "1001"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "migrate", env={**base, **env}, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    assert await proc.wait() == 0
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", env={**base, **env}, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode()


async def test_doctor_says_when_the_bot_is_not_an_admin_of_the_leadership_group(tmp_path):
    fake = FakeTelegram()
    fake.add_user(1001, "Wati")
    group = fake.add_group(GROUP, "Grup Pimpinan", [1001])
    async with fake:
        code, out = await doctor(tmp_path, fake, LEADERSHIP_CHAT_ID=str(GROUP))
        assert code == 1, out
        assert "ok   leadership chat: Grup Pimpinan" in out
        assert "FAIL the bot is not an admin of the leadership chat" in out
        assert "who joins and leaves" in out and "1 problem(s) found" in out

        group.bot_is_admin = True  # the admin promotes it
        code, out = await doctor(tmp_path, fake, LEADERSHIP_CHAT_ID=str(GROUP))
        assert code == 0, out
        assert "ok   the bot is an admin of the leadership chat" in out and "all checks passed" in out
