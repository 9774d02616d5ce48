"""many agencies, one bot: memberships of further agencies with their roles, an agency's own settings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 18:00:00

* `agencymember`: a person's membership of an agency other than their own, with the roles held there
  (`is_admin`, `is_verifier`). Empty: a release database has one agency.
* `agency.leadership_chat_id`, `reminder_offsets_days`, `reminder_time`, `extra_days_off`: the agency's
  own settings where they differ from the kabupaten's (the environment); NULL keeps the environment's,
  so a single-agency deployment is served as before.
* `person.agency_id`: filled with the agency where the database has exactly one (every person of a
  release database belongs to it; their `is_admin` / `is_verifier` are their roles there).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencymember",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_verifier", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agency.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "person_id"),
    )
    op.create_index(op.f("ix_agencymember_agency_id"), "agencymember", ["agency_id"], unique=False)
    op.create_index(op.f("ix_agencymember_person_id"), "agencymember", ["person_id"], unique=False)
    with op.batch_alter_table("agency") as batch:
        batch.add_column(sa.Column("leadership_chat_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reminder_offsets_days", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("reminder_time", sa.String(length=5), nullable=True))
        batch.add_column(sa.Column("extra_days_off", sa.Text(), nullable=True))
    op.execute("UPDATE person SET agency_id = (SELECT min(id) FROM agency) "
               "WHERE agency_id IS NULL AND (SELECT count(*) FROM agency) = 1")


def downgrade() -> None:
    with op.batch_alter_table("agency") as batch:
        for name in ("extra_days_off", "reminder_time", "reminder_offsets_days", "leadership_chat_id"):
            batch.drop_column(name)
    op.drop_index(op.f("ix_agencymember_person_id"), table_name="agencymember")
    op.drop_index(op.f("ix_agencymember_agency_id"), table_name="agencymember")
    op.drop_table("agencymember")
