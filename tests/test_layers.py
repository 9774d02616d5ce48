"""The layers, checked by walking every import (top-level and inside functions).

Dependencies only point down:

    bot.cli → bot.main → handlers → jobs → bot.telegram → bot.domain → bot.text, bot.config/clock/db → models

Domain code never imports python-telegram-bot, and only the demo imports the fake Bot API server.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "jobs", "models", "templates")

# Higher may import lower (or equal, inside one layer); never the reverse.
LAYERS: list[tuple[str, int]] = [
    ("models", 0),
    ("templates", 0),
    ("bot.config", 1),
    ("bot.clock", 1),
    ("bot.db", 1),
    ("bot.text", 1),
    ("bot.domain", 2),
    ("bot.telegram", 3),
    ("jobs", 4),
    ("handlers", 5),
    ("bot.main", 6),
    ("bot.cli", 7),
    ("bot.__main__", 8),
    ("bot", 1),  # bot/__init__.py holds nothing but its docstring
]
# What the layers below the runtime must never see.
TELEGRAM_LIBRARIES = ("telegram",)


def layer_of(module: str) -> int | None:
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) for every import in the file, however deeply nested."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from bot import main` names a module too
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if layer_of(f"{target}.{alias.name}") is not None and target in ("bot", "handlers", "jobs")]
    return found


def source_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def violations(files: list[Path]) -> list[str]:
    problems = []
    for path in files:
        here = module_name(path)
        rank = layer_of(here)
        for line, target in imports_of(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {target}"
            if here.startswith("bot.domain") or layer_of(here) in (0, 1, 2):
                if target.split(".")[0] in TELEGRAM_LIBRARIES:
                    problems.append(f"{where}: below the runtime, nothing imports python-telegram-bot")
            if target.split(".")[0] == "fake_telegram" and here != "bot.cli.demo":
                problems.append(f"{where}: only the demo may use the fake Bot API server")
            other = layer_of(target)
            if rank is not None and other is not None and other > rank:
                problems.append(f"{where}: points upward (layer {rank} → {other})")
    return problems


def test_every_import_points_down():
    assert violations(source_files()) == []


def test_the_check_catches_a_domain_module_that_imports_telegram(tmp_path, monkeypatch):
    """Break the rule once, in a copy, and the check must say so."""
    fake_root = tmp_path / "repo"
    (fake_root / "bot" / "domain").mkdir(parents=True)
    (fake_root / "handlers").mkdir()
    (fake_root / "bot" / "domain" / "scoring.py").write_text(
        "def f():\n    from telegram import Bot\n    from handlers.lapor import build\n")
    (fake_root / "handlers" / "lapor.py").write_text("import bot.main\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", fake_root)
    found = violations([fake_root / "bot" / "domain" / "scoring.py", fake_root / "handlers" / "lapor.py"])
    assert any("imports telegram: below the runtime" in p for p in found)
    assert any("imports handlers.lapor: points upward (layer 2 → 5)" in p for p in found)
    assert any("imports bot.main: points upward (layer 5 → 6)" in p for p in found)


@pytest.mark.parametrize("entry", ["bot.cli.ops", "bot.main"])
def test_rapk_run_loads_neither_the_fake_server_nor_test_tools(entry):
    """`rapk run` imports its subcommand and the composition root: the fake server stays out."""
    code = (f"import sys, {entry}; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('fake_telegram', 'pytest', 'tests', 'bench')]; print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_test_module_imports_another():
    """Shared builders and steps live in tests/support/; a test module is never a library.

    Tests mirror the package: tests/domain, tests/telegram, tests/handlers, tests/jobs, tests/cli."""
    offenders = [f"{path.relative_to(ROOT)}:{line} imports {target}"
                 for path in sorted((ROOT / "tests").rglob("*.py"))
                 for line, target in imports_of(path)
                 if target.rpartition(".")[2].startswith("test_") or target.endswith("conftest")]
    assert offenders == []


REPORT_LIBRARIES = ("matplotlib", "openpyxl", "reportlab", "xlsxwriter", "PIL")


def test_rapk_run_loads_the_report_libraries_only_when_a_report_is_made(tmp_path):
    """The charts, workbooks and PDFs are imported on first use: building the whole bot as `rapk run` does
    (every handler and job attached, the database migrated) loads none of their libraries (about 50 MB)."""
    code = ("import sys\n"
            "from bot.config import load_settings\n"
            "from bot.main import build_application\n"
            f"settings = load_settings(telegram_bot_token='123:TOKEN', database_url='sqlite:///{tmp_path}/bot.db',"
            " _env_file=None)\n"
            "application = build_application(settings, run_jobs=False)\n"
            "assert application.handlers, 'no handler attached'\n"
            f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {REPORT_LIBRARIES!r})\n"
            "print(bad); sys.exit(1 if bad else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
