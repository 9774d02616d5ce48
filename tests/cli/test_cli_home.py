"""RAPK_HOME: `.env` and the default SQLite file are found from any folder, and each command says which database."""

import os
import subprocess
import sys


def rapk(cwd, *args, **env):
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=base, cwd=cwd,
                          timeout=120)


def test_commands_use_the_home_database_from_any_folder(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    run = rapk(elsewhere, "migrate", RAPK_HOME=str(home))
    assert run.returncode == 0, run.stderr[-3000:]
    assert (home / "var" / "rapk.sqlite3").is_file() and not (elsewhere / "var").exists()
    assert f"rapk: database sqlite:///{home}/var/rapk.sqlite3" in run.stderr.splitlines()


def test_env_file_is_read_from_home_and_relative_sqlite_paths_are_under_it(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    (home / ".env").write_text("DATABASE_URL=sqlite:///data/agency.sqlite3\n")
    (elsewhere / ".env").write_text("DATABASE_URL=sqlite:///wrong.sqlite3\n")
    run = rapk(elsewhere, "audit", RAPK_HOME=str(home))
    assert run.returncode == 0, run.stderr[-3000:]
    assert (home / "data" / "agency.sqlite3").is_file() and not (elsewhere / "wrong.sqlite3").exists()
    assert f"rapk: database sqlite:///{home}/data/agency.sqlite3" in run.stderr
