"""program blocks and measured IKU / program indicators

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00

* `program` is a program block as the document prints it: the unique (plan, goal, name) goes, so the
  same program printed under two IKU is two rows, and `goal_indicator_id` names the IKU above it.
  A database from 0003 keeps its merged programs until the plan is imported again (`rapk import`
  matches the first block of each name to the stored row and adds the others; no report is lost).
* `goalindicator` and `programindicator` get the numbers scoring uses (`target_value`,
  `target_unit`, `tw1_value` … `tw4_value`) and their `mode`, filled here from the cells as written
  with the importer's own rules.
* `goalindicatorrealisation` and `programindicatorrealisation` hold what is reported on them.
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_BATCH = 500
_VALUE_COLUMNS = ("target_value", "tw1_value", "tw2_value", "tw3_value", "tw4_value")
# SQLite keeps the first schema's unique constraint unnamed; batch mode names it so to drop it.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    for table in ("goalindicator", "programindicator"):
        with op.batch_alter_table(table) as batch:
            for column in _VALUE_COLUMNS:
                batch.add_column(sa.Column(column, sa.Numeric(precision=20, scale=4), nullable=True))
            batch.add_column(sa.Column("target_unit", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False,
                                       server_default=""))
            batch.add_column(sa.Column("mode", sa.String(length=10), nullable=False, server_default="increment"))
    unique = next(u["name"] for u in sa.inspect(op.get_bind()).get_unique_constraints("program")
                  if u["column_names"] == ["plan_id", "goal_id", "name"])
    with op.batch_alter_table("program", naming_convention=_NAMING) as batch:
        batch.drop_constraint(unique or "uq_program_plan_id", type_="unique")
        batch.add_column(sa.Column("goal_indicator_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_program_goal_indicator_id", "goalindicator", ["goal_indicator_id"], ["id"])
        batch.create_index(batch.f("ix_program_goal_indicator_id"), ["goal_indicator_id"], unique=False)
    for table, owner, column in (("goalindicatorrealisation", "goalindicator", "goal_indicator_id"),
                                 ("programindicatorrealisation", "programindicator", "program_indicator_id")):
        op.create_table(
            table,
            sa.Column("quarter", sa.Integer(), nullable=False),
            sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=True),
            sa.Column("value_raw", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
            sa.Column("reported_by", sa.Integer(), nullable=True),
            sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint([column], [f"{owner}.id"]),
            sa.ForeignKeyConstraint(["reported_by"], ["person.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint(column, "quarter"),
        )
        with op.batch_alter_table(table) as batch:
            batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    """The numbers and the mode of every stored IKU and program indicator, as an import would store them."""
    from bot.domain.plan_import.parser import TargetRow
    from bot.domain.plan_import.store import _target_rows

    for name in ("goalindicator", "programindicator"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("no", sa.String), sa.column("text", sa.String),
                         sa.column("target_raw", sa.String), *(sa.column(f"tw{q}_raw", sa.String) for q in range(1, 5)),
                         *(sa.column(c, sa.Numeric(20, 4)) for c in _VALUE_COLUMNS),
                         sa.column("target_unit", sa.String), sa.column("mode", sa.String))
        rows = []
        for r in conn.execute(sa.select(table)).mappings():
            row = TargetRow(no=r["no"] or "", text=r["text"] or "", target_raw=r["target_raw"] or "",
                            tw=[r[f"tw{q}_raw"] or "" for q in range(1, 5)], line=0)
            values = _target_rows([row])[0]
            rows.append({"_id": r["id"], **{f"_{c}": values[c] for c in (*_VALUE_COLUMNS, "target_unit", "mode")}})
        stmt = sa.update(table).where(table.c.id == sa.bindparam("_id")).values(
            {c: sa.bindparam(f"_{c}") for c in (*_VALUE_COLUMNS, "target_unit", "mode")})
        for start in range(0, len(rows), _BATCH):
            conn.execute(stmt, rows[start:start + _BATCH])


def downgrade() -> None:
    for table, column in (("programindicatorrealisation", "program_indicator_id"),
                          ("goalindicatorrealisation", "goal_indicator_id")):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_{column}"))
        op.drop_table(table)
    _fold_blocks(op.get_bind())
    with op.batch_alter_table("program") as batch:
        batch.drop_index(batch.f("ix_program_goal_indicator_id"))
        batch.drop_constraint("fk_program_goal_indicator_id", type_="foreignkey")
        batch.drop_column("goal_indicator_id")
        batch.create_unique_constraint("program_plan_id_goal_id_name_key", ["plan_id", "goal_id", "name"])
    for table in ("programindicator", "goalindicator"):
        with op.batch_alter_table(table) as batch:
            for column in ("mode", "target_unit", *_VALUE_COLUMNS):
                batch.drop_column(column)


def _fold_blocks(conn) -> None:
    """Back to one row per (plan, goal, name): a repeated block's kegiatan and indicators move to the first."""
    program = sa.table("program", sa.column("id", sa.Integer), sa.column("plan_id", sa.Integer),
                       sa.column("goal_id", sa.Integer), sa.column("name", sa.String))
    first: dict[tuple, int] = {}
    for pid, plan_id, goal_id, name in conn.execute(sa.select(program).order_by(program.c.id)):
        keep = first.setdefault((plan_id, goal_id, name), pid)
        if keep == pid:
            continue
        for child in ("kegiatan", "programindicator"):
            table = sa.table(child, sa.column("program_id", sa.Integer))
            conn.execute(sa.update(table).where(table.c.program_id == pid).values(program_id=keep))
        conn.execute(sa.delete(program).where(program.c.id == pid))
