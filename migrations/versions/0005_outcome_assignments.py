"""who reports each IKU and program indicator (outcome assignments)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

* `outcomeassignment`: a person and the indikator sasaran (IKU) or program indicator they report in
  /lapor (exactly one of `goal_indicator_id`, `program_indicator_id`), as `picassignment` is for a
  kegiatan. Nothing to fill: nobody holds one before this revision.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_INDEXED = ("person_id", "goal_indicator_id", "program_indicator_id")


def upgrade() -> None:
    op.create_table(
        "outcomeassignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("goal_indicator_id", sa.Integer(), nullable=True),
        sa.Column("program_indicator_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("(goal_indicator_id IS NULL) <> (program_indicator_id IS NULL)",
                           name="ck_outcomeassignment_one_indicator"),
        sa.ForeignKeyConstraint(["goal_indicator_id"], ["goalindicator.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["program_indicator_id"], ["programindicator.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "goal_indicator_id"),
        sa.UniqueConstraint("person_id", "program_indicator_id"),
    )
    with op.batch_alter_table("outcomeassignment") as batch:
        for column in _INDEXED:
            batch.create_index(batch.f(f"ix_outcomeassignment_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outcomeassignment") as batch:
        for column in _INDEXED:
            batch.drop_index(batch.f(f"ix_outcomeassignment_{column}"))
    op.drop_table("outcomeassignment")
