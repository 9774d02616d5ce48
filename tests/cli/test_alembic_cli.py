"""`alembic upgrade head` from the project folder migrates the database DATABASE_URL names (README)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_alembic_upgrade_reads_database_url(tmp_path):
    db = tmp_path / "chosen.sqlite3"
    default = ROOT / "var" / "rapk.sqlite3"
    existed = default.exists()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": f"sqlite:///{db}"}
    run = subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert default.exists() == existed
