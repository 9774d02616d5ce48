"""verification of kegiatan reports, the verifier role, leadership responses

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:00:00

* `person.is_verifier`: may verify submitted reports (/verifikasi); false for everyone before.
* `reportreview`: the status of one kegiatan's report in one quarter (pending / accepted / returned, the
  verifier's note). Reports stored before this revision have no row: they were never submitted for
  verification, and bot/domain/verification.py treats a report without a row as pending.
* `leadershipresponse`: tanggapan pimpinan on a kegiatan card.
* `kegiatan.evidence_required`, `aksi.evidence_required`: bukti dukung required before Simpan; false before.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("kegiatan", "aksi"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("evidence_required", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("is_verifier", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "reportreview",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["kegiatan_id"], ["kegiatan.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["reviewed_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kegiatan_id", "quarter"),
    )
    with op.batch_alter_table("reportreview") as batch:
        batch.create_index(batch.f("ix_reportreview_kegiatan_id"), ["kegiatan_id"], unique=False)
    op.create_table(
        "leadershipresponse",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kegiatan_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["kegiatan_id"], ["kegiatan.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leadershipresponse") as batch:
        batch.create_index(batch.f("ix_leadershipresponse_kegiatan_id"), ["kegiatan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leadershipresponse") as batch:
        batch.drop_index(batch.f("ix_leadershipresponse_kegiatan_id"))
    op.drop_table("leadershipresponse")
    with op.batch_alter_table("reportreview") as batch:
        batch.drop_index(batch.f("ix_reportreview_kegiatan_id"))
    op.drop_table("reportreview")
    with op.batch_alter_table("person") as batch:
        batch.drop_column("is_verifier")
    for table in ("aksi", "kegiatan"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("evidence_required")
