"""Operator commands in a broken set-up: one clear line, a non-zero exit, no traceback, no token.

Each case runs `python -m bot ...` as an operator would, with the fake Bot API server where Telegram
is needed and an unused local port where something is unreachable.
"""

import http.server
import os
import socket
import subprocess
import sys
import threading

import pytest

from bot.domain.plan_import import SAMPLE_PLAN

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = TOKEN.split(":", 1)[1]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def fake_server():
    """The fake Bot API server in its own process; it knows another token than TOKEN."""
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "fake_telegram", "--port", str(port), "--token", "123456:OTHER-TOKEN"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in proc.stdout:  # its banner ends once it listens
        if "base_file_url" in line:
            break
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def garbage_server():
    """Answers every request with 200 and a body that is not JSON (a captive portal, a wrong proxy)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = b"<html>not the Bot API</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def rapk(tmp_path, *args, **env) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": f"sqlite:///{tmp_path}/rapk.sqlite3"}
    base.update({k: str(v) for k, v in env.items()})
    return subprocess.run([sys.executable, "-m", "bot", *map(str, args)], capture_output=True, text=True,
                          env=base, cwd=tmp_path, timeout=120)


def assert_one_line(run: subprocess.CompletedProcess, code: int, *words: str) -> str:
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-3000:]
    assert "Unclosed" not in run.stderr, run.stderr[-3000:]
    # Besides the "rapk: database ..." line every command starts with.
    lines = [line for line in run.stderr.strip().splitlines() if not line.startswith("rapk: database ")]
    assert run.returncode == code, run.stderr[-3000:]
    assert len(lines) == 1, run.stderr[-3000:]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


COMMANDS = [
    ["import", SAMPLE_PLAN], ["plan"], ["migrate"], ["run"], ["invite", "Budi"], ["assign", "Budi", "1"],
    ["calendar", "2020"], ["summary", "--quarter", "2"], ["export", "--quarter", "2", "--out", "x.xlsx"],
    ["budget-plan", "1"],
    ["realisasi", "template", "--quarter", "2", "--out", "t.xlsx"],
    ["realisasi", "import", "r.json", "--quarter", "2", "--by", "Budi"], ["audit"], ["doctor"],
]


def test_the_token_reaches_no_output_of_any_command(tmp_path, fake_server):
    """The fake server knows another token, so every command that talks to Telegram is rejected."""
    for command in COMMANDS:
        run = rapk(tmp_path, *command, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake_server, LOG_LEVEL="DEBUG")
        for stream in (run.stdout, run.stderr):
            assert SECRET not in stream, (command, stream[-3000:])
        assert "Traceback" not in run.stderr, (command, run.stderr[-3000:])
    assert run.returncode == 1 and "FAIL token rejected by Telegram" in run.stdout  # doctor, the last one


def test_a_base_url_without_scheme_names_the_key(tmp_path):
    assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL="127.0.0.1:8081"), 2,
                    "configuration error: TELEGRAM_BASE_URL")


def test_bad_log_level_names_the_key(tmp_path):
    assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, LOG_LEVEL="verbose"), 2,
                    "configuration error: LOG_LEVEL")


@pytest.mark.parametrize("url,command", [("postgres://rapk:pw@127.0.0.1/rapk", ["run"]), ("bukan url", ["plan"]),
                                         ("mysql://x:pw@y/z", ["migrate"])])
def test_malformed_database_url_names_the_key(tmp_path, url, command):
    line = assert_one_line(rapk(tmp_path, *command, TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url), 2,
                           "configuration error: DATABASE_URL")
    assert "pw" not in line


def test_unreachable_database_at_run_is_one_line(tmp_path, unused_port):
    url = f"postgresql+psycopg://rapk:pw@127.0.0.1:{unused_port}/rapk"
    line = assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, DATABASE_URL=url), 2, "database")
    assert ":pw@" not in line


def test_unreachable_telegram_at_start_is_one_line(tmp_path, unused_port):
    assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"http://127.0.0.1:{unused_port}"),
                    2, "Telegram")


def test_rejected_token_at_start_is_one_line(tmp_path, fake_server):
    assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=fake_server), 2,
                    "TELEGRAM_BOT_TOKEN")


@pytest.mark.parametrize("key,value", [("WEBHOOK_URL", "bot.example.go.id/telegram"),
                                       ("WEBHOOK_LISTEN", "127.0.0.1:8443"), ("WEBHOOK_LISTEN", "999.1.1.1")])
def test_bad_webhook_settings_name_the_key(tmp_path, fake_server, key, value):
    env = {"WEBHOOK_URL": "https://bot.example.go.id/telegram", key: value}
    assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN="123456:OTHER-TOKEN", TELEGRAM_BASE_URL=fake_server,
                         **env), 2, f"configuration error: {key}")


def test_webhook_port_in_use_is_one_line(tmp_path, fake_server):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_one_line(rapk(tmp_path, "run", TELEGRAM_BOT_TOKEN="123456:OTHER-TOKEN", TELEGRAM_BASE_URL=fake_server,
                             WEBHOOK_URL="https://bot.example.go.id/telegram", WEBHOOK_PORT=port), 2,
                        "WEBHOOK_PORT", str(port))


@pytest.fixture
def imported(tmp_path):
    run = rapk(tmp_path, "import", SAMPLE_PLAN)
    assert run.returncode == 0, run.stderr[-3000:]
    return tmp_path


def test_export_into_a_folder_that_cannot_be_written_is_one_line(imported):
    (imported / "afile").write_text("x")
    assert_one_line(rapk(imported, "export", "--quarter", "2", "--out", imported / "afile" / "x.xlsx"), 2,
                    "rapk export:", "afile")
    if os.geteuid() != 0:  # root writes anywhere
        ro = imported / "ro"
        ro.mkdir(mode=0o555)
        assert_one_line(rapk(imported, "export", "--quarter", "2", "--out", ro / "x.xlsx"), 2, "rapk export:")


def test_realisasi_failures_are_one_line(imported):
    (imported / "afile").write_text("x")
    assert_one_line(rapk(imported, "realisasi", "template", "--quarter", "2", "--out", imported / "afile" / "t.xlsx"),
                    2, "rapk realisasi:", "afile")
    assert_one_line(rapk(imported, "realisasi", "import", imported / "hilang.xlsx", "--quarter", "2", "--by", "Budi"),
                    1, "rapk realisasi import: Berkas", "hilang.xlsx", "tidak ditemukan")
    assert_one_line(rapk(imported, "realisasi", "import", imported, "--quarter", "2", "--by", "Budi"),
                    1, "rapk realisasi import:", "adalah folder")


def test_summary_chart_into_a_missing_folder_writes_it(imported):
    run = rapk(imported, "summary", "--quarter", "2", "--chart", imported / "new" / "chart.png")
    assert run.returncode == 0, run.stderr[-3000:]
    assert (imported / "new" / "chart.png").read_bytes().startswith(b"\x89PNG")
    (imported / "afile").write_text("x")
    assert_one_line(rapk(imported, "summary", "--quarter", "2", "--chart", imported / "afile" / "c.png"), 2,
                    "rapk summary:", "afile")


def test_doctor_reports_an_unparsable_getme_answer(tmp_path, garbage_server):
    run = rapk(tmp_path, "doctor", TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=garbage_server)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr[-3000:]
    assert run.returncode == 1 and "FAIL" in run.stdout and "Telegram" in run.stdout
    assert SECRET not in run.stdout + run.stderr


def test_a_server_install_without_the_fake_server_runs_every_command_but_the_demo(tmp_path):
    """`pip install -e .` (the systemd set-up) lacks fake_telegram: only `rapk demo` needs it."""
    hide = ("import sys; sys.modules['fake_telegram'] = None\n"  # as if the package were not installed
            "from bot.cli import main; sys.exit(main(sys.argv[1:]))")

    def run(*args):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": f"sqlite:///{tmp_path}/rapk.sqlite3"}
        return subprocess.run([sys.executable, "-c", hide, *map(str, args)], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=120, check=False)

    migrated = run("migrate")
    assert migrated.returncode == 0 and "newest schema" in migrated.stdout, migrated.stderr[-3000:]
    demo = run("demo", "--out", tmp_path / "demo")
    assert_one_line(demo, 2, "rapk demo: needs the fake Telegram server", "pip install -e packages/fake-telegram")
    assert not (tmp_path / "demo").exists()


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    """`rapk calendar 2020 | head -1`: the reader is gone; no error line, the shell's code for it."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        run = subprocess.run([sys.executable, "-m", "bot", "calendar", "2020"], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120, check=False)
    finally:
        os.close(write_end)
    assert (run.returncode, run.stderr) == (141, "")
