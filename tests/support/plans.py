"""Helpers for the importer's database tests: seed variants and whole-database snapshots."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import SQLModel
from sqlmodel import select

from bot.db import unit_of_work
from bot.domain.plan_import import SAMPLE_PLAN
from bot.domain.plan_import.parser import ParsedPlan
from bot.domain.plan_import.parser import parse_plan_text
from bot.domain.plan_import.store import MergeResult
from bot.domain.plan_import.store import save_plan
from models import Aksi
from models import AksiRealisation
from models import Kegiatan

SEED = SAMPLE_PLAN


def seed_lines() -> list[str]:
    """The seed's lines; index with `line - 1`."""
    return SEED.read_text(encoding="utf-8").split("\n")


def parse_lines(lines: list[str]) -> ParsedPlan:
    return parse_plan_text("\n".join(lines), "rapk-revisi.txt")


def store(engine: Engine, lines: list[str] | None = None, **kwargs) -> MergeResult:
    """Parse and save (the seed by default) in one unit of work."""
    with unit_of_work(engine) as session:
        return save_plan(parse_lines(lines or seed_lines()), session=session, **kwargs)


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: equal snapshots mean an untouched database."""
    out = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))]
    return out


FIRST = "Pendidikan dan Pelatihan Teknis"
LAST = "Optimalisasi Pemanfaatan Jaringan dan Teknologi Informasi"


def count(session, model) -> int:
    return session.exec(select(sa.func.count()).select_from(model)).one()


def aksi_id(session, kegiatan: str, no: int) -> int:
    return session.exec(select(Aksi.id).join(Kegiatan, Kegiatan.id == Aksi.kegiatan_id)
                        .where(Kegiatan.name == kegiatan, Aksi.no == no)).one()


def kegiatan_id(session, name: str) -> int:
    return session.exec(select(Kegiatan.id).where(Kegiatan.name == name)).one()


def report(engine, kegiatan: str, no: int, quarter: int = 1, value: str = "60") -> int:
    """A PIC's realisation of one aksi; returns its id."""
    with unit_of_work(engine) as session:
        row = AksiRealisation(aksi_id=aksi_id(session, kegiatan, no), quarter=quarter, value=Decimal(value),
                              value_raw=value)
        session.add(row)
        session.flush()
        return row.id
