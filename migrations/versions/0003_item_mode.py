"""item mode: how each aksi and kegiatan indicator combines its quarters

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:00:00

Adds `aksi.mode` and `kegiatanindicator.mode` (increment / level / negative) and fills them for
the plans already stored with the importer's rules (bot.domain.modes), from the stored targets and
indicator texts, so a database migrated from 0002 scores as one imported afresh.
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_BATCH = 500


def upgrade() -> None:
    for table in ("aksi", "kegiatanindicator"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("mode", sa.String(length=10), nullable=False, server_default="increment"))
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    from bot.domain.modes import aksi_mode
    from bot.domain.modes import indicator_mode

    aksi = sa.table("aksi", sa.column("id", sa.Integer), sa.column("indicator", sa.String),
                    sa.column("mode", sa.String))
    target = sa.table("aksitarget", sa.column("aksi_id", sa.Integer), sa.column("quarter", sa.Integer),
                      sa.column("kind", sa.String), sa.column("value", sa.Numeric(20, 4)))
    indicator = sa.table("kegiatanindicator", sa.column("id", sa.Integer), sa.column("text", sa.String),
                         sa.column("target_unit", sa.String), sa.column("mode", sa.String))
    targets: dict[int, list[tuple[int, str, object]]] = defaultdict(list)
    for aksi_id, quarter, kind, value in conn.execute(sa.select(target.c.aksi_id, target.c.quarter, target.c.kind,
                                                                target.c.value)):
        targets[aksi_id].append((quarter, kind, value))
    modes = [{"_id": aksi_id, "_mode": aksi_mode(text or "", [(k, v) for _, k, v in sorted(targets[aksi_id])])}
             for aksi_id, text in conn.execute(sa.select(aksi.c.id, aksi.c.indicator))]
    _update(conn, aksi, modes)
    _update(conn, indicator, [{"_id": i, "_mode": indicator_mode(text or "", unit or "")}
                              for i, text, unit in conn.execute(sa.select(indicator.c.id, indicator.c.text,
                                                                          indicator.c.target_unit))])


def _update(conn, table, rows: list[dict]) -> None:
    rows = [r for r in rows if r["_mode"] != "increment"]  # the column's default already says increment
    stmt = sa.update(table).where(table.c.id == sa.bindparam("_id")).values(mode=sa.bindparam("_mode"))
    for start in range(0, len(rows), _BATCH):
        conn.execute(stmt, rows[start:start + _BATCH])


def downgrade() -> None:
    for table in ("kegiatanindicator", "aksi"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("mode")
