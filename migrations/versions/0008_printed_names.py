"""the name as printed, kept apart from the name shown: an admin's rename survives a re-import

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00

* `kegiatan.printed_name`, `aksi.printed_name`, `kegiatanindicator.printed_text`: the text as the
  signed document prints it, the key a re-import matches on (bot.domain.plan_import.store). `name` /
  `text` stay what every report shows; /ubahnama changes those only (bot.domain.rename). Filled with
  the current name for every stored row, so nothing counts as renamed.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

COLUMNS = (("kegiatan", "printed_name", "name"), ("aksi", "printed_name", "name"),
           ("kegiatanindicator", "printed_text", "text"))


def upgrade() -> None:
    for table, column, source in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.String(length=2000 if table == "kegiatanindicator" else 1000),
                                       nullable=False, server_default=""))
        op.execute(sa.text(f"UPDATE {table} SET {column} = {source}"))


def downgrade() -> None:
    for table, column, _source in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
