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

The event loop never waits on SQL: every write goes to one writer thread (`_Writer`) and is awaited,
so a caller goes on only once its rows are committed (durability as before), in the order the writes
were submitted (a chat's updates run one after the other, so its rows end as its last update left them;
an update marked handled is marked after its inbox row is inserted). A row whose text this process knows
the database already has costs no SQL at all.
"""

import asyncio
import concurrent.futures
import contextlib
import contextvars
import itertools
import json
import logging
import queue
import threading
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
from bot.db import upsert_all
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
_UNKNOWN = object()  # a row whose stored text is not known (a write of it failed): written again next time


class _Writer:
    """The one thread that writes persistence. Jobs are committed in the order they were submitted, and
    the jobs waiting meanwhile share one transaction (a group commit: 300 PICs at once do not queue 300
    commits). The thread ends after a second without work and starts again with the next job, so it never
    outlives the bot nor needs stopping; it never touches the event loop (only the futures it completes)."""

    MAX_JOBS = 256
    IDLE_SECONDS = 1.0

    def __init__(self, engine: Engine):
        self.engine = engine
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False

    def submit(self, ops: list[tuple]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            self._queue.put((ops, future))
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="rapk-persistence", daemon=True).start()
        return future

    def _run(self) -> None:
        while True:
            try:
                jobs = [self._queue.get(timeout=self.IDLE_SECONDS)]
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            while len(jobs) < self.MAX_JOBS:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(jobs)
            except BaseException as exc:  # noqa: BLE001 - never leave a waiter without an answer
                for _ops, future in jobs:
                    if not future.done():
                        future.set_exception(exc)

    def _commit(self, jobs: list) -> None:
        try:
            with self.engine.begin() as connection:  # Core: nothing here needs the ORM's unit of work
                _apply(connection, [op for ops, _future in jobs for op in ops])
        except Exception as exc:  # noqa: BLE001 - handed to the update that waits on it
            if len(jobs) == 1:
                jobs[0][1].set_exception(exc)
                return
            for job in jobs:  # one failing job does not fail the others
                self._commit([job])
            return
        for _ops, future in jobs:
            future.set_result(None)


_TABLE = BotState.__table__
# Built once and executed with parameters: building a statement costs more than running it.
_DROP = sa.delete(_TABLE).where(_TABLE.c.kind == sa.bindparam("b_kind"), _TABLE.c.key == sa.bindparam("b_key"))
_HANDLED = (sa.update(_TABLE).where(_TABLE.c.kind == INBOX, _TABLE.c.key == sa.bindparam("b_key"))
            .values(data="", updated_at=sa.bindparam("b_now")))


def _apply(connection: sa.Connection, ops: list[tuple]) -> None:
    """Write the ops of a commit's jobs in their order: ("put", kind, key, text), ("drop", kind, key),
    ("handled", update_id) and ("inbox", rows). A run of ops of one sort is one statement (a step's state
    and draft, a group commit's checkpoints), a row written twice in it once, as it was last. Core
    statements: the ORM's unit of work costs more than the statements."""
    now = utcnow()
    for sort, run in itertools.groupby(ops, key=lambda op: op[0]):
        run = list(run)
        if sort == "put":
            rows = {(op[1], op[2]): op[3] for op in run}  # a row written twice: only its last write goes out
            upsert_all(connection, BotState, [{"kind": kind, "key": key, "data": data, "updated_at": now}
                                              for (kind, key), data in rows.items()], ["kind", "key"])
        elif sort == "drop":
            connection.execute(_DROP, [{"b_kind": kind, "b_key": key} for _, kind, key in dict.fromkeys(run)])
        elif sort == "handled":
            # The row stays (empty) for two days: Telegram may send the update again until the next
            # getUpdates confirms it, and a known id is not handled twice.
            connection.execute(_HANDLED, [{"b_key": str(update_id), "b_now": now} for _, update_id in run])
        else:
            rows: dict[tuple, dict] = {}
            for op in run:
                for row in op[1]:
                    rows.setdefault((row["kind"], row["key"]), row)  # as insert_ignore would: the first stays
            insert_ignore(connection, BotState, [{**row, "updated_at": now} for row in rows.values()], ["kind", "key"])


class DatabasePersistence(BasePersistence):
    """Stores user_data, chat_data and conversations as JSON rows; bot_data holds live services."""

    def __init__(self, engine: Engine, *, update_interval: float = 3600):
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False, user_data=True, chat_data=True),
            update_interval=update_interval,
        )
        self.engine = engine
        self._writer = _Writer(engine)
        # user_data keys written only with their conversation's state (checkpoint, finish_update).
        self.checkpointed: set[str] = set()
        # (name, user id) of the draft rows stored, so an update of a user without one deletes nothing.
        self._draft_rows: set[tuple[str, int]] = set()
        # The inbox: updates noted but not written yet (id → JSON, "" once handled), those being written,
        # ids written by this process, and the highest id the database held at start (None: not read yet).
        self._arrived: dict[int, str] = {}
        self._flushing: dict[int, str] = {}
        self._recorded: set[int] = set()
        self._stored_up_to: int | None = None
        self._flush_lock: tuple[object, asyncio.Lock] | None = None  # (its event loop, the lock)
        # Updates already marked handled (by a checkpoint or `settle`): their last write marks them no more.
        self._marked: set[int] = set()
        # The text each row has (or will have, once the writes submitted are committed), None for no row,
        # for every row of the kinds read whole at start and every row written since: an unchanged row,
        # or a new user's or chat's empty data (PTB writes both for every update), costs no query.
        self._loaded_kinds: set[str] = set()
        self._texts: dict[tuple[str, str], object] = {}

    # -- storage --------------------------------------------------------------------
    def _load_kind(self, kind: str) -> dict[str, object]:
        with Session(self.engine) as session:
            rows = session.exec(select(BotState).where(BotState.kind == kind)).all()
            self._loaded_kinds.add(kind)
            self._texts.update(((kind, row.key), row.data) for row in rows)
            return {row.key: loads(row.data) for row in rows}

    def _known(self, kind: str, key: str) -> object:
        return self._texts.get((kind, key), None if kind in self._loaded_kinds else _UNKNOWN)

    def _stage(self, ops: list, kind: str, key: str, text: str | None) -> None:
        """Add the write of one row (`text`, or None to delete it) to `ops`, unless the row has it already."""
        known = self._known(kind, key)
        if text is None:
            if known is not None:
                ops.append(("drop", kind, key))
        elif known != text and not (known is None and text == "{}"):  # a missing row loads as the same {}
            ops.append(("put", kind, key, text))
        else:
            return
        self._texts[(kind, key)] = text

    def _stage_handled(self, ops: list, update_id: int) -> None:
        if update_id in self._arrived:  # handled before it was written: it will be written as handled
            self._arrived[update_id] = ""
            return
        if update_id in self._flushing:  # being written: the UPDATE comes after it (and counts if it fails)
            self._flushing[update_id] = ""
        ops.append(("handled", update_id))

    async def _submit(self, ops: list[tuple]) -> None:
        """Write `ops` in the writer thread; back once committed."""
        if not ops:
            return
        try:
            await asyncio.wrap_future(self._writer.submit(ops))
        except BaseException:
            for op in ops:  # not stored (or not known to be): written again next time
                if op[0] in ("put", "drop"):
                    self._texts[(op[1], op[2])] = _UNKNOWN
            raise

    async def _put(self, kind: str, key: str, data) -> None:
        """Write one row (None: delete it). Serialised now, so the data cannot change before the commit
        (PTB hands over its own copies; none is needed)."""
        text = None if data is None else dumps(data)
        batch = _BATCH.get()
        if batch is not None:
            batch.append((kind, key, text))
            return
        ops: list[tuple] = []
        self._stage(ops, kind, key, text)
        await self._submit(ops)

    @contextlib.contextmanager
    def batch(self):
        """Stage PTB's writes at the end of an update; finish_update commits them with its own, at once.

        Task-local (a context variable), so that a checkpoint still commits on its own.
        """
        token = _BATCH.set([])
        try:
            yield
        finally:
            _BATCH.reset(token)

    # -- inbox and checkpoints -------------------------------------------------------------
    def receive(self, update_id: int, data: str) -> bool:
        """Note an update that arrived; False when it is known already (a second delivery).

        Kept in memory until `flush_inbox`, which runs before the next getUpdates (the request that
        confirms the batch to Telegram) and before the webhook answers: one transaction per batch,
        and an update is in the database before Telegram forgets it.
        """
        if update_id in self._arrived or update_id in self._flushing or update_id in self._recorded:
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

    def _inbox_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._flush_lock is None or self._flush_lock[0] is not loop:
            self._flush_lock = (loop, asyncio.Lock())
        return self._flush_lock[1]

    async def flush_inbox(self) -> None:
        """Write the updates noted since the last flush (those handled meanwhile as handled).

        One flush at a time: a webhook request whose update an earlier flush took answers only once that
        flush is committed (or, if it failed, once its own has written the update again)."""
        async with self._inbox_lock():
            if not self._arrived:
                return
            arrived, self._arrived = self._arrived, {}
            self._flushing.update(arrived)
            try:
                await self._submit([("inbox", [{"kind": INBOX, "key": str(update_id), "data": data}
                                               for update_id, data in arrived.items()])])
            except BaseException:
                # The database is down: the getUpdates that would confirm the batch fails with it, Telegram
                # keeps the updates, and they stay noted here for the next try (those handled meanwhile as
                # handled: their UPDATE found no row).
                self._arrived = {**{update_id: self._flushing.get(update_id, data)
                                    for update_id, data in arrived.items()}, **self._arrived}
                raise
            finally:
                for update_id in arrived:
                    self._flushing.pop(update_id, None)
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
            rows = session.exec(select(BotState.key, BotState.data).where(BotState.kind == INBOX)).all()
        # The highest id known, read here at start: the first update after it costs `receive` no query.
        self._stored_up_to = max((int(key) for key, _data in rows), default=-1)
        return [data for _key, data in sorted(rows, key=lambda row: int(row[0])) if data != ""]

    async def checkpoint(self, *, conversation: str, key: tuple, state: object, user_id: int, name: str,
                         draft: dict, update_id: int | None) -> None:
        """The conversation's next state and its draft, durable together before the question is sent
        (one transaction; only the rows that changed)."""
        ops: list[tuple] = []
        self._stage(ops, f"conversation:{conversation}", json.dumps(list(key)), dumps(state))
        self._stage(ops, f"draft:{name}", str(user_id), dumps(draft))
        handled = update_id is not None and update_id not in self._marked
        if handled:
            self._stage_handled(ops, update_id)
        await self._submit(ops)
        if handled:  # only once committed: a failed checkpoint leaves the finish to mark it
            self._marked.add(update_id)
        self._draft_rows.add((name, user_id))

    async def finish_update(self, *, update_id: int | None, user_id: int | None, user_data: dict | None,
                            last: bool = True) -> None:
        """After a handler: the user's checkpointed drafts as the handler left them, and the update handled
        (committed with PTB's writes when they were staged in `batch`). `last`: the update's final write
        (a handler's own `settle` before its last reply is not)."""
        ops: list[tuple] = []
        for kind, key, text in _BATCH.get() or ():
            self._stage(ops, kind, key, text)
        if user_id is not None:
            for name in self.checkpointed:
                draft = (user_data or {}).get(name)
                if draft is not None:
                    self._stage(ops, f"draft:{name}", str(user_id), dumps(draft))
                    self._draft_rows.add((name, user_id))
                elif (name, user_id) in self._draft_rows:
                    self._stage(ops, f"draft:{name}", str(user_id), None)
                    self._draft_rows.discard((name, user_id))
        handled = update_id is not None and update_id not in self._marked
        if handled:
            self._stage_handled(ops, update_id)
        if last:
            self._marked.discard(update_id)
        await self._submit(ops)
        if handled and not last:  # once committed: the update's last write need not mark it again
            self._marked.add(update_id)

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

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        await self._put(f"conversation:{name}", json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._put("user_data", str(user_id), {k: v for k, v in data.items() if k not in self.checkpointed})

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._put("chat_data", str(chat_id), data)

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def update_callback_data(self, data) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        await self._put("user_data", str(user_id), None)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._put("chat_data", str(chat_id), None)

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


async def checkpoint(update: Update, context, *, conversation: str, state: object, name: str) -> None:
    """Make `state` and `context.user_data[name]` durable together, before the question of `state` is sent."""
    persistence = context.application.persistence
    if not isinstance(persistence, DatabasePersistence):
        return
    user_id = update.effective_user.id
    await persistence.checkpoint(conversation=conversation, key=(update.effective_chat.id, user_id), state=state,
                                 user_id=user_id, name=name, draft=context.user_data[name],
                                 update_id=update.update_id)


async def settle(update: Update, context) -> None:
    """Write the user's checkpointed drafts as they are now and mark the update handled, before a reply
    that must not be sent twice (a «Tersimpan» followed by a kill is not repeated at restart)."""
    persistence = context.application.persistence
    if isinstance(persistence, DatabasePersistence):
        await persistence.finish_update(update_id=update.update_id, user_id=update.effective_user.id,
                                        user_data=context.user_data, last=False)


__all__ = ["DatabasePersistence", "DurableUpdateQueue", "checkpoint", "dumps", "loads", "settle"]
