"""Renstra figures of a kegiatan or an indicator, for the evaluation form's columns (6), (7), (15), (16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 15:00:00

* `renstrafigure`: the Renstra target at the end of its period and the realisation up to last year's Renja,
  in rupiah for a kegiatan or in K for a kegiatan indicator (exactly one of `kegiatan_id`, `indicator_id`).
  Nothing to fill: the plan file does not hold them; the admin enters them (`rapk renstra`).
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renstrafigure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.Numeric(20, 4), nullable=True),
        sa.Column("realised", sa.Numeric(20, 4), nullable=True),
        sa.ForeignKeyConstraint(["kegiatan_id"], ["kegiatan.id"]),
        sa.ForeignKeyConstraint(["indicator_id"], ["kegiatanindicator.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("renstrafigure") as batch:
        batch.create_index(batch.f("ix_renstrafigure_kegiatan_id"), ["kegiatan_id"], unique=True)
        batch.create_index(batch.f("ix_renstrafigure_indicator_id"), ["indicator_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("renstrafigure") as batch:
        batch.drop_index(batch.f("ix_renstrafigure_indicator_id"))
        batch.drop_index(batch.f("ix_renstrafigure_kegiatan_id"))
    op.drop_table("renstrafigure")
