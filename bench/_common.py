"""Shared benchmark plumbing: databases to run on and a private PostgreSQL schema."""

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from bot.db import make_engine
from bot.db import migrate

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh migrated database URL: a temporary SQLite file, or a private PostgreSQL schema."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="rapk-bench-")
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def reset_peak_rss() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")


def peak_rss_mb() -> float:
    """The process's peak resident memory since the last reset_peak_rss (or since it started), in MB."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
