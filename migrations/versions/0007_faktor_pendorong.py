"""faktor pendorong on a kegiatan's quarterly report

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:30:00

* `kegiatanrealisation.pendorong`: what helped the kegiatan this quarter, the Permendagri 86/2017
  form's counterpart of kendala (penghambat). Empty for every report stored before this revision.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kegiatanrealisation") as batch:
        batch.add_column(sa.Column("pendorong", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("kegiatanrealisation") as batch:
        batch.drop_column("pendorong")
