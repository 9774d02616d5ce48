"""python-telegram-bot persistence in the project's database (table `botstate`).

Conversation states and user/chat data survive a restart. The application writes them
right after each update (see bot.telegram.app.RapkApplication), not once a minute.

Two things make a kill -9 lose or shift nothing:
- the inbox: every update is written (kind `inbox`) before Telegram is told it arrived, and
  marked handled when its handler is done; a restart handles what was left (`pending_updates`);
- checkpoints: a conversation that registers a `user_data` key (`checkpointed`) writes its state
  and that draft together, in one transaction, before it sends the next question
  (`checkpoint`), so the question a user sees is always the one the database will take the answer
  for. PTB's own writes leave those keys alone: they also write the `user_data` of users whose
  update is still half-way through a handler.
"""

import asyncio
import contextlib
import contextvars
import json
import logging
from copy import deepcopy
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session
from sqlmodel import select
from telegram import Update
from telegram.ext import BasePersistence
from telegram.ext import PersistenceInput

from bot.db import insert_ignore
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


log = logging.getLogger("rapk.persistence")

INBOX = "inbox"
_BATCH: contextvars.ContextVar[list | None] = contextvars.ContextVar("rapk_persistence_batch", default=None)
INBOX_MEMORY = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours


class DatabasePersistence(BasePersistence):
    """Stores user_data, chat_data and conversations as JSON rows; bot_data holds live services."""

    def __init__(self, engine: Engine, *, update_interval: float = 3600):
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False, user_data=True, chat_data=True),
            update_interval=update_interval,
        )
        self.engine = engine
        # user_data keys written only with their conversation's state (checkpoint, finish_update).
        self.checkpointed: set[str] = set()
        # (name, user id) of the draft rows stored, so an update of a user without one deletes nothing.
        self._draft_rows: set[tuple[str, int]] = set()
        # The inbox: updates noted but not written yet (id → JSON, "" once handled), ids written by
        # this process, and the highest id the database held at start (None: not read yet).
        self._arrived: dict[int, str] = {}
        self._recorded: set[int] = set()
        self._stored_up_to: int | None = None
        # Every (kind, key) row that may exist, for the kinds read whole at start: writing a new user's
        # or chat's empty data then costs no query (PTB writes both for every update).
        self._loaded_kinds: set[str] = set()
        self._rows: set[tuple[str, str]] = set()

    # -- storage --------------------------------------------------------------------
    def _load_kind(self, kind: str) -> dict[str, object]:
        with Session(self.engine) as session:
            rows = session.exec(select(BotState).where(BotState.kind == kind)).all()
            self._loaded_kinds.add(kind)
            self._rows.update((kind, row.key) for row in rows)
            return {row.key: loads(row.data) for row in rows}

    def _write(self, session: Session, kind: str, key: str, data) -> bool:
        """Stage one row's new data in `session`; False when nothing changes."""
        empty = isinstance(data, dict) and not data  # a missing row loads as the same {}
        if empty and kind in self._loaded_kinds and (kind, key) not in self._rows:
            return False
        text = dumps(data)
        row = session.exec(select(BotState).where(BotState.kind == kind, BotState.key == key)).first()
        if row is None:
            if empty:
                return False
            session.add(BotState(kind=kind, key=key, data=text))
            self._rows.add((kind, key))  # kept after a delete too: the set only tells which rows cannot exist
        elif row.data != text:
            row.data = text
            row.updated_at = utcnow()
        else:
            return False
        return True

    @staticmethod
    def _delete(session: Session, kind: str, key: str) -> None:
        session.exec(sa.delete(BotState).where(BotState.kind == kind, BotState.key == key))

    def _put(self, kind: str, key: str, data) -> None:
        batch = _BATCH.get()
        if batch is not None:
            batch.append((kind, key, data))  # data is a copy or immutable: it cannot change before the commit
            return
        with Session(self.engine) as session:
            if self._write(session, kind, key, data):
                session.commit()

    def _drop(self, kind: str, key: str) -> None:
        batch = _BATCH.get()
        if batch is not None:
            batch.append((kind, key, None))
            return
        with Session(self.engine) as session:
            self._delete(session, kind, key)
            session.commit()

    @contextlib.contextmanager
    def batch(self):
        """Stage PTB's writes at the end of an update; finish_update commits them with its own, at once.

        Staged in memory, not in an open transaction: PTB awaits between its writes, and a
        transaction held open across an await would block another update's checkpoint on SQLite.
        Task-local (a context variable), so that checkpoint still commits on its own.
        """
        token = _BATCH.set([])
        try:
            yield
        finally:
            _BATCH.reset(token)

    def _mark_handled(self, session: Session, update_id: int) -> None:
        # The row stays (empty) for two days: Telegram may send the update again until the next
        # getUpdates confirms it, and a known id is not handled twice.
        if update_id in self._arrived:  # handled before it was written: it will be written as handled
            self._arrived[update_id] = ""
            return
        table = BotState.__table__  # a Core UPDATE: the ORM's bulk path costs more than the statement itself
        session.exec(sa.update(table).where(table.c.kind == INBOX, table.c.key == str(update_id))
                     .values(data="", updated_at=utcnow()))

    # -- inbox and checkpoints -------------------------------------------------------------
    def receive(self, update_id: int, data: str) -> bool:
        """Note an update that arrived; False when it is known already (a second delivery).

        Kept in memory until `flush_inbox`, which runs before the next getUpdates (the request that
        confirms the batch to Telegram) and before the webhook answers: one transaction per batch,
        and an update is in the database before Telegram forgets it.
        """
        if update_id in self._arrived or update_id in self._recorded:
            return False
        if self._stored_up_to is None:
            with Session(self.engine) as session:
                keys = session.exec(select(BotState.key).where(BotState.kind == INBOX)).all()
            self._stored_up_to = max((int(k) for k in keys), default=-1)
        if update_id <= self._stored_up_to:  # maybe from before a restart: ask the database
            with Session(self.engine) as session:
                known = session.exec(select(BotState.id).where(BotState.kind == INBOX,
                                                               BotState.key == str(update_id))).first()
            if known is not None:
                return False
        self._arrived[update_id] = data
        return True

    def flush_inbox(self) -> None:
        """Write the updates noted since the last flush (those handled meanwhile as handled)."""
        if not self._arrived:
            return
        arrived = dict(self._arrived)
        now = utcnow()
        # If this fails (the database is down), the getUpdates that would confirm the batch fails with
        # it: Telegram keeps the updates, and they stay noted here for the next try.
        with Session(self.engine) as session:
            insert_ignore(session, BotState, [{"kind": INBOX, "key": str(update_id), "data": data, "updated_at": now}
                                              for update_id, data in arrived.items()], ["kind", "key"])
            session.commit()
        for update_id in arrived:
            self._arrived.pop(update_id, None)
        self._recorded.update(arrived)
        if len(self._recorded) > 10_000:  # older ids are in the database, asked about only if they come again
            self._stored_up_to = max(self._recorded)
            self._recorded.clear()

    def pending_updates(self) -> list[str]:
        """Updates received but never handled (the process died), oldest first; forgets old handled ids."""
        with Session(self.engine) as session:
            session.exec(sa.delete(BotState).where(BotState.kind == INBOX, BotState.data == "",
                                                   BotState.updated_at < utcnow() - INBOX_MEMORY))
            session.commit()
            rows = session.exec(select(BotState.key, BotState.data).where(BotState.kind == INBOX,
                                                                           BotState.data != "")).all()
        return [data for _key, data in sorted(rows, key=lambda row: int(row[0]))]

    def checkpoint(self, *, conversation: str, key: tuple, state: object, user_id: int, name: str, draft: dict,
                   update_id: int | None) -> None:
        """The conversation's next state and its draft, durable together before the question is sent."""
        with Session(self.engine) as session:
            self._write(session, f"conversation:{conversation}", json.dumps(list(key)), state)
            self._write(session, f"draft:{name}", str(user_id), draft)
            if update_id is not None:
                self._mark_handled(session, update_id)
            session.commit()
        self._draft_rows.add((name, user_id))

    def finish_update(self, *, update_id: int | None, user_id: int | None, user_data: dict | None) -> None:
        """After a handler: the user's checkpointed drafts as the handler left them, and the update handled
        (committed with PTB's writes when they were staged in `batch`)."""
        with Session(self.engine) as session:
            for kind, key, data in _BATCH.get() or ():
                if data is None:
                    self._delete(session, kind, key)
                else:
                    self._write(session, kind, key, data)
            if user_id is not None:
                for name in self.checkpointed:
                    draft = (user_data or {}).get(name)
                    if draft is not None:
                        self._write(session, f"draft:{name}", str(user_id), draft)
                        self._draft_rows.add((name, user_id))
                    elif (name, user_id) in self._draft_rows:
                        self._delete(session, f"draft:{name}", str(user_id))
                        self._draft_rows.discard((name, user_id))
            if update_id is not None:
                self._mark_handled(session, update_id)
            session.commit()

    # -- PTB interface ------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict]:
        data = {int(k): v for k, v in self._load_kind("user_data").items()}
        for name in self.checkpointed:
            for user_id, draft in self._load_kind(f"draft:{name}").items():
                data.setdefault(int(user_id), {})[name] = draft
                self._draft_rows.add((name, int(user_id)))
        return data

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
        self._put("user_data", str(user_id), {k: deepcopy(v) for k, v in data.items() if k not in self.checkpointed})

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


class DurableUpdateQueue(asyncio.Queue):
    """The application's update queue: an update is in the inbox before Telegram is told it arrived.

    PTB's updater confirms a batch with its next getUpdates, whose request first runs
    `flush_inbox` (bot.telegram.app wires it); the webhook flushes before it answers 200. A kill -9
    after that leaves the update in the inbox, handled at restart; before it, Telegram sends it again.
    """

    def __init__(self, persistence: DatabasePersistence):
        super().__init__()
        self.persistence = persistence

    async def put(self, item) -> None:
        if isinstance(item, Update) and not self.persistence.receive(item.update_id, item.to_json()):
            log.info("update=%s already received, not handled twice", item.update_id)
            return
        await super().put(item)

    async def replay(self, bot) -> int:
        """Queue the updates a killed process received but never handled; how many there were."""
        pending = self.persistence.pending_updates()
        for data in pending:
            await super().put(Update.de_json(json.loads(data), bot))
        if pending:
            log.warning("%d update(s) received before a restart and not handled: handling them now", len(pending))
        return len(pending)


def checkpoint(update: Update, context, *, conversation: str, state: object, name: str) -> None:
    """Make `state` and `context.user_data[name]` durable together, before the question of `state` is sent."""
    persistence = context.application.persistence
    if not isinstance(persistence, DatabasePersistence):
        return
    user_id = update.effective_user.id
    persistence.checkpoint(conversation=conversation, key=(update.effective_chat.id, user_id), state=state,
                           user_id=user_id, name=name, draft=context.user_data[name], update_id=update.update_id)


def settle(update: Update, context) -> None:
    """Write the user's checkpointed drafts as they are now and mark the update handled, before a reply
    that must not be sent twice (a «Tersimpan» followed by a kill is not repeated at restart)."""
    persistence = context.application.persistence
    if isinstance(persistence, DatabasePersistence):
        persistence.finish_update(update_id=update.update_id, user_id=update.effective_user.id,
                                  user_data=context.user_data)


__all__ = ["DatabasePersistence", "DurableUpdateQueue", "checkpoint", "dumps", "loads", "settle"]
