"""the agency a person with roles in several acts as, chosen with /instansi

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:00:00

* `person.acting_agency_id`: the agency (OPD) the person chose to act in (bot.domain.agencies `acting_agency`
  honours it only while they still belong to it); NULL for everyone before: their own agency, as until now.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("acting_agency_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_person_acting_agency_id_agency", "agency", ["acting_agency_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_constraint("fk_person_acting_agency_id_agency", type_="foreignkey")
        batch.drop_column("acting_agency_id")
