"""python-telegram-bot persistence in the project's database (table `botstate`).

Conversation states and user/chat data survive a restart. The application writes them
right after each update (see bot.telegram.app.RapkApplication), not once a minute.
"""

import json
from copy import deepcopy
from datetime import date
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session
from sqlmodel import select
from telegram.ext import BasePersistence
from telegram.ext import PersistenceInput

from models import BotState
from models.base import utcnow


def _encode(obj):
    """JSON with tags for the few non-JSON types conversations keep (Decimal, dates, tuples)."""
    if isinstance(obj, Decimal):
        return {"__t": "dec", "v": str(obj)}
    if isinstance(obj, datetime):
        return {"__t": "dt", "v": obj.isoformat()}
    if isinstance(obj, date):
        return {"__t": "d", "v": obj.isoformat()}
    if isinstance(obj, tuple):
        return {"__t": "tuple", "v": [_encode(x) for x in obj]}
    if isinstance(obj, set):
        return {"__t": "set", "v": [_encode(x) for x in obj]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {"__t": "map", "v": [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    return obj


def _decode(obj):
    if isinstance(obj, list):
        return [_decode(x) for x in obj]
    if isinstance(obj, dict):
        tag = obj.get("__t")
        if tag == "dec":
            return Decimal(obj["v"])
        if tag == "dt":
            return datetime.fromisoformat(obj["v"])
        if tag == "d":
            return date.fromisoformat(obj["v"])
        if tag == "tuple":
            return tuple(_decode(x) for x in obj["v"])
        if tag == "set":
            return {_decode(x) for x in obj["v"]}
        if tag == "map":
            return {_decode(k): _decode(v) for k, v in obj["v"]}
        return {k: _decode(v) for k, v in obj.items()}
    return obj


def dumps(obj) -> str:
    return json.dumps(_encode(obj), ensure_ascii=False, separators=(",", ":"))


def loads(text: str):
    return _decode(json.loads(text))


class DatabasePersistence(BasePersistence):
    """Stores user_data, chat_data and conversations as JSON rows; bot_data holds live services."""

    def __init__(self, engine: Engine, *, update_interval: float = 3600):
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False, user_data=True, chat_data=True),
            update_interval=update_interval,
        )
        self.engine = engine

    # -- storage --------------------------------------------------------------------
    def _load_kind(self, kind: str) -> dict[str, object]:
        with Session(self.engine) as session:
            rows = session.exec(select(BotState).where(BotState.kind == kind)).all()
            return {row.key: loads(row.data) for row in rows}

    def _put(self, kind: str, key: str, data) -> None:
        text = dumps(data)
        with Session(self.engine) as session:
            row = session.exec(select(BotState).where(BotState.kind == kind, BotState.key == key)).first()
            if row is None:
                if isinstance(data, dict) and not data:
                    return  # a new user's or chat's empty data: a missing row loads as the same {}
                session.add(BotState(kind=kind, key=key, data=text))
            elif row.data != text:
                row.data = text
                row.updated_at = utcnow()
            else:
                return
            session.commit()

    def _drop(self, kind: str, key: str) -> None:
        with Session(self.engine) as session:
            session.exec(sa.delete(BotState).where(BotState.kind == kind, BotState.key == key))
            session.commit()

    # -- PTB interface ------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in self._load_kind("user_data").items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in self._load_kind("chat_data").items()}

    async def get_bot_data(self) -> dict:
        return {}

    async def get_callback_data(self):
        return None

    async def get_conversations(self, name: str) -> dict:
        stored = self._load_kind(f"conversation:{name}")
        return {tuple(loads(k)): v for k, v in stored.items()}

    # The writes run on the event loop: in a worker thread they cost 300 PICs reporting at once a
    # third of /lapor's throughput on SQLite (bench/lapor_bench.py: 0.36x echo against 0.50x).
    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        kind, skey = f"conversation:{name}", json.dumps(list(key))
        if new_state is None:
            self._drop(kind, skey)
        else:
            self._put(kind, skey, new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        self._put("user_data", str(user_id), deepcopy(data))

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        self._put("chat_data", str(chat_id), deepcopy(data))

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        self._drop("user_data", str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        self._drop("chat_data", str(chat_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def flush(self) -> None:
        return None


__all__ = ["DatabasePersistence", "dumps", "loads"]
