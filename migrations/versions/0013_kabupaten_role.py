"""the kabupaten role: Bappeda / evaluator reading every OPD (/rekap), and the kabupaten admin (/opd)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:00:00

* `person.is_kabupaten`: reads every OPD (/rekap, `rapk rekap`); false for everyone before.
* `person.is_kabupaten_admin`: onboards an OPD and invites its first admin (/opd tambah); false before.

Independent of per-agency membership (0012).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("is_kabupaten", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("is_kabupaten_admin", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("is_kabupaten_admin")
        batch.drop_column("is_kabupaten")
