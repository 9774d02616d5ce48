"""the evaluation form: the agency head's signature lines on a plan, a person's unit (bidang)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:15:00

* `plan.signer_title`, `signer_name`, `signer_rank`, `signer_nip`: the signature block that ends the
  signed plan (KEPALA BADAN …, the name, the rank, NIP), read by the importer and printed under
  «Disusun» on the evaluation form. Empty for plans imported before this revision until re-imported.
* `person.unit`: the unit (bidang) a PIC works in, printed in the form's column (17) «Unit Perangkat Daerah
  penanggung jawab» for their kegiatan (`rapk assign NAME --unit …`). Empty: the agency's name is printed.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

COLUMNS = (("signer_title", 300), ("signer_name", 300), ("signer_rank", 100), ("signer_nip", 30))


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("unit", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("unit")
    with op.batch_alter_table("plan") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
