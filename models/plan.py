"""The plan as the signed document holds it: agency → year → goal → program → kegiatan → aksi."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlalchemy import Column
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlmodel import Field
from sqlmodel import SQLModel

from models.base import decimal_field
from models.base import money_field
from models.base import ts_field


def mode_field():
    """How an item's quarters combine: increment / level / negative (bot.domain.modes, inferred at import)."""
    return Field(default="increment", max_length=10, sa_column_kwargs={"server_default": "increment"})


class Agency(SQLModel, table=True):
    """A government agency (OPD), e.g. Badan Kepegawaian Daerah Kabupaten Gresik.

    Its own settings where they differ from the kabupaten's (the environment's); None keeps the kabupaten's
    (bot.domain.agencies `agency_settings`, migration 0012)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=300)
    leadership_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reminder_offsets_days: str | None = Field(default=None, max_length=50)  # "7,3,1" (REMINDER_OFFSETS_DAYS)
    reminder_time: str | None = Field(default=None, max_length=5)  # "07:30" (REMINDER_TIME)
    extra_days_off: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # ISO dates, comma-separated


class Plan(SQLModel, table=True):
    """One agency's action plan for one year."""

    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    year: int
    title: str = Field(default="", max_length=500)
    source_name: str = Field(default="", max_length=500)
    imported_at: datetime | None = ts_field(default_now=True)
    # The signature lines that end the signed plan (bot.domain.plan_import.parser `read_signature`):
    # the agency head who signs «Disusun» on the evaluation form. Empty until a file with them is imported.
    signer_title: str = Field(default="", max_length=300)
    signer_name: str = Field(default="", max_length=300)
    signer_rank: str = Field(default="", max_length=100)
    signer_nip: str = Field(default="", max_length=30)


class Goal(SQLModel, table=True):
    """Sasaran strategis. Identity is the text: the document may print one goal with two numbers."""

    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    seq: int
    no: str = Field(default="", max_length=20)
    name: str = Field(max_length=1000)


class TargetsAsWritten(SQLModel):
    """An indicator of a goal or program (IKU, program outcome): text, the annual target and the four
    quarterly cells as written, each with the number scoring uses (None: nothing due), and its mode."""

    seq: int
    no: str = Field(default="", max_length=20)
    text: str = Field(max_length=2000)
    target_raw: str = Field(default="", max_length=500)
    tw1_raw: str = Field(default="", max_length=200)
    tw2_raw: str = Field(default="", max_length=200)
    tw3_raw: str = Field(default="", max_length=200)
    tw4_raw: str = Field(default="", max_length=200)
    target_value: Decimal | None = decimal_field()
    target_unit: str = Field(default="", max_length=100)
    tw1_value: Decimal | None = decimal_field()
    tw2_value: Decimal | None = decimal_field()
    tw3_value: Decimal | None = decimal_field()
    tw4_value: Decimal | None = decimal_field()
    mode: str = mode_field()


class GoalIndicator(TargetsAsWritten, table=True):
    """Indikator sasaran (IKU) with its annual and quarterly targets as written."""

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)


class Program(SQLModel, table=True):
    """A program block as the document prints it: a program row with its outcome indicators under one
    indikator sasaran. The same program printed under two IKU is two blocks (two rows)."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    # The IKU the block is printed under (None: the goal table had no indicator row).
    goal_indicator_id: int | None = Field(default=None, foreign_key="goalindicator.id", index=True)
    seq: int  # block order in the document, 1-based
    no: str = Field(default="", max_length=20)
    name: str = Field(max_length=1000)


class ProgramIndicator(TargetsAsWritten, table=True):
    """Indikator program with its annual and quarterly targets as written."""

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)


class Kegiatan(SQLModel, table=True):
    """An activity with its budget (pagu) in integer rupiah."""

    __table_args__ = (UniqueConstraint("plan_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    seq: int  # document order within the plan, 1-based
    no: str = Field(default="", max_length=20)  # number as printed (gaps are real)
    name: str = Field(max_length=1000)  # as shown (an admin may rename it: bot.domain.rename)
    # As the signed document prints it: the key a re-import matches on (migration 0008).
    printed_name: str = Field(default="", max_length=1000, sa_column_kwargs={"server_default": ""})
    budget: int | None = money_field()
    budget_raw: str = Field(default="", max_length=100)
    source_line: int = 0
    # Bukti dukung required before /lapor's Simpan (bot/domain/evidence.py); set by `rapk evidence require`.
    evidence_required: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class KegiatanBudgetPlan(SQLModel, table=True):
    """Anggaran kas (rencana penarikan dana): the rupiah a kegiatan plans to draw in one quarter.

    A kegiatan has four rows or none (bot.domain.budget_plan); absorption is then also measured
    against the plan to date, not only against the pagu.
    """

    __table_args__ = (UniqueConstraint("kegiatan_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    quarter: int  # 1..4
    amount: int = money_field(nullable=False)


class RenstraFigure(SQLModel, table=True):
    """What the Renstra (the five-year strategic plan) says of a kegiatan (rupiah) or of one of its
    indicators (K): its target at the end of the Renstra period and what was realised up to last year's
    Renja. The plan file does not hold them; the evaluation form prints them in columns (6) and (7) and
    derives (15) and (16) from them (bot.domain.renstra). One row per kegiatan or indicator, or none."""

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int | None = Field(default=None, foreign_key="kegiatan.id", index=True, unique=True)
    indicator_id: int | None = Field(default=None, foreign_key="kegiatanindicator.id", index=True, unique=True)
    target: Decimal | None = decimal_field()  # rupiah for a kegiatan, K for an indicator
    realised: Decimal | None = decimal_field()  # up to last year's Renja


class KegiatanIndicator(SQLModel, table=True):
    """Indikator kinerja kegiatan: raw annual target plus what could be parsed of it."""

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    seq: int
    text: str = Field(max_length=2000)  # as shown (an admin may rename it)
    printed_text: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})  # as printed
    target_raw: str = Field(default="", max_length=500)
    target_value: Decimal | None = decimal_field()
    target_unit: str = Field(default="", max_length=100)
    # The wording's clue (positive / percentage), kept from the parser; scoring reads `mode`.
    indicator_kind: str = Field(default="positive", max_length=20)
    mode: str = mode_field()


class Aksi(SQLModel, table=True):
    """Aksi / sub kegiatan with its indicator; quarterly targets live in AksiTarget."""

    __table_args__ = (UniqueConstraint("kegiatan_id", "no"),)

    id: int | None = Field(default=None, primary_key=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    no: int
    name: str = Field(max_length=1000)  # as shown (an admin may rename it)
    printed_name: str = Field(default="", max_length=1000, sa_column_kwargs={"server_default": ""})  # as printed
    indicator: str = Field(default="", max_length=2000)
    indicator_kind: str = Field(default="positive", max_length=20)
    mode: str = mode_field()
    source_line: int = 0
    # Bukti dukung required when this aksi is due (bot/domain/evidence.py).
    evidence_required: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class AksiTarget(SQLModel, table=True):
    """One quarter's target of one aksi: the cell as written, and its parse."""

    __table_args__ = (UniqueConstraint("aksi_id", "quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    aksi_id: int = Field(foreign_key="aksi.id", index=True)
    quarter: int  # 1..4
    raw: str = Field(default="", max_length=200)
    value: Decimal | None = decimal_field()
    unit: str = Field(default="", max_length=100)
    kind: str = Field(default="none", max_length=10)  # percent / count / none (nothing due)


class ImportAnomaly(SQLModel, table=True):
    """An oddity the importer found and kept as written, by source line."""

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    line: int
    raw: str = Field(default="", max_length=2000)
    why: str = Field(max_length=500)
