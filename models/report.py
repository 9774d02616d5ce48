"""What PICs report each quarter, period locks and the audit trail."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlalchemy import Column
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from models.base import RAW_VALUE_LENGTH
from models.base import decimal_field
from models.base import money_field
from models.base import ts_field


class AksiRealisation(SQLModel, table=True):
    """Realised value of one aksi in one quarter."""

    __table_args__ = (UniqueConstraint("aksi_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    aksi_id: int = Field(foreign_key="aksi.id", index=True)
    quarter: int
    value: Decimal | None = decimal_field()
    value_raw: str = Field(default="", max_length=RAW_VALUE_LENGTH)
    reported_by: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime | None = ts_field(default_now=True)
    late: bool = False


class KegiatanRealisation(SQLModel, table=True):
    """Per kegiatan and quarter: budget realised and the narrative."""

    __table_args__ = (UniqueConstraint("kegiatan_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    quarter: int
    budget_realised: int | None = money_field()
    kendala: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    tindak_lanjut: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Faktor pendorong: what helped, the form's counterpart of kendala (optional).
    pendorong: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    reported_by: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime | None = ts_field(default_now=True)
    late: bool = False


class IndicatorRealisation(SQLModel, table=True):
    """Realised value of a kegiatan indicator in one quarter."""

    __table_args__ = (UniqueConstraint("indicator_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: int = Field(foreign_key="kegiatanindicator.id", index=True)
    quarter: int
    value: Decimal | None = decimal_field()
    value_raw: str = Field(default="", max_length=RAW_VALUE_LENGTH)
    reported_by: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime | None = ts_field(default_now=True)


class OutcomeRealisation(SQLModel):
    """Realised value of an IKU or program indicator in one quarter (as to date or that quarter's own,
    by the indicator's mode)."""

    quarter: int
    value: Decimal | None = decimal_field()
    value_raw: str = Field(default="", max_length=RAW_VALUE_LENGTH)
    reported_by: int | None = Field(default=None, foreign_key="person.id")
    reported_at: datetime | None = ts_field(default_now=True)


class GoalIndicatorRealisation(OutcomeRealisation, table=True):
    """Realised value of an indikator sasaran (IKU) in one quarter."""

    __table_args__ = (UniqueConstraint("goal_indicator_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    goal_indicator_id: int = Field(foreign_key="goalindicator.id", index=True)


class ProgramIndicatorRealisation(OutcomeRealisation, table=True):
    """Realised value of a program (outcome) indicator in one quarter."""

    __table_args__ = (UniqueConstraint("program_indicator_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    program_indicator_id: int = Field(foreign_key="programindicator.id", index=True)


class Evidence(SQLModel, table=True):
    """Bukti dukung: a Telegram file kept by reference."""

    __table_args__ = (UniqueConstraint("kegiatan_id", "quarter", "file_unique_id"),)

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    quarter: int
    file_id: str = Field(max_length=300)
    file_unique_id: str = Field(max_length=100)
    kind: str = Field(default="document", max_length=20)  # photo / document
    file_name: str = Field(default="", max_length=300)
    mime_type: str = Field(default="", max_length=100)
    file_size: int | None = None
    uploaded_by: int | None = Field(default=None, foreign_key="person.id")
    uploaded_at: datetime | None = ts_field(default_now=True)


class ReportReview(SQLModel, table=True):
    """The verification status of one kegiatan's report in one quarter (bot/domain/verification.py owns
    the rules): pending («menunggu verifikasi») after Simpan, accepted («diterima», frozen for the PIC) or
    returned («dikembalikan», with the verifier's note)."""

    __table_args__ = (UniqueConstraint("kegiatan_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    quarter: int
    status: str = Field(default="pending", max_length=20)  # pending / accepted / returned
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    submitted_by: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = ts_field()
    reviewed_by: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = ts_field()


class LeadershipResponse(SQLModel, table=True):
    """Tanggapan pimpinan: a leadership member's short answer to a kegiatan card of one quarter."""

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    quarter: int
    person_id: int | None = Field(default=None, foreign_key="person.id")
    author: str = Field(default="", max_length=300)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime | None = ts_field(default_now=True)


class PeriodLock(SQLModel, table=True):
    """A locked quarter for a whole plan (kegiatan_id null) or one kegiatan."""

    __table_args__ = (UniqueConstraint("plan_id", "quarter", "kegiatan_id"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    quarter: int
    kegiatan_id: int | None = Field(default=None, foreign_key="kegiatan.id")
    locked_by: int | None = Field(default=None, foreign_key="person.id")
    locked_at: datetime | None = ts_field(default_now=True)


class AuditLog(SQLModel, table=True):
    """Who changed what, when, from which value to which."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = ts_field(default_now=True, index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id")
    actor_telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    actor_label: str = Field(default="", max_length=300)  # e.g. "cli", or the person's name
    action: str = Field(max_length=50, index=True)  # report.create, report.update, target.update, lock, ...
    entity: str = Field(max_length=50)  # aksi_realisation, aksi_target, kegiatan, person, plan, ...
    entity_id: int | None = None
    field: str = Field(default="", max_length=100)
    old_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
