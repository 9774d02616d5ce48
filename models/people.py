"""People, their Telegram binding, roles, PIC assignments and who reports each IKU / program indicator."""

from datetime import date
from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy import CheckConstraint
from sqlalchemy import Column
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlmodel import Field
from sqlmodel import SQLModel

from models.base import ts_field


class Person(SQLModel, table=True):
    """A civil servant known to the bot; bound to Telegram at onboarding."""

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    name: str = Field(max_length=300, index=True)
    nip: str | None = Field(default=None, max_length=30)
    # The unit (bidang) they work in: column (17) of the evaluation form for the kegiatan they hold.
    unit: str = Field(default="", max_length=200)
    telegram_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True)
    )
    telegram_username: str | None = Field(default=None, max_length=100)
    is_admin: bool = False
    # Verifies submitted kegiatan reports (/verifikasi): Subbag Perencanaan, Bappeda, the Inspektorat.
    is_verifier: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    # The kabupaten (Bappeda / evaluator): reads every OPD (/rekap); its admin also onboards OPD (/opd).
    is_kabupaten: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    is_kabupaten_admin: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    onboarded_at: datetime | None = ts_field()
    # Telegram answered 403: the person blocked the bot. Cleared when they write again.
    unreachable_at: datetime | None = ts_field()
    paused_until: date | None = None  # on leave (cuti) or paused by an admin
    # The agency they chose to act in (/instansi), honoured while they belong to it (bot.domain.agencies).
    acting_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    created_at: datetime | None = ts_field(default_now=True)


class AgencyMember(SQLModel, table=True):
    """A person's membership of an agency other than their own (`Person.agency_id`, whose roles are the
    person's flags), with the roles they hold there: an admin or verifier of a second OPD. Being PIC of a
    kegiatan of an agency needs no row: PicAssignment says it (bot.domain.agencies)."""

    __table_args__ = (UniqueConstraint("agency_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    is_admin: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    is_verifier: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime | None = ts_field(default_now=True)


class PicAssignment(SQLModel, table=True):
    """Person responsible for a kegiatan (many kegiatan per person, several people per kegiatan)."""

    __table_args__ = (UniqueConstraint("person_id", "kegiatan_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kegiatan_id: int = Field(foreign_key="kegiatan.id", index=True)
    assigned_at: datetime | None = ts_field(default_now=True)


class OutcomeAssignment(SQLModel, table=True):
    """Person who reports an indikator sasaran (IKU) or a program indicator: exactly one of the two ids.

    Kept apart from PicAssignment: those indicators belong to no kegiatan (the Kasubag Perencanaan or a
    Kepala Bidang usually reports them), and several people may hold one, like a kegiatan."""

    __table_args__ = (
        UniqueConstraint("person_id", "goal_indicator_id"),
        UniqueConstraint("person_id", "program_indicator_id"),
        CheckConstraint("(goal_indicator_id IS NULL) <> (program_indicator_id IS NULL)",
                        name="ck_outcomeassignment_one_indicator"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    goal_indicator_id: int | None = Field(default=None, foreign_key="goalindicator.id", index=True)
    program_indicator_id: int | None = Field(default=None, foreign_key="programindicator.id", index=True)
    assigned_at: datetime | None = ts_field(default_now=True)


class Invite(SQLModel, table=True):
    """A one-time onboarding token for a t.me deep link."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(unique=True, max_length=64)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime | None = ts_field(default_now=True)
    expires_at: datetime = ts_field(nullable=False)
    used_at: datetime | None = ts_field()
    used_by_telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class LeadershipMembership(SQLModel, table=True):
    """Whether a Telegram user is in the leadership group, as last learned, and when.

    Learned from the group's own updates (messages, join/leave) or, when nothing fresh is known,
    asked of Telegram; bot.domain.people decides how long an answer stays fresh.
    """

    __table_args__ = (UniqueConstraint("chat_id", "telegram_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    telegram_user_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    is_member: bool
    source: str = Field(max_length=20)  # message, chat_member, get_chat_member
    checked_at: datetime = ts_field(nullable=False)
