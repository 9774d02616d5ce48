"""budget plan: anggaran kas (rencana penarikan dana) per kegiatan and quarter

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 09:00:00

Adds `kegiatanbudgetplan` (kegiatan, quarter, amount in integer rupiah). Nothing to fill: a
stored plan has no anggaran kas until a plan file with the columns or the admin gives one.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'kegiatanbudgetplan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kegiatan_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('amount', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['kegiatan_id'], ['kegiatan.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kegiatan_id', 'quarter'),
    )
    op.create_index(op.f('ix_kegiatanbudgetplan_kegiatan_id'), 'kegiatanbudgetplan', ['kegiatan_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_kegiatanbudgetplan_kegiatan_id'), table_name='kegiatanbudgetplan')
    op.drop_table('kegiatanbudgetplan')
