"""python-telegram-bot persistence kept in the project's database."""

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel

from models.base import ts_field


class BotState(SQLModel, table=True):
    """One persisted blob: kind is conversation:<name> / user_data / chat_data / bot_data / callback_data."""

    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=100)
    key: str = Field(max_length=200)
    data: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    updated_at: datetime | None = ts_field(default_now=True)
